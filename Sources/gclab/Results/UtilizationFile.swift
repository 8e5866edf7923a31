// mmu.csv: the run's minimum mutator utilization curve, exactly from the pause list (see
// ConcurrentGC/Stats/MMU.swift), twice: counting stop-the-world pauses only, and also counting the
// concurrent mark phases at the share of the processors the collector used in them.

import ConcurrentGC
import Foundation
import Pacer

enum UtilizationFile {
    /// World pauses (not per-thread handshakes) at full weight.
    static func pauseIntervals(_ stats: GCStats) -> [GCInterval] {
        stats.pauses.filter { $0.mutator == 0 }.map { GCInterval(start: $0.startNs, end: $0.startNs + $0.durationNs) }
    }

    /// Pauses plus each concurrent mark phase (outside its pauses) at the collector's measured share.
    static func markingIntervals(_ stats: GCStats) -> [GCInterval] {
        let pauses = pauseIntervals(stats).sorted { $0.start < $1.start }
        var result = pauses
        for c in stats.cycles where c.concurrentMarkStartNs > 0 && c.markTerminationStartNs > c.concurrentMarkStartNs {
            let weight = min(1, c.utilization + c.idleUtilization)
            var cursor = c.concurrentMarkStartNs
            for p in pauses where p.end > cursor && p.start < c.markTerminationStartNs {
                if p.start > cursor { result.append(GCInterval(start: cursor, end: p.start, weight: weight)) }
                cursor = max(cursor, p.end)
            }
            if cursor < c.markTerminationStartNs {
                result.append(GCInterval(start: cursor, end: c.markTerminationStartNs, weight: weight))
            }
        }
        return result
    }

    /// The BMU at 1, 10 and 100 ms (pauses only), for summary.csv.
    static func summaryPoints(_ stats: GCStats, runEnd: UInt64) -> [Double] {
        let u = MutatorUtilization(intervals: pauseIntervals(stats), runStart: 0, runEnd: runEnd)
        let windows: [UInt64] = [1_000_000, 10_000_000, 100_000_000]
        let curve = u.curve(windows: windows + MutatorUtilization.standardWindows(runLength: runEnd))
        return windows.map { w in curve.first { $0.window >= w }?.bmu ?? u.overall }
    }

    static func write(_ stats: GCStats, runEnd: UInt64, to url: URL) throws {
        let windows = MutatorUtilization.standardWindows(runLength: max(runEnd, 1))
        let pauses = MutatorUtilization(intervals: pauseIntervals(stats), runStart: 0, runEnd: runEnd).curve(windows: windows)
        let marking = MutatorUtilization(intervals: markingIntervals(stats), runStart: 0, runEnd: runEnd).curve(windows: windows)
        var table = CSVTable(["window_ns", "mmu", "bmu", "mmu_with_marking", "bmu_with_marking"])
        for (p, m) in zip(pauses, marking) {
            table.append([p.window, String(format: "%.6f", p.mmu), String(format: "%.6f", p.bmu),
                          String(format: "%.6f", m.mmu), String(format: "%.6f", m.bmu)])
        }
        try table.write(to: url)
    }
}
