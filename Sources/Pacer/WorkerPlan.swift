// How many background mark workers to run for a utilization target, Go's rule (runtime startCycle).
//
// Rationale: a whole processor per dedicated worker is cheap to schedule, so round u_g·P to the nearest
// integer. When rounding is more than 30 % off the target (with u_g = 0.25: P ≤ 3 or P = 6), use one fewer
// dedicated worker than rounding up would give and make up the rest with a fractional worker that each
// remaining processor runs for `fractionalUtilization` of its time.
// Invariant: dedicated + fractionalUtilization·P == u_g·P whenever a fractional worker is used; otherwise
// dedicated is within 30 % of u_g·P.

/// Background mark worker provisioning for one cycle.
public struct WorkerPlan: Equatable, Sendable {
    /// Processors the plan is for.
    public var procs: Int
    /// Workers that mark on a whole processor for the entire mark phase.
    public var dedicated: Int
    /// Fraction of its time each processor without a dedicated worker spends in the fractional worker
    /// (0 when none is needed).
    public var fractionalUtilization: Double

    /// Creates a plan directly.
    public init(procs: Int, dedicated: Int, fractionalUtilization: Double) {
        self.procs = procs
        self.dedicated = dedicated
        self.fractionalUtilization = fractionalUtilization
    }

    /// Go's rule for `procs` processors and background utilization `utilization`.
    public static func plan(procs: Int, utilization: Double) -> WorkerPlan {
        let p = max(procs, 1)
        let total = Double(p) * utilization
        guard total > 0 else { return WorkerPlan(procs: p, dedicated: 0, fractionalUtilization: 0) }
        var dedicated = Int(total + 0.5)
        let error = Double(dedicated) / total - 1
        let maxError = 0.3
        if error < -maxError || error > maxError {
            if Double(dedicated) > total { dedicated -= 1 }
            return WorkerPlan(procs: p, dedicated: dedicated, fractionalUtilization: (total - Double(dedicated)) / Double(p))
        }
        return WorkerPlan(procs: p, dedicated: dedicated, fractionalUtilization: 0)
    }

    /// The utilization this plan delivers: (dedicated + fractional·P)/P.
    public var utilization: Double {
        (Double(dedicated) + fractionalUtilization * Double(procs)) / Double(max(procs, 1))
    }
}
