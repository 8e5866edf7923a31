// The concurrent collector's cycle, run by its controller thread: sweep termination, the mark-start pause,
// waiting for the concurrent mark to converge, and the mark-termination pause (see the phases at the top
// of ConcurrentCollector.swift).

import Glibc
import Pacer
import Synchronization

extension ConcurrentCollector {
    func controllerLoop() {
        while true {
            monitor.lock()
            while !requested && !shuttingDown { monitor.wait() }
            if shuttingDown {
                running = false
                monitor.broadcast()
                monitor.unlock()
                return
            }
            requested = false
            let reason = requestReason, requestedAt = requestNs
            monitor.unlock()
            runCycle(reason: reason, requestedAt: requestedAt)
            monitor.withLock {
                running = false
                monitor.broadcast()
            }
        }
    }

    private func runCycle(reason: CycleReason, requestedAt: UInt64) {
        let cpu0 = Clock.threadCPU()
        while spaces.immix.sweepOne() {}  // sweep termination, concurrently with the mutators
        monitor.withLock { marking = true }
        var cycle = CycleRecord(cycle: heap.completedCycles + 1, collector: .concurrent, reason: reason, startNs: requestedAt)
        markStart(&cycle)
        var attempt = 0
        while true {
            let overdue = !awaitQuiescence()
            attempt += 1
            if markTermination(&cycle, attempt: attempt, finishInPause: overdue, cpu0: cpu0) { break }
        }
    }

    /// The heap size past which a mark that has not converged is finished in a pause: twice the cycle's
    /// goal (with the plain GOGC trigger, twice the trigger). A last resort, not the pacing: past the
    /// goal, assists already wait for marking work (and the pacer's hard goal of 1.1× steepens their
    /// ratio). Measured on GCBench with 2 mutators on 2 cores, finishing at 1.1× the goal instead made the
    /// p99 pause 1.1 ms instead of 0.3 ms for the same peak heap.
    ///
    /// Until mark start sets the cycle's goal, the pacer's plan is the last cycle's: the limit is then at
    /// least twice the trigger this cycle started at. Allocating threads wait at this limit
    /// (`waitPastAllocationLimit`) while the controller finishes the mark.
    var hardLimit: Int {
        let trigger = 2 * heap.triggerBytes
        if let plan = heap.pacerDriver?.plan { return max(2 * plan.heapGoal, trigger) }
        return trigger
    }

    /// Waits until no grey object is left outside the mutators' shade buffers, and stacks blocked in
    /// safe regions are scanned. Gives running mutators up to about a millisecond to do their handshake.
    /// Returns false when it gave up instead: the heap grew past the hard limit while marking had not
    /// converged (mutators can re-grey faster than assists scan, e.g. Steele's barrier with no workers).
    private func awaitQuiescence() -> Bool {
        var waitedForHandshakes = 0
        while true {
            let quiescent = markPool.waitForQuiescence(until: { self.stopping.load(ordering: .relaxed) }, timeoutNs: 1_000_000)
            if stopping.load(ordering: .relaxed) {
                // Shutting down: no mutator is left to help. This thread's marking counts in the cycle's
                // utilization (its CPU is already in the controller's share of gc_cpu_ns).
                let cpu0 = Clock.threadCPU()
                _ = helpMark(budget: .max, counter: .background)
                controllerMarkCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed)
            } else if !quiescent {
                if heap.heapInUseBytes >= hardLimit { return false }
                continue
            }
            scanBlockedStacks()
            if !markPool.quiescent { continue }
            if pendingHandshakes.load(ordering: .relaxed) == 0 || waitedForHandshakes >= 20 { return true }
            waitedForHandshakes += 1
            usleep(50)
        }
    }

    private func markStart(_ cycle: inout CycleRecord) {
        let requestNs = heap.stats.elapsed()
        let timeToSafepoint = heap.world.stop(requester: nil) ?? 0
        cycle.heapAtTriggerBytes = heap.heapInUseBytes
        heap.accounting.pointee.sample(heap.stats, force: true)
        spaces.retireAllBuffers()
        let epoch = spaces.prepareForMark()
        markPool.setEpoch(epoch)
        resetCounters()
        for r in heap.world.mutators {
            r.ctx.pointee.barrierSlowCount = 0
            let state = r.ctx.concurrent
            state.pointee.assistNs = 0
            state.pointee.assistScannedBytes = 0
            state.pointee.assistDebtBytes = 0
        }
        if let driver = heap.pacerDriver {
            let roots = heap.rootBytes
            _ = driver.startCycle(heapLive: cycle.heapAtTriggerBytes, stackBytes: roots.stacks, globalsBytes: roots.globals)
        }
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)
        var marker = Marker(base: heap.base, policy: spaces.markPolicy(epoch: epoch), pool: markPool)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.globals.forEach { raw, _ in marker.markRoot(raw) }
        switch roots {
        case .stw:
            for r in heap.world.mutators { scanStack(r.ctx, into: &marker) }
        case .handshake:
            let mutators = heap.world.mutators
            for r in mutators { r.ctx.concurrent.pointee.stackScanned = false }
            pendingHandshakes.store(mutators.count, ordering: .relaxed)
            if !mutators.isEmpty { heap.world.pollFlag.pointee.bitwiseOr(World.handshakeBit, ordering: .relaxed) }
        }
        // Hand the roots to the pool without waking the workers: a woken worker can preempt this thread
        // in the middle of the pause (seen: milliseconds). They are woken once the world runs again.
        count(marker, in: .pause)
        markPool.withoutWaking { marker.returnWork() }
        marker.free()
        let end = heap.stats.elapsed()
        heap.world.start(requester: nil)
        markPool.wakeAll()
        cycle.concurrentMarkStartNs = end
        heap.stats.record(PauseRecord(cycle: cycle.cycle, kind: .markStart, startNs: requestNs,
                                      timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs))
        scanBlockedStacks()
    }

    private func resetCounters() {
        scanBackground.store(0, ordering: .relaxed)
        scanAssist.store(0, ordering: .relaxed)
        scanPause.store(0, ordering: .relaxed)
        shadedBytes.store(0, ordering: .relaxed)
        shadedObjects.store(0, ordering: .relaxed)
        markedBytes.store(0, ordering: .relaxed)
        markedObjects.store(0, ordering: .relaxed)
        blackAllocatedBytes.pointee.store(0, ordering: .relaxed)
        workerCPU.store(0, ordering: .relaxed)
        controllerMarkCPU.store(0, ordering: .relaxed)
        idleCPU.store(0, ordering: .relaxed)
        handshakes.store(0, ordering: .relaxed)
        backgroundCredit.store(0, ordering: .relaxed)
        creditUsed.store(0, ordering: .relaxed)
    }

    /// One mark-termination pause. Returns false when grey objects remained and marking went on.
    private func markTermination(_ cycle: inout CycleRecord, attempt: Int, finishInPause: Bool, cpu0: UInt64) -> Bool {
        let requestNs = heap.stats.elapsed()
        let timeToSafepoint = heap.world.stop(requester: nil) ?? 0
        cycle.markTerminationStartNs = requestNs  // the last attempt's is the final one
        var marker = poolMarker()
        for r in heap.world.mutators {
            flushShadeBuffer(r.ctx.concurrent)
            if !r.ctx.concurrent.pointee.stackScanned { scanStack(r.ctx, into: &marker) }
        }
        if barrier.rescansRoots {
            let t0 = Clock.now()
            heap.forEachRoot { raw, _ in marker.markRoot(raw) }
            cycle.rescanNs += Clock.now() - t0
        }
        count(marker, in: .pause)
        markPool.withoutWaking { marker.returnWork() }
        if !markPool.quiescent {
            if attempt < 3 && !barrier.rescansRoots && !finishInPause {
                marker.free()
                let end = heap.stats.elapsed()
                heap.world.start(requester: nil)
                markPool.wakeAll()
                heap.stats.record(PauseRecord(cycle: cycle.cycle, kind: .markTermination, startNs: requestNs,
                                              timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs))
                return false
            }
            // Finish in the pause, with the workers' help.
            markPool.wakeAll()
            repeat {
                var pauseMarker = poolMarker()
                while pauseMarker.refill() { pauseMarker.drain() }
                count(pauseMarker, in: .pause)
                pauseMarker.returnWork()
                pauseMarker.free()
                markPool.waitForWorkOrQuiescence()  // take back work a worker hands in, don't wait on it
            } while !markPool.quiescent
        }
        marker.free()
        cycle.terminationAttempts = attempt

        // Marking is complete.
        heap.barrierFlag.pointee.store(0, ordering: .relaxed)
        spaces.retireAllBuffers()  // marks the objects of black holes still open
        for r in heap.world.mutators {
            let state = r.ctx.concurrent
            cycle.barrierSlowPaths += r.ctx.pointee.barrierSlowCount
            cycle.assistNs += state.pointee.assistNs
            flushActivities(state)
        }
        cycle.scanBackgroundBytes = scanBackground.load(ordering: .relaxed)
        cycle.scanAssistBytes = scanAssist.load(ordering: .relaxed)
        cycle.scanPauseBytes = scanPause.load(ordering: .relaxed)
        cycle.blackAllocatedBytes = blackAllocatedBytes.pointee.load(ordering: .relaxed)
        cycle.markedObjects = markedObjects.load(ordering: .relaxed) + shadedObjects.load(ordering: .relaxed)
        cycle.handshakes = handshakes.load(ordering: .relaxed)
        heap.verifyMarks(&cycle, spaces.marks)
        spaces.reclaim(into: &cycle)

        // Live: what markers and barriers marked, plus what was allocated black.
        let live = markedBytes.load(ordering: .relaxed) + shadedBytes.load(ordering: .relaxed) + cycle.blackAllocatedBytes
        cycle.heapAtMarkEndBytes = heap.heapInUseBytes
        cycle.assistCreditBytes = creditUsed.load(ordering: .relaxed)
        let markNs = Double(max(1, Int(cycle.markTerminationStartNs) - Int(cycle.concurrentMarkStartNs)))
        let capacity = markNs * Double(heap.pacerDriver?.procs ?? heap.configuration.processors)
        let markCPU = workerCPU.load(ordering: .relaxed) &+ controllerMarkCPU.load(ordering: .relaxed) &+ cycle.assistNs
        cycle.utilization = min(0.99, Double(markCPU) / capacity)
        cycle.idleUtilization = min(0.99, Double(idleCPU.load(ordering: .relaxed)) / capacity)
        heap.finishCycle(&cycle, live: live, inUse: live, utilization: cycle.utilization, idleUtilization: cycle.idleUtilization,
                         markNs: UInt64(markNs))
        let end = heap.stats.elapsed()
        heap.world.start(requester: nil)
        cycle.endNs = end
        cycle.gcCPUNs = (Clock.threadCPU() &- cpu0) &+ workerCPU.load(ordering: .relaxed) &+ idleCPU.load(ordering: .relaxed)
        heap.recordCycle(cycle, pauses: [PauseRecord(cycle: cycle.cycle, kind: .markTermination, startNs: requestNs,
                                                     timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs)])
        // Published last: whoever waits for this cycle (collectFully) finds its records complete.
        monitor.withLock {
            marking = false
            heap.publishCompletedCycle(cycle.cycle)
        }
        return true
    }
}
