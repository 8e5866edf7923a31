// The block region of the reservation, shared by the spaces that carve it: the Immix space's blocks, the
// treadmill's small-cell chunks, and (to come) copy spaces and nurseries.
//
// Invariant: a block index in 1 ..< end belongs to exactly one of: never handed out (at or above
// `highWater`), a space (handed out and not released), or the pool's free list (released, still
// committed). Block 0 is never handed out: granule 0 is the null reference. A block is committed (its
// bytes taken from the heap's limit) when it first leaves the pool and stays committed when released, so
// releasing and re-acquiring costs no accounting.

/// Hands out the blocks of the reservation to the spaces of a plan.
final class BlockPool: @unchecked Sendable {
    private let monitor = Monitor()
    private let end: Int
    private let accounting: UnsafeMutablePointer<HeapAccounting>
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    @exclusivity(unchecked) private var highWater = 1
    @exclusivity(unchecked) private var released: [Int32] = []

    /// A pool over blocks `1 ..< end`, committing through `accounting`.
    init(end: Int, accounting: UnsafeMutablePointer<HeapAccounting>) {
        self.end = end
        self.accounting = accounting
    }

    /// A block for a space: a released one, else a never-used one if the commit limit allows (the held
    /// back copy reserve too, with `usingReserve`); nil when neither is left.
    func acquire(usingReserve: Bool = false) -> Int? {
        monitor.withLock {
            if let b = released.popLast() { return Int(b) }
            guard highWater < end, accounting.pointee.commit(HeapGeometry.blockBytes, usingReserve: usingReserve) else { return nil }
            highWater += 1
            return highWater - 1
        }
    }

    /// Gives a block back (its memory stays committed; the next owner must not assume it is zero).
    func release(_ block: Int) {
        monitor.withLock { released.append(Int32(block)) }
    }

    /// Released blocks waiting in the pool.
    var releasedBlocks: Int { monitor.withLock { released.count } }

    /// Blocks the pool could still hand out: the released ones and the never-used ones the commit limit
    /// and the block region allow (the held-back reserve included).
    var spareBlocks: Int {
        monitor.withLock {
            let uncommitted = max(0, accounting.pointee.limit - accounting.pointee.committed.load(ordering: .relaxed)) / HeapGeometry.blockBytes
            return released.count + min(end - highWater, uncommitted)
        }
    }

    /// Blocks ever handed out (the block region's committed size is this many blocks).
    var blocksCommitted: Int { monitor.withLock { highWater - 1 } }

    /// One past the highest block ever handed out (spaces iterate over `1 ..< highWaterMark`).
    var highWaterMark: Int { monitor.withLock { highWater } }
}
