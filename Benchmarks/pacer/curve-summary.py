#!/usr/bin/env python3
"""Summarises the memory/GC-time curves that membalancer-curves.sh writes.

Simulator (DIR/sim/SCENARIO-{go121,mb}.csv, tune.csv tables): per scenario, go121's mean peak heap at
GOGC 50/100/200/400 against membalancer's peak at the same GC CPU share (linear interpolation on its c
curve); then the sums over all scenarios at one knob setting for all of them (the paper's question: one
GOGC for every heap against one c for every heap).
Real heap (DIR/go, DIR/mb, matrix summary.csv): per workload and point, medians over repeats of the mean
heap, the peak heap and the GC CPU fraction.
"""
import csv, os, statistics, sys

def interp(points, share):
    points = sorted(points)
    for (s0, p0), (s1, p1) in zip(points, points[1:]):
        if s0 <= share <= s1:
            return p0 if s1 == s0 else p0 + (p1 - p0) * (share - s0) / (s1 - s0)
    return None

def sim(d):
    names = sorted({f.rsplit('-', 1)[0] for f in os.listdir(d) if f.endswith('.csv')})
    load = lambda f, k: [(float(r[k]), float(r['mean_peak_bytes']) / 2**20, float(r['gc_cpu_share']))
                         for r in csv.DictReader(open(os.path.join(d, f)))]
    tot_go, tot_mb = {}, {}
    print('simulator: mean peak heap (MiB) at go121 GOGC points vs membalancer at the same GC CPU share')
    for n in names:
        go, mb = load(n + '-go121.csv', 'gogc'), load(n + '-mb.csv', 'membalancer-c')
        for table, tot in ((go, tot_go), (mb, tot_mb)):
            for k, p, s in table:
                t = tot.setdefault(k, [0.0, 0.0]); t[0] += p; t[1] += s / len(names)
        cells = []
        for k, p, s in go:
            if k in (50, 100, 200, 400):
                m = interp([(s2, p2) for _, p2, s2 in mb], s)
                cells.append(f'GOGC {int(k)}: {p:.1f} @ {s:.4f} -> {m:.1f} ({m / p:.3f})' if m else f'GOGC {int(k)}: {p:.1f} @ {s:.4f} -> n/a')
        print(f'  {n}: ' + ' | '.join(cells))
    print(f'  all {len(names)} scenarios, one knob for all (total MiB at mean share):')
    for k in (50, 100, 200, 400):
        p, s = tot_go[k]
        m = interp([(s2, p2) for p2, s2 in tot_mb.values()], s)
        print(f'    GOGC {k}: {p:.1f} @ {s:.4f}; membalancer {m:.1f} ({m / p:.3f})' if m else f'    GOGC {k}: {p:.1f} @ {s:.4f}; membalancer n/a')

def real(d):
    rows = []
    for sub, key in (('go', 'gogc'), ('mb', 'membalancer-c')):
        path = os.path.join(d, sub, 'summary.csv')
        if not os.path.exists(path): continue
        groups = {}
        for r in csv.DictReader(open(path)):
            if r['status'] != 'ok': continue
            groups.setdefault((r['workload'], r['pacer'], r[key]), []).append(r)
        for (w, p, v), rs in groups.items():
            med = lambda c: statistics.median(float(r[c]) for r in rs)
            rows.append((w, p, float(v), med('mean_heap_bytes') / 2**20, med('peak_heap_bytes') / 2**20,
                         med('gc_cpu_fraction'), len(rs)))
    print('real heap: medians over repeats (mean heap MiB / peak heap MiB / GC CPU fraction)')
    for w in sorted({r[0] for r in rows}):
        for p in ('go121', 'membalancer'):
            pts = sorted(r for r in rows if r[0] == w and r[1] == p)
            label = 'GOGC' if p == 'go121' else 'c'
            print(f'  {w} {p}: ' + ' | '.join(f'{label} {r[2]:g}: {r[3]:.1f} / {r[4]:.1f} / {r[5]:.3f}' for r in pts))
    print('real heap: membalancer interpolated at go121\'s GC CPU fraction (mean heap, peak heap; ratio to go121)')
    workloads = sorted({r[0] for r in rows})
    for g in (50, 100, 200, 400):
        cells, tot = [], [0.0, 0.0, 0.0, 0.0]
        for w in workloads:
            go = [r for r in rows if r[0] == w and r[1] == 'go121' and r[2] == g]
            mb = [r for r in rows if r[0] == w and r[1] == 'membalancer']
            if not go: continue
            _, _, _, mean, peak, share, _ = go[0]
            m_mean = interp([(r[5], r[3]) for r in mb], share)
            m_peak = interp([(r[5], r[4]) for r in mb], share)
            if m_mean is None or m_peak is None:
                cells.append(f'{w} n/a'); continue
            cells.append(f'{w} {m_mean / mean:.2f}/{m_peak / peak:.2f}')
            tot = [tot[0] + mean, tot[1] + peak, tot[2] + m_mean, tot[3] + m_peak]
        summed = f'; summed where defined: {tot[2] / tot[0]:.2f}/{tot[3] / tot[1]:.2f}' if tot[0] else ''
        print(f'  GOGC {g}: ' + ', '.join(cells) + summed)

if __name__ == '__main__':
    d = sys.argv[1] if len(sys.argv) > 1 else 'results/pacer-curves'
    if os.path.isdir(os.path.join(d, 'sim')): sim(os.path.join(d, 'sim'))
    real(d)
