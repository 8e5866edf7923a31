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
//          lazy sweep; the remembered set is forgotten. With `--major concurrent` the mark runs while
//          mutators do, minors going on meanwhile (GenCopyConcurrentMajor.swift); a full collection
//          (explicit, or memory ran out) finishes that mark and runs a whole major in its pause.
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
    /// The old objects (a bit where an old object's header is): the card scan's view, which a
    /// concurrent major's mark (clearing and refilling the mark bitmap) does not disturb.
    let old: MarkBitmap
    /// `--major concurrent`: the background mark of the mature space; nil with `--major stw`.
    private(set) var major: ConcurrentMajor?
    /// The marking barrier of a concurrent major.
    let barrier: BarrierKind
    /// Bytes promoted and large bytes allocated (black) while a concurrent mark runs.
    @exclusivity(unchecked) private var blackDuringMark = 0
    /// The worker asks for the termination pause of this mark (its number; 0: none).
    private let terminationRequested = Atomic<Int>(0)
    private let largeBlackBytes: UnsafeMutablePointer<Atomic<Int>>

    init(heap: Heap) {
        self.heap = heap
        nursery = CopySpace(heap: heap)
        spaces = MarkRegion(heap: heap, stickyMarks: true)
        guard let old = MarkBitmap(granules: heap.reservationBytes / HeapGeometry.granuleBytes) else {
            fatalError("gclab: gencopy: could not map the bitmap of old objects")
        }
        self.old = old
        remset = RememberedSet(heap: heap, mode: heap.configuration.rememberedSetMode, cardBytes: heap.configuration.cardBytes,
                               oldObjects: old)
        generations = GenerationState(heap.configuration)
        barrier = heap.configuration.barrier
        largeBlackBytes = .allocate(capacity: 1)
        largeBlackBytes.initialize(to: Atomic(0))
        if heap.configuration.genCopyMajor == "concurrent" {
            let major = ConcurrentMajor(heap: heap, nurseryOwner: nursery.owner)
            major.terminate = { [unowned(unsafe) self] n in self.requestTermination(of: n) }
            self.major = major
        }
    }

    deinit {
        old.free()
        largeBlackBytes.deinitialize(count: 1)
        largeBlackBytes.deallocate()
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
        guard let major else { return }
        let state = UnsafeMutablePointer<GenCopyMutatorState>.allocate(capacity: 1)
        state.initialize(to: GenCopyMutatorState(barrier: barrier.id, policy: major.policy(epoch: 0), base: heap.base,
                                                 major: .passUnretained(major), shadeBuffer: RawStack(capacity: GenCopyMutatorState.shadeCapacity)))
        ctx.pointee.planState = UnsafeMutableRawPointer(state)
        ctx.pointee.writeBarrierSlow = GenCopyBarrier.slowPath
        // Large objects allocated while the mature space is marked are black.
        ctx.pointee.whileMarking = AllocationWhileMarking(black: true, blackBytes: largeBlackBytes)
    }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        BumpAllocator.retire(ctx)
        remset.mutatorLeaving(ctx)
        guard let major else { return }
        let state = ctx.planState(GenCopyMutatorState.self)
        major.flush(state)
        state.pointee.shadeBuffer.free()
        state.deinitialize(count: 1)
        state.deallocate()
        ctx.pointee.planState = nil
    }

    func shutdown() { major?.shutdown() }

    func collect(_ generation: Generation, forced: Bool, _ record: inout CycleRecord) -> GenerationOutcome {
        let bornOld = remset.takeBornOldBytes(mutators: heap.world.mutators)
        record.planColumns["major_phase"] = ""
        guard let major else { return collectStopped(generation, &record, bornOld: bornOld) }
        if major.isMarking {
            major.park()
            defer { major.resume() }
            let terminating = forced || generations.schedule.nearLimit || terminationRequested.load(ordering: .relaxed) == major.currentSequence
            if !terminating {  // a minor while the mature space is marked: promotion is black
                let promoted = evacuateNursery(&record)
                blackDuringMark += promoted + bornOld
                return GenerationOutcome(generation: .minor, mature: generations.schedule.matureBytes + promoted + bornOld)
            }
            blackDuringMark += bornOld
            let live = finishMark(&record, major)
            guard forced else { return GenerationOutcome(generation: .major, mature: live, live: live, young: nursery.toSpaceBytes) }
            record.planColumns["major_phase"] = "concurrent-end+stw"
            return collectStopped(.major, &record, bornOld: 0)
        }
        guard generation == .major && !forced else { return collectStopped(generation, &record, bornOld: bornOld) }
        // The rule asks for a major: a minor, then the mark starts.
        let promoted = evacuateNursery(&record)
        startMark(&record, major)
        return GenerationOutcome(generation: .minor, mature: generations.schedule.matureBytes + promoted + bornOld)
    }

    /// A collection entirely in this pause (`--major stw`, or a full collection).
    private func collectStopped(_ generation: Generation, _ record: inout CycleRecord, bornOld: Int) -> GenerationOutcome {
        let promoted = evacuateNursery(&record)
        switch generation {
        case .minor: return GenerationOutcome(generation: .minor, mature: generations.schedule.matureBytes + promoted + bornOld)
        case .major:
            if record.planColumns["major_phase"] == "" { record.planColumns["major_phase"] = "stw" }
            let live = markMature(&record)
            return GenerationOutcome(generation: .major, mature: live, live: live)
        }
    }

    /// Promotes the nursery's survivors. Returns the bytes promoted.
    private func evacuateNursery(_ record: inout CycleRecord) -> Int {
        let verify = heap.configuration.verify
        let digestBefore = verify ? GraphDigest.compute(heap: heap) : 0
        nursery.flip()
        var promotion = NurseryPromotion(heap: heap, nursery: nursery, mature: spaces.immix, oldObjects: old, unlogged: remset.unlogged,
                                         marking: major?.isMarking ?? false)
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

    /// A stop-the-world major collection's mark of the mature space (the nursery is empty). Returns the
    /// live bytes.
    private func markMature(_ record: inout CycleRecord) -> Int {
        let promotionScan = record.scanPauseBytes
        if remset.mode == .object { spaces.immix.forEachBlock { remset.clearUnlogged(block: $0) } }
        let policy = GenerationalMajorPolicy(immix: spaces.markPolicy(epoch: spaces.prepareForMark()), unlogged: remset.unlogged)
        let live = spaces.markInPause(&record, policy: policy)
        record.scanPauseBytes += promotionScan
        heap.verifyMarks(&record, spaces.marks)
        remset.forgetAll(mutators: heap.world.mutators, blockEnd: heap.blocks.highWaterBlock, largePages: spaces.los.largePagesUsed)
        spaces.reclaim(into: &record)
        rebuildOld()
        return live
    }

    /// After a major mark (world stopped): the old objects are the marked ones.
    private func rebuildOld() {
        let bitmap = heap.markBitmap, old = self.old
        spaces.immix.forEachBlock { b in
            let first = b &* HeapGeometry.granulesPerBlock / 64
            for w in first..<(first + HeapGeometry.granulesPerBlock / 64) {
                old.words[w].store(bitmap.words[w].load(ordering: .relaxed), ordering: .relaxed)
            }
        }
    }

    // MARK: The concurrent major

    /// Mark start, in a minor collection's pause after its promotion (the nursery is empty).
    private func startMark(_ record: inout CycleRecord, _ major: ConcurrentMajor) {
        record.planColumns["major_phase"] = "concurrent-start"
        let epoch = spaces.prepareForMark()
        major.pool.setEpoch(epoch)
        var marker = Marker(base: heap.base, policy: major.policy(epoch: epoch), pool: major.pool)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.forEachRoot { raw, _ in marker.markRoot(raw) }
        major.startMarked = marker.markedBytes
        marker.returnWork()
        marker.free()
        major.workerMarked.store(0, ordering: .relaxed)
        major.workerScanned.store(0, ordering: .relaxed)
        major.shaded.store(0, ordering: .relaxed)
        major.workerCPU.store(0, ordering: .relaxed)
        largeBlackBytes.pointee.store(0, ordering: .relaxed)
        blackDuringMark = 0
        for r in heap.world.mutators { r.ctx.pointee.barrierSlowCount = 0 }
        major.startNs = record.startNs
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)
        major.markStartNs = heap.stats.elapsed()
        major.begin(epoch: epoch)
    }

    /// The worker found no grey object left in mark `n`: termination pauses until that mark is over (a
    /// pause that another thread started first may not have seen the request).
    private func requestTermination(of n: Int) {
        guard let major else { return }
        while major.isMarking(n) {
            terminationRequested.store(n, ordering: .relaxed)
            run(requester: nil, reason: .trigger, observedCycle: heap.completedCycles)
        }
    }

    /// Termination (world stopped, the worker not scanning): the shade buffers flushed, the roots marked
    /// again under an insertion barrier, the mark finished in the pause, verified, and the mature space
    /// reclaimed. Returns the live bytes.
    private func finishMark(_ record: inout CycleRecord, _ major: ConcurrentMajor) -> Int {
        let terminationStart = record.startNs
        for r in heap.world.mutators { major.flush(r.ctx.planState(GenCopyMutatorState.self)) }
        let epoch = spaces.immix.markEpoch
        var marker = Marker(base: heap.base, policy: major.policy(epoch: epoch), pool: major.pool)
        if barrier.rescansRoots { heap.forEachRoot { raw, _ in marker.markRoot(raw) } }
        while marker.refill() || !marker.isEmpty { marker.drain() }
        marker.returnWork()
        marker.free()
        heap.barrierFlag.pointee.store(0, ordering: .relaxed)
        major.end()
        terminationRequested.store(0, ordering: .relaxed)
        let black = blackDuringMark + largeBlackBytes.pointee.load(ordering: .relaxed)
        let live = major.startMarked + major.workerMarked.load(ordering: .relaxed) + major.shaded.load(ordering: .relaxed)
            + marker.markedBytes + black
        record.startNs = major.startNs
        record.concurrentMarkStartNs = major.markStartNs
        record.markTerminationStartNs = terminationStart
        record.markedObjects = marker.markedObjects
        record.scanPauseBytes = marker.scannedBytes
        record.scanBackgroundBytes = major.workerScanned.load(ordering: .relaxed)
        record.blackAllocatedBytes = black
        record.gcCPUNs = major.workerCPU.load(ordering: .relaxed)
        record.barrierSlowPaths = heap.world.mutators.reduce(0) { $0 + $1.ctx.pointee.barrierSlowCount }
        record.recordMajor()
        record.planColumns["major_phase"] = "concurrent-end"
        heap.verifyMarks(&record, MatureMarks(marks: spaces.marks, nursery: nursery.owner))
        spaces.reclaim(into: &record)
        rebuildOld()
        return live
    }
}

/// The verifier's view after a concurrent major: a nursery object is not part of the mark (it is kept);
/// a mature or large one survives if marked.
struct MatureMarks: MarkedObjects {
    let marks: ImmixMarks
    let nursery: UnsafeMutablePointer<UInt8>

    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool {
        if raw < marks.largeGranule && nursery[Int(raw >> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift))] != 0 { return true }
        return marks.checkAndKeep(raw, offset: offset, bytes: bytes)
    }
}
