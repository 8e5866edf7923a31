// Sticky mark bits on Immix (Demers et al., POPL 1990; MMTk's StickyImmix; Whippet's generational mmc):
// a generational collector that never moves an object. Young objects are the unmarked ones, allocated into
// Immix holes as under stw; the mark bitmap is not cleared by sweeping, so whatever a collection marked
// stays marked — old — until the next major collection.
//
// A minor collection (world stopped): keep the epoch; mark from the roots and from the fields of every old
// object the remembered set holds (Plan/RememberedSet.swift), marking only unmarked small objects (an old
// object's mark is already set, so the trace stops there; large objects are born old); the survivors'
// lines get the epoch, their marks stick. Then the census and the lazy sweep, as stw; the large objects'
// rings are not flipped. A major collection is stw's mark with a new epoch after clearing every block's
// bitmap, and the remembered set is forgotten. Minor or major: the rule in Plan/Generational.swift.
//
// Invariant between collections: an object is old iff its mark bit is set (or it is large); every old
// object that may point to a young one is remembered (the barrier); an old object's lines carry the
// current epoch. Verify mode: after a minor collection every object reachable from the roots is old or
// was marked by it (the checkmark, with large objects counted old); after a major, the full checkmark.

import Synchronization

/// The `sticky` collector.
final class StickyCollector: GenerationalCollector {
    unowned(unsafe) let heap: Heap
    let spaces: MarkRegion
    let remset: RememberedSet
    let generations: GenerationState

    init(heap: Heap) {
        self.heap = heap
        spaces = MarkRegion(heap: heap, stickyMarks: true)
        remset = RememberedSet(heap: heap, mode: heap.configuration.rememberedSetMode, cardBytes: heap.configuration.cardBytes)
        generations = GenerationState(heap.configuration)
    }

    var kind: CollectorKind { .sticky }
    var largeObjectSpace: TreadmillSpace { spaces.los }

    func decommitFreeBlocks() -> Int { spaces.decommitFreeBlocks() }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        spaces.installAllocators(ctx)
        remset.install(ctx)
    }

    func collect(_ generation: Generation, forced: Bool, _ record: inout CycleRecord) -> GenerationOutcome {
        let bornOld = remset.takeBornOldBytes(mutators: heap.world.mutators)
        switch generation {
        case .minor: return GenerationOutcome(generation: .minor, mature: minor(&record, bornOld: bornOld))
        case .major:
            let live = major(&record)
            return GenerationOutcome(generation: .major, mature: live, live: live)
        }
    }

    /// A minor collection. Returns the bytes in use after it (the old generation).
    private func minor(_ record: inout CycleRecord, bornOld: Int) -> Int {
        let immix = spaces.immix
        let policy = StickyMinorPolicy(bitmap: heap.markBitmap, lineMarks: heap.lineMarks, epoch: immix.prepareForMinor(),
                                       largeGranule: heap.reservation.largeGranule, unlogged: remset.unlogged)
        var marker = Marker(base: heap.base, policy: policy)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.forEachRoot { raw, _ in marker.markRoot(raw) }
        let scanStart = Clock.now()
        let base = heap.base
        let drained = remset.drain(mutators: heap.world.mutators, blockEnd: heap.blocks.highWaterBlock,
                                   largePages: spaces.los.largePagesUsed) { old in
            let object = base + (Int(old) &<< HeapGeometry.granuleShift)
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            for i in 0..<ObjectHeader(bits: object.load(as: UInt64.self)).referenceCount {
                marker.markRoot(fields[i].load(ordering: .relaxed))
            }
        }
        let scanNs = Clock.now() &- scanStart
        marker.drain()
        marker.free()
        record.markedObjects = marker.markedObjects
        record.scanPauseBytes = marker.scannedBytes
        let allocatedSince = generations.schedule.allocatedSince(heap.allocatedBytes)
        record.recordMinor(survived: marker.markedBytes, promoted: marker.markedBytes, allocatedSince: allocatedSince,
                           drained: drained, scanNs: scanNs)
        heap.verifyMarks(&record, StickyMinorMarks(marks: spaces.marks))
        let census = immix.takeCensus()
        heap.accounting.pointee.fragmented.store(census.fragmentedBytes, ordering: .relaxed)
        immix.releaseAfterMark()
        if heap.configuration.verify { immix.sweepAllNow() }
        return generations.schedule.matureBytes + marker.markedBytes + bornOld
    }

    /// A major collection: stw's, with every old mark cleared first. Returns the live bytes.
    private func major(_ record: inout CycleRecord) -> Int {
        if remset.mode == .object { spaces.immix.forEachBlock { remset.clearUnlogged(block: $0) } }
        let policy = GenerationalMajorPolicy(immix: spaces.markPolicy(epoch: spaces.prepareForMark()), unlogged: remset.unlogged)
        let live = spaces.markInPause(&record, policy: policy)
        record.recordMajor()
        heap.verifyMarks(&record, spaces.marks)
        remset.forgetAll(mutators: heap.world.mutators, blockEnd: heap.blocks.highWaterBlock, largePages: spaces.los.largePagesUsed)
        spaces.reclaim(into: &record)
        return live
    }
}

/// A minor collection's marking: an unmarked small object is young and is marked (its bit sticks: it is
/// old now, and unlogged under object remembering); a marked one, or a large one, is old: not traced.
struct StickyMinorPolicy: MarkPolicy {
    let bitmap: MarkBitmap
    let lineMarks: LineMarkTable
    var epoch: UInt8
    let largeGranule: UInt32
    let unlogged: MarkBitmap?

    @inline(__always)
    func attempt(_ raw: UInt32) -> Bool {
        guard raw < largeGranule, bitmap.testAndSet(raw) else { return false }
        unlogged?.set(raw)
        return true
    }

    @inline(__always)
    func scanning(_ raw: UInt32, offset: Int, bytes: Int) { lineMarks.markObject(offset: offset, size: bytes, epoch: epoch) }
}

/// The verifier's view after a minor collection: a small object survives if it is marked with its lines
/// live (old, or marked now); a large object is old.
struct StickyMinorMarks: MarkedObjects {
    let marks: ImmixMarks

    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool {
        raw >= marks.largeGranule || marks.checkAndKeep(raw, offset: offset, bytes: bytes)
    }
}
