// The semispace collector: one pause per cycle. Stop every mutator and retire its allocation block; in
// verify mode take the graph digest; flip the semispaces; copy from the roots with Cheney's scan
// (CheneyCopy.swift), updating every root slot and field; in verify mode check every reference and the
// digest (MovingVerifier) and run the checkmark; flip the large objects' rings; give from-space back to
// the pool (poisoned in verify mode); set the next trigger (GOGC over the live bytes, or the pacer's);
// restart the world. Mutators bump-allocate whole to-space blocks; a new block is handed out only while
// the pool can still hold a copy of all of to-space (the copy reserve).

/// The `semispace` collector.
final class SemiSpaceCollector: OnePauseCollector {
    unowned(unsafe) let heap: Heap
    let space: CopySpace
    let los: TreadmillSpace
    /// Test hook: the next collection leaves this many updated fields stale (the verifier must catch it).
    var debugSkipSlotUpdates = 0

    init(heap: Heap) {
        self.heap = heap
        space = CopySpace(heap: heap)
        los = TreadmillSpace(largeObjectsOf: heap)
    }

    var largeObjectSpace: TreadmillSpace { los }

    /// The reserve: a copy of all of to-space.
    var copyReserveBytes: Int { space.toSpaceBytes }

    /// Every small object is copied at every collection: none can stay in place.
    func pin(_ raw: UInt32) -> Bool { raw >= heap.reservation.largeGranule }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.allocator = .blocks
        ctx.pointee.bump.copySpace = .passUnretained(space)
        ctx.pointee.bump.largeObjects = .passUnretained(los)
    }

    func collect(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        heap.collectInOnePause(requester: requester, reason: reason, observedCycle: observedCycle,
                               collector: .semispace, pauseKind: .copy) { record in
            let digestBefore = heap.configuration.verify ? GraphDigest.compute(heap: heap) : 0
            space.flip()
            var copier = CheneyCopy(base: heap.base, space: space, los: los, largeGranule: heap.reservation.largeGranule)
            let hidden = Set(heap.debugObjectsHiddenFromMarker.map(\.raw))
            heap.updateRoots { raw, _ in hidden.contains(raw) ? copier.hide(raw) : copier.forward(raw) }
            heap.debugObjectsHiddenFromMarker = heap.debugObjectsHiddenFromMarker.map { ObjectRef(raw: copier.forward($0.raw)) }
            copier.slotUpdatesToSkip = debugSkipSlotUpdates
            debugSkipSlotUpdates = 0
            copier.scanAll()
            copier.free()
            record.markedObjects = copier.copiedObjects + copier.largeObjects
            record.scanPauseBytes = copier.copiedBytes + copier.largeBytes
            record.planColumns["copied_bytes"] = String(copier.copiedBytes)
            record.planColumns["copied_objects"] = String(copier.copiedObjects)

            if heap.configuration.verify {
                heap.verifyMove(&record, digestBefore: digestBefore) { [space, largeGranule = heap.reservation.largeGranule] raw in
                    raw < largeGranule && space.isFromSpace(raw)
                }
            }
            heap.verifyMarks(&record, SemiSpaceMarks(space: space, los: los, largeGranule: heap.reservation.largeGranule))
            record.recordFlip(los.flip())
            space.releaseFromSpace()
            return copier.copiedBytes + copier.largeBytes
        }
    }
}

/// The semispace plan's marks for the checkmark verifier: an object survives if it is in to-space (a copy)
/// or, large, if its cell is not white. An object still in from-space is lost; it cannot be kept.
struct SemiSpaceMarks: MarkedObjects {
    unowned(unsafe) let space: CopySpace
    let los: TreadmillSpace
    let largeGranule: UInt32

    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool {
        raw >= largeGranule ? !los.markReached(raw) : !space.isFromSpace(raw)
    }
}
