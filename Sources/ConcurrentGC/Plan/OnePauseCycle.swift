// The frame of a collection done whole in one pause, shared by the stop-the-world plans (stw, immix,
// semispace): stop the world (or return, if another thread collected since the caller looked), retire
// every mutator's allocation buffer, start the pacer's cycle, let the plan trace and reclaim, end the
// cycle's figures, restart the world and record the cycle and its one pause.
//
// The plan's part runs with the world stopped and every buffer retired. It returns the bytes it found
// live; the frame does the rest of the cycle end (CycleEnd.swift) in the documented order.

extension Heap {
    /// Runs one collection in a single pause of `pauseKind`: the plan's `collect` traces and reclaims
    /// (world stopped, buffers retired) and returns the live bytes; every cycle column it does not fill
    /// the frame fills. Returns at once if the heap completed a cycle since `observedCycle`.
    func collectInOnePause(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int,
                           collector: CollectorKind, pauseKind: PauseKind,
                           _ collect: (inout CycleRecord) -> Int) {
        collectInOnePause(requester: requester, reason: reason, observedCycle: observedCycle, collector: collector) { record in
            let live = collect(&record)
            return OnePauseOutcome(live: live, inUse: live, nextTrigger: nil, pauseKind: pauseKind)
        }
    }

    /// The frame itself, for a plan that decides in the pause what kind of collection it runs (a
    /// generational plan: minor or major) and what is in use after it and when the next one starts.
    func collectInOnePause(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int,
                           collector: CollectorKind, _ collect: (inout CycleRecord) -> OnePauseOutcome) {
        let requestNs = stats.elapsed()
        guard let timeToSafepoint = world.stop(requester: requester) else { return }
        let cycle = completedCycles
        guard cycle == observedCycle else {  // someone else collected since the caller looked
            world.start(requester: requester)
            return
        }
        let cpuStart = Clock.threadCPU()
        var record = CycleRecord(cycle: cycle + 1, collector: collector, reason: reason, startNs: requestNs)
        record.heapAtTriggerBytes = heapInUseBytes
        record.heapAtMarkEndBytes = record.heapAtTriggerBytes  // nothing is allocated while the world is stopped
        accounting.pointee.sample(stats, force: true)
        for r in world.mutators { BumpAllocator.retire(r.ctx) }
        let roots = rootBytes
        _ = pacerDriver?.startCycle(heapLive: record.heapAtTriggerBytes, stackBytes: roots.stacks, globalsBytes: roots.globals)

        let outcome = collect(&record)

        // The whole trace is in the pause: the utilization is the collecting thread's share of the processors.
        finishCycle(&record, live: outcome.live, inUse: outcome.inUse,
                    utilization: min(0.99, 1 / Double(pacerDriver?.procs ?? configuration.processors)),
                    markNs: stats.elapsed() &- requestNs, nextTrigger: outcome.nextTrigger)
        publishCompletedCycle(cycle + 1)
        let cpu = Clock.threadCPU() &- cpuStart
        let endNs = stats.elapsed()
        world.start(requester: requester)
        record.endNs = endNs
        record.gcCPUNs &+= cpu  // (a plan may have counted its own threads' time)
        recordCycle(record, pauses: [PauseRecord(cycle: cycle + 1, kind: outcome.pauseKind, startNs: requestNs,
                                                 timeToSafepointNs: timeToSafepoint, durationNs: endNs &- requestNs)])
    }
}

/// What a one-pause collection found: the live bytes, the bytes in use after it, the next trigger if the
/// plan sets it itself (nil: the pacer's, or GOGC over `live`), and the kind of its pause.
struct OnePauseOutcome {
    var live: Int
    var inUse: Int
    var nextTrigger: Int?
    var pauseKind: PauseKind
}

/// A plan whose every collection is one pause: the trigger and a full collection start the same
/// collection, and a leaving mutator only retires its bump regions.
protocol OnePauseCollector: Collector {
    /// Runs one collection (through `Heap.collectInOnePause`), unless one completed since `observedCycle`.
    func collect(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int)
}

extension OnePauseCollector {
    func triggered(requester: MutatorRecord, observedCycle: Int) {
        collect(requester: requester, reason: .trigger, observedCycle: observedCycle)
    }

    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        collect(requester: requester, reason: reason, observedCycle: observedCycle)
    }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) { BumpAllocator.retire(ctx) }
}
