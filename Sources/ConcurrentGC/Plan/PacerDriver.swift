// Drives a pacer (Sources/Pacer, pure control logic) from a real collector.
//
// The pacer sees only numbers. At mark start the driver tells it the heap in use, the root sizes and the
// processors, and gets the cycle's goal, the starting assist ratio and the worker plan; while marking,
// assisting mutators ask a snapshot of it for the scan work owed per byte; at mark termination the driver
// hands it the cycle's measurements (marked, heap at trigger and at the peak, scan work, the GC CPU
// utilization achieved) and applies its next trigger.
//
// Invariant: the pacer value is changed only by the collecting thread, at mark start and termination,
// with the world stopped; the snapshot that mutators read is replaced only then, so they read it without
// a lock (the world restart orders the write before their reads).

import Pacer
import Synchronization

/// One collector's pacer and the state of the current cycle.
final class PacerDriver {
    @exclusivity(unchecked) private var pacer: any Pacer
    /// The pacer as it was at mark start: what assists consult.
    @exclusivity(unchecked) private(set) var snapshot: any Pacer
    @exclusivity(unchecked) private(set) var plan: MarkPlan?
    let procs: Int
    /// The trigger the current cycle started at (for the cycle record).
    @exclusivity(unchecked) private(set) var cycleTrigger = 0
    /// Go's GC CPU limiter (leaky bucket): while it is full, assists stop. Updated once a cycle with the
    /// GC and mutator CPU time since the last update (Go updates it more often).
    @exclusivity(unchecked) private var limiter: GCCPULimiter?
    private let limiting = Atomic<Bool>(false)
    @exclusivity(unchecked) private var lastLimiterUpdateNs: UInt64 = 0

    init(kind: PacerKind, config: PacerConfig, procs: Int) {
        pacer = kind.make(config: config)
        snapshot = pacer
        self.procs = procs
        if config.cpuLimiterEnabled { limiter = GCCPULimiter(procs: procs, capacityPerProc: config.cpuLimiterCapacityPerProc) }
    }

    /// True while the GC CPU limiter is full: assists must not run.
    var assistsLimited: Bool { limiting.load(ordering: .relaxed) }

    /// Feeds the limiter the GC CPU time of a cycle that ended at `nowNs` (heap clock).
    func updateLimiter(gcCPUNs: UInt64, nowNs: UInt64) {
        guard var l = limiter else { return }
        let window = Double(nowNs &- lastLimiterUpdateNs) * Double(procs)
        let gc = min(Double(gcCPUNs), window)
        l.accumulate(gcTime: gc / 1e9, mutatorTime: (window - gc) / 1e9)
        limiter = l
        lastLimiterUpdateNs = nowNs
        limiting.store(l.isLimiting, ordering: .relaxed)
    }

    @exclusivity(unchecked) private var lastCycleEndNs: UInt64 = 0

    /// Wall seconds since the previous call (the previous cycle's end; the heap's start for the first),
    /// which the pacer reads as the cycle's length. Collecting thread, world stopped.
    func secondsSinceLastCycle(nowNs: UInt64) -> Double {
        defer { lastCycleEndNs = nowNs }
        return Double(nowNs &- lastCycleEndNs) / 1e9
    }

    var name: String { pacer.name }
    var decision: PacerDecision { pacer.decision }

    /// Background worker duties from the pacer's worker plan: 1 for each dedicated worker, then the
    /// fractional worker's share of one processor.
    static func workerDuties(_ config: PacerConfig, procs: Int) -> [Double] {
        let plan = WorkerPlan.plan(procs: procs, utilization: config.utilizationTarget)
        var duties = Array(repeating: 1.0, count: plan.dedicated)
        let fractional = plan.fractionalUtilization * Double(plan.procs)
        if fractional > 0 { duties.append(min(1, fractional)) }
        return duties
    }

    /// Mark start (world stopped).
    func startCycle(heapLive: Int, stackBytes: Int, globalsBytes: Int) -> MarkPlan {
        cycleTrigger = pacer.decision.trigger
        let plan = pacer.startCycle(CycleStart(heapLive: heapLive, stackBytes: stackBytes, globalsBytes: globalsBytes, procs: procs))
        snapshot = pacer
        self.plan = plan
        return plan
    }

    /// Scan work owed per byte allocated now (any thread, while marking).
    func assistWorkPerByte(heapLive: Int, scanWorkDone: Int) -> Double {
        let r = snapshot.assistWorkPerByte(MarkProgress(heapLive: heapLive, scanWorkDone: scanWorkDone))
        return r.isFinite && r > 0 ? r : 0
    }

    /// Mark termination (world stopped): returns the decision for the next cycle.
    func endCycle(_ m: CycleMeasurement) -> PacerDecision {
        let d = pacer.endCycle(m)
        snapshot = pacer
        return d
    }

    /// Fills the pacer's columns of a cycle record.
    func record(into cycle: inout CycleRecord, measurement m: CycleMeasurement, next: PacerDecision) {
        let goal = plan?.heapGoal ?? next.heapGoal
        cycle.pacer = name
        cycle.heapGoalBytes = goal
        cycle.triggerBytes = cycleTrigger
        cycle.peakOverGoal = goal > 0 ? Double(m.heapPeak) / Double(goal) : 0
        cycle.utilization = m.utilization
        cycle.consMark = m.consMark ?? 0
        cycle.consMarkEstimate = next.consMarkEstimate ?? 0
        cycle.controllerState = next.controllerIntegral ?? next.controllerTriggerRatio ?? 0
        cycle.assistWorkPerByteAtStart = plan?.assistWorkPerByte ?? 0
        cycle.nextHeapGoalBytes = next.heapGoal
    }
}
