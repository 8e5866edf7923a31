// Baker's flip and the end of a cycle, with the world stopped and the background workers held at their
// gates (the cycle as a whole is described at the top of BakerCollector.swift).

import Synchronization

extension BakerCollector {
    // MARK: The flip and the end (world stopped, workers held)

    func flip(_ record: inout CycleRecord) {
        record.heapAtTriggerBytes = heap.heapInUseBytes
        record.planColumns["baker_k"] = String(k)
        record.planColumns["read_barrier"] = readBarrier
        heap.accounting.pointee.sample(heap.stats, force: true)
        for r in heap.world.mutators { BumpAllocator.retire(r.ctx) }
        inUseAtFlip = heap.heapInUseBytes
        space.flip()
        space.forEachFromBlock { condemned[$0] = condemnedFromSpace }
        for b in largeFirstBlock..<condemnedCount { condemned[b] = 2 }
        var roots = 0
        let copier = pauseCopier
        let hidden = Set(heap.debugObjectsHiddenFromMarker.map(\.raw))
        var hiddenCopies = Set<UInt32>()
        heap.updateRoots { raw, _ in
            if raw != 0 { roots += 1 }
            let copy = copier.pointee.forward(raw)
            if !hidden.isEmpty && hidden.contains(raw) { hiddenCopies.insert(copy) }
            return copy
        }
        if !hidden.isEmpty {  // the verifier's test hook: copied, never scanned
            copier.pointee.dropGrey(hiddenCopies)
            heap.debugObjectsHiddenFromMarker = heap.debugObjectsHiddenFromMarker.map { ObjectRef(raw: copier.pointee.forward($0.raw)) }
        }
        copier.pointee.flush()
        record.planColumns["flip_roots"] = String(roots)
        heap.accounting.pointee.trigger.store(Int.max, ordering: .relaxed)  // copying: no flip until the end
        copying.store(true, ordering: .relaxed)
        flipsStarted.add(1, ordering: .releasing)
        collectingFlag.pointee.store(1, ordering: .relaxed)  // seen by every mutator when the world restarts
        if brooks { heap.barrierFlag.pointee.store(1, ordering: .relaxed) }
    }

    /// Ends the cycle (see the top of the file). `digestBefore`: the graph digest at the flip, when the
    /// whole cycle ran in this pause (verify mode).
    func finish(_ record: inout CycleRecord, digestBefore: UInt64?) {
        heap.accounting.pointee.sample(heap.stats, force: true)
        record.heapAtMarkEndBytes = heap.heapInUseBytes
        let copier = pauseCopier
        for r in heap.world.mutators {
            let state = r.ctx.planState(BakerMutatorState.self)
            state.pointee.copier.flush()
            state.pointee.copier.retireRegion()
        }
        if brooks {  // mutators may hold from-space references
            let t0 = Clock.now()
            heap.updateRoots { raw, _ in copier.pointee.forward(raw) }
            record.rescanNs = Clock.now() &- t0
        }
        let before = copier.pointee.scannedBytes
        copier.pointee.drain()
        record.planColumns["end_pause_scan_bytes"] = String(copier.pointee.scannedBytes - before)
        copier.pointee.retireRegion()
        var counters = retiredLock.withLock { () -> CopyCounters in
            let c = retired
            retired = CopyCounters()
            return c
        }
        counters.add(copier.pointee.takeCounters(), asAssist: false, inPause: true)
        for i in gates.indices {
            workerCopiers[i].retireRegion()
            counters.add(workerCopiers[i].takeCounters(), asAssist: false)
        }
        for r in heap.world.mutators {
            counters.add(r.ctx.planState(BakerMutatorState.self).pointee.copier.takeCounters(), asAssist: true)
            record.barrierSlowPaths += r.ctx.pointee.barrierSlowCount
            r.ctx.pointee.barrierSlowCount = 0
        }
        record.scanAssistBytes = counters.assistScanned
        record.scanBackgroundBytes = counters.workerScanned
        record.scanPauseBytes = counters.pauseScanned
        record.markedObjects = counters.copiedObjects + counters.largeObjects
        record.planColumns["copied_bytes"] = String(counters.copiedBytes)
        record.planColumns["copied_objects"] = String(counters.copiedObjects)
        record.planColumns["lost_copy_races"] = String(counters.lostRaces)
        record.gcCPUNs &+= workerCPU.exchange(0, ordering: .relaxed)

        if heap.configuration.verify {
            let fromSpace: (UInt32) -> Bool = { [condemned] raw in condemned[Int(raw >> condemnedShift)] == condemnedFromSpace }
            if let digestBefore {
                heap.verifyMove(&record, digestBefore: digestBefore, isFreed: fromSpace)
            } else {
                let problems = MovingVerifier.verify(heap: heap, cycle: record.cycle, isFreed: fromSpace)
                record.lostObjects += problems.count
                heap.stats.record(lost: Array(problems.prefix(GCStats.lostDetailLimit)), count: problems.count)
            }
        }
        heap.verifyMarks(&record, BakerMarks(condemned: condemned, los: los, largeGranule: heap.reservation.largeGranule))
        let flip = los.flip()
        record.recordFlip(flip)
        space.releaseFromSpace()
        condemned.update(repeating: 0, count: condemnedCount)
        heap.barrierFlag.pointee.store(0, ordering: .relaxed)
        collectingFlag.pointee.store(0, ordering: .relaxed)
        copying.store(false, ordering: .relaxed)
        running = nil
        // Live: what was copied and the large objects reached. In use: that, plus what was allocated during
        // the cycle (black: it survives the cycle unreached, as Baker's design has it).
        let live = counters.copiedBytes + counters.largeBytes
        let allocatedDuringCycle = max(0, record.heapAtMarkEndBytes - inUseAtFlip)
        record.blackAllocatedBytes = allocatedDuringCycle
        heap.finishCycle(&record, live: live, inUse: live + allocatedDuringCycle, utilization: 0)
    }
}
