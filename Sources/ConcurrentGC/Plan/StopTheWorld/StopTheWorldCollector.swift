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
        heap.collectInOnePause(requester: requester, reason: reason, observedCycle: observedCycle,
                               collector: .stw, pauseKind: .stopTheWorld) { record in
            var marker = Marker(base: heap.base, policy: spaces.markPolicy(epoch: spaces.prepareForMark()))
            for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
            heap.forEachRoot { raw, _ in marker.markRoot(raw) }
            marker.drain()
            marker.free()
            record.markedObjects = marker.markedObjects
            record.scanPauseBytes = marker.scannedBytes
            heap.verifyMarks(&record, spaces.marks)
            spaces.reclaim(into: &record)
            return marker.markedBytes
        }
    }
}
