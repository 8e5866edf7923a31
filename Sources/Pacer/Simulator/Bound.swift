// Acceptance bounds on a simulation: "in cycles a...b, metric m stays within [lo, hi]".
//
// Go's TestGcPacer checks each cycle as it completes (so every cycle in a window is checked); these do
// the same. Each bound records whether it is Go's own assertion or one gclab adds, and why.

/// What a bound measures on one cycle.
public enum BoundMetric: Equatable, Sendable {
    /// GC CPU utilization during marking.
    case utilization
    /// |u(n) − u(n−1)|: the pacer has settled, not oscillating.
    case utilizationChange
    /// |u(n) − u(reference)| for a fixed 1-based reference cycle.
    case utilizationChangeFrom(cycle: Int)
    /// Peak heap / heap goal.
    case peakOverGoal
    /// Heap goal / memory-limit goal (1 exactly when the limit sets the goal).
    case goalOverMemoryLimitGoal
    /// Heap goal / marked heap (1 exactly when the goal has been pushed down to the live heap).
    case goalOverMarked
    /// GC share of all CPU time over the last `window` cycles, time-weighted and including the mutator-only
    /// time between cycles: what the GC CPU limiter bounds.
    case gcCPUFraction(window: Int)

    /// Column-style name for messages.
    public var label: String {
        switch self {
        case .utilization: return "utilization"
        case .utilizationChange: return "|Δutilization|"
        case .utilizationChangeFrom(let c): return "|utilization − utilization@\(c)|"
        case .peakOverGoal: return "peak/goal"
        case .goalOverMemoryLimitGoal: return "goal/limit-goal"
        case .goalOverMarked: return "goal/marked"
        case .gcCPUFraction(let w): return "GC CPU share over \(w) cycles"
        }
    }
}

/// One acceptance bound.
public struct Bound: Sendable {
    /// What is measured.
    public var metric: BoundMetric
    /// 1-based cycles checked (cycles beyond the run are ignored).
    public var cycles: ClosedRange<Int>
    /// Allowed values.
    public var range: ClosedRange<Double>
    /// Pacers the bound applies to.
    public var pacers: Set<PacerKind>
    /// Whether Go's TestGcPacer asserts this (true) or gclab adds it (false).
    public var fromGo: Bool
    /// Why the bound is what it is.
    public var note: String

    /// Creates a bound.
    public init(_ metric: BoundMetric, cycles: ClosedRange<Int>, _ range: ClosedRange<Double>,
                pacers: Set<PacerKind> = [.go118, .go121], fromGo: Bool = true, note: String = "") {
        self.metric = metric
        self.cycles = cycles
        self.range = range
        self.pacers = pacers
        self.fromGo = fromGo
        self.note = note
    }

    /// The metric's value at 1-based cycle `n` of `records`, or nil if undefined there.
    public func value(at n: Int, in records: [SimulatedCycle]) -> Double? {
        guard n >= 1, n <= records.count else { return nil }
        let r = records[n - 1]
        switch metric {
        case .utilization: return r.utilization
        case .utilizationChange:
            return n >= 2 ? abs(r.utilization - records[n - 2].utilization) : nil
        case .utilizationChangeFrom(let ref):
            return ref >= 1 && ref <= records.count ? abs(r.utilization - records[ref - 1].utilization) : nil
        case .peakOverGoal: return r.peakOverGoal
        case .goalOverMemoryLimitGoal:
            return r.memoryLimitGoal.map { Double(r.heapGoal) / Double($0) }
        case .goalOverMarked:
            return r.heapMarked > 0 ? Double(r.heapGoal) / Double(r.heapMarked) : nil
        case .gcCPUFraction(let w):
            guard w >= 1, n >= w else { return nil }
            let window = records[(n - w)..<n]
            let total = window.reduce(0) { $0 + $1.cycleMillis }
            return total > 0 ? window.reduce(0) { $0 + $1.utilization * $1.markMillis } / total : nil
        }
    }

    /// One line per violating cycle.
    public func violations(in records: [SimulatedCycle]) -> [String] {
        var out: [String] = []
        for n in cycles where n <= records.count {
            guard let v = value(at: n, in: records) else { continue }
            if !range.contains(v) {
                out.append("cycle \(n): \(metric.label) = \(v) not in [\(range.lowerBound), \(range.upperBound)]")
            }
        }
        return out
    }
}
