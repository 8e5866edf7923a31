// Baker's treadmill (H. Baker, "The Treadmill: Real-Time Garbage Collection Without Motion Sickness", 1992)
// over the cells of one size class. Cells are indices 0..<capacity; the caller maps an index to memory.
// This type only keeps the cells' order and colours, in side tables (two link words and one stamp per cell).
//
// Invariant: the cells form ONE cyclic doubly linked list (`next`/`prev`). Read in `next` order starting at
// `free`, the ring is four contiguous segments, each given by the pointer to its first cell and its count:
//
//   FREE  free ..< bottom   free cells; `allocate` takes the cell at `free` and moves `free` on by one,
//                           so the cell joins the end of BLACK (BLACK ends where FREE begins)
//   ECRU  bottom ..< top    white: not reached yet in this cycle
//   GREY  top ..< scan      reached, fields not scanned; `grey` relinks an ecru cell just before `top` and
//                           moves `top` back onto it; `scanNext` takes the cell just before `scan` and moves
//                           `scan` back onto it, which blackens it (grey is FIFO: the oldest is scanned first)
//   BLACK scan ..< free     scanned, or allocated since the last flip
//
// Each pointer is the first cell of its segment when that segment is non-empty; an empty segment's pointer
// equals the next pointer in the list above (cyclically), so `pointer(k+1) == advance(pointer(k), count(k))`
// always holds. The counts disambiguate the case where several pointers coincide (e.g. the whole ring is
// free and all four pointers are the same cell). Black cells are scanned cells or cells allocated during
// the cycle: with a barrier that greys the targets of stored references, no black cell points to an ecru one.
//
// `flip` (allowed only when GREY is empty) frees ECRU without touching it (no sweep) and turns BLACK into
// ECRU by moving pointers: the old FREE followed by the old ECRU are contiguous and become the new FREE;
// the old BLACK becomes the new ECRU; GREY and BLACK become empty.
//
// Beyond Baker's four operations, a space needs: white allocation (`allocateWhite`, for a collector that is
// idle between cycles), moving a reached cell straight to BLACK (`blacken`, when the grey set is a marker's
// stack rather than the ring's GREY), re-greying a black cell (`regrey`, Steele's barrier), and growing or
// shrinking the ring by one free cell. Each is O(1): unlink the cell, relink it at the end of its new
// segment, and point every empty segment at the start of the one after it.
//
// Colours in O(1) at a flip: a cell's colour is not stored as a colour but as a stamp read against the
// current `epoch`: stamp 0 = free (never allocated), 1 = grey, 2 = retired (removed from the ring), `epoch` = black, `epoch - 1` = ecru, and any
// other (older) stamp = free. A flip only increments `epoch`: every black cell (stamp == old epoch) now
// reads ecru and every ecru cell (stamp == old epoch - 1) now reads free, with no byte written.
// Why not a one-byte colour whose meaning swaps with a parity bit: after a flip the FREE segment holds cells
// freed at many different flips, none of which is written when it is freed, so their stamps span as many
// epochs as the ring has seen flips; any fixed small alphabet (2 bits, 3 values mod 3, or a byte epoch mod
// 255) eventually gives a long-free cell the current ecru stamp, and `grey` would then "resurrect" a free
// cell. So the stamps are 32 bits: they wrap only after ~4·10⁹ flips, where `flip` renumbers every stamp
// once (O(capacity), the only O(N) step, and unreachable in practice).

import Synchronization

/// Baker's treadmill over `capacity` cells of one size class: a cyclic doubly linked list cut into the
/// FREE, ECRU, GREY and BLACK segments, with O(1) allocation, greying, scan steps and flips.
///
/// Not thread-safe: one collector (or one mutator doing incremental steps) drives it. It is `~Copyable`
/// because it owns its side tables: a copy would share them and free them twice. `deinit` frees them.
struct TreadmillRing: ~Copyable {
    /// The colour of a cell.
    enum Colour: UInt8 { case free, ecru, grey, black }

    /// The number of cells in each segment; they add up to `capacity`.
    struct SegmentCounts: Equatable, CustomStringConvertible {
        var free: Int
        var black: Int
        var grey: Int
        var ecru: Int
        var description: String { "free \(free) black \(black) grey \(grey) ecru \(ecru)" }
    }

    /// The number of cells in the ring (cells added less cells removed).
    private(set) var capacity: Int
    /// Cell indices handed out so far: `0 ..< indexCount`. A removed cell's index is retired (its stamp
    /// says so) until `addFreeCell(reusing:)` links it again.
    private(set) var indexCount: Int

    // Side tables of `tableCapacity` entries each, owned by this value and freed in `deinit`.
    private var next: UnsafeMutablePointer<Int32>
    private var prev: UnsafeMutablePointer<Int32>
    /// Atomic so that a reader without the lock may read a cell's stamp (`TreadmillSpace.isEcruHint`).
    private var stamp: StampTable
    private var tableCapacity: Int
    /// The tables were reserved at their largest size (`init(reservedCapacity:)`) and never move.
    private let tablesReserved: Bool

    private static let neverUsedStamp: UInt32 = 0
    private static let greyStamp: UInt32 = 1
    /// A cell removed from the ring (`removeFreeCell`): on no segment.
    private static let retiredStamp: UInt32 = 2
    /// The first epoch: `epoch - 1` (the ecru stamp) must stay above the three fixed stamps.
    private static let firstEpoch: UInt32 = 4

    /// Black cells carry this stamp; ecru cells carry `epoch - 1`.
    private var epoch: UInt32

    // The segment pointers (see the invariant at the top of the file).
    private var free: Int32
    private var bottom: Int32
    private var top: Int32
    private var scan: Int32

    /// Free cells, available to `allocate`.
    private(set) var freeCount: Int
    /// Ecru (white) cells: not reached yet; garbage at the next flip unless greyed.
    private(set) var ecruCount: Int
    /// Grey cells: reached, waiting for `scanNext`.
    private(set) var greyCount: Int
    /// Black cells: scanned, or allocated since the last flip.
    private(set) var blackCount: Int

    /// An empty ring (cells come with `addFreeCell`).
    init() { self.init(capacity: 0) }

    /// A ring of `capacity` cells, all free, in index order.
    init(capacity: Int) {
        self.init(capacity: capacity, firstEpoch: Self.firstEpoch)
    }

    /// As `init(capacity:)`, starting at epoch `firstEpoch` (tests use a value near `UInt32.max` to reach
    /// the stamp renumbering).
    init(capacity: Int, firstEpoch: UInt32) {
        precondition(capacity >= 0 && capacity <= Int(Int32.max), "treadmill capacity \(capacity) out of range")
        precondition(firstEpoch >= Self.firstEpoch, "epochs start at \(Self.firstEpoch)")
        self.capacity = capacity
        indexCount = capacity
        tableCapacity = capacity
        tablesReserved = false
        next = .allocate(capacity: capacity)
        prev = .allocate(capacity: capacity)
        stamp = StampTable(capacity: capacity)
        for i in 0..<capacity {
            next[i] = Int32(i == capacity - 1 ? 0 : i + 1)
            prev[i] = Int32(i == 0 ? capacity - 1 : i - 1)
        }
        epoch = firstEpoch
        free = 0; bottom = 0; top = 0; scan = 0
        freeCount = capacity
        ecruCount = 0; greyCount = 0; blackCount = 0
    }

    /// An empty ring whose side tables are reserved (address space only, `MAP_NORESERVE`) for
    /// `maxCells` cells, so they never move: `stampWords` stays valid for the ring's life, and a reader
    /// without the lock (`TreadmillSpace`'s colour hint) never sees a table being replaced. Pages are
    /// committed as cells are added. Growing past `maxCells` stops the process.
    init(reservedCapacity maxCells: Int) {
        precondition(maxCells >= 1 && maxCells <= Int(Int32.max), "treadmill capacity \(maxCells) out of range")
        guard let links = VirtualMemory.reserve(maxCells * 8), let stamps = VirtualMemory.reserve(maxCells * 4) else {
            fatalError("could not reserve the side tables of a \(maxCells)-cell treadmill ring")
        }
        capacity = 0
        indexCount = 0
        tableCapacity = maxCells
        tablesReserved = true
        next = links.bindMemory(to: Int32.self, capacity: maxCells)
        prev = (links + maxCells * 4).bindMemory(to: Int32.self, capacity: maxCells)
        stamp = StampTable(words: stamps.bindMemory(to: Atomic<UInt32>.self, capacity: maxCells))
        epoch = Self.firstEpoch
        free = 0; bottom = 0; top = 0; scan = 0
        freeCount = 0; ecruCount = 0; greyCount = 0; blackCount = 0
    }

    deinit {
        if tablesReserved {
            VirtualMemory.unmap(UnsafeMutableRawPointer(next), tableCapacity * 8)
            VirtualMemory.unmap(UnsafeMutableRawPointer(stamp.words), tableCapacity * 4)
        } else {  // Int32 and UInt32 are trivial: deallocating without deinitializing is enough
            next.deallocate()
            prev.deallocate()
            stamp.words.deallocate()
        }
    }

    /// The stamp table (stable for a ring made with `init(reservedCapacity:)`) and the current epoch:
    /// cell `c` is ecru when `stampWords[c] == epoch - 1`.
    var stampWords: UnsafeMutablePointer<Atomic<UInt32>> { stamp.words }
    var currentEpoch: UInt32 { epoch }

    /// The number of cells in each segment.
    var segmentCounts: SegmentCounts {
        SegmentCounts(free: freeCount, black: blackCount, grey: greyCount, ecru: ecruCount)
    }

    /// True when no grey cell is left: the cycle's marking is done and `flip` may be called.
    var markingDone: Bool { greyCount == 0 }

    /// The colour of `cell`, in O(1) (a retired cell reads free).
    func colour(of cell: Int) -> Colour {
        precondition(cell >= 0 && cell < indexCount, "cell \(cell) out of range")
        return colour(stamp: stamp[cell])
    }

    private func colour(stamp s: UInt32) -> Colour {
        if s == Self.greyStamp { return .grey }
        if s == epoch { return .black }
        if s == epoch - 1 { return .ecru }
        return .free
    }

    /// Takes a free cell, or nil when none is left. The cell lands black: allocated during a collection,
    /// it survives that collection. When no collection is in progress it is still put in BLACK, which
    /// becomes ECRU at the next flip, so the cell is considered for collection in the next cycle.
    mutating func allocate() -> Int? {
        guard freeCount > 0 else { return nil }
        let cell = free
        free = next[Int(cell)]  // BLACK (scan ..< free) now ends after `cell`
        stamp[Int(cell)] = epoch
        freeCount -= 1
        blackCount += 1
        return Int(cell)
    }

    /// Greys `cell` if it is ecru: unlinks it and relinks it at the grey end (`top`). Returns whether it
    /// moved; a grey, black or free cell is left alone. This is what a scan step does for each child and
    /// what an insertion (Dijkstra) barrier does for the target of a stored reference.
    @discardableResult
    mutating func grey(_ cell: Int) -> Bool {
        precondition(cell >= 0 && cell < indexCount, "cell \(cell) out of range")
        guard stamp[cell] == epoch - 1 else { return false }  // not ecru
        let c = Int32(cell)
        // The last ecru cell is just before `top` (ECRU is non-empty: it holds `cell`). If `cell` is that
        // one, moving `top` back onto it is all there is to do; relinking it in place would wrongly move
        // the pointers of empty segments sitting on it.
        if c != prev[Int(top)] {
            let n = next[cell], p = prev[cell]
            next[Int(p)] = n
            prev[Int(n)] = p
            // A pointer at `cell` started a segment (ECRU, or an empty one before it) that now starts at
            // the following cell.
            if free == c { free = n }
            if bottom == c { bottom = n }
            if top == c { top = n }
            if scan == c { scan = n }
            let t = top, tp = prev[Int(top)]
            next[Int(tp)] = c
            prev[cell] = tp
            next[cell] = t
            prev[Int(t)] = c
        }
        top = c
        stamp[cell] = Self.greyStamp
        ecruCount -= 1
        greyCount += 1
        return true
    }

    /// Greys each root (ecru ones move; others are left alone) and returns how many moved. Called after a
    /// flip to start the next cycle: every other reachable cell is then found through `scanNext`.
    @discardableResult
    mutating func greyRoots<Roots: Sequence>(_ roots: Roots) -> Int where Roots.Element == Int {
        var moved = 0
        for r in roots where grey(r) { moved += 1 }
        return moved
    }

    /// Returns the next grey cell to scan (the oldest), now black, or nil when none is grey. The caller
    /// scans the cell's fields and calls `grey` on each child.
    mutating func scanNext() -> Int? {
        guard greyCount > 0 else { return nil }
        let cell = prev[Int(scan)]  // the last grey cell; BLACK (scan ..< free) now starts at it
        scan = cell
        stamp[Int(cell)] = epoch
        greyCount -= 1
        blackCount += 1
        return Int(cell)
    }

    /// Ends a cycle: every ecru cell is garbage and becomes free (nothing is swept), and every black cell
    /// becomes ecru for the next cycle. Returns the number of cells freed. Requires that no grey cell is
    /// left. O(1): three pointer moves and an epoch increment (see the top of the file).
    /// Never inlined: flips are rare (one per ring per cycle), and out of line the benchmark's clock reads
    /// cannot be moved across it.
    @discardableResult @inline(never)
    mutating func flip() -> Int {
        precondition(greyCount == 0, "flip with \(greyCount) grey cells")
        if epoch == UInt32.max { renumberStamps() }
        // GREY is empty, so top == scan: ECRU is bottom ..< top and BLACK is top ..< free.
        // New FREE = old FREE + old ECRU = free ..< top; new ECRU = old BLACK = top ..< free;
        // new GREY and BLACK are empty, at `free` (after the new ECRU).
        let freed = ecruCount
        bottom = top
        top = free
        scan = free
        freeCount += ecruCount
        ecruCount = blackCount
        blackCount = 0
        epoch += 1  // old black stamps now read ecru; old ecru stamps now read free
        return freed
    }

    /// Rewrites every stamp against epoch `firstEpoch` before the epoch counter would wrap. O(capacity),
    /// once per ~4·10⁹ flips.
    private mutating func renumberStamps() {
        let black = Self.firstEpoch, ecru = Self.firstEpoch - 1
        for i in 0..<indexCount where stamp[i] != Self.retiredStamp {
            switch colour(stamp: stamp[i]) {
            case .free: stamp[i] = Self.neverUsedStamp
            case .ecru: stamp[i] = ecru
            case .grey: stamp[i] = Self.greyStamp
            case .black: stamp[i] = black
            }
        }
        epoch = black
    }

    // MARK: Moving one cell between segments

    /// The four segments in ring order from `free` (see the invariant at the top of the file).
    enum Segment: Int { case free = 0, ecru, grey, black }

    private func start(_ s: Segment) -> Int32 {
        switch s { case .free: free; case .ecru: bottom; case .grey: top; case .black: scan }
    }

    private mutating func setStart(_ s: Segment, _ cell: Int32) {
        switch s { case .free: free = cell; case .ecru: bottom = cell; case .grey: top = cell; case .black: scan = cell }
    }

    private func count(_ s: Segment) -> Int {
        switch s { case .free: freeCount; case .ecru: ecruCount; case .grey: greyCount; case .black: blackCount }
    }

    private mutating func addCount(_ s: Segment, _ delta: Int) {
        switch s {
        case .free: freeCount += delta
        case .ecru: ecruCount += delta
        case .grey: greyCount += delta
        case .black: blackCount += delta
        }
    }

    /// Points each empty segment's pointer at the start of the segment after it, working backwards from
    /// a non-empty one (the rule for empty segments in the invariant). The non-empty segments' pointers
    /// must already be right.
    /// (No arrays here or in `insert`: these run on every ring operation, and an array literal or a
    /// `filter` would allocate.)
    private mutating func normalizeEmptyStarts() {
        var anchor = 0
        while anchor < 4 && count(Segment(rawValue: anchor)!) == 0 { anchor += 1 }
        guard anchor < 4 else { return }
        for step in 1...3 {
            let s = Segment(rawValue: (anchor - step + 4) % 4)!, after = Segment(rawValue: (anchor - step + 5) % 4)!
            if count(s) == 0 { setStart(s, start(after)) }
        }
    }

    /// Unlinks `cell` from segment `from` and relinks it as the last cell of segment `to`. O(1). Requires
    /// another cell on the ring.
    private mutating func move(_ cell: Int32, from: Segment, to: Segment) {
        let n = next[Int(cell)], p = prev[Int(cell)]
        if start(from) == cell { setStart(from, n) }
        addCount(from, -1)
        next[Int(p)] = n
        prev[Int(n)] = p
        normalizeEmptyStarts()
        insert(cell, asLastOf: to)
    }

    /// Links an unlinked `cell` as the last cell of segment `s`: just before the start of whatever follows
    /// `s` (its own start when `s` is the only non-empty segment).
    private mutating func insert(_ cell: Int32, asLastOf s: Segment) {
        let total = freeCount + ecruCount + greyCount + blackCount
        if total == 0 {  // the ring had no other cell
            next[Int(cell)] = cell
            prev[Int(cell)] = cell
            free = cell; bottom = cell; top = cell; scan = cell
        } else {
            var after = Segment(rawValue: (s.rawValue + 1) % 4)!
            if count(s) > 0 && count(s) == total { after = s }  // `s` is the only non-empty segment
            let a = start(after), b = prev[Int(a)]
            next[Int(b)] = cell
            prev[Int(cell)] = b
            next[Int(cell)] = a
            prev[Int(a)] = cell
            if count(s) == 0 { setStart(s, cell) }
        }
        addCount(s, 1)
        normalizeEmptyStarts()
    }

    /// Allocates a free cell white (ecru) instead of black, or returns nil when none is free: the
    /// allocation of a space whose collector is idle (the cell must be reached in the next cycle to
    /// survive it). O(1): the last free cell becomes the first ecru one by moving `bottom` back onto it.
    mutating func allocateWhite() -> Int? {
        guard freeCount > 0 else { return nil }
        let cell = prev[Int(bottom)]  // FREE is non-empty and precedes ECRU: its last cell
        bottom = cell
        stamp[Int(cell)] = epoch - 1
        freeCount -= 1
        ecruCount += 1
        return Int(cell)
    }

    /// Moves an ecru `cell` straight to BLACK and returns true; any other cell is left alone (false).
    /// For a ring whose grey set is kept elsewhere (the large-object space, traced by the shared marker's
    /// grey stacks): reaching the cell is all the ring needs to know.
    @discardableResult
    mutating func blacken(_ cell: Int) -> Bool {
        guard stamp[cell] == epoch - 1 else { return false }
        move(Int32(cell), from: .ecru, to: .black)
        stamp[cell] = epoch
        return true
    }

    /// Moves a black `cell` back to GREY to be scanned again (Steele's barrier re-greys the source of a
    /// store); returns whether it moved.
    @discardableResult
    mutating func regrey(_ cell: Int) -> Bool {
        guard stamp[cell] == epoch else { return false }
        move(Int32(cell), from: .black, to: .grey)
        stamp[cell] = Self.greyStamp
        return true
    }

    /// Gives back a black cell that was allocated but never used (a thread's cache of free cells at a
    /// flip): it becomes free again. Returns whether it moved.
    @discardableResult
    mutating func unallocate(_ cell: Int) -> Bool {
        guard stamp[cell] == epoch else { return false }
        move(Int32(cell), from: .black, to: .free)
        stamp[cell] = Self.neverUsedStamp
        return true
    }

    /// Calls `body` with every cell of `segment` in ring order. O(segment).
    func forEachCell(in segment: Segment, _ body: (Int) -> Void) {
        var cell = start(segment)
        for _ in 0..<count(segment) {
            body(Int(cell))
            cell = next[Int(cell)]
        }
    }

    // MARK: Growing and shrinking

    /// Adds a free cell (a new index, or `reusing` a retired one) as the last cell of FREE and returns its
    /// index. Amortized O(1): the side tables double when full.
    @discardableResult
    mutating func addFreeCell(reusing retired: Int? = nil) -> Int {
        let cell: Int
        if let retired {
            precondition(retired < indexCount && stamp[retired] == Self.retiredStamp, "cell \(retired) is not retired")
            cell = retired
        } else {
            precondition(indexCount < Int(Int32.max), "treadmill ring full")
            if indexCount == tableCapacity { growTables() }
            cell = indexCount
            indexCount += 1
        }
        stamp[cell] = Self.neverUsedStamp
        insert(Int32(cell), asLastOf: .free)
        capacity += 1
        return cell
    }

    /// Removes the last free cell from the ring and retires its index (its memory can go back to the
    /// system); nil when no cell is free. O(1).
    mutating func removeFreeCell() -> Int? {
        guard freeCount > 0 else { return nil }
        let cell = Int(prev[Int(bottom)])
        removeFreeCell(cell)
        return cell
    }

    /// Removes the free `cell` from the ring and retires its index (the space gives back a chunk whose
    /// cells are all free). O(1).
    mutating func removeFreeCell(_ cell: Int) {
        precondition(stamp[cell] != Self.retiredStamp && colour(of: cell) == .free, "cell \(cell) is not free")
        let n = next[cell], p = prev[cell]
        if free == Int32(cell) { free = n }
        freeCount -= 1
        next[Int(p)] = n
        prev[Int(n)] = p
        normalizeEmptyStarts()
        stamp[cell] = Self.retiredStamp
        capacity -= 1
    }

    private mutating func growTables() {
        precondition(!tablesReserved, "treadmill ring full: \(tableCapacity) cells reserved")
        let bigger = max(16, tableCapacity * 2)
        func grown<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = UnsafeMutablePointer<T>.allocate(capacity: bigger)
            new.moveInitialize(from: old, count: indexCount)
            old.deallocate()
            return new
        }
        next = grown(next)
        prev = grown(prev)
        stamp = stamp.grown(to: bigger, copying: indexCount)
        tableCapacity = bigger
    }

    /// Checks the invariant (for tests and debugging) by walking the whole ring once: one cycle of length
    /// `capacity` with consistent back links, each cell exactly once, the segments contiguous and in order
    /// with the pointers at their boundaries, each cell's colour that of its segment, and counts adding up
    /// to `capacity`. Returns a description of the first violation, or nil. O(capacity).
    func checkInvariants() -> String? {
        let counts = segmentCounts
        if counts.free < 0 || counts.black < 0 || counts.grey < 0 || counts.ecru < 0 {
            return "negative count: \(counts)"
        }
        if counts.free + counts.black + counts.grey + counts.ecru != capacity {
            return "counts \(counts) do not add up to capacity \(capacity)"
        }
        for (name, p) in [("free", free), ("bottom", bottom), ("top", top), ("scan", scan)]
        where capacity > 0 && (p < 0 || Int(p) >= indexCount) {
            return "pointer \(name) = \(p) out of range"
        }
        // Segments in `next` order from `free`, with the pointer expected at each one's start.
        let segments: [(colour: Colour, count: Int, start: Int32, name: String)] = [
            (.free, counts.free, free, "free"), (.ecru, counts.ecru, bottom, "bottom"),
            (.grey, counts.grey, top, "top"), (.black, counts.black, scan, "scan"),
        ]
        var seen = [Bool](repeating: false, count: indexCount)
        var cell = free
        var position = 0
        for segment in segments {
            if cell != segment.start {
                return "pointer \(segment.name) = \(segment.start), expected \(cell) at position \(position)"
            }
            for _ in 0..<segment.count {
                let c = Int(cell)
                if seen[c] { return "cell \(c) appears twice (position \(position)): the ring is shorter" }
                seen[c] = true
                let actual = colour(stamp: stamp[c])
                if actual != segment.colour {
                    return "cell \(c) at position \(position) is \(actual) in the \(segment.colour) segment"
                }
                let n = next[c]
                if n < 0 || Int(n) >= indexCount { return "next[\(c)] = \(n) out of range" }
                if prev[Int(n)] != cell { return "prev[\(n)] = \(prev[Int(n)]), expected \(c)" }
                cell = n
                position += 1
            }
        }
        if cell != free { return "after \(capacity) cells the walk is at \(cell), not back at free = \(free)" }
        for c in 0..<indexCount where !seen[c] && stamp[c] != Self.retiredStamp {
            return "cell \(c) is on no segment but not retired"
        }
        for c in 0..<indexCount where seen[c] && stamp[c] == Self.retiredStamp {
            return "retired cell \(c) is on the ring"
        }
        return nil
    }
}

