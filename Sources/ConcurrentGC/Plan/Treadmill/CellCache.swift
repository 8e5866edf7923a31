// A mutator's cache of free treadmill cells, one small stack per small size class: the treadmill
// collector's allocation takes a cell from here and takes the ring's lock only once per `batch` cells.
//
// Invariant: a cached cell is black in its ring (allocated, not yet holding an object). No reference to
// it exists, so no scan or barrier ever touches it; before a flip the cache gives its cells back (black
// to free), so an unused cell never survives as floating garbage and the flip's black count stays exact.

/// Per-class stacks of cell offsets in raw memory (owned by one mutator context).
struct CellCache {
    /// Cells taken from a ring at once.
    static let batch = 32
    private let offsets: UnsafeMutablePointer<Int>
    private let counts: UnsafeMutablePointer<Int>

    init() {
        let classes = TreadmillSizeClasses.smallCount
        offsets = .allocate(capacity: classes * CellCache.batch)
        counts = .allocate(capacity: classes)
        counts.initialize(repeating: 0, count: classes)
    }

    func free() {
        offsets.deallocate()
        counts.deallocate()
    }

    @inline(__always) func count(_ c: Int) -> Int { counts[c] }
    @inline(__always) func setCount(_ c: Int, _ n: Int) { counts[c] = n }
    /// Where class `c`'s stack starts (`batch` entries).
    @inline(__always) func slots(_ c: Int) -> UnsafeMutablePointer<Int> { offsets + c &* CellCache.batch }

    /// Takes a cached cell of class `c` (the cache must hold one).
    @inline(__always)
    func pop(_ c: Int) -> Int {
        let n = counts[c] &- 1
        counts[c] = n
        return offsets[c &* CellCache.batch &+ n]
    }

    /// Returns every cached cell to its ring as free.
    func giveBack(to space: TreadmillSpace) {
        for c in 0..<TreadmillSizeClasses.smallCount where counts[c] > 0 {
            space.unallocate(UnsafeBufferPointer(start: slots(c), count: counts[c]))
            counts[c] = 0
        }
    }
}
