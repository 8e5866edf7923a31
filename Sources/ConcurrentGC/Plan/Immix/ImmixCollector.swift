// Stop-the-world Immix with opportunistic defragmentation (Blackburn & McKinley, PLDI 2008). One pause per
// cycle, as stw: stop every mutator and retire its buffers; choose the candidate blocks from the last
// mark's census, as many as the copy reserve can take (DefragCandidates.swift); mark from the roots,
// evacuating the candidates' objects into the reserve and marking everything else in place
// (EvacuatingMarker.swift); in verify mode check every reference and the graph digest (MovingVerifier) and
// run the checkmark; drop the pins of dead objects; take the census, flip the large objects' rings and
// hand every block to the lazy sweeper (the candidates' old copies are freed with their lines); set the
// next trigger; restart the world.
//
// The plan differs from stw only in evacuation: a cycle without candidates (nothing fragmented, or
// `--defrag-reserve 0`) marks with the stw marker. The reserve is kept as spare blocks the mutators may not
// take (ImmixSpace), so the usable heap is `--heap-max` less the reserve.

/// The `immix` collector.
final class ImmixCollector: OnePauseCollector {
    unowned(unsafe) let heap: Heap
    let spaces: MarkRegion
    let candidates: DefragCandidates
    let pins: PinTable
    /// Test hook: the next collection that evacuates leaves this many updated fields stale.
    var debugSkipSlotUpdates = 0
    /// Test hook: at most this many blocks to copy into (the candidates are chosen as usual), so the
    /// reserve runs out and the rest of the candidates' objects are marked in place.
    var debugCopyBlockLimit: Int?

    init(heap: Heap) {
        self.heap = heap
        spaces = MarkRegion(heap: heap, copyReserveBlocks: heap.configuration.defragReserveBlocks)
        candidates = DefragCandidates(blockCount: heap.reservation.blockCount)
        pins = PinTable(blockCount: heap.reservation.blockCount)
    }

    var largeObjectSpace: TreadmillSpace { spaces.los }

    /// The reserve: spare blocks for the candidates' copies.
    var copyReserveBytes: Int { spaces.immix.copyReserveBlocks * HeapGeometry.blockBytes }

    func pin(_ raw: UInt32) -> Bool {
        pins.pin(raw)
        return true
    }

    func unpin(_ raw: UInt32) { _ = pins.unpin(raw) }

    func decommitFreeBlocks() -> Int { spaces.decommitFreeBlocks() }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) { spaces.installAllocators(ctx) }

    func collect(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        heap.collectInOnePause(requester: requester, reason: reason, observedCycle: observedCycle,
                               collector: .immix, pauseKind: .stopTheWorld) { record in
            let space = spaces.immix
            let policy = spaces.markPolicy(epoch: spaces.prepareForMark())  // files the blocks known empty as free
            let copyBlocks = copyBudget(space)
            candidates.choose(from: space.census, reserveLines: copyBlocks * HeapGeometry.linesPerBlock)
            let evacuating = !candidates.blocks.isEmpty
            let digestBefore = heap.configuration.verify && evacuating ? GraphDigest.compute(heap: heap) : 0
            for column in ["copied_bytes", "copied_objects", "in_place_bytes"] { record.planColumns[column] = "0" }
            let live = evacuating ? markEvacuating(&record, policy: policy, copyBlocks: min(copyBlocks, debugCopyBlockLimit ?? .max))
                                  : spaces.markInPause(&record, policy: policy)  // as stw
            if heap.configuration.verify && evacuating { heap.verifyMove(&record, digestBefore: digestBefore) { _ in false } }
            heap.verifyMarks(&record, spaces.marks)
            pins.dropPins(unless: policy.isReached)
            spaces.reclaim(into: &record)  // takes the census the next collection chooses from
            record.planColumns["defrag_candidates"] = String(candidates.blocks.count)
            // A candidate left with no live line was evacuated whole: it is free now.
            record.planColumns["evacuated_blocks"] = String(candidates.blocks.count { space.census.liveLines[Int($0)] == 0 })
            candidates.clear()
            return live
        }
    }

    /// Blocks this collection may copy into: the `--defrag-reserve` fraction of the committed heap (the
    /// heap's size now: a GOGC-paced heap is usually far below `--heap-max`), at most the reserve held
    /// back and the spare blocks there are.
    private func copyBudget(_ space: ImmixSpace) -> Int {
        let fraction = heap.configuration.defragReserve
        guard fraction > 0 else { return 0 }
        let ofHeap = Int((Double(heap.committedBytes) * fraction / Double(HeapGeometry.blockBytes)).rounded(.up))
        return min(max(1, ofHeap), space.copyReserveBlocks, space.spareBlocks)
    }

    /// The defragmenting mark. Returns the live bytes.
    private func markEvacuating(_ record: inout CycleRecord, policy: ImmixMarkPolicy, copyBlocks: Int) -> Int {
        var marker = EvacuatingMarker(base: heap.base, policy: policy, candidates: candidates, space: spaces.immix,
                                      pins: pins, copyBlocks: copyBlocks)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.updateRoots { raw, _ in raw == 0 ? 0 : marker.visitRoot(raw) }
        marker.slotUpdatesToSkip = debugSkipSlotUpdates
        debugSkipSlotUpdates = 0
        marker.drain()
        marker.free()
        record.markedObjects = marker.markedObjects
        record.scanPauseBytes = marker.scannedBytes
        record.planColumns["copied_bytes"] = String(marker.copiedBytes)
        record.planColumns["copied_objects"] = String(marker.copiedObjects)
        record.planColumns["in_place_bytes"] = String(marker.inPlaceBytes)
        return marker.markedBytes
    }
}
