// The block region of the reservation, shared by the spaces that carve it: the Immix space's blocks, the
// treadmill's small-cell chunks, and (to come) copy spaces and nurseries.
//
// Invariant: a block index in 1 ..< end belongs to exactly one of: never handed out (at or above
// `highWater`), a space (handed out and not released), the pool's free list (released, still committed),
// or its decommitted list (given back to the kernel and to the limit). Block 0 is never handed out:
// granule 0 is the null reference. A block is committed (its bytes taken from the heap's limit) when it
// leaves the pool uncommitted and stays committed when released, so releasing and re-acquiring costs no
// accounting; a space decommits its free blocks (`decommit`) only when memory runs short, so that their
// bytes can go to the large objects.

/// Hands out the blocks of the reservation to the spaces of a plan.
final class BlockPool: @unchecked Sendable {
    private let monitor = Monitor()
    private let end: Int
    private let accounting: UnsafeMutablePointer<HeapAccounting>
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    @exclusivity(unchecked) private var highWater = 1
    @exclusivity(unchecked) private var released: [Int32] = []
    @exclusivity(unchecked) private var decommitted: [Int32] = []

    /// A pool over blocks `1 ..< end`, committing through `accounting`.
    init(end: Int, accounting: UnsafeMutablePointer<HeapAccounting>) {
        self.end = end
        self.accounting = accounting
    }

    /// Blocks below this index have been handed out at some time (a card table's scan ends here).
    var highWaterBlock: Int { monitor.withLock { highWater } }

    /// A block for a space: a released one, else a never-used one if the commit limit allows (the held
    /// back copy reserve too, with `usingReserve`); nil when neither is left.
    func acquire(usingReserve: Bool = false) -> Int? {
        monitor.withLock {
            if let b = released.popLast() { return Int(b) }
            guard decommitted.count > 0 || highWater < end,
                  accounting.pointee.commit(HeapGeometry.blockBytes, usingReserve: usingReserve) else { return nil }
            if let b = decommitted.popLast() { return Int(b) }
            highWater += 1
            return highWater - 1
        }
    }

    /// Gives blocks of a space back to the kernel (their pages read as zeros afterwards) and their bytes
    /// back to the limit. Returns the bytes uncommitted.
    func decommit(_ blocks: [Int32], base: UnsafeMutableRawPointer) -> Int {
        guard !blocks.isEmpty else { return 0 }
        for b in blocks { VirtualMemory.release(base + (Int(b) << HeapGeometry.blockShift), HeapGeometry.blockBytes) }
        let bytes = blocks.count * HeapGeometry.blockBytes
        monitor.withLock {
            decommitted += blocks
            accounting.pointee.uncommit(bytes)
        }
        return bytes
    }

    /// Gives a block back (its memory stays committed; the next owner must not assume it is zero).
    func release(_ block: Int) {
        monitor.withLock { released.append(Int32(block)) }
    }

    /// Decommits the released blocks the pool holds (memory runs short). Returns the bytes uncommitted.
    func decommitReleased(base: UnsafeMutableRawPointer) -> Int {
        let blocks = monitor.withLock { () -> [Int32] in
            defer { released = [] }
            return released
        }
        return decommit(blocks, base: base)
    }

    /// A copying space's reserve: a collection may need `reserveBlocks` blocks, of which the space keeps
    /// `spaceFree` free itself and the pool has its released ones; the rest is held back from ordinary
    /// commits (large objects) as uncommitted bytes only the collector takes (`acquire(usingReserve:)`).
    func holdBack(reserveBlocks: Int, besides spaceFree: Int) {
        let needed = max(0, reserveBlocks - spaceFree - releasedBlocks) * HeapGeometry.blockBytes
        accounting.pointee.heldBack.store(needed, ordering: .relaxed)
    }

    /// Released blocks waiting in the pool.
    var releasedBlocks: Int { monitor.withLock { released.count } }

    /// Blocks the pool could still hand out: the released ones and the never-used ones the commit limit
    /// and the block region allow (the held-back reserve included).
    var spareBlocks: Int {
        monitor.withLock {
            let uncommitted = max(0, accounting.pointee.limit - accounting.pointee.committed.load(ordering: .relaxed)) / HeapGeometry.blockBytes
            return released.count + min(end - highWater + decommitted.count, uncommitted)
        }
    }
}
