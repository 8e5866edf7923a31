#!/bin/bash
# Memory against GC time: membalancer over its constant c beside go121 over GOGC, on the simulator's
# scenarios and on real workloads (docs/PACER.md, "MemBalancer against go121"). Release build.
#   Benchmarks/pacer/membalancer-curves.sh [OUT]        (default results/pacer-curves; ~10 min)
set -euo pipefail
out=${1:-results/pacer-curves}
swift build -c release >/dev/null
bin=.build/release/gclab
mkdir -p "$out/sim"
for sc in steady jitter growing-heap big-roots heavy-step-alloc oscillating; do
    $bin tune --scenario $sc --pacer go121 --gogc 25:400:25 --seeds 3 --out "$out/tmp" >/dev/null
    mv "$out/tmp/tune.csv" "$out/sim/$sc-go121.csv"
    $bin tune --scenario $sc --pacer membalancer --membalancer-c 0.0005:0.005:0.0005 --seeds 3 --out "$out/tmp" >/dev/null
    mv "$out/tmp/tune.csv" "$out/sim/$sc-mb.csv"
    $bin tune --scenario $sc --pacer membalancer --membalancer-c 0.01:0.2:0.01 --seeds 3 --out "$out/tmp" >/dev/null
    tail -n +2 "$out/tmp/tune.csv" >> "$out/sim/$sc-mb.csv"
done
rm -rf "$out/tmp"
workloads='"gcbench","lru-cache","alloc-phases","binary-trees"'
echo "{\"workloads\": [$workloads], \"pacers\": [\"go121\"], \"gogc\": [50,100,200,400], \"repeat\": 3}" > "$out/go.json"
echo "{\"workloads\": [$workloads], \"pacers\": [\"membalancer\"], \"membalancer-c\": [0.00125,0.0025,0.005,0.01,0.02,0.04,0.08,0.16,0.32], \"repeat\": 3}" > "$out/mb.json"
$bin matrix "$out/go.json" --out "$out/go" --quiet
$bin matrix "$out/mb.json" --out "$out/mb" --quiet
python3 "$(dirname "$0")/curve-summary.py" "$out"
