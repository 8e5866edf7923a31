// The bump allocator: small objects bump-allocated through the holes (runs of free lines) of Immix blocks
// (the mark-region plans), or through whole blocks of a copy space (allocator kind `blocks`, the copying
// plans); the fast path, the same for both, inline in `Mutator.allocate`, everything else here.
//
// Order of business in the slow path, mirroring Immix: (1) the next hole of the current block; (2) for a
// medium object (over one line) that does not fit the current hole, the overflow region instead of
// skipping holes; (3) a new block from the space, which sweeps lazily; the trigger is checked first;
// (4) when no block is left, full collections, then the exhaustion error. Objects over 8 KiB go to the
// large-object space (LargeObjectAllocator.swift).
//
// While the barrier is on, each hole handed out pays the plan's assist and, if the plan allocates black,
// has its lines marked live at once and its objects' mark bits set when the region leaves it (objects in
// a hole are contiguous, so a header walk finds them). An assist may wait at a safepoint, so it runs
// before the object it pays for is carved out (a collection in between would free an object nothing
// references yet). `cursor` and `limit` are byte offsets from the heap base; `holeStart` lets the slow
// path count what was allocated in a hole when it leaves it, so the fast path keeps no counter.

import Synchronization

/// A thread-local bump region: the current hole of a thread's current block.
@usableFromInline
struct BumpRegion {
    @usableFromInline var cursor: Int = 0
    @usableFromInline var limit: Int = 0
    /// Start of the current hole.
    var holeStart: Int = 0
    /// The block being allocated into, or -1.
    var block: Int = -1
    /// The hole was handed out while the plan allocates black: its objects get their mark bits set when
    /// the region leaves it (`BumpAllocator.leaveHole`).
    var black = false
}

/// Writes a new small object's header and zeroes its fields and payload: the fast paths' store sequence.
/// Zeroing here, where the header store brings the line into the cache anyway (as HotSpot's inline TLAB
/// path does), costs less than a separate pass over each hole, and never zeroes what is not allocated.
@inlinable @inline(__always)
func initializeSmallObject(_ object: UnsafeMutableRawPointer, header: ObjectHeader, bytes: Int) {
    object.storeBytes(of: header.bits, as: UInt64.self)
    var word = 8
    while word < bytes {
        object.storeBytes(of: 0, toByteOffset: word, as: UInt64.self)
        word &+= 8
    }
}

/// The plan's assist: (context, bytes allocated); it marks its share before the allocation goes on.
typealias AssistHook = @convention(c) (UnsafeMutableRawPointer, Int) -> Void

/// What allocation does while the barrier is on, as the plan set it.
struct AllocationWhileMarking {
    /// Objects allocated while the barrier is on are black (marked, never scanned); else white.
    var black = false
    /// Where the bytes of objects allocated black are counted (the plan reads it at termination).
    var blackBytes: UnsafeMutablePointer<Atomic<Int>>? = nil
    /// Paid for every hole and large object handed out while the barrier is on.
    var assist: AssistHook? = nil
    /// The flag that says the plan is collecting, for the allocators' decisions (pay the assist, allocate
    /// black), when it is not the barrier flag: a plan that collects without a write barrier (Baker's
    /// read barrier) keeps stores on their fast path. Nil: the barrier flag.
    var collecting: UnsafeMutablePointer<Atomic<UInt32>>? = nil
}

extension UnsafeMutablePointer where Pointee == MutatorContext {
    /// True while the plan collects (see `AllocationWhileMarking.collecting`).
    var collectingNow: Bool {
        (pointee.whileMarking.collecting ?? pointee.barrierFlag).pointee.load(ordering: .relaxed) != 0
    }
}

/// A mutator's bump allocator over the Immix space, with the large-object space beside it.
@usableFromInline
struct BumpAllocator {
    /// The main region, which the fast path bumps.
    @usableFromInline var tlab = BumpRegion()
    /// Immix's overflow region, for medium objects (over a line) that do not fit the current hole.
    var overflow = BumpRegion()
    /// The spaces it allocates in (nil until a plan installs them; a plan that never selects this
    /// allocator leaves `tlab` empty, so its fast path always misses).
    var space: Unmanaged<ImmixSpace>? = nil
    var largeObjects: Unmanaged<TreadmillSpace>? = nil
    /// The copy space whose whole blocks it bumps through (allocator kinds `blocks` and `prefixed`).
    var copySpace: Unmanaged<CopySpace>? = nil
    /// Allocator kind `prefixed` (Brooks): the region its fast path bumps (`tlab` stays empty).
    @usableFromInline var prefixed = BumpRegion()
    /// Where a copying plan's mutator puts the objects its read or write barrier copies (grey copies,
    /// kept apart from the black objects it allocates). The plan retires it.
    var copies = BumpRegion()
    /// While the barrier is on, a copying plan hands out a block's space in steps of this many bytes,
    /// paying its assist for each (0: whole blocks at once).
    var stepWhileCopying = 0

    /// The inline fast path: bump the cursor, write the header, zero the body. Nil when the object does
    /// not fit the current region. The caller checked the shape and that the object is small.
    @inlinable @inline(__always)
    static func allocateFast(_ ctx: UnsafeMutablePointer<MutatorContext>, bytes: Int, header: ObjectHeader) -> ObjectRef? {
        let cursor = ctx.pointee.bump.tlab.cursor
        let end = cursor &+ bytes
        guard _fastPath(end <= ctx.pointee.bump.tlab.limit) else { return nil }
        ctx.pointee.bump.tlab.cursor = end
        initializeSmallObject(ctx.pointee.base + cursor, header: header, bytes: bytes)
        return ObjectRef(offset: cursor)
    }

    /// The fast path of allocator kind `prefixed`: as `allocateFast`, with a forwarding word in front of
    /// the object naming the object itself (Brooks: every access goes through it).
    @inlinable @inline(__always)
    static func allocateFastPrefixed(_ ctx: UnsafeMutablePointer<MutatorContext>, bytes: Int, header: ObjectHeader) -> ObjectRef? {
        let cursor = ctx.pointee.bump.prefixed.cursor
        let end = cursor &+ 8 &+ bytes
        guard _fastPath(end <= ctx.pointee.bump.prefixed.limit) else { return nil }
        ctx.pointee.bump.prefixed.cursor = end
        let object = ObjectRef(offset: cursor &+ 8)
        (ctx.pointee.base + cursor).storeBytes(of: UInt64(object.raw), as: UInt64.self)
        initializeSmallObject(ctx.pointee.base + (cursor &+ 8), header: header, bytes: bytes)
        return object
    }

    /// The slow path (see the top of the file).
    static func allocateSlow(_ m: Mutator, header: ObjectHeader, heap: Heap) throws(HeapError) -> ObjectRef {
        m.poll()
        let bytes = header.bytes
        if bytes > HeapGeometry.largeObjectThreshold { return try allocateLarge(m, header: header, heap: heap) }
        let ctx = m.ctx
        let useOverflow = bytes > HeapGeometry.lineBytes && ctx.pointee.bump.tlab.block >= 0
        let offset = try bumpAllocate(m, bytes: bytes, in: useOverflow ? overflowRegion(ctx) : tlabRegion(ctx), heap: heap)
        return m.initializeObject(at: offset, header: header, bodyIsZero: false)
    }

    /// An object above the large-object threshold gets a cell of its own in the large-object space.
    /// With a `prefix` (Brooks), the cell holds the forwarding word, then the object.
    static func allocateLarge(_ m: Mutator, header: ObjectHeader, heap: Heap, prefix: Int = 0) throws(HeapError) -> ObjectRef {
        let cell = try LargeObjectAllocator.allocate(m, bytes: header.bytes + prefix, heap: heap)
        if prefix > 0 { (m.ctx.pointee.base + cell.offset).storeBytes(of: UInt64(ObjectRef(offset: cell.offset + prefix).raw), as: UInt64.self) }
        let object = m.initializeObject(at: cell.offset + prefix, header: header, bodyIsZero: cell.fresh)
        m.ctx.pointee.remembering.noteBornOld(object.raw, bytes: header.bytes)
        return object
    }

    static func tlabRegion(_ ctx: UnsafeMutablePointer<MutatorContext>) -> UnsafeMutablePointer<BumpRegion> {
        (UnsafeMutableRawPointer(ctx) + MemoryLayout<MutatorContext>.offset(of: \.bump.tlab)!).assumingMemoryBound(to: BumpRegion.self)
    }

    static func overflowRegion(_ ctx: UnsafeMutablePointer<MutatorContext>) -> UnsafeMutablePointer<BumpRegion> {
        (UnsafeMutableRawPointer(ctx) + MemoryLayout<MutatorContext>.offset(of: \.bump.overflow)!).assumingMemoryBound(to: BumpRegion.self)
    }

    /// Bump-allocates `bytes` in `region`, moving to the next hole or block as needed.
    private static func bumpAllocate(_ m: Mutator, bytes: Int, in region: UnsafeMutablePointer<BumpRegion>,
                                     heap: Heap) throws(HeapError) -> Int {
        let ctx = m.ctx
        let accounting = heap.accounting
        var retries = AllocationRetries(heap)
        while true {
            let cursor = region.pointee.cursor
            if cursor + bytes <= region.pointee.limit {
                region.pointee.cursor = cursor + bytes
                return cursor
            }
            let found = ctx.pointee.bump.space.unsafelyUnwrapped._withUnsafeGuaranteedRef { space -> Bool in
                // The next hole of the current block.
                if region.pointee.block >= 0 {
                    let block = region.pointee.block
                    let fromLine = (region.pointee.limit - (block << HeapGeometry.blockShift)) >> HeapGeometry.lineShift
                    leaveHole(ctx, region, space)
                    if let hole = space.nextHole(in: block, fromLine: fromLine) {
                        take(hole: hole, ctx, region, space, heap)
                        return true
                    }
                    space.retire(block)
                    region.pointee = BumpRegion()
                }
                return false
            }
            if found { continue }
            // A new block: first the trigger.
            if retries.collectAtTrigger(accounting.pointee.reachedTrigger(), m, heap) { continue }
            let marking = ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0
            if let block = ctx.pointee.bump.space.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.acquireBlock(marking: marking) }) {
                let start = block << HeapGeometry.blockShift
                region.pointee = BumpRegion(cursor: start, limit: start, holeStart: start, block: block)
                continue
            }
            try retries.collectOrFail(bytes, m, heap)  // no block left
        }
    }

    private static func take(hole: (start: Int, end: Int), _ ctx: UnsafeMutablePointer<MutatorContext>,
                             _ region: UnsafeMutablePointer<BumpRegion>, _ space: ImmixSpace, _ heap: Heap) {
        region.pointee.cursor = hole.start
        region.pointee.limit = hole.end
        region.pointee.holeStart = hole.start
        let size = hole.end - hole.start
        heap.accounting.pointee.noteHandedOut(size)
        if ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0 {
            if ctx.pointee.whileMarking.black {
                space.markHoleLive(start: hole.start, end: hole.end)
                region.pointee.black = true
            }
            ctx.pointee.whileMarking.assist?(UnsafeMutableRawPointer(ctx), size)
        }
        heap.accounting.pointee.sample(heap.stats)
    }

    /// The region leaves its current hole: count what was allocated there and, if the hole was black,
    /// set the mark bits of its objects (they are contiguous from `holeStart` to `cursor`).
    static func leaveHole(_ ctx: UnsafeMutablePointer<MutatorContext>, _ region: UnsafeMutablePointer<BumpRegion>, _ space: ImmixSpace) {
        let start = region.pointee.holeStart, end = region.pointee.cursor
        space.accounting.pointee.noteAllocated(end - start)
        if region.pointee.black {
            var offset = start, newlyMarked = 0
            while offset < end {
                let size = ObjectHeader(bits: (space.base + offset).load(as: UInt64.self)).bytes
                if space.markBitmap.testAndSet(ObjectRef(offset: offset).raw) { newlyMarked += size }
                offset += size
            }
            if newlyMarked > 0 { ctx.pointee.whileMarking.blackBytes?.pointee.add(newlyMarked, ordering: .relaxed) }
            region.pointee.black = false
        }
        region.pointee.holeStart = end
    }

    /// The slow path through whole blocks of a copy space: the current block is full, so the next one,
    /// after the trigger, if the copy reserve allows; else a full collection (which empties to-space of
    /// garbage), then the exhaustion error (while an incremental collection runs, the mutator first helps
    /// it finish). There are no holes: a copy space is never swept. `prefix` is
    /// 8 under Brooks (a forwarding word in front of each object). While the barrier is on and the plan
    /// set `stepWhileCopying`, a block is handed out a step at a time, each step paying the plan's assist
    /// first (Baker's k: copying work in proportion to allocation).
    static func allocateSlowInBlocks(_ m: Mutator, header: ObjectHeader, heap: Heap, prefix: Int = 0) throws(HeapError) -> ObjectRef {
        m.poll()
        let bytes = header.bytes
        if bytes > HeapGeometry.largeObjectThreshold { return try allocateLarge(m, header: header, heap: heap, prefix: prefix) }
        let ctx = m.ctx
        let region = prefix == 0 ? tlabRegion(ctx) : prefixedRegion(ctx)
        let accounting = heap.accounting
        var retries = AllocationRetries(heap)
        var helps = 0
        while true {
            let cursor = region.pointee.cursor
            if cursor + prefix + bytes <= region.pointee.limit {
                region.pointee.cursor = cursor + prefix + bytes
                if prefix > 0 { (ctx.pointee.base + cursor).storeBytes(of: UInt64(ObjectRef(offset: cursor + prefix).raw), as: UInt64.self) }
                return m.initializeObject(at: cursor + prefix, header: header, bodyIsZero: false)
            }
            if region.pointee.block >= 0 && stepWithinBlock(ctx, region, bytes: prefix + bytes) { continue }
            retireBlockRegion(region, accounting)
            if retries.collectAtTrigger(accounting.pointee.reachedTrigger(), m, heap) { continue }
            if let block = ctx.pointee.bump.copySpace.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.acquireMutatorBlock() }) {
                let start = block << HeapGeometry.blockShift
                region.pointee = BumpRegion(cursor: start, limit: start, holeStart: start, block: block)
                accounting.pointee.noteHandedOut(HeapGeometry.blockBytes)
                accounting.pointee.sample(heap.stats)
                _ = stepWithinBlock(ctx, region, bytes: prefix + bytes)
                continue
            }
            // No block the copy reserve allows. An incremental collection running: help it finish (its
            // end gives from-space back) before a full collection.
            if ctx.collectingNow, let assist = ctx.pointee.whileMarking.assist, helps < 4096 {
                helps += 1
                assist(UnsafeMutableRawPointer(ctx), HeapGeometry.blockBytes)
                continue
            }
            try retries.collectOrFail(bytes, m, heap)
        }
    }

    /// Opens more of the region's block for `bytes`: the rest of it, or while the plan copies one step
    /// of `stepWhileCopying` bytes after paying the plan's assist for it. False when the block is full.
    private static func stepWithinBlock(_ ctx: UnsafeMutablePointer<MutatorContext>, _ region: UnsafeMutablePointer<BumpRegion>, bytes: Int) -> Bool {
        let blockEnd = (region.pointee.block + 1) << HeapGeometry.blockShift
        guard region.pointee.cursor + bytes <= blockEnd else { return false }
        let step = ctx.pointee.bump.stepWhileCopying
        if step == 0 || !ctx.collectingNow {
            region.pointee.limit = blockEnd
            return true
        }
        let block = region.pointee.block
        let limit = min(blockEnd, max(region.pointee.limit, region.pointee.cursor) + max(step, bytes))
        ctx.pointee.whileMarking.assist?(UnsafeMutableRawPointer(ctx), limit - region.pointee.limit)
        // The assist may have waited at a safepoint, where a collection may have retired the region.
        if region.pointee.block == block { region.pointee.limit = limit }
        return true
    }

    static func prefixedRegion(_ ctx: UnsafeMutablePointer<MutatorContext>) -> UnsafeMutablePointer<BumpRegion> {
        (UnsafeMutableRawPointer(ctx) + MemoryLayout<MutatorContext>.offset(of: \.bump.prefixed)!).assumingMemoryBound(to: BumpRegion.self)
    }

    /// A whole-block region is left: what it allocated is counted, and it is emptied.
    static func retireBlockRegion(_ region: UnsafeMutablePointer<BumpRegion>, _ accounting: UnsafeMutablePointer<HeapAccounting>) {
        accounting.pointee.noteAllocated(region.pointee.cursor - region.pointee.holeStart)
        region.pointee = BumpRegion()
    }

    /// Retires both regions of a mutator (its owner leaving, or a collector with the world stopped): what
    /// they allocated is counted, black holes get their mark bits, and the next allocation takes a new hole.
    static func retire(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        // Inside a verify-mode `withPayload` the fast paths are closed by switching the kind: the plan's is saved.
        let kind = ctx.pointee.rawAccessDepth != 0 ? ctx.pointee.rawAccessSavedAllocator : ctx.pointee.allocator
        if kind == .blocks || kind == .prefixed {  // whole blocks: no holes, no overflow
            let accounting = ctx.pointee.heap._withUnsafeGuaranteedRef { $0.accounting }
            retireBlockRegion(kind == .blocks ? tlabRegion(ctx) : prefixedRegion(ctx), accounting)
            return
        }
        guard let space = ctx.pointee.bump.space else { return }
        space._withUnsafeGuaranteedRef { space in
            for region in [tlabRegion(ctx), overflowRegion(ctx)] {
                leaveHole(ctx, region, space)
                region.pointee = BumpRegion()
            }
        }
    }
}
