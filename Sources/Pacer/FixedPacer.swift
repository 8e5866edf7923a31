// `fixed`: the baseline pacer. No feedback at all: the trigger sits at a fixed fraction f of the runway,
//     trigger = marked + f·(goal − marked),       f = 0.7 by default,
// with the same goal as go118 (GOGC counting stacks and globals, heap minimum, memory limit) and go118's
// extrapolating assists to finish on time. It shows what the feedback controllers buy: a fixed f is right
// for exactly one cons/mark ratio; for lighter allocation it starts marking too early (peak well under the
// goal, more cycles), for heavier allocation too late (assists push utilization above u_g).
// Invariant: marked ≤ trigger ≤ goal.

/// The fixed-fraction baseline pacer.
public struct FixedPacer: Pacer {
    /// "fixed".
    public let name = "fixed"
    /// Configuration (reads `triggerFraction` plus the shared goal parameters).
    public let config: PacerConfig
    /// The plan for the next cycle.
    public private(set) var decision: PacerDecision
    private var book = Bookkeeping()

    /// A fixed pacer with no history.
    public init(config: PacerConfig = PacerConfig()) {
        self.config = config
        decision = PacerDecision(heapGoal: 0, trigger: 0, gogcHeapGoal: 0, memoryLimitHeapGoal: nil, heapMarked: 0,
                                 expectedScanWork: 0, backgroundUtilization: config.utilizationTarget)
        decide(measured: nil)
    }

    /// Begins a mark phase: fixes the cycle's goal and returns the worker plan and initial assist ratio.
    public mutating func startCycle(_ start: CycleStart) -> MarkPlan {
        let config = self.config
        return book.startCycle(start, decision: decision, config: config) { $0.extrapolatingAssist($1, config: config) }
    }

    /// Scan work owed per byte allocated now, with extrapolating (Go 1.18) assists.
    public func assistWorkPerByte(_ progress: MarkProgress) -> Double {
        book.extrapolatingAssist(progress, config: config)
    }

    /// Takes the finished cycle's measurements and decides the next trigger and goal.
    @discardableResult
    public mutating func endCycle(_ m: CycleMeasurement) -> PacerDecision {
        book.record(m)
        decide(measured: m.consMark)
        return decision
    }

    private mutating func decide(measured: Double?) {
        let goal = HeapGoal.compute(marked: book.heapMarked, stackScan: book.lastStackScan, globals: book.globals,
                                    nonHeap: book.nonHeap, includeRoots: true, config: config)
        let g = book.effectiveGoal(goal, config: config)
        let proposed = book.runwayPoint(config.triggerFraction, goal: g)
        let trigger = book.clampTrigger(proposed, goal: g, limitedByMemory: goal.limitedByMemory,
                                        lower: proposed, upper: proposed, config: config)
        decision = PacerDecision(heapGoal: g, trigger: trigger, gogcHeapGoal: goal.gogcGoal,
                                 memoryLimitHeapGoal: goal.memoryLimitGoal, heapMarked: book.heapMarked,
                                 expectedScanWork: book.expectedScanWork,
                                 backgroundUtilization: config.utilizationTarget, measuredConsMark: measured)
    }
}
