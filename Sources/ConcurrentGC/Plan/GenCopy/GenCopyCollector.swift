// The copying nursery collector (Appel 1989; MMTk's GenImmix). Mutators bump-allocate whole blocks of a
// nursery (a CopySpace: its copy reserve, as large as the nursery, is what promotion may need); large
// objects go to the mature space's large-object space and are born old. Each collection is one pause:
//
//   minor  flip the nursery; promote what the roots and the remembered set reach (NurseryPromotion.swift),
//          updating every slot; in verify mode check every reference and the graph digest (MovingVerifier:
//          a young object left behind, as under --remset none, counts as lost and is then rescued so the
//          run goes on); give from-space back to the pool (poisoned in verify mode).
//   major  the minor's promotion first (the nursery is then empty), then the mature space's mark as stw's
//          with a new epoch after clearing the old marks, the checkmark, the large objects' flip and the
//          lazy sweep; the remembered set is forgotten.
//
// Minor or major: the rule in Plan/Generational.swift. Invariant between collections: every nursery object
// is young; every mature object is old (marked: the mature space's marks stick); every old object that
// may point into the nursery is remembered.

import Synchronization

/// The `gencopy` collector.
final class GenCopyCollector: GenerationalCollector {
    unowned(unsafe) let heap: Heap
    let nursery: CopySpace
    let spaces: MarkRegion
    let remset: RememberedSet
    let generations: GenerationState

    init(heap: Heap) {
        self.heap = heap
        nursery = CopySpace(heap: heap)
        spaces = MarkRegion(heap: heap, stickyMarks: true)
        remset = RememberedSet(heap: heap, mode: heap.configuration.rememberedSetMode, cardBytes: heap.configuration.cardBytes)
        generations = GenerationState(heap.configuration)
    }

    var kind: CollectorKind { .gencopy }
    var largeObjectSpace: TreadmillSpace { spaces.los }

    /// The reserve: room to promote all of the nursery.
    var copyReserveBytes: Int { nursery.toSpaceBytes }

    /// Nursery objects move at the next collection; mature and large ones never do.
    func pin(_ raw: UInt32) -> Bool {
        raw >= heap.reservation.largeGranule || nursery.owner[Int(raw >> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift))] == 0
    }

    func decommitFreeBlocks() -> Int { spaces.decommitFreeBlocks() }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.allocator = .blocks
        ctx.pointee.bump.copySpace = .passUnretained(nursery)
        ctx.pointee.bump.largeObjects = .passUnretained(spaces.los)
        remset.install(ctx)
    }

    func collect(_ generation: Generation, _ record: inout CycleRecord) -> (inUse: Int, live: Int?) {
        let bornOld = remset.takeBornOldBytes(mutators: heap.world.mutators)
        let promoted = evacuateNursery(&record)
        switch generation {
        case .minor: return (generations.schedule.matureBytes + promoted + bornOld, nil)
        case .major:
            let live = markMature(&record)
            return (live, live)
        }
    }

    /// Promotes the nursery's survivors. Returns the bytes promoted.
    private func evacuateNursery(_ record: inout CycleRecord) -> Int {
        let verify = heap.configuration.verify
        let digestBefore = verify ? GraphDigest.compute(heap: heap) : 0
        nursery.flip()
        var promotion = NurseryPromotion(heap: heap, nursery: nursery, mature: spaces.immix, unlogged: remset.unlogged?.words)
        let hidden = Set(heap.debugObjectsHiddenFromMarker.map(\.raw))
        heap.updateRoots { raw, _ in hidden.contains(raw) ? promotion.hide(raw) : promotion.forward(raw) }
        heap.debugObjectsHiddenFromMarker = heap.debugObjectsHiddenFromMarker.map { ObjectRef(raw: promotion.forward($0.raw)) }
        let scanStart = Clock.now()
        let drained = remset.drain(mutators: heap.world.mutators, blockEnd: heap.blocks.highWaterBlock,
                                   largePages: spaces.los.largePagesUsed) { old in promotion.scan(old) }
        let scanNs = Clock.now() &- scanStart
        promotion.drain()
        let promoted = promotion.promotedBytes
        record.markedObjects = promotion.promotedObjects
        record.scanPauseBytes = promotion.scannedBytes
        record.recordMinor(survived: promoted, promoted: promoted,
                           allocatedSince: generations.schedule.allocatedSince(heap.allocatedBytes), drained: drained, scanNs: scanNs)
        if verify {
            let lostBefore = record.lostObjects
            heap.verifyMove(&record, digestBefore: digestBefore) { raw in promotion.isYoung(raw) }
            if record.lostObjects > lostBefore { rescue(&promotion) }
        }
        promotion.finish()
        nursery.releaseFromSpace()
        return promoted
    }

    /// Verify mode, after a promotion that left reachable objects behind (the verifier counted them): a
    /// trace of the whole reachable graph promotes them, so that the run can go on.
    private func rescue(_ promotion: inout NurseryPromotion) {
        guard let seen = MarkBitmap(granules: heap.reservationBytes / HeapGeometry.granuleBytes) else {
            fatalError("gclab: gencopy: could not map the rescue's bitmap")
        }
        defer { seen.free() }
        var stack: [UInt32] = []
        heap.updateRoots { raw, _ in
            let new = promotion.forward(raw)
            if new != 0 && seen.testAndSet(new) { stack.append(new) }
            return new
        }
        while let raw = stack.popLast() {
            let object = heap.base + (Int(raw) << HeapGeometry.granuleShift)
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            for i in 0..<ObjectHeader(bits: object.load(as: UInt64.self)).referenceCount {
                let child = fields[i].load(ordering: .relaxed)
                let new = promotion.forward(child)
                if new != child { fields[i].store(new, ordering: .relaxed) }
                if new != 0 && seen.testAndSet(new) { stack.append(new) }
            }
        }
        promotion.drain()
    }

    /// A major collection's mark of the mature space (the nursery is empty). Returns the live bytes.
    private func markMature(_ record: inout CycleRecord) -> Int {
        let promotionScan = record.scanPauseBytes
        if remset.mode == .object { spaces.immix.forEachBlock { remset.clearUnlogged(block: $0) } }
        let policy = GenerationalMajorPolicy(immix: spaces.markPolicy(epoch: spaces.prepareForMark()), unlogged: remset.unlogged?.words)
        let live = spaces.markInPause(&record, policy: policy)
        record.scanPauseBytes += promotionScan
        heap.verifyMarks(&record, spaces.marks)
        remset.forgetAll(mutators: heap.world.mutators, blockEnd: heap.blocks.highWaterBlock, largePages: spaces.los.largePagesUsed)
        spaces.reclaim(into: &record)
        return live
    }
}
