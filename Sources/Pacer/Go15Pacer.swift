// `go15`: Clements' Go 1.5 pacer ("Go 1.5 concurrent garbage collector pacing", 2015), as shipped in
// Go 1.5–1.17 (with Go 1.10's soft/hard goal for assists).
//
//   goal          H_g = H_m·(1 + h_g),  h_g = GOGC/100          (heap only: roots are not counted)
//   trigger       H_T = H_m·(1 + h_T)
//   controller    h_T(n+1) = h_T(n) + K_T·e(n),   K_T = 0.5,   h_T(0) = 7/8
//                 e(n) = h_g − h_T(n) − (u_a/u_g)·(h_a − h_T(n))
//   clamps        0 ≤ h_T ≤ 0.95·h_g;  H_T ≥ H_m + 1 MiB (sweep room);  H_T ≤ H_m + 0.95·(goal − H_m)
//   assists       (expected work − done)/(goal − live); past the estimate or the goal: hard goal 1.1×.
// Rationale: the error estimates how far the trigger was from the one that would have finished exactly at
// the goal had utilization been u_g: (u_a/u_g)(h_a − h_T) scales the heap growth during marking to the
// goal utilization. h_g uses the effective goal of the cycle (Go 1.10's effectiveGrowthRatio), so a heap
// minimum or memory limit does not read as error, and h_T(n) is the ratio of the trigger actually used.
// Known flaw (Go issue 14951): e = 0 on the whole curve (h_g − h_T) = (u_a/u_g)(h_a − h_T), so the loop
// can settle with assists doing much of the work, above u_g; the simulator shows where it lands.
// Invariant: 0 ≤ h_T ≤ triggerMax·GOGC/100; marked ≤ trigger ≤ goal.

/// The Go 1.5 proportional trigger-ratio pacer.
public struct Go15Pacer: Pacer {
    /// "go15".
    public let name = "go15"
    /// Configuration (reads `triggerGain`, `initialTriggerRatio`, `triggerMax` plus the shared ones).
    public let config: PacerConfig
    /// The plan for the next cycle.
    public private(set) var decision: PacerDecision
    /// The controller variable h_T: next trigger's growth over the marked heap.
    public private(set) var triggerRatio: Double
    private var book = Bookkeeping()
    private var cycleTrigger = 0

    /// A go15 pacer starting from h_T(0).
    public init(config: PacerConfig = PacerConfig()) {
        self.config = config
        triggerRatio = config.initialTriggerRatio
        decision = PacerDecision(heapGoal: 0, trigger: 0, gogcHeapGoal: 0, memoryLimitHeapGoal: nil, heapMarked: 0,
                                 expectedScanWork: 0, backgroundUtilization: config.utilizationTarget)
        triggerRatio = clampRatio(triggerRatio)
        decide(measured: nil)
    }

    /// Begins a mark phase: fixes the cycle's goal and returns the worker plan and initial assist ratio.
    public mutating func startCycle(_ start: CycleStart) -> MarkPlan {
        cycleTrigger = decision.trigger
        let maxOvershoot = config.maxOvershoot
        return book.startCycle(start, decision: decision, config: config) { book, progress in
            Go15Pacer.softHardAssist(book, progress, maxOvershoot: maxOvershoot)
        }
    }

    /// Scan work owed per byte allocated now, with soft/hard goal (Go 1.10) assists.
    public func assistWorkPerByte(_ progress: MarkProgress) -> Double {
        Go15Pacer.softHardAssist(book, progress, maxOvershoot: config.maxOvershoot)
    }

    static func softHardAssist(_ book: Bookkeeping, _ progress: MarkProgress, maxOvershoot: Double) -> Double {
        AssistPacing.softHard(heapLive: progress.heapLive, scanWorkDone: progress.scanWorkDone,
                              heapGoal: book.cycleGoal, expectedScanWork: book.expectedScanWork,
                              maxScanWork: book.maxScanWork(progress), maxOvershoot: maxOvershoot)
    }

    /// Takes the finished cycle's measurements and decides the next trigger and goal.
    @discardableResult
    public mutating func endCycle(_ m: CycleMeasurement) -> PacerDecision {
        let marked = Double(book.heapMarked)
        if marked > 0 && book.inCycle && !m.userForced {
            // h_T(n) is the trigger ratio this cycle actually had: after the byte clamps (sweep room, memory
            // limit) it can differ from the controller variable, and updating from a value that was never
            // used winds the controller up against a bound it cannot see.
            let used = (Double(cycleTrigger) - marked) / marked
            triggerRatio = Go15Pacer.nextTriggerRatio(
                current: used, goalRatio: (Double(book.cycleGoal) - marked) / marked,
                actualRatio: Double(m.heapPeak) / marked - 1, utilization: m.utilization,
                goalUtilization: config.utilizationTarget, gain: config.triggerGain)
            triggerRatio = clampRatio(triggerRatio)
        }
        book.record(m)
        decide(measured: m.consMark)
        return decision
    }

    /// One step of the trigger controller: h_T + K_T·(h_g − h_T − (u_a/u_g)(h_a − h_T)), unclamped.
    public static func nextTriggerRatio(current hT: Double, goalRatio hg: Double, actualRatio ha: Double,
                                        utilization ua: Double, goalUtilization ug: Double, gain kt: Double) -> Double {
        let error = hg - hT - (ua / ug) * (ha - hT)
        let next = hT + kt * error
        return next.isFinite ? next : hT
    }

    private func clampRatio(_ h: Double) -> Double {
        min(max(h, 0), config.triggerMax * config.goalGrowthRatio)
    }

    private mutating func decide(measured: Double?) {
        let goal = HeapGoal.compute(marked: book.heapMarked, stackScan: 0, globals: 0, nonHeap: book.nonHeap,
                                    includeRoots: false, config: config)
        let g = book.effectiveGoal(goal, config: config)
        // Before the first cycle nothing is marked; place the trigger where h_T(0) puts it relative to the
        // minimum-heap goal, as if that goal had come from a marked heap.
        let proposed = book.heapMarked > 0 ? Double(book.heapMarked) * (1 + triggerRatio)
            : Double(g) * (1 + triggerRatio) / (1 + config.goalGrowthRatio)
        let trigger = book.clampTrigger(proposed, goal: g, limitedByMemory: goal.limitedByMemory, lower: 0,
                                        upper: book.runwayPoint(config.triggerMax, goal: g), config: config)
        decision = PacerDecision(heapGoal: g, trigger: trigger, gogcHeapGoal: goal.gogcGoal,
                                 memoryLimitHeapGoal: goal.memoryLimitGoal, heapMarked: book.heapMarked,
                                 expectedScanWork: book.expectedScanWork,
                                 backgroundUtilization: config.utilizationTarget, measuredConsMark: measured,
                                 controllerTriggerRatio: triggerRatio)
    }
}
