// Large objects (over 8 KiB) of the mark-region plans: a cell of its page class in the treadmill
// large-object space. A ring grows by one cell (pages, first fit) when it has no free cell; freed cells
// stay in their ring until memory runs short, when every free large cell's pages are given back
// (`trimFreeLargeCells`), then the free blocks of the plan's spaces and of the block pool (decommitted:
// their bytes can hold large objects), before the heap resorts to a full collection. While the barrier is on, the
// plan's assist is paid first and the cell is black if the plan allocates black (white otherwise: the next
// mark must reach it).

enum LargeObjectAllocator {
    /// A cell for an object of `bytes`: its offset and whether its memory is fresh (all zero).
    static func allocate(_ m: Mutator, bytes: Int, heap: Heap) throws(HeapError) -> (offset: Int, fresh: Bool) {
        let ctx = m.ctx
        let accounting = heap.accounting
        var retries = AllocationRetries(heap)
        while true {
            if retries.collectAtTrigger(accounting.pointee.pastTrigger(adding: bytes), m, heap, bytes: bytes) { continue }
            // Assist before the object exists: an assist may wait at a safepoint, and a collection there
            // would free an object that nothing references yet.
            if ctx.collectingNow { ctx.pointee.whileMarking.assist?(UnsafeMutableRawPointer(ctx), bytes) }
            let black = ctx.collectingNow && ctx.pointee.whileMarking.black
            let cell = ctx.pointee.bump.largeObjects.unsafelyUnwrapped._withUnsafeGuaranteedRef { los -> (offset: Int, fresh: Bool)? in
                if let cell = los.allocate(bytes: bytes, black: black) { return (cell.offset, cell.fresh) }
                // Out of memory: first give back the free cells the large classes keep, then collect.
                let released = los.trimFreeLargeCells()
                if released > 0 { accounting.pointee.uncommit(released) }
                return released > 0 ? (-1, false) : nil
            }
            // Then the free blocks the plan's spaces and the pool keep committed.
            if cell == nil && heap.collector.decommitFreeBlocks() + heap.blocks.decommitReleased(base: heap.base) > 0 { continue }
            if let cell, cell.offset >= 0 {
                accounting.pointee.noteHandedOut(bytes)
                accounting.pointee.noteAllocated(bytes)
                if black { ctx.pointee.whileMarking.blackBytes?.pointee.add(bytes, ordering: .relaxed) }
                accounting.pointee.sample(heap.stats)
                return cell
            }
            if cell != nil { continue }  // pages were released: try again
            try retries.collectOrFail(bytes, m, heap)
        }
    }
}
