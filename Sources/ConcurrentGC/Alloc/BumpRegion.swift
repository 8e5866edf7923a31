// A bump-allocation region: the current hole of a thread's current block.
//
// `cursor` and `limit` are byte offsets from the heap base; the fast path (Mutator.allocate) only bumps
// `cursor` and compares it with `limit`. `holeStart` lets the slow path count the bytes allocated in a
// hole when it leaves it, so the fast path keeps no counter.

/// A thread-local bump region inside one Immix block.
@usableFromInline
struct BumpRegion {
    @usableFromInline var cursor: Int = 0
    @usableFromInline var limit: Int = 0
    /// Start of the current hole.
    var holeStart: Int = 0
    /// The block being allocated into, or -1.
    var block: Int = -1
    /// The hole was handed out during a concurrent mark with black allocation: its objects must have
    /// their mark bits set when the region leaves it (`Heap.blacken`).
    var black = false
}
