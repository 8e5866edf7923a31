// The cell allocator of plans whose objects are treadmill cells (the treadmill plan): every object is a
// cell of its size class's ring. A thread keeps a small stack of free cells per small class (its cell
// cache) and takes the ring's lock only once per `batch` cells; the fast path, inline in
// `Mutator.allocate`, pops a cached cell.
//
// Baker's rule lives here too, as allocation work: while the space has grey cells (`workDue` > 0), every
// allocation owes `workPerAllocation` scan steps (Baker's k), paid by the slow path `workBatch` steps at
// a time so that the fast path only counts. When marking is done the plan may have the barrier switched
// off here (`stopBarrierWhenMarked`), until its next flip switches it on.
//
// Invariant: a cached cell is black in its ring (allocated, not yet holding an object). No reference to it
// exists, so no scan or barrier ever touches it; before a flip the cache gives its cells back (black to
// free), so an unused cell never survives as floating garbage and the flip's black count stays exact. The
// cells handed to this thread since the last give-back, less those given back, are the cells it allocated
// (`giveBack` reports them): allocated black, they survive the cycle without being reached.
// The shared counters are updated once per batch: the cells count as in use from the moment they are
// taken (as a bump allocator's buffer does), the objects' bytes as allocated when the next batch is taken.

import Synchronization

/// A mutator's cell allocator (the fast-path fields first).
@usableFromInline
struct CellAllocator {
    /// Per small class, the cells cached, and their offsets (`batch` slots per class).
    @usableFromInline var counts: UnsafeMutablePointer<Int>? = nil
    @usableFromInline var offsets: UnsafeMutablePointer<Int>? = nil
    /// The small class of each object size in granules.
    @usableFromInline var classOfGranules: UnsafePointer<UInt8>? = nil
    /// Scan steps owed per allocation while `workDue` is positive (Baker's k), and owed now.
    @usableFromInline var workPerAllocation = 0
    @usableFromInline var workOwed = 0
    /// The space's count of grey cells.
    @usableFromInline var workDue: UnsafePointer<Atomic<Int>>? = nil
    /// Bytes of objects allocated, not yet added to the heap's count.
    @usableFromInline var pendingAllocatedBytes = 0

    var space: Unmanaged<TreadmillSpace>? = nil
    /// Whether the barrier goes off once no grey cell is left (the plan's choice).
    var stopBarrierWhenMarked = false
    /// The size class where this thread's last scan step found work.
    var scanHint = 0
    /// Bytes this thread scanned paying its allocation work, since the plan last took the figure.
    var scannedBytes = 0
    /// Cells (and their bytes) taken from the rings since the last give-back.
    var takenCells = 0
    var takenCellBytes = 0

    /// Cells taken from a ring at once.
    @inlinable static var batch: Int { 32 }
    /// Scan steps paid at once.
    @inlinable static var workBatch: Int { 16 }

    /// The cache of a new mutator of `space`.
    init() {}

    init(space: TreadmillSpace, workPerAllocation: Int, stopBarrierWhenMarked: Bool) {
        let classes = TreadmillSizeClasses.smallCount
        offsets = .allocate(capacity: classes * CellAllocator.batch)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: classes)
        counts.initialize(repeating: 0, count: classes)
        self.counts = counts
        classOfGranules = UnsafePointer(space.classOfGranules)
        workDue = UnsafePointer(space.greyTotal)
        self.workPerAllocation = workPerAllocation
        self.stopBarrierWhenMarked = stopBarrierWhenMarked
        self.space = .passUnretained(space)
    }

    /// Frees the cache (its cells must have been given back).
    func free() {
        offsets?.deallocate()
        counts?.deallocate()
    }

    /// The inline fast path: a cached cell of the object's class, when one is cached and no scan work is
    /// due; nil otherwise. The caller checked the shape and that the object is small.
    @inlinable @inline(__always)
    static func allocateFast(_ ctx: UnsafeMutablePointer<MutatorContext>, bytes: Int, header: ObjectHeader) -> ObjectRef? {
        let c = Int(ctx.pointee.cells.classOfGranules.unsafelyUnwrapped[bytes &>> HeapGeometry.granuleShift])
        let counts = ctx.pointee.cells.counts.unsafelyUnwrapped
        let n = counts[c]
        guard _fastPath(n > 0) else { return nil }
        if ctx.pointee.cells.workDue.unsafelyUnwrapped.pointee.load(ordering: .relaxed) > 0 {
            let owed = ctx.pointee.cells.workOwed &+ ctx.pointee.cells.workPerAllocation
            guard _fastPath(owed < CellAllocator.workBatch) else { return nil }
            ctx.pointee.cells.workOwed = owed
        }
        counts[c] = n &- 1
        let offset = ctx.pointee.cells.offsets.unsafelyUnwrapped[c &* CellAllocator.batch &+ n &- 1]
        ctx.pointee.cells.pendingAllocatedBytes &+= bytes
        initializeSmallObject(ctx.pointee.base + offset, header: header, bytes: bytes)  // a reused cell holds old bytes
        return ObjectRef(offset: offset)
    }

    /// The slow path: the scan work owed, the trigger, then a cell (refilling the cache, or a large cell),
    /// trimming free large cells and collecting when memory runs out.
    static func allocateSlow(_ m: Mutator, header: ObjectHeader, heap: Heap) throws(HeapError) -> ObjectRef {
        m.poll()
        let ctx = m.ctx
        let bytes = header.bytes
        let accounting = heap.accounting
        let result = ctx.pointee.cells.space.unsafelyUnwrapped._withUnsafeGuaranteedRef { space in
            Result { () throws(HeapError) -> ObjectRef in
                payWork(ctx, space)
                var retries = AllocationRetries(heap)
                _ = retries.collectAtTrigger(accounting.pointee.pastTrigger(adding: bytes), m, heap)
                let c = space.sizeClass(bytes: bytes)
                while true {
                    if c < TreadmillSizeClasses.smallCount {
                        if let offset = pop(ctx, c, bytes: bytes, space: space, heap: heap) {
                            return m.initializeObject(at: offset, header: header, bodyIsZero: false)
                        }
                    } else if let cell = space.allocate(bytes: bytes, black: true) {
                        accounting.pointee.noteHandedOut(cell.cellBytes)
                        accounting.pointee.noteAllocated(bytes)
                        ctx.pointee.cells.takenCells &+= 1
                        ctx.pointee.cells.takenCellBytes &+= cell.cellBytes
                        accounting.pointee.sample(heap.stats)
                        return m.initializeObject(at: cell.offset, header: header, bodyIsZero: cell.fresh)
                    }
                    // Memory short: the free large cells' pages, then the free small chunks' blocks
                    // (the pool uncommits those itself), before a full collection.
                    let trimmed = space.trimFreeLargeCells()
                    if trimmed > 0 { accounting.pointee.uncommit(trimmed) }
                    if trimmed + space.releaseFreeSmallChunks() > 0 { continue }
                    try retries.collectOrFail(bytes, m, heap)
                }
            }
        }
        return try result.get()
    }

    /// Baker's rule: the scan steps owed, with this allocation's, while grey cells remain; once none is
    /// left, the barrier goes off if the plan allows it.
    private static func payWork(_ ctx: UnsafeMutablePointer<MutatorContext>, _ space: TreadmillSpace) {
        // Zero also means no snapshot barrier is between its exchange and its shade (TreadmillBarrier.swift).
        if space.greyTotal.pointee.load(ordering: .sequentiallyConsistent) > 0 {
            let owed = ctx.pointee.cells.workOwed &+ ctx.pointee.cells.workPerAllocation
            if owed >= CellAllocator.workBatch {
                ctx.pointee.cells.scannedBytes &+= space.scan(steps: owed, hint: &ctx.pointee.cells.scanHint).bytes
                ctx.pointee.cells.workOwed = 0
            } else {
                ctx.pointee.cells.workOwed = owed
            }
        } else if ctx.pointee.cells.stopBarrierWhenMarked && ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0 {
            ctx.pointee.barrierFlag.pointee.store(0, ordering: .relaxed)
        }
    }

    /// A cached cell of small class `c`, refilling the cache from the ring when empty; nil when the ring
    /// has no memory left.
    private static func pop(_ ctx: UnsafeMutablePointer<MutatorContext>, _ c: Int, bytes: Int, space: TreadmillSpace, heap: Heap) -> Int? {
        let counts = ctx.pointee.cells.counts.unsafelyUnwrapped
        let slots = ctx.pointee.cells.offsets.unsafelyUnwrapped + c * CellAllocator.batch
        if counts[c] == 0 {
            let n = space.allocateBlack(sizeClass: c, max: CellAllocator.batch, into: slots)
            guard n > 0 else { return nil }
            counts[c] = n
            let cellBytes = space.info[c].cellBytes
            heap.accounting.pointee.noteHandedOut(n * cellBytes)
            heap.accounting.pointee.noteAllocated(ctx.pointee.cells.pendingAllocatedBytes)
            ctx.pointee.cells.pendingAllocatedBytes = 0
            ctx.pointee.cells.takenCells &+= n
            ctx.pointee.cells.takenCellBytes &+= n * cellBytes
            heap.accounting.pointee.sample(heap.stats)
        }
        counts[c] -= 1
        ctx.pointee.cells.pendingAllocatedBytes &+= bytes
        return slots[counts[c]]
    }

    /// Gives every cached cell back to its ring as free (before a flip, or when the thread leaves), adds
    /// the pending allocated bytes to the heap's count, and returns the cells this thread allocated since
    /// the last give-back and their bytes.
    static func giveBack(_ ctx: UnsafeMutablePointer<MutatorContext>, accounting: UnsafeMutablePointer<HeapAccounting>) -> (cells: Int, bytes: Int) {
        guard let space = ctx.pointee.cells.space, let counts = ctx.pointee.cells.counts,
              let offsets = ctx.pointee.cells.offsets else { return (0, 0) }
        var cells = ctx.pointee.cells.takenCells, bytes = ctx.pointee.cells.takenCellBytes
        space._withUnsafeGuaranteedRef { space in
            for c in 0..<TreadmillSizeClasses.smallCount where counts[c] > 0 {
                space.unallocate(UnsafeBufferPointer(start: offsets + c * CellAllocator.batch, count: counts[c]))
                cells -= counts[c]
                bytes -= counts[c] * space.info[c].cellBytes
                counts[c] = 0
            }
        }
        accounting.pointee.noteAllocated(ctx.pointee.cells.pendingAllocatedBytes)
        ctx.pointee.cells.pendingAllocatedBytes = 0
        ctx.pointee.cells.takenCells = 0
        ctx.pointee.cells.takenCellBytes = 0
        return (cells, bytes)
    }
}
