// The cycles.csv table of a simulation: one row per cycle. Column meanings are documented in docs/PACER.md;
// the names carry their units (_bytes, _ms) so the file is self-describing.

extension SimulationResult {
    /// Column names of cycles.csv, in order.
    public static let csvColumns = [
        "cycle", "heap_marked_bytes", "trigger_bytes", "heap_goal_bytes", "peak_heap_bytes", "peak_over_goal",
        "trigger_ratio", "utilization", "background_utilization", "cons_mark", "cons_mark_estimate",
        "true_cons_mark", "assist_ratio_start", "scan_work_bytes", "expected_scan_work_bytes",
        "alloc_during_mark_bytes", "marked_after_bytes", "memory_limit_goal_bytes", "mark_ms", "cycle_ms",
        "limiter_fill", "limited_fraction", "controller_trigger_ratio", "controller_integral", "controller_reset",
        "next_heap_goal_bytes", "next_trigger_bytes",
    ]

    /// The simulation as a cycles.csv table.
    public var csvTable: CSVTable {
        var table = CSVTable(header: SimulationResult.csvColumns)
        for r in records {
            table.append([
                String(r.cycle), String(r.heapMarked), String(r.trigger), String(r.heapGoal), String(r.heapPeak),
                CSVTable.number(r.peakOverGoal), CSVTable.number(r.triggerRatio), CSVTable.number(r.utilization),
                CSVTable.number(r.backgroundUtilization), CSVTable.number(r.measuredConsMark),
                CSVTable.number(r.consMarkEstimate), CSVTable.number(r.trueConsMark),
                CSVTable.number(r.assistRatioAtStart), String(r.scanWork), String(r.expectedScanWork),
                String(r.allocatedDuringMark), String(r.markedAfter), CSVTable.integer(r.memoryLimitGoal),
                CSVTable.number(r.markMillis, digits: 3), CSVTable.number(r.cycleMillis, digits: 3),
                CSVTable.number(r.limiterFill), CSVTable.number(r.limitedFraction),
                CSVTable.number(r.controllerTriggerRatio), CSVTable.number(r.controllerIntegral),
                r.controllerReset ? "1" : "0", String(r.nextHeapGoal), String(r.nextTrigger),
            ])
        }
        return table
    }
}
