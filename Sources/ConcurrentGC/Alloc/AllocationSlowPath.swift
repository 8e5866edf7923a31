// The entry of every allocation slow path: the checks the fast path skipped (shape, size), the heap's
// failure, then the allocator the plan selected (Alloc/BumpAllocator.swift, CellAllocator.swift), and the
// last resort all allocators share: full collections, then the exhaustion error.
//
// An allocation is a safepoint: anything below may collect, and a collection resets this mutator's
// allocation buffers, so the allocators re-read their state through the context after each such call.
// The heap is reached as a guaranteed reference (`_withUnsafeGuaranteedRef`): no reference counting.

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
        if ctx.pointee.rawAccessDepth != 0 { return try allocateInsideRawAccess(header) }
        let result = ctx.pointee.heap._withUnsafeGuaranteedRef { heap in
            Result { () throws(HeapError) -> ObjectRef in
                if let error = heap.failureError { throw error }  // another mutator exhausted the heap
                switch ctx.pointee.allocator {
                case .bump: return try BumpAllocator.allocateSlow(self, header: header, heap: heap)
                case .cells: return try CellAllocator.allocateSlow(self, header: header, heap: heap)
                case .blocks: return try BumpAllocator.allocateSlowInBlocks(self, header: header, heap: heap)
                case .prefixed: return try BumpAllocator.allocateSlowInBlocks(self, header: header, heap: heap, prefix: 8)
                }
            }
        }
        return try result.get()
    }

    /// Verify mode: an allocation inside `withPayload` is a workload bug. Reported; when a test's handler
    /// returns, the allocation goes ahead with the fast paths reopened for it.
    @inline(never)
    private func allocateInsideRawAccess(_ header: ObjectHeader) throws(HeapError) -> ObjectRef {
        rawAccessViolation("allocate")
        let depth = ctx.pointee.rawAccessDepth
        ctx.pointee.rawAccessDepth = 1
        leaveRawAccess()
        defer {
            enterRawAccess()
            ctx.pointee.rawAccessDepth = depth
        }
        return try allocateSlow(bytes: header.bytes, referenceCount: header.referenceCount,
                                payloadBytes: header.bytes - ObjectHeader.payloadOffset(referenceCount: header.referenceCount),
                                shape: header.shape)
    }

    /// Writes the header of a new object and zeroes its body unless its memory is known to be zero (a
    /// large cell on fresh pages: zeroing megabytes here would delay this thread's next safepoint for as
    /// long), before the reference is returned.
    func initializeObject(at offset: Int, header: ObjectHeader, bodyIsZero: Bool) -> ObjectRef {
        let object = ctx.pointee.base + offset
        object.storeBytes(of: header.bits, as: UInt64.self)
        if !bodyIsZero { (object + 8).initializeMemory(as: UInt8.self, repeating: 0, count: header.bytes - 8) }
        return ObjectRef(offset: offset)
    }

    var record: MutatorRecord { ctx.pointee.record.takeUnretainedValue() }

}

/// The collections one slow-path request may start, shared by every allocator's retry loop: at most one
/// at the trigger, then, with no memory left, at most two full collections, then the exhaustion error.
struct AllocationRetries {
    /// The cycle count when the request began: a collection someone else completed since counts.
    let startCycle: Int
    private var triggered = false
    private var fullCollections = 0

    init(_ heap: Heap) { startCycle = heap.completedCycles }

    /// If `reached` (the heap is at its trigger) and this request has not yet started a collection
    /// there: starts one and returns true (the caller retries). Once it has, the plan may make the thread
    /// wait for the running collection before it takes `bytes` more (a concurrent plan past its hard
    /// limit: `Collector.waitPastAllocationLimit`), and returns false (the caller goes on allocating).
    mutating func collectAtTrigger(_ reached: Bool, _ m: Mutator, _ heap: Heap, bytes: Int = HeapGeometry.blockBytes) -> Bool {
        guard reached else { return false }
        guard triggered else {
            triggered = true
            heap.collector.triggered(requester: m.record, observedCycle: startCycle)
            return true
        }
        heap.collector.waitPastAllocationLimit(requester: m.record, bytes: bytes)
        return false
    }

    /// No memory for `bytes`: runs a full collection (the caller retries), at most two per request, then
    /// fails the heap with the exhaustion error.
    mutating func collectOrFail(_ bytes: Int, _ m: Mutator, _ heap: Heap) throws(HeapError) {
        guard fullCollections < 2 else {
            throw heap.fail(.exhausted(requestedBytes: bytes, liveBytes: heap.liveBytes,
                                       committedBytes: heap.committedBytes, limitBytes: heap.configuration.heapMaxBytes,
                                       reserveBytes: heap.collector.copyReserveBytes))
        }
        fullCollections += 1
        heap.collector.collectFully(requester: m.record, reason: .exhausted, observedCycle: heap.completedCycles)
    }
}
