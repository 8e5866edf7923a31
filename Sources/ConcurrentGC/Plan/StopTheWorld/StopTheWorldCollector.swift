// Stop-the-world mark-region: the baseline collector.
//
// One pause per cycle: stop every mutator, retire their allocation buffers, start a new mark epoch, mark
// from the roots, verify, flip the large objects' rings, hand every used block to the lazy sweeper, set the
// next trigger (GOGC, or the pacer's), restart the world. Immix blocks are swept later by the allocators,
// outside the pause. Nothing here runs while mutators do, so the plan has no barrier and no state of its
// own per mutator.

/// The `stw` collector.
final class StopTheWorldCollector: OnePauseCollector {
    unowned(unsafe) let heap: Heap
    let spaces: MarkRegion

    init(heap: Heap) {
        self.heap = heap
        spaces = MarkRegion(heap: heap)
    }

    var largeObjectSpace: TreadmillSpace { spaces.los }

    func decommitFreeBlocks() -> Int { spaces.decommitFreeBlocks() }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) { spaces.installAllocators(ctx) }

    func collect(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        heap.collectInOnePause(requester: requester, reason: reason, observedCycle: observedCycle,
                               collector: .stw, pauseKind: .stopTheWorld) { record in
            let live = spaces.markInPause(&record, policy: spaces.markPolicy(epoch: spaces.prepareForMark()))
            heap.verifyMarks(&record, spaces.marks)
            spaces.reclaim(into: &record)
            return live
        }
    }
}
