// `go118` and `go121`: Knyszek's pacer redesign (golang/proposal design/44167-gc-pacer-redesign.md;
// runtime/mgcpacer.go in Go 1.18 and Go 1.21); and `fixed`, the baseline with the same goal and assists.
//
//   goal       = marked + (marked + stack scan + globals)·GOGC/100      (roots are work too)
//   cons/mark  r = (peak − trigger)·(u + idle) / (scan work·(1 − u))    measured each cycle
//   estimate   go118: r̂ = PI(input r̂, setpoint r), kp 0.9, ti 4, tt 1000, output in [−1000, 1000];
//                     on NaN/Inf the controller resets and r̂ = 0
//              go121: r̂ = max(r, last 4 measured r)   (bias toward fewer assists; Go issue 56966)
//   runway     = r̂·(1 − u_g)/u_g·(last heap scan + stack scan + globals)
//   trigger    = goal − runway, clamped to [marked + 0.7(goal − marked), marked + 0.95(goal − marked)]
//                (the upper bound relaxes to goal − heapMinimum for large heaps, as in Go)
//   assists    remaining work / remaining heap, goal extrapolated if scan work beats the estimate
//              (AssistPacing.extrapolating).
// Rationale: if the next cycle allocates and scans like the last one, starting `runway` bytes before the
// goal lets the background workers at u_g finish marking exactly at the goal with no assists: the
// steady state has utilization u_g and peak = goal, and assists only absorb surprises.
// The PI "controller" is used as a smoother: its setpoint is the fresh measurement and its input its own
// previous output, so in steady state it converges to the true ratio without chasing noise.
//
// `fixed` keeps no feedback at all: the trigger sits at a fixed fraction f of the runway,
//     trigger = marked + f·(goal − marked),       f = 0.7 by default (--trigger-fraction),
// with go118's goal and extrapolating assists. It shows what the feedback buys: a fixed f is right for
// exactly one cons/mark ratio; for lighter allocation it starts marking too early (peak well under the
// goal, more cycles), for heavier allocation too late (assists push utilization above u_g).
// `membalancer` is go121 with MemBalancer's goal instead of GOGC's (MemBalancer.swift).
// Invariant: marked ≤ trigger ≤ goal.

/// The redesigned (cons/mark) pacer of Go 1.18, with Go 1.21's estimator, or the fixed-fraction baseline.
public struct Go118Pacer: Pacer {
    /// How the trigger is set: from a cons/mark estimate (smoothed one of two ways), or at a fixed fraction.
    public enum Smoothing: Equatable, Sendable {
        /// Go 1.18–1.19: a PI controller (kp, ti, tt, piMin, piMax from the configuration).
        case piController
        /// Go 1.21+: the maximum of the current and the given number of previous measurements.
        case maxOfRecent(Int)
        /// The baseline (`fixed`): no estimate; the trigger at `triggerFraction` of the runway.
        case fixedFraction
    }

    /// "go118", "go121", "fixed" or "membalancer".
    public let name: String
    /// Configuration.
    public let config: PacerConfig
    /// The trigger rule in use.
    public let smoothing: Smoothing
    /// The plan for the next cycle.
    public private(set) var decision: PacerDecision
    /// The current cons/mark estimate r̂.
    public private(set) var consMark: Double = 0
    /// The smoothing controller (used with `.piController`).
    public private(set) var controller: PIController
    /// Previous measured cons/mark ratios, oldest first (used with `.maxOfRecent`).
    public private(set) var recentConsMarks: [Double] = []
    /// MemBalancer's rates, when the goal is MemBalancer's instead of GOGC's (`membalancer`).
    public private(set) var sizer: MemBalancerSizer?
    private var book = Bookkeeping()

    /// A go118 (`.piController`), go121 (`.maxOfRecent(config.consMarkHistory)`) or fixed pacer.
    /// With `memBalancer`, the goal is MemBalancer's (MemBalancer.swift) and the name "membalancer".
    public init(config: PacerConfig = PacerConfig(), smoothing: Smoothing = .piController, memBalancer: Bool = false) {
        self.config = config
        self.smoothing = smoothing
        switch smoothing {
        case _ where memBalancer: name = "membalancer"
        case .piController: name = "go118"
        case .maxOfRecent: name = "go121"
        case .fixedFraction: name = "fixed"
        }
        if memBalancer { sizer = MemBalancerSizer() }
        controller = PIController(kp: config.kp, ti: config.ti, tt: config.tt, min: config.piMin, max: config.piMax)
        decision = PacerDecision(heapGoal: 0, trigger: 0, gogcHeapGoal: 0, memoryLimitHeapGoal: nil, heapMarked: 0,
                                 expectedScanWork: 0, backgroundUtilization: config.utilizationTarget)
        decide(measured: nil, reset: false)
    }

    /// Go 1.21's pacer: go118 with the max-of-recent estimator.
    public static func go121(config: PacerConfig = PacerConfig()) -> Go118Pacer {
        Go118Pacer(config: config, smoothing: .maxOfRecent(config.consMarkHistory))
    }

    /// MemBalancer's goal with go121's trigger, workers and assists.
    public static func memBalancer(config: PacerConfig = PacerConfig()) -> Go118Pacer {
        Go118Pacer(config: config, smoothing: .maxOfRecent(config.consMarkHistory), memBalancer: true)
    }

    /// The baseline: go118's goal and assists, the trigger at a fixed fraction of the runway.
    public static func fixed(config: PacerConfig = PacerConfig()) -> Go118Pacer {
        Go118Pacer(config: config, smoothing: .fixedFraction)
    }

    /// Begins a mark phase: fixes the cycle's goal and returns the worker plan and initial assist ratio.
    public mutating func startCycle(_ start: CycleStart) -> MarkPlan {
        book.startCycleWithExtrapolatingAssists(start, decision: decision, config: config)
    }

    /// Scan work owed per byte allocated now, with extrapolating (Go 1.18) assists.
    public func assistWorkPerByte(_ progress: MarkProgress) -> Double {
        book.extrapolatingAssist(progress, config: config)
    }

    /// Takes the finished cycle's measurements and decides the next trigger and goal.
    @discardableResult
    public mutating func endCycle(_ m: CycleMeasurement) -> PacerDecision {
        // As in Go: a cycle that allocated nothing after its trigger says nothing about cons/mark.
        var measured: Double? = nil
        var reset = false
        if smoothing == .fixedFraction {
            measured = m.consMark  // reported, never used
        } else if m.heapPeak > m.heapAtTrigger, let r = m.consMark {
            measured = r
            reset = !updateEstimate(with: r)
        }
        sizer?.record(m, procs: book.procs, smoothing: config.memBalancerSmoothing)
        book.record(m)
        decide(measured: measured, reset: reset)
        return decision
    }

    /// Folds one measurement into the estimate; false if the controller had to reset.
    private mutating func updateEstimate(with r: Double) -> Bool {
        switch smoothing {
        case .piController:
            let (output, ok) = controller.next(input: consMark, setpoint: r, period: 1)
            consMark = ok ? output : 0
            return ok
        case .maxOfRecent(let n):
            consMark = max(r, recentConsMarks.max() ?? r)
            if n > 0 {
                recentConsMarks.append(r)
                if recentConsMarks.count > n { recentConsMarks.removeFirst(recentConsMarks.count - n) }
            }
            return true
        case .fixedFraction:
            return true
        }
    }

    /// The runway in bytes for the current estimate (Double: a wild estimate must not trap).
    public var runway: Double {
        consMark * (1 - config.utilizationTarget) / config.utilizationTarget * Double(book.expectedScanWork)
    }

    private mutating func decide(measured: Double?, reset: Bool) {
        let goal: HeapGoal, g: Int
        if let sizer {
            goal = sizer.goal(marked: book.heapMarked, nonHeap: book.nonHeap, config: config)
            g = book.effectiveGoal(goal, config: config)
            book.goalGrowthOverride = book.heapMarked > 0 ? Double(g - book.heapMarked) / Double(book.heapMarked) : config.goalGrowthRatio
        } else {
            (goal, g) = book.rootInclusiveGoal(config: config)
        }
        let trigger: Int
        if smoothing == .fixedFraction {
            let proposed = book.runwayPoint(config.triggerFraction, goal: g)
            trigger = book.clampTrigger(proposed, goal: g, limitedByMemory: goal.limitedByMemory,
                                        lower: proposed, upper: proposed, config: config)
        } else {
            let lower = book.runwayPoint(config.triggerMin, goal: g)
            var upper = book.runwayPoint(config.triggerMax, goal: g)
            // Large heaps: a trigger within heapMinimum of the goal still leaves a minimum heap's worth of runway.
            if g > config.heapMinimum && Double(g - config.heapMinimum) > upper { upper = Double(g - config.heapMinimum) }
            let r = runway
            let proposed = r.isFinite && r < Double(g) ? Double(g) - max(0, r) : lower
            trigger = book.clampTrigger(proposed, goal: g, limitedByMemory: goal.limitedByMemory,
                                        lower: lower, upper: upper, config: config)
        }
        var integral: Double? = nil
        if case .piController = smoothing { integral = controller.integral }
        decision = PacerDecision(heapGoal: g, trigger: trigger, gogcHeapGoal: goal.gogcGoal,
                                 memoryLimitHeapGoal: goal.memoryLimitGoal, heapMarked: book.heapMarked,
                                 expectedScanWork: book.expectedScanWork,
                                 backgroundUtilization: config.utilizationTarget,
                                 consMarkEstimate: smoothing == .fixedFraction ? nil : consMark,
                                 measuredConsMark: measured, controllerIntegral: integral, controllerReset: reset)
    }
}
