// The allocation slow path: everything but the bump.
//
// Order of business, mirroring Immix: (1) the next hole of the current block; (2) for a medium object
// (over one line) that does not fit the current hole, the overflow region instead of skipping holes;
// (3) a new block from the space, which sweeps lazily; the GOGC trigger and the safepoint poll are
// checked here; (4) when no block is left, one full collection, then the exhaustion error.
// Large objects (over 8 KiB) go straight to the large-object space.
//
// Objects are zeroed one by one as they are allocated (the fast path zeroes its own), so holes are not
// cleared in bulk. Any call that may collect resets this mutator's regions, so the code re-reads them through the
// context pointer after each such call instead of holding copies.

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
        let heap = ctx.pointee.heap.takeUnretainedValue()
        if let error = heap.failureError { throw error }
        poll()
        let header = ObjectHeader(granules: bytes >> HeapGeometry.granuleShift, referenceCount: referenceCount,
                                  shape: shape, large: bytes > HeapGeometry.largeObjectThreshold)
        let offset: Int
        if bytes > HeapGeometry.largeObjectThreshold {
            offset = try allocateLarge(bytes: bytes, heap: heap)
        } else {
            let useOverflow = bytes > HeapGeometry.lineBytes && ctx.pointee.tlab.block >= 0
            let region = useOverflow ? overflowRegion : tlabRegion
            offset = try bumpAllocate(bytes: bytes, in: region, heap: heap)
        }
        let object = ctx.pointee.base + offset
        object.storeBytes(of: header.bits, as: UInt64.self)
        if bytes <= HeapGeometry.largeObjectThreshold {  // large objects get fresh zero pages
            (object + 8).initializeMemory(as: UInt8.self, repeating: 0, count: bytes - 8)
        }
        return ObjectRef(offset: offset)
    }

    private var tlabRegion: UnsafeMutablePointer<BumpRegion> {
        UnsafeMutableRawPointer(ctx).advanced(by: MemoryLayout<MutatorContext>.offset(of: \.tlab)!)
            .assumingMemoryBound(to: BumpRegion.self)
    }

    private var overflowRegion: UnsafeMutablePointer<BumpRegion> {
        UnsafeMutableRawPointer(ctx).advanced(by: MemoryLayout<MutatorContext>.offset(of: \.overflow)!)
            .assumingMemoryBound(to: BumpRegion.self)
    }

    /// Bump-allocates `bytes` in `region`, moving to the next hole or block as needed.
    private func bumpAllocate(bytes: Int, in region: UnsafeMutablePointer<BumpRegion>, heap: Heap) throws(HeapError) -> Int {
        let startCycle = heap.cycles.load(ordering: .relaxed)
        var collected = false
        while true {
            let cursor = region.pointee.cursor
            if cursor + bytes <= region.pointee.limit {
                region.pointee.cursor = cursor + bytes
                return cursor
            }
            // The next hole of the current block.
            if region.pointee.block >= 0 {
                let block = region.pointee.block
                let blockStart = block << HeapGeometry.blockShift
                let fromLine = (region.pointee.limit - blockStart) >> HeapGeometry.lineShift
                heap.allocated.add(region.pointee.cursor - region.pointee.holeStart, ordering: .relaxed)
                if let hole = heap.space.nextHole(in: block, fromLine: fromLine) {
                    take(hole: hole, region: region, heap: heap)
                    continue
                }
                heap.space.retire(block)
                region.pointee = BumpRegion()
            }
            // A new block: first the trigger.
            if !collected && heap.heapInUse.load(ordering: .relaxed) >= heap.trigger.load(ordering: .relaxed) {
                collected = true
                heap.collect(requester: ctx.pointee.record.takeUnretainedValue(), reason: "trigger", observedCycle: startCycle)
                continue
            }
            if let block = heap.space.acquireBlock(commit: heap.commit) {
                let start = block << HeapGeometry.blockShift
                region.pointee = BumpRegion(cursor: start, limit: start, holeStart: start, block: block)
                continue
            }
            // No block left: one full collection, then give up.
            if !collected || heap.cycles.load(ordering: .relaxed) == startCycle {
                collected = true
                heap.collect(requester: ctx.pointee.record.takeUnretainedValue(), reason: "exhausted",
                             observedCycle: heap.cycles.load(ordering: .relaxed))
                continue
            }
            throw exhausted(bytes, heap)
        }
    }

    private func take(hole: (start: Int, end: Int), region: UnsafeMutablePointer<BumpRegion>, heap: Heap) {
        region.pointee.cursor = hole.start
        region.pointee.limit = hole.end
        region.pointee.holeStart = hole.start
        heap.noteHandedOut(hole.end - hole.start)
        heap.sampleHeap()
    }

    private func allocateLarge(bytes: Int, heap: Heap) throws(HeapError) -> Int {
        let startCycle = heap.cycles.load(ordering: .relaxed)
        var collected = false
        while true {
            if !collected && heap.heapInUse.load(ordering: .relaxed) + bytes > heap.trigger.load(ordering: .relaxed) {
                collected = true
                heap.collect(requester: ctx.pointee.record.takeUnretainedValue(), reason: "trigger", observedCycle: startCycle)
                continue
            }
            if let offset = heap.largeObjects.allocate(bytes: bytes, commit: heap.commit) {
                heap.noteHandedOut(bytes)
                heap.allocated.add(bytes, ordering: .relaxed)
                heap.sampleHeap()
                return offset
            }
            if !collected || heap.cycles.load(ordering: .relaxed) == startCycle {
                collected = true
                heap.collect(requester: ctx.pointee.record.takeUnretainedValue(), reason: "exhausted",
                             observedCycle: heap.cycles.load(ordering: .relaxed))
                continue
            }
            throw exhausted(bytes, heap)
        }
    }

    private func exhausted(_ bytes: Int, _ heap: Heap) -> HeapError {
        heap.fail(.exhausted(requestedBytes: bytes, liveBytes: heap.liveBytes,
                             committedBytes: heap.committedBytes, limitBytes: heap.configuration.heapMaxBytes))
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
        heap.world.safepointSlow(ctx.pointee.record.takeUnretainedValue())
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

/// Prints a verify-mode failure and stops the process (exit code 3).
func verifyFailure(_ message: String) -> Never {
    fputs("gclab: verify: \(message)\n", stderr)
    exit(3)
}
