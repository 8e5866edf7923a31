// Figures of merit of a simulation, shared by the CLI report, the docs table, the gain search and tests.
//
//  * mean utilization and peak/goal over the cycles after a warm-up (default: after cycle 25);
//  * mean |peak/goal − 1| and mean |u − u_g|: how far from the two targets, on average;
//  * worst overshoot: max(peak/goal) − 1 after the warm-up;
//  * GC CPU share: time-weighted GC fraction of all CPU, counting the time between cycles;
//  * cycles to settle: after the scenario's step, how many cycles until every later cycle has
//    |peak/goal − 1| ≤ 0.05 and |Δu| ≤ 0.005, Go's "settled" tolerances. A run that never settles scores
//    the number of cycles remaining after the step. Scenarios without a step have no settle time (nil):
//    under continuous noise "settled" is never reached and the number would only measure the noise.

/// Summary statistics of one simulation.
public struct SimulationSummary: Equatable, Sendable {
    /// Cycles up to and including this one are warm-up and excluded from the means.
    public var warmup: Int
    /// Cycles included in the means.
    public var count: Int
    /// Mean GC utilization after the warm-up.
    public var meanUtilization: Double
    /// Mean peak/goal after the warm-up.
    public var meanPeakOverGoal: Double
    /// Smallest peak/goal after the warm-up.
    public var minPeakOverGoal: Double
    /// Largest peak/goal after the warm-up.
    public var maxPeakOverGoal: Double
    /// Mean |peak/goal − 1| after the warm-up.
    public var meanGoalError: Double
    /// Mean |u − u_g| after the warm-up.
    public var meanUtilizationError: Double
    /// max(peak/goal) − 1 after the warm-up (negative: never reached the goal).
    public var worstOvershoot: Double
    /// Cycles to settle after the scenario's step, or nil if it has none (see file comment).
    public var settleCycles: Int?
    /// The GC's share of all CPU time after the warm-up, time-weighted, including the mutator-only time
    /// between cycles (what the CPU limiter bounds; lower than the mark-phase utilization).
    public var gcCPUShare: Double
    /// Mean peak heap (bytes at mark termination) after the warm-up: the memory side of the
    /// memory/GC-time trade-off that `gcCPUShare` is the time side of.
    public var meanPeakBytes: Double

    /// Tolerance on |peak/goal − 1| for "settled" (Go's 0.95...1.05).
    public static let goalTolerance = 0.05
    /// Tolerance on |Δu| for "settled" (Go's 0.005).
    public static let utilizationTolerance = 0.005

    /// Summarises `result`, excluding cycles 1...`warmup` from the means.
    public init(_ result: SimulationResult, warmup: Int = 25) {
        let records = result.records
        let target = result.config.utilizationTarget
        let tail = records.count > warmup ? Array(records[warmup...]) : []
        self.warmup = warmup
        count = tail.count
        let n = Double(max(tail.count, 1))
        meanUtilization = tail.reduce(0) { $0 + $1.utilization } / n
        meanPeakOverGoal = tail.reduce(0) { $0 + $1.peakOverGoal } / n
        minPeakOverGoal = tail.map(\.peakOverGoal).min() ?? 0
        maxPeakOverGoal = tail.map(\.peakOverGoal).max() ?? 0
        meanGoalError = tail.reduce(0) { $0 + abs($1.peakOverGoal - 1) } / n
        meanUtilizationError = tail.reduce(0) { $0 + abs($1.utilization - target) } / n
        worstOvershoot = maxPeakOverGoal - 1
        settleCycles = result.scenario.disturbanceCycle.map { SimulationSummary.settleCycles(records, from: $0) }
        let wall = tail.reduce(0) { $0 + $1.cycleMillis }
        gcCPUShare = wall > 0 ? tail.reduce(0) { $0 + $1.utilization * $1.markMillis } / wall : 0
        meanPeakBytes = tail.reduce(0) { $0 + Double($1.heapPeak) } / n
    }

    /// Cycles after 1-based cycle `start` until the run stays settled.
    public static func settleCycles(_ records: [SimulatedCycle], from start: Int) -> Int {
        guard start >= 1, start <= records.count else { return 0 }
        func settled(_ k: Int) -> Bool {   // k is a 0-based index
            let r = records[k]
            if abs(r.peakOverGoal - 1) > goalTolerance { return false }
            if k > 0 && abs(r.utilization - records[k - 1].utilization) > utilizationTolerance { return false }
            return true
        }
        // Walk back from the end to the first cycle of the final settled run.
        var first = records.count
        while first > start - 1 && settled(first - 1) { first -= 1 }
        return first - (start - 1)
    }
}

extension SimulationResult {
    /// Every bound violation for `kind` on this run, one line each.
    public func boundViolations(for kind: PacerKind) -> [String] {
        scenario.bounds(for: kind).flatMap { $0.violations(in: records) }
    }
}
