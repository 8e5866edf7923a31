// State every pacer keeps about the last finished cycle and the one in progress, and the trigger bounds
// they share. Internal: pacers compose it so the accounting is written once.
//
// Accounting follows Go 1.21: the expected scan work of the next cycle is what the last one scanned
// (heap + stacks) plus the current globals; the worst case adds everything scannable allocated since.
// Trigger bounds (Go's trigger()): never below the marked heap; unless the memory limit binds, at least
// `sweepMinHeapDistance` above it (room for concurrent sweeping) with the goal raised to match; never above
// the goal. Invariant after `clampTrigger`: marked ≤ trigger ≤ goal (or trigger == goal == marked-bound).

struct Bookkeeping: Equatable, Sendable {
    // The last finished cycle.
    var heapMarked = 0
    var lastHeapScan = 0
    var lastStackScan = 0
    var globals = 0
    var nonHeap = 0
    var cycles = 0

    // The cycle in progress (valid between startCycle and endCycle).
    var inCycle = false
    var triggered = 0
    var heapScanAtStart = 0
    var maxStackScan = 0
    var cycleGoal = 0
    var procs = 1
    /// The goal's growth over the marked heap, when a pacer's goal does not come from GOGC (membalancer):
    /// it caps the assists' extrapolated goal as GOGC/100 does.
    var goalGrowthOverride: Double? = nil

    /// Scan work expected next cycle.
    var expectedScanWork: Int { lastHeapScan + lastStackScan + globals }

    /// Records the start of a mark phase and fixes the cycle's goal: `goal`, raised to leave `minRunway`
    /// above the current heap unless the memory limit binds (then the goal is a hard promise).
    mutating func begin(_ start: CycleStart, goal: Int, limitedByMemory: Bool, minRunway: Int) {
        inCycle = true
        triggered = start.heapLive
        maxStackScan = start.stackBytes
        globals = start.globalsBytes
        heapScanAtStart = start.heapScan ?? (lastHeapScan + max(0, start.heapLive - heapMarked))
        procs = max(1, start.procs)
        cycleGoal = limitedByMemory ? goal : max(goal, triggered + minRunway)
    }

    /// Worst-case scan work this cycle: all scannable heap plus all stacks and globals.
    /// Begins a cycle at `decision`'s goal and returns its mark plan; `assist` is the pacer's rule for
    /// scan work owed per byte, applied to the state at the start of marking.
    mutating func startCycle(_ start: CycleStart, decision: PacerDecision, config: PacerConfig,
                             assist: (Bookkeeping, MarkProgress) -> Double) -> MarkPlan {
        begin(start, goal: decision.heapGoal, limitedByMemory: decision.limitedByMemory, minRunway: config.minRunway)
        let progress = MarkProgress(heapLive: start.heapLive, scanWorkDone: 0, heapScan: start.heapScan)
        return MarkPlan(heapGoal: cycleGoal, heapAtStart: start.heapLive, expectedScanWork: expectedScanWork,
                        assistWorkPerByte: assist(self, progress),
                        workers: WorkerPlan.plan(procs: start.procs, utilization: config.utilizationTarget))
    }

    /// A cycle's start for the pacers with Go 1.18's extrapolating assists (fixed, go118, go121).
    mutating func startCycleWithExtrapolatingAssists(_ start: CycleStart, decision: PacerDecision,
                                                     config: PacerConfig) -> MarkPlan {
        startCycle(start, decision: decision, config: config) { $0.extrapolatingAssist($1, config: config) }
    }

    /// The next cycle's goal as Go 1.18 counts it (stacks and globals are work too, so they grow the
    /// goal; fixed, go118, go121): the goal with its memory-limit figures, and the effective goal.
    func rootInclusiveGoal(config: PacerConfig) -> (goal: HeapGoal, effective: Int) {
        let goal = HeapGoal.compute(marked: heapMarked, stackScan: lastStackScan, globals: globals,
                                    nonHeap: nonHeap, includeRoots: true, config: config)
        return (goal, effectiveGoal(goal, config: config))
    }

    /// Go 1.18's extrapolating assist rule for this cycle (fixed, go118, go121).
    func extrapolatingAssist(_ progress: MarkProgress, config: PacerConfig) -> Double {
        AssistPacing.extrapolating(heapLive: progress.heapLive, scanWorkDone: progress.scanWorkDone,
                                   heapGoal: cycleGoal, triggered: triggered,
                                   expectedScanWork: expectedScanWork, maxScanWork: maxScanWork(progress),
                                   goalGrowthRatio: goalGrowthOverride ?? config.goalGrowthRatio, maxOvershoot: config.maxOvershoot)
    }

    func maxScanWork(_ progress: MarkProgress) -> Int {
        let heapScan = progress.heapScan ?? (heapScanAtStart + max(0, progress.heapLive - triggered))
        return heapScan + maxStackScan + globals
    }

    /// Takes in a finished cycle's measurements.
    mutating func record(_ m: CycleMeasurement) {
        heapMarked = m.heapMarked
        lastHeapScan = m.heapScanWork
        lastStackScan = m.stackScanWork
        globals = m.globalsBytes
        nonHeap = m.nonHeapBytes
        inCycle = false
        cycles += 1
    }

    /// The goal pacers plan against: unless the memory limit binds, raised so that the trigger can sit
    /// `sweepMinHeapDistance` above the marked heap.
    func effectiveGoal(_ goal: HeapGoal, config: PacerConfig) -> Int {
        goal.limitedByMemory ? goal.goal : max(goal.goal, heapMarked + config.sweepMinHeapDistance)
    }

    /// Applies the shared bounds to a proposed trigger. `goal` is the effective goal; `lower`/`upper` are
    /// pacer-specific bounds in bytes. Returns a trigger with marked ≤ trigger ≤ goal.
    func clampTrigger(_ proposed: Double, goal: Int, limitedByMemory: Bool, lower: Double, upper: Double,
                      config: PacerConfig) -> Int {
        if heapMarked >= goal { return goal }
        var minTrigger = Double(heapMarked)
        if !limitedByMemory { minTrigger = Double(heapMarked + config.sweepMinHeapDistance) }
        minTrigger = min(max(minTrigger, lower), Double(goal))
        let maxTrigger = min(max(upper, minTrigger), Double(goal))
        let t = proposed.isNaN ? minTrigger : min(max(proposed, minTrigger), maxTrigger)
        return Int(t)
    }

    /// marked + fraction·(goal − marked), in bytes.
    func runwayPoint(_ fraction: Double, goal: Int) -> Double {
        Double(heapMarked) + fraction * Double(max(0, goal - heapMarked))
    }
}
