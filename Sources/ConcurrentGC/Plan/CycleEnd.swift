// The end of a cycle, the same for every plan: the checkmark verification of the cycle's marks, feeding the
// pacer or applying the GOGC trigger, the root sizes, publishing the heap's counters, and recording the
// pauses and the cycle. A plan calls these in order:
//
//   world stopped, marking complete:   verifyMarks(&record, marks)       (before anything is freed)
//   ... the plan reclaims (sweeps, flips) ...
//   world stopped, after reclamation:  finishCycle(&record, live:, inUse:, utilization:)
//   world running again:               recordCycle(record, pauses:)      then publishCompletedCycle
//
// The plan publishes the cycle count itself, last, when whoever waits for the cycle may read its records
// (a concurrent plan does it under its own lock, together with its phase).

import Pacer

extension Heap {
    /// Verify mode: re-traces the heap from the roots and counts, in `record` and the statistics, every
    /// reachable object `marks` does not hold as marked; such objects are marked so that they survive.
    func verifyMarks(_ record: inout CycleRecord, _ marks: some MarkedObjects) {
        guard configuration.verify else { return }
        let check = Checkmark.verify(heap: self, cycle: record.cycle, marks: marks)
        record.lostObjects += check.lostCount
        stats.record(lost: check.lost, count: check.lostCount)
    }

    /// Ends the cycle's figures (world stopped, after reclamation): `live` bytes were reached, `inUse`
    /// bytes are in use now (the live heap, plus what a plan keeps without reaching it: the treadmill's
    /// cells allocated during the cycle). The pacer, if any, sets the next trigger from the cycle's
    /// measurements (`utilization` is the GC CPU share while marking); else GOGC percent of `live` may be
    /// allocated on top of what is in use. Fills the record's live, root, pacer and trigger columns,
    /// publishes the counters and samples the heap.
    /// `markNs` is the wall time the utilization was measured over (the mark phase, or the pause).
    /// A plan that schedules its own collections (a generational plan's minors) passes `nextTrigger`.
    func finishCycle(_ record: inout CycleRecord, live: Int, inUse: Int, utilization: Double, idleUtilization: Double = 0,
                     markNs: UInt64 = 0, nextTrigger: Int? = nil) {
        let roots = rootBytes
        record.stackBytes = roots.stacks
        record.globalsBytes = roots.globals
        record.markedBytes = live
        let next: Int
        if let nextTrigger {
            record.pacer = "gogc"
            next = nextTrigger
        } else if let driver = pacerDriver {
            let m = CycleMeasurement(heapMarked: live, heapAtTrigger: record.heapAtTriggerBytes, heapPeak: record.heapAtMarkEndBytes,
                                     heapScanWork: record.scanBackgroundBytes + record.scanAssistBytes + record.scanPauseBytes,
                                     stackScanWork: roots.stacks, globalsScanWork: roots.globals,
                                     utilization: utilization, idleUtilization: idleUtilization,
                                     userForced: record.reason.isForced, markSeconds: Double(markNs) / 1e9,
                                     cycleSeconds: driver.secondsSinceLastCycle(nowNs: stats.elapsed()))
            let decision = driver.endCycle(m)
            driver.record(into: &record, measurement: m, next: decision)
            next = decision.trigger
        } else {
            record.pacer = "gogc"
            next = gogcTrigger(liveBytes: live) + (inUse - live)
        }
        record.nextTriggerBytes = next
        accounting.pointee.publishCycleEnd(live: live, inUse: inUse, trigger: next)
        accounting.pointee.sample(stats, force: true)
    }

    /// The world runs again: the pacer's CPU limiter learns the cycle's GC CPU time, then the pauses and
    /// the cycle are recorded (pauses first: a cycle observer, such as --gctrace, reads them).
    func recordCycle(_ record: CycleRecord, pauses: [PauseRecord]) {
        pacerDriver?.updateLimiter(gcCPUNs: record.gcCPUNs &+ record.assistNs, nowNs: record.endNs)
        for p in pauses { stats.record(p) }
        stats.record(record)
    }

    /// GOGC-style trigger: the next collection starts when the heap in use reaches the live heap grown
    /// by GOGC percent (never below the minimum).
    func gogcTrigger(liveBytes: Int) -> Int {
        max(configuration.minimumTriggerBytes, liveBytes + liveBytes * configuration.gogc / 100)
    }
}
