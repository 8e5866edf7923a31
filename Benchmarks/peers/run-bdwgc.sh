#!/usr/bin/env bash
# run-bdwgc.sh -- build and time GCBench on the Boehm-Demers-Weiser collector.
#
# Usage: Benchmarks/peers/run-bdwgc.sh [-n RUNS] [-- BENCH_ARGS...]
#   -n RUNS   timed runs (default 5; also RUNS=... in the environment)
#   BENCH_ARGS are passed to the benchmark, e.g. `-- -p` to start libgc's
#   parallel marker threads.  GC_MARKERS, GC_PRINT_STATS etc. in the
#   environment reach libgc unchanged (unset GC_MARKERS rather than setting
#   it empty: libgc reads an empty value as "use the maximum").
#
# Needs: gcc and libgc-dev (apt-get install -y libgc-dev).  Uses hyperfine
# when it is installed (NO_HYPERFINE=1 to skip it), else a `date +%s%N`
# loop; reports peak RSS when /usr/bin/time (Debian package `time`) is there.
#
# The binary goes to Benchmarks/peers/out/ (git-ignored).  Prints the
# benchmark's own line (total_ms, gc_count, ...), the median wall time over
# RUNS runs, and the peak RSS.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/out"
bin="$out/gcbench_bdwgc"
runs="${RUNS:-5}"

while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs="$2"; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
case "$runs" in ''|*[!0-9]*|0) echo "run-bdwgc: RUNS must be a positive integer" >&2; exit 2 ;; esac
bench_args=("$@")

CC="${CC:-gcc}"
CFLAGS="${CFLAGS:--O2}"
mkdir -p "$out"
# -DGC_THREADS -pthread: Debian's libgc is the threaded build; this lets the
# benchmark call GC_get_parallel()/GC_start_mark_threads().  The workload
# itself stays single-threaded.
# shellcheck disable=SC2086
"$CC" $CFLAGS -Wall -DGC_THREADS -pthread -o "$bin" "$here/gcbench_bdwgc.c" -lgc

echo "compiler: $("$CC" --version | head -n 1)"
if command -v dpkg-query >/dev/null 2>&1; then
    echo "libgc-dev: $(dpkg-query -W -f='${Version}' libgc-dev 2>/dev/null || echo '?')"
fi
echo "GC_MARKERS=${GC_MARKERS-<unset>}  args: ${bench_args[*]:-<none>}  runs: $runs"

# One untimed run: checks the result (non-zero exit on a failed check) and
# warms the page cache.
"$bin" "${bench_args[@]}"

if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
    cmd="$bin${bench_args[*]:+ ${bench_args[*]}}"
    json="$out/hyperfine-bdwgc.json"
    hyperfine -N --warmup 1 --runs "$runs" --style basic \
        --export-json "$json" -- "$cmd" >&2
    median_s="$(sed -n 's/^ *"median": *\([0-9.eE+-]*\),*$/\1/p' "$json" | head -n 1)"
    median_ms="$(awk -v s="$median_s" 'BEGIN { printf "%.1f", s * 1000 }')"
    how="hyperfine"
else
    times=()
    for ((k = 0; k < runs; k++)); do
        t0=$(date +%s%N)
        "$bin" "${bench_args[@]}" >/dev/null
        t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))   # microseconds
    done
    median_ms="$(printf '%s\n' "${times[@]}" | sort -n | awk '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%.1f", m / 1000 }')"
    how="date loop: $(printf '%s ' "${times[@]}")us"
fi
echo "median wall time: ${median_ms} ms over ${runs} runs (${how})"

if [ -x /usr/bin/time ]; then
    rss_kb="$(/usr/bin/time -v "$bin" "${bench_args[@]}" 2>&1 >/dev/null \
        | sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p')"
    echo "peak RSS: ${rss_kb} KiB"
else
    echo "peak RSS: n/a (apt-get install -y time for /usr/bin/time)"
fi
