// The files of one run: summary.csv (one row), pauses.csv, heap.csv and cycles.csv.
// results/README.md documents every column; keep the two in step.

import ConcurrentGC
import Foundation
import Pacer

/// The configuration columns of a run.
struct RunConfiguration {
    var workload: String
    var scale: String
    var collector: CollectorKind
    /// The barrier's name, or `n/a` for a plan without one.
    var barrier: String
    var markWorkers: Int
    /// Every plan option of every collector, in registry order: its value, or `n/a` where it does not
    /// apply (so that summary.csv has the same columns whatever the collector).
    var planOptions: [(name: String, value: String)]
    var pacer: String
    var threads: Int
    var seed: UInt64
    var gogc: Int
    var heapMaxBytes: Int
    var verify: Bool

    /// The value of plan option `name` (`n/a` where it does not apply).
    func planOption(_ name: String) -> String { planOptions.first { $0.name == name }?.value ?? "n/a" }

    /// `concurrent/yuasa workers=paced roots=stw pacer=go121`, for the printed summary.
    var planDescription: String {
        var words = [collector.name + (barrier == "n/a" ? "" : "/" + barrier)]
        if collector.traits.markWorkers != nil { words.append("workers=" + (markWorkers < 0 ? "paced" : String(markWorkers))) }
        for o in collector.traits.options { words.append("\(o.name)=\(planOption(o.name))") }
        words.append("pacer=\(pacer)")
        return words.joined(separator: " ")
    }
}

enum RunResults {
    /// summary.csv: the configuration (with a column per plan option of every collector), then the figures.
    static var summaryColumns: [String] {
        ["workload", "scale", "collector", "barrier", "mark_workers"] + CollectorKind.allPlanOptions.map(\.columnName)
            + ["pacer", "threads", "seed", "gogc", "heap_max_bytes", "verify",
               "status", "wall_ns", "allocated_bytes", "allocation_rate_bytes_per_s", "gc_cycles", "pause_count", "pause_total_ns",
               "pause_p50_ns", "pause_p95_ns", "pause_p99_ns", "pause_max_ns", "minor_collections", "major_collections",
               "minor_pause_p50_ns", "minor_pause_p99_ns", "minor_pause_max_ns", "gc_cpu_ns", "peak_heap_bytes", "mean_heap_bytes",
               "peak_committed_bytes", "peak_over_goal_mean", "gc_cpu_fraction", "assist_fraction", "mmu_1ms", "mmu_10ms",
               "mmu_100ms", "lost_objects"]
    }

    /// cycles.csv: the columns every plan writes, then the collector's own (`PlanTraits.cycleColumns`).
    static func cycleColumns(_ collector: CollectorKind) -> [String] {
        ["cycle", "collector", "reason", "start_ns", "concurrent_mark_start_ns", "mark_termination_start_ns",
         "end_ns", "heap_at_trigger_bytes", "heap_at_mark_end_bytes", "marked_bytes", "marked_objects",
         "black_allocated_bytes", "scan_background_bytes", "scan_assist_bytes", "scan_pause_bytes",
         "gc_cpu_ns", "assist_ns", "barrier_slow_paths", "termination_attempts", "rescan_ns", "handshakes",
         "large_freed_bytes", "next_trigger_bytes", "lost_objects",
         "pacer", "heap_goal_bytes", "trigger_bytes", "peak_over_goal", "utilization", "idle_utilization", "cons_mark",
         "cons_mark_estimate", "controller_state", "assist_work_per_byte", "assist_credit_bytes",
         "next_heap_goal_bytes", "stack_bytes", "globals_bytes",
         "treadmill_free_cells", "treadmill_black_cells", "treadmill_grey_cells", "treadmill_white_cells"]
            + collector.traits.cycleColumns
    }

    /// summary.csv's minor and major collection columns: `n/a` for a plan without minor collections.
    static func generationalColumns(_ collector: CollectorKind, _ s: RunSummary) -> [CustomStringConvertible] {
        guard collector.traits.pauseKinds.contains(.minor) else { return Array(repeating: "n/a", count: 5) }
        return [s.minorCollections, s.majorCollections, s.minorPauseP50Ns, s.minorPauseP99Ns, s.minorPauseMaxNs]
    }

    /// Writes all files of a run into `directory` (created if needed).
    static func write(config: RunConfiguration, status: String, wallNs: UInt64, heap: Heap, to directory: URL) throws {
        try OutputDirectory.prepare(directory.path, what: "--out")
        TemporaryFiles.removeStaleTemporaries(in: directory)
        let stats = heap.stats
        let summary = RunSummary(stats: stats)

        var pauses = CSVTable(["cycle", "kind", "mutator", "start_ns", "time_to_safepoint_ns", "duration_ns"])
        for p in stats.pauses { pauses.append([p.cycle, p.kind, p.mutator, p.startNs, p.timeToSafepointNs, p.durationNs]) }
        try pauses.write(to: directory.appendingPathComponent("pauses.csv"))

        var samples = CSVTable(["time_ns", "allocated_bytes", "heap_in_use_bytes", "live_bytes", "committed_bytes", "trigger_bytes", "fragmentation"])
        for s in stats.heapSamples {
            samples.append([s.timeNs, s.allocatedBytes, s.heapInUseBytes, s.liveBytes, s.committedBytes, s.triggerBytes,
                            String(format: "%.4f", s.fragmentation)])
        }
        try samples.write(to: directory.appendingPathComponent("heap.csv"))

        var cycles = CSVTable(cycleColumns(config.collector))
        for c in stats.cycles {
            cycles.append([c.cycle, c.collector, c.reason, c.startNs, c.concurrentMarkStartNs, c.markTerminationStartNs,
                           c.endNs, c.heapAtTriggerBytes, c.heapAtMarkEndBytes, c.markedBytes, c.markedObjects,
                           c.blackAllocatedBytes, c.scanBackgroundBytes, c.scanAssistBytes, c.scanPauseBytes,
                           c.gcCPUNs, c.assistNs, c.barrierSlowPaths, c.terminationAttempts, c.rescanNs, c.handshakes,
                           c.largeObjectBytesFreed, c.nextTriggerBytes, c.lostObjects,
                           c.pacer, c.heapGoalBytes, c.triggerBytes, String(format: "%.4f", c.peakOverGoal),
                           String(format: "%.4f", c.utilization), String(format: "%.4f", c.idleUtilization),
                           String(format: "%.5f", c.consMark),
                           String(format: "%.5f", c.consMarkEstimate), String(format: "%.5f", c.controllerState),
                           String(format: "%.5f", c.assistWorkPerByteAtStart), c.assistCreditBytes, c.nextHeapGoalBytes,
                           c.stackBytes, c.globalsBytes,
                           c.treadmillFreeCells, c.treadmillBlackCells, c.treadmillGreyCells, c.treadmillWhiteCells]
                          + config.collector.traits.cycleColumns.map { c.planColumns[$0] ?? "" })
        }
        try cycles.write(to: directory.appendingPathComponent("cycles.csv"))

        let runEnd = stats.elapsed()
        try UtilizationFile.write(stats, runEnd: runEnd, to: directory.appendingPathComponent("mmu.csv"))
        try TraceFile.write(stats, title: "gclab \(config.workload) \(config.collector)", to: directory.appendingPathComponent("trace.json"))
        let mmu = UtilizationFile.summaryPoints(stats, runEnd: runEnd)

        // summary.csv last: its presence means the run's files are complete.
        var table = CSVTable(summaryColumns)
        let paced = stats.cycles.filter { $0.heapGoalBytes > 0 }
        let peakOverGoal = paced.isEmpty ? 0 : paced.reduce(0.0) { $0 + $1.peakOverGoal } / Double(paced.count)
        let gcCPUFraction = wallNs > 0 ? Double(summary.gcCPUNs) / Double(wallNs) / Double(ProcessInfo.processInfo.activeProcessorCount) : 0
        try ConfigFile.write(config: config, heap: heap, to: directory.appendingPathComponent("config.json"))
        let procs = Double(ProcessInfo.processInfo.activeProcessorCount)
        let allocationRate = wallNs > 0 ? Int(Double(heap.allocatedBytes) / (Double(wallNs) / 1e9)) : 0
        let assistFraction = wallNs > 0 ? Double(summary.assistNs) / Double(wallNs) / procs : 0
        table.append([config.workload, config.scale, config.collector, config.barrier, config.markWorkers]
                     + config.planOptions.map(\.value) as [CustomStringConvertible]
                     + [config.pacer, config.threads, config.seed, config.gogc, config.heapMaxBytes, config.verify ? 1 : 0, status, wallNs, heap.allocatedBytes, allocationRate,
                      summary.gcCycles, summary.pauseCount, summary.pauseTotalNs, summary.pauseP50Ns, summary.pauseP95Ns,
                      summary.pauseP99Ns, summary.pauseMaxNs] as [CustomStringConvertible]
                     + generationalColumns(config.collector, summary)
                     + [summary.gcCPUNs, heap.peakHeapBytes, summary.meanHeapBytes,
                      heap.peakCommittedBytes, String(format: "%.4f", peakOverGoal), String(format: "%.4f", gcCPUFraction),
                      String(format: "%.4f", assistFraction),
                      String(format: "%.4f", mmu[0]), String(format: "%.4f", mmu[1]), String(format: "%.4f", mmu[2]),
                      summary.lostObjects])
        try table.write(to: directory.appendingPathComponent("summary.csv"))
    }
}
