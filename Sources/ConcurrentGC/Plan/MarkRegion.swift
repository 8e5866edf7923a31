// The spaces of the mark-region plans (stw, immix and concurrent): small objects in Immix blocks, marked with the
// heap's mark bitmap and line marks and reclaimed a line at a time by the lazy sweeper; large objects in a
// treadmill large-object space, marked by moving their cell from white straight to black (so its rings'
// GREY segments stay empty) and freed by its O(1) flip.
//
// One value of this type per plan instance bundles what both plans do the same way: how a marker marks
// (`ImmixMarkPolicy`), how a mutator allocates (the bump allocator over the Immix space, large objects in
// the treadmill space), how the verifier tells a marked object (`ImmixMarks`), and what a cycle does before
// and after marking (`prepareForMark`, `reclaim`).

import Synchronization

/// The Immix space and large-object space of a mark-region plan.
final class MarkRegion {
    unowned(unsafe) let heap: Heap
    let immix: ImmixSpace
    let los: TreadmillSpace

    /// With Steele's barrier: one bit per granule, set while a re-greyed object waits in a grey set to be
    /// scanned again (`ImmixMarkPolicy.queueForRescan`), so that it waits there once however often it is
    /// stored into. Without it a hot object (the LRU cache's table) was queued once per store: 1 GB of
    /// re-scans per cycle for 17 MB live, and seconds of finishing them in the termination pause.
    let rescanQueued: MarkBitmap?

    /// The spaces of a plan; a moving plan (immix) keeps `copyReserveBlocks` spare blocks for its copies, a
    /// generational one keeps its marks (`stickyMarks`, ImmixSpace.swift); a plan with a re-greying
    /// barrier keeps the bits of `rescanQueued`.
    init(heap: Heap, copyReserveBlocks: Int = 0, stickyMarks: Bool = false, regreying: Bool = false) {
        self.heap = heap
        rescanQueued = regreying ? MarkBitmap(granules: heap.reservationBytes / HeapGeometry.granuleBytes) : nil
        immix = ImmixSpace(base: heap.base, blockCount: heap.reservation.blockCount, markBitmap: heap.markBitmap,
                           lineMarks: heap.lineMarks, blocks: heap.blocks, accounting: heap.accounting,
                           poison: heap.configuration.verify, copyReserveBlocks: copyReserveBlocks,
                           stickyMarks: stickyMarks)
        los = TreadmillSpace(largeObjectsOf: heap)
    }

    /// How markers mark in the current cycle (epoch `epoch`).
    func markPolicy(epoch: UInt8) -> ImmixMarkPolicy {
        ImmixMarkPolicy(bitmap: heap.markBitmap, lineMarks: heap.lineMarks, epoch: epoch,
                        largeGranule: heap.reservation.largeGranule, los: .passUnretained(los), rescanQueued: rescanQueued)
    }

    deinit { rescanQueued?.free() }

    /// A new mutator allocates with the bump allocator over these spaces.
    func installAllocators(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.allocator = .bump
        ctx.pointee.bump.space = .passUnretained(immix)
        ctx.pointee.bump.largeObjects = .passUnretained(los)
    }

    /// Memory runs short: the Immix space's free blocks go back to the pool decommitted.
    func decommitFreeBlocks() -> Int {
        immix.decommitFreeBlocks(marking: heap.barrierFlag.pointee.load(ordering: .relaxed) != 0)
    }

    /// Retires every mutator's allocation regions (world stopped): their allocations are counted and the
    /// objects of black holes marked.
    func retireAllBuffers() {
        for r in heap.world.mutators { BumpAllocator.retire(r.ctx) }
    }

    /// Mark start (world stopped, buffers retired): a new mark epoch. Returns it.
    func prepareForMark() -> UInt8 { immix.prepareForMark() }

    /// The whole mark in a pause (world stopped, buffers retired, `policy` of the epoch just begun): one
    /// marker from every root, nothing moved. Fills the record's marked objects and scan work; returns
    /// the live bytes.
    func markInPause<Policy: MarkPolicy>(_ record: inout CycleRecord, policy: Policy) -> Int {
        var marker = Marker(base: heap.base, policy: policy)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.forEachRoot { raw, _ in marker.markRoot(raw) }
        marker.drain()
        marker.free()
        record.markedObjects = marker.markedObjects
        record.scanPauseBytes = marker.scannedBytes
        return marker.markedBytes
    }

    /// After marking and verification (world stopped): the census of the blocks (their live lines and
    /// holes: the fragmentation heap.csv shows, and the next defragmentation's statistics), the large
    /// objects' rings flip (unreached cells are freed, O(1) per ring) and every used block goes to the
    /// lazy sweeper (verify mode sweeps them now, poisoning freed lines at once). Returns the census.
    @discardableResult
    func reclaim(into record: inout CycleRecord) -> ImmixBlockCensus.Totals {
        let census = immix.takeCensus()
        heap.accounting.pointee.fragmented.store(census.fragmentedBytes, ordering: .relaxed)
        record.recordFlip(los.flip())
        immix.releaseAfterMark()
        if heap.configuration.verify { immix.sweepAllNow() }
        return census
    }

    /// The verifier's view of this cycle's marks.
    var marks: ImmixMarks {
        ImmixMarks(bitmap: heap.markBitmap, lineMarks: heap.lineMarks, epoch: immix.markEpoch,
                   largeGranule: heap.reservation.largeGranule, los: los)
    }
}

/// Marking in a mark-region plan: an Immix object's mark bit (atomic test-and-set) and, when scanned, its
/// lines; a large object's treadmill cell, moved from white to black (out of line: rare and locked).
struct ImmixMarkPolicy: MarkPolicy {
    let bitmap: MarkBitmap
    let lineMarks: LineMarkTable
    var epoch: UInt8
    /// References at or above this granule are large objects (no line marks, no mark bit).
    let largeGranule: UInt32
    let los: Unmanaged<TreadmillSpace>
    /// The plan's `MarkRegion.rescanQueued` (Steele's barrier), else nil.
    var rescanQueued: MarkBitmap? = nil

    @inline(__always)
    func attempt(_ raw: UInt32) -> Bool { raw < largeGranule ? bitmap.testAndSet(raw) : Self.markLarge(los, raw) }

    /// The scan of `raw` begins: its re-scan request (if any) is taken first, so that a store after this
    /// point queues it again, and a store before it is seen by the field reads that follow.
    @inline(__always)
    func scanning(_ raw: UInt32, offset: Int, bytes: Int) {
        if let queued = rescanQueued { queued.clearAcquiring(raw) }
        if raw < largeGranule { lineMarks.markObject(offset: offset, size: bytes, epoch: epoch) }
    }

    /// Steele's barrier re-greys `raw`: true when the caller must queue it, false when it is queued
    /// already and its scan has not begun (that scan will see the caller's store).
    @inline(__always)
    func queueForRescan(_ raw: UInt32) -> Bool {
        guard let queued = rescanQueued else { return true }
        return queued.testAndSetReleasing(raw)
    }

    /// Marks a large object (its cell goes from white to black); true when this call did. Static, and
    /// given the space alone, so that the caller passes two words rather than the policy.
    @inline(never)
    static func markLarge(_ los: Unmanaged<TreadmillSpace>, _ raw: UInt32) -> Bool { los._withUnsafeGuaranteedRef { $0.markReached(raw) } }

    /// Whether a marker or barrier reached `raw` in this cycle (Steele's barrier asks).
    func isReached(_ raw: UInt32) -> Bool {
        raw < largeGranule ? bitmap.isMarked(raw) : los._withUnsafeGuaranteedRef { $0.isReached(raw) }
    }
}

/// What the checkmark verifier needs of a plan's marks.
protocol MarkedObjects {
    /// Whether the collector marked the object at `raw` (byte `offset`, `bytes` long) so that it
    /// survives this cycle. If it did not, marks it so that it does (the object is lost; the verifier
    /// counts it) and returns false.
    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool
}

/// The marks of a mark-region plan: an Immix object survives if its mark bit is set and every line it
/// covers carries this mark's epoch; a large object if its cell is not white.
struct ImmixMarks: MarkedObjects {
    let bitmap: MarkBitmap
    let lineMarks: LineMarkTable
    let epoch: UInt8
    let largeGranule: UInt32
    let los: TreadmillSpace

    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool {
        if raw >= largeGranule { return !los.markReached(raw) }  // a white cell is moved to black: kept
        let unmarked = bitmap.testAndSet(raw)
        var linesMissing = false
        for line in (offset >> HeapGeometry.lineShift)...((offset + bytes - 1) >> HeapGeometry.lineShift)
        where lineMarks.mark(line) != epoch { linesMissing = true }
        if unmarked || linesMissing {
            lineMarks.markObject(offset: offset, size: bytes, epoch: epoch)
            return false
        }
        return true
    }
}
