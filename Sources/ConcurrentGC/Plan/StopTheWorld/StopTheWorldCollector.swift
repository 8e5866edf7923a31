// Stop-the-world mark-region: the baseline collector.
//
// One pause per cycle: stop every mutator, retire their allocation buffers, start a new mark epoch, mark
// from the roots, verify, flip the large objects' rings, hand every used block to the lazy sweeper, set the
// next trigger (GOGC, or the pacer's), restart the world. Immix blocks are swept later by the allocators,
// outside the pause. Nothing here runs while mutators do, so the plan has no barrier and no state of its
// own per mutator.

/// The `stw` collector.
final class StopTheWorldCollector: Collector {
    unowned(unsafe) let heap: Heap
    let spaces: MarkRegion

    init(heap: Heap) {
        self.heap = heap
        spaces = MarkRegion(heap: heap)
    }

    var largeObjectSpace: TreadmillSpace { spaces.los }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) { spaces.installAllocators(ctx) }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) { BumpAllocator.retire(ctx) }

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        collect(requester: requester, reason: .trigger, observedCycle: observedCycle)
    }

    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        collect(requester: requester, reason: reason, observedCycle: observedCycle)
    }

    private func collect(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        let requestNs = heap.stats.elapsed()
        guard let timeToSafepoint = heap.world.stop(requester: requester) else { return }
        let cycle = heap.completedCycles
        guard cycle == observedCycle else {  // someone else collected since the caller looked
            heap.world.start(requester: requester)
            return
        }
        let cpuStart = Clock.threadCPU()
        var record = CycleRecord(cycle: cycle + 1, collector: .stw, reason: reason, startNs: requestNs)
        record.heapAtTriggerBytes = heap.heapInUseBytes
        record.heapAtMarkEndBytes = record.heapAtTriggerBytes  // nothing is allocated while marking
        heap.accounting.pointee.sample(heap.stats, force: true)

        spaces.retireAllBuffers()
        let roots = heap.rootBytes
        _ = heap.pacerDriver?.startCycle(heapLive: record.heapAtTriggerBytes, stackBytes: roots.stacks, globalsBytes: roots.globals)
        var marker = Marker(base: heap.base, policy: spaces.markPolicy(epoch: spaces.prepareForMark()))
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.forEachRoot { raw, _ in marker.markRoot(raw) }
        marker.drain()
        marker.free()
        record.markedObjects = marker.markedObjects
        record.scanPauseBytes = marker.scannedBytes

        heap.verifyMarks(&record, spaces.marks)
        spaces.reclaim(into: &record)
        // The whole mark is in the pause: the utilization is the collecting thread's share of the processors.
        heap.finishCycle(&record, live: marker.markedBytes, inUse: marker.markedBytes,
                         utilization: min(0.99, 1 / Double(heap.pacerDriver?.procs ?? heap.configuration.processors)))
        heap.publishCompletedCycle(cycle + 1)
        let cpu = Clock.threadCPU() &- cpuStart
        let endNs = heap.stats.elapsed()
        heap.world.start(requester: requester)

        record.endNs = endNs
        record.gcCPUNs = cpu
        heap.recordCycle(record, pauses: [PauseRecord(cycle: cycle + 1, kind: .stopTheWorld, startNs: requestNs,
                                                      timeToSafepointNs: timeToSafepoint, durationNs: endNs &- requestNs)])
    }
}
