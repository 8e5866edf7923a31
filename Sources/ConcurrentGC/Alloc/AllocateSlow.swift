// The allocation slow path: everything but the bump.
//
// Order of business, mirroring Immix: (1) the next hole of the current block; (2) for a medium object
// (over one line) that does not fit the current hole, the overflow region instead of skipping holes;
// (3) a new block from the space, which sweeps lazily; the trigger and the safepoint poll are checked
// here; (4) when no block is left, full collections (two at most: a concurrent cycle's snapshot may keep
// what died after it began), then the exhaustion error. Large objects go to the large-object space.
//
// While a concurrent mark runs, each hole handed out also pays the mutator's assist debt, and with black
// allocation the hole's lines are marked live at once and its objects' mark bits set when the region
// leaves it. An assist may wait at a safepoint, so it always runs before the object it pays for is
// carved out (a collection in between would free an object nothing references yet). Objects are zeroed one by one as they are allocated (the fast path zeroes its own).
// Any call that may collect resets this mutator's regions, so the code re-reads them through the context
// pointer after each such call instead of holding copies.

import Glibc

extension Mutator {
    @usableFromInline @inline(never)
    func allocateSlow(bytes: Int, referenceCount: Int, payloadBytes: Int, shape: UInt8) throws(HeapError) -> ObjectRef {
        guard referenceCount >= 0, payloadBytes >= 0, referenceCount <= ObjectHeader.maxReferenceFields else {
            throw HeapError.invalidShape(referenceCount: referenceCount, payloadBytes: payloadBytes)
        }
        guard bytes <= ObjectHeader.maxObjectBytes else {
            throw HeapError.objectTooLarge(bytes: bytes, maxBytes: ObjectHeader.maxObjectBytes)
        }
        let header = ObjectHeader(granules: bytes >> HeapGeometry.granuleShift, referenceCount: referenceCount,
                                  shape: shape, large: bytes > HeapGeometry.largeObjectThreshold)
        if let collector = ctx.pointee.treadmillCollector {  // every object is a treadmill cell
            return try allocateCell(collector, header: header)
        }
        let heap = ctx.pointee.heap.takeUnretainedValue()
        if let error = heap.failureError { throw error }
        poll()
        if bytes > HeapGeometry.largeObjectThreshold {
            let cell = try allocateLarge(bytes: bytes, heap: heap)
            return initializeObject(at: cell.offset, header: header, bodyIsZero: cell.fresh)
        }
        let useOverflow = bytes > HeapGeometry.lineBytes && ctx.pointee.tlab.block >= 0
        let offset = try bumpAllocate(bytes: bytes, in: useOverflow ? overflowRegion : tlabRegion, heap: heap)
        return initializeObject(at: offset, header: header, bodyIsZero: false)
    }

    /// Writes the header of a new object and zeroes its body unless its memory is known to be zero (a
    /// large cell on fresh pages: zeroing megabytes here would delay this thread's next safepoint for as
    /// long; a reused treadmill cell is as its last object left it), before the reference is returned.
    private func initializeObject(at offset: Int, header: ObjectHeader, bodyIsZero: Bool) -> ObjectRef {
        let object = ctx.pointee.base + offset
        object.storeBytes(of: header.bits, as: UInt64.self)
        if !bodyIsZero { (object + 8).initializeMemory(as: UInt8.self, repeating: 0, count: header.bytes - 8) }
        return ObjectRef(offset: offset)
    }

    /// The allocation path of the treadmill collector: a cell from the collector (after Baker's scan
    /// steps), then the header and a zeroed body. No reference counting on the way.
    private func allocateCell(_ collector: Unmanaged<TreadmillCollector>, header: ObjectHeader) throws(HeapError) -> ObjectRef {
        poll()
        // Guaranteed references: the heap and the collector are used many times below, and a strong copy
        // of either would cost a retain and a release each time.
        let result = ctx.pointee.heap._withUnsafeGuaranteedRef { heap in
            collector._withUnsafeGuaranteedRef { c in
                Result { () throws(HeapError) -> (offset: Int, fresh: Bool) in
                    try c.allocate(bytes: header.bytes, mutator: self, heap: heap)
                }
            }
        }
        let cell = try result.get()
        return initializeObject(at: cell.offset, header: header, bodyIsZero: cell.fresh)
    }

    private var tlabRegion: UnsafeMutablePointer<BumpRegion> {
        UnsafeMutableRawPointer(ctx).advanced(by: MemoryLayout<MutatorContext>.offset(of: \.tlab)!)
            .assumingMemoryBound(to: BumpRegion.self)
    }

    private var overflowRegion: UnsafeMutablePointer<BumpRegion> {
        UnsafeMutableRawPointer(ctx).advanced(by: MemoryLayout<MutatorContext>.offset(of: \.overflow)!)
            .assumingMemoryBound(to: BumpRegion.self)
    }

    var record: MutatorRecord { ctx.pointee.record.takeUnretainedValue() }

    /// Bump-allocates `bytes` in `region`, moving to the next hole or block as needed.
    private func bumpAllocate(bytes: Int, in region: UnsafeMutablePointer<BumpRegion>, heap: Heap) throws(HeapError) -> Int {
        let startCycle = heap.cycles.load(ordering: .relaxed)
        var triggered = false
        var fullCollections = 0
        while true {
            let cursor = region.pointee.cursor
            if cursor + bytes <= region.pointee.limit {
                region.pointee.cursor = cursor + bytes
                return cursor
            }
            // The next hole of the current block.
            if region.pointee.block >= 0 {
                let block = region.pointee.block
                let fromLine = (region.pointee.limit - (block << HeapGeometry.blockShift)) >> HeapGeometry.lineShift
                heap.leaveHole(region)
                if let hole = heap.space.nextHole(in: block, fromLine: fromLine) {
                    take(hole: hole, region: region, heap: heap)
                    continue
                }
                heap.space.retire(block)
                region.pointee = BumpRegion()
            }
            // A new block: first the trigger.
            if !triggered && heap.heapInUse.load(ordering: .relaxed) >= heap.trigger.load(ordering: .relaxed) {
                triggered = true
                heap.collector.triggered(requester: record, observedCycle: startCycle)
                continue
            }
            if let block = heap.space.acquireBlock(marking: heap.isMarking, commit: heap.commit) {
                let start = block << HeapGeometry.blockShift
                region.pointee = BumpRegion(cursor: start, limit: start, holeStart: start, block: block)
                continue
            }
            try collectOrFail(bytes, heap, &fullCollections)  // no block left
        }
    }

    private func take(hole: (start: Int, end: Int), region: UnsafeMutablePointer<BumpRegion>, heap: Heap) {
        region.pointee.cursor = hole.start
        region.pointee.limit = hole.end
        region.pointee.holeStart = hole.start
        let size = hole.end - hole.start
        heap.noteHandedOut(size)
        if heap.isMarking {
            if heap.allocatesBlack {
                heap.space.markHoleLive(start: hole.start, end: hole.end)
                region.pointee.black = true
            }
            heap.collector.assist(ctx, allocatedBytes: size)
        }
        heap.sampleHeap()
    }

    private func allocateLarge(bytes: Int, heap: Heap) throws(HeapError) -> (offset: Int, fresh: Bool) {
        let startCycle = heap.cycles.load(ordering: .relaxed)
        var triggered = false
        var fullCollections = 0
        while true {
            if !triggered && heap.heapInUse.load(ordering: .relaxed) + bytes > heap.trigger.load(ordering: .relaxed) {
                triggered = true
                heap.collector.triggered(requester: record, observedCycle: startCycle)
                continue
            }
            // Assist before the object exists: an assist may wait at a safepoint, and a collection there
            // would free an object that nothing references yet.
            if heap.isMarking { heap.collector.assist(ctx, allocatedBytes: bytes) }
            // Black while a mark that allocates black runs; white otherwise (the next mark must reach it).
            let black = heap.isMarking && heap.allocatesBlack
            if let cell = heap.treadmill.allocate(bytes: bytes, black: black, commit: heap.commit) {
                heap.noteHandedOut(bytes)
                heap.allocated.add(bytes, ordering: .relaxed)
                if black { heap.blackAllocatedBytes.add(bytes, ordering: .relaxed) }
                heap.sampleHeap()
                return (cell.offset, cell.fresh)
            }
            // Out of memory: first give back the free cells the large classes keep, then collect.
            let released = heap.treadmill.trimFreeLargeCells()
            if released > 0 {
                heap.uncommit(released)
                continue
            }
            try collectOrFail(bytes, heap, &fullCollections)
        }
    }

    /// No memory for `bytes`: runs a full collection (the caller retries), at most two per request, then
    /// fails the heap with the exhaustion error.
    func collectOrFail(_ bytes: Int, _ heap: Heap, _ fullCollections: inout Int) throws(HeapError) {
        guard fullCollections < 2 else {
            throw heap.fail(.exhausted(requestedBytes: bytes, liveBytes: heap.liveBytes,
                                       committedBytes: heap.committedBytes, limitBytes: heap.configuration.heapMaxBytes))
        }
        fullCollections += 1
        heap.collector.collectFully(requester: record, reason: "exhausted", observedCycle: heap.cycles.load(ordering: .relaxed))
    }

    @usableFromInline @inline(never)
    func growRoots() {
        let old = ctx.pointee.rootCapacity
        let roots = UnsafeMutablePointer<UInt32>.allocate(capacity: old * 2)
        roots.update(from: ctx.pointee.roots, count: old)
        ctx.pointee.roots.deallocate()
        ctx.pointee.roots = roots
        ctx.pointee.rootCapacity = old * 2
    }

    @usableFromInline @inline(never)
    func pollSlow() {
        let heap = ctx.pointee.heap.takeUnretainedValue()
        let flag = ctx.pointee.pollFlag.pointee.load(ordering: .relaxed)
        if flag & World.handshakeBit != 0 && !ctx.pointee.stackScanned {
            heap.collector.handshake(ctx)
        }
        if flag & World.stopBit != 0 { heap.world.safepointSlow(record) }
    }

    /// Verify mode: the object must carry a valid header and the field must exist. A failure is a
    /// collector bug (a freed object still reachable) or a workload bug; it stops the process loudly.
    @usableFromInline @inline(never)
    func verifyAccess(_ object: ObjectRef, field: Int) {
        let heap = ctx.pointee.heap.takeUnretainedValue()
        guard heap.isValidObject(object) else {
            let word = object.isNull || object.offset >= heap.reservationBytes ? 0 : (ctx.pointee.base + object.offset).load(as: UInt64.self)
            verifyFailure("access to freed or invalid object \(object) (header word 0x\(String(word, radix: 16)))")
        }
        let refs = ObjectHeader(bits: (ctx.pointee.base + object.offset).load(as: UInt64.self)).referenceCount
        if field >= refs {
            verifyFailure("field \(field) out of range for \(object) with \(refs) reference fields")
        }
    }
}

extension Heap {
    /// The region leaves its current hole: count what was allocated there and, if the hole was black,
    /// set the mark bits of its objects (they are contiguous from `holeStart` to `cursor`).
    func leaveHole(_ region: UnsafeMutablePointer<BumpRegion>) {
        let start = region.pointee.holeStart, end = region.pointee.cursor
        if end > start { allocated.add(end - start, ordering: .relaxed) }
        if region.pointee.black {
            var offset = start, newlyMarked = 0
            while offset < end {
                let size = ObjectHeader(bits: (base + offset).load(as: UInt64.self)).bytes
                if markBitmap.testAndSet(ObjectRef(offset: offset).raw) { newlyMarked += size }
                offset += size
            }
            if newlyMarked > 0 { blackAllocatedBytes.add(newlyMarked, ordering: .relaxed) }
            region.pointee.black = false
        }
        region.pointee.holeStart = end
    }
}

/// Prints a verify-mode failure and stops the process (exit code 3).
func verifyFailure(_ message: String) -> Never {
    fputs("gclab: verify: \(message)\n", stderr)
    exit(3)
}
