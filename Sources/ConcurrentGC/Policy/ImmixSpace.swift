// The Immix block space: hands 32 KiB blocks to threads and sweeps them lazily.
//
// Invariant: a block is in exactly one state, and only the thread that owns it (a TLAB, or the sweeper
// that popped it) touches its lines and its slice of the mark bitmap outside a collection pause:
//
//   unused     never handed out since the reservation; reads as zeros
//   free       swept and empty
//   owned      a thread's current allocation block
//   retired    was owned and is used up; waits for the next collection
//   unswept    holds objects marked by the last collection and has not been swept since
//   recyclable swept, with at least one hole (a run of free lines)
//   full       swept, no hole
//
// A collection turns every owned, retired, recyclable and full block into unswept (all TLABs were retired
// first). Sweeping is lazy: `acquireBlock` sweeps an unswept block when it takes one, so sweeping adds
// nothing to the pause. Sweeping a block reads its line marks (a line is live when its byte equals the
// last collection's epoch) and clears the block's mark bitmap for the next cycle. A block still unswept
// when the next collection starts only needs its bitmap cleared: nothing was allocated into it, so the
// new line marks describe it completely.
//
// A moving plan (immix) keeps a copy reserve of `copyReserveBlocks` spare blocks (free blocks of this space
// plus what the pool can still give): a mutator gets a free or new block only while more than that many are
// spare, and the large objects' commits are held back by what the pool must still give. The collector's
// copies take spare blocks without that limit (`acquireCopyBlock`). At the end of every mark the census
// (ImmixBlockCensus.swift) counts each block's live lines and holes: heap.csv's fragmentation, and the
// statistics the next defragmenting collection picks its candidates from.
//
// Sticky marks (the generational plans, `stickyMarks`): the mark bitmap is not cleared by sweeping, so an
// object marked by any collection since the last full one stays marked: it is old (Demers et al. 1990).
// A minor collection (`prepareForMinor`) keeps the epoch, so the lines of old objects stay live and the
// lines of young survivors get the same epoch; only a full collection (`prepareForMark`) clears the
// bitmaps of every block and starts a new epoch. Bits in free lines are always clear (a marked object's
// lines are all marked), so a young object allocated into a hole starts unmarked.

/// What sweeping found in a block.
enum SweepResult { case free, recyclable, full }

/// The space of Immix blocks in the lower part of the reservation.
final class ImmixSpace {
    enum BlockState: UInt8 { case unused, free, owned, retired, unswept, recyclable, full }

    let base: UnsafeMutableRawPointer
    let markBitmap: MarkBitmap
    let lineMarks: LineMarkTable
    /// Where new blocks come from (shared with the other spaces of the block region).
    let blocks: BlockPool
    /// The heap's size counters (allocators count through the space they allocate in).
    let accounting: UnsafeMutablePointer<HeapAccounting>
    /// Poison free lines when sweeping (verify mode), so a use of freed memory is caught.
    let poison: Bool
    /// Spare blocks kept for a collection's copies (0: a plan that does not move objects).
    let copyReserveBlocks: Int
    /// Each block's live lines and holes at the end of the last mark.
    let census: ImmixBlockCensus
    /// Marks stick: sweeping leaves the bitmaps alone (see the top of the file).
    let stickyMarks: Bool

    private let monitor = Monitor()
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    @exclusivity(unchecked) private var state: [BlockState]
    @exclusivity(unchecked) private var freeBlocks: [Int32] = []
    @exclusivity(unchecked) private var recyclableBlocks: [Int32] = []
    @exclusivity(unchecked) private var unsweptBlocks: [Int32] = []
    /// Every block this space took from the pool, in the order taken.
    @exclusivity(unchecked) private var ownBlocks: [Int32] = []
    /// The epoch of the last completed mark: a line is live when its byte equals it. Set in a pause,
    /// read by sweepers and hole finders after it (the world-start lock orders the two).
    /// Epochs run 1...255; a line byte of 0 was never marked.
    @exclusivity(unchecked) private(set) var liveEpoch: UInt8 = 1
    /// The epoch the marker writes. Equal to `liveEpoch` except while a mark is in progress, when lines
    /// carrying either epoch count as used, so a concurrent marker and an allocator never disagree.
    @exclusivity(unchecked) private(set) var markEpoch: UInt8 = 1
    /// `markEpoch` read under the monitor, for threads that run while a pause may start a new epoch
    /// (a background marker being set up).
    var currentMarkEpoch: UInt8 { monitor.withLock { markEpoch } }

    init(base: UnsafeMutableRawPointer, blockCount: Int, markBitmap: MarkBitmap, lineMarks: LineMarkTable,
         blocks: BlockPool, accounting: UnsafeMutablePointer<HeapAccounting>, poison: Bool, copyReserveBlocks: Int = 0,
         stickyMarks: Bool = false) {
        self.base = base
        self.markBitmap = markBitmap
        self.lineMarks = lineMarks
        self.blocks = blocks
        self.accounting = accounting
        self.poison = poison
        self.copyReserveBlocks = copyReserveBlocks
        self.stickyMarks = stickyMarks
        census = ImmixBlockCensus(blockCount: blockCount)
        state = Array(repeating: .unused, count: blockCount)
        holdBackReserve()
    }

    /// Takes a block for allocation: an unswept block (swept now), else a recyclable one, else a free one,
    /// else a new one from the pool (if the commit limit allows). While a concurrent mark runs
    /// (`marking`), unswept blocks are left alone: their mark bitmaps are being written.
    func acquireBlock(marking: Bool) -> Int? {
        monitor.lock()
        while !marking, let b = unsweptBlocks.popLast() {
            let block = Int(b)
            monitor.unlock()
            let result = sweep(block)  // outside the lock: the block is ours now
            monitor.lock()
            switch result {
            case .free, .recyclable:
                state[block] = .owned
                monitor.unlock()
                return block
            case .full:
                state[block] = .full
            }
        }
        defer { monitor.unlock() }
        if let b = recyclableBlocks.popLast() {
            state[Int(b)] = .owned
            return Int(b)
        }
        // A free or new block lowers the spare blocks: not below the copy reserve.
        if copyReserveBlocks > 0 && spareBlocksLocked <= copyReserveBlocks { return nil }
        defer { holdBackReserve() }
        if let b = freeBlocks.popLast() {
            state[Int(b)] = .owned
            return Int(b)
        }
        if let block = blocks.acquire() {
            ownBlocks.append(Int32(block))
            state[block] = .owned
            return block
        }
        return nil
    }

    /// A block for a collector's copies (world stopped): a free block, else one from the pool, the copy
    /// reserve included. It is filled by the caller and waits, retired, for the end of the mark.
    func acquireCopyBlock() -> Int? {
        monitor.withLock {
            defer { holdBackReserve() }
            if let b = freeBlocks.popLast() {
                state[Int(b)] = .retired
                return Int(b)
            }
            guard let block = blocks.acquire(usingReserve: true) else { return nil }
            ownBlocks.append(Int32(block))
            state[block] = .retired
            return block
        }
    }

    /// Memory runs short (a large object found no room): the free blocks, and the unswept ones the census
    /// found empty (not while a concurrent mark runs: their bitmaps are in use), go back to the pool
    /// decommitted, so that their bytes can be committed for large objects. Returns the bytes.
    func decommitFreeBlocks(marking: Bool) -> Int {
        let given: [Int32] = monitor.withLock {
            var given = freeBlocks
            freeBlocks.removeAll()
            if !marking { given += takeUnsweptEmptyBlocks() }
            guard !given.isEmpty else { return [] }
            for b in given {  // bitmaps already clear: swept, or cleared when taken from the unswept
                // Line bytes read 0 ("never marked"): the epoch renumbering at wrap-around only visits
                // this space's blocks, so a stale epoch must not stay behind in a block that leaves it.
                let first = Int(b) &* HeapGeometry.linesPerBlock
                for l in first..<(first + HeapGeometry.linesPerBlock) { lineMarks.bytes[l].store(0, ordering: .relaxed) }
                state[Int(b)] = .unused
            }
            ownBlocks.removeAll { state[Int($0)] == .unused }
            holdBackReserve()
            return given
        }
        return blocks.decommit(given, base: base)
    }

    /// Removes from the unswept blocks those the last census found empty, and returns them (their bitmaps
    /// cleared). A block still unswept is as the last mark left it, so the census describes it. Under
    /// `monitor`.
    private func takeUnsweptEmptyBlocks() -> [Int32] {
        var empty: [Int32] = [], stillUnswept: [Int32] = []
        for b in unsweptBlocks {
            if census.liveLines[Int(b)] == 0 { empty.append(b) } else { stillUnswept.append(b) }
        }
        unsweptBlocks = stillUnswept
        for b in empty { clearBitmap(of: Int(b)) }
        return empty
    }

    /// Spare blocks now: free ones and what the pool can still give (the copy reserve included).
    var spareBlocks: Int { monitor.withLock { spareBlocksLocked } }

    private var spareBlocksLocked: Int { freeBlocks.count + blocks.spareBlocks }

    /// The copy reserve beyond this space's free blocks is held back in the pool. Under `monitor`.
    private func holdBackReserve() {
        if copyReserveBlocks > 0 { blocks.holdBack(reserveBlocks: copyReserveBlocks, besides: freeBlocks.count) }
    }

    /// Sweeps one unswept block, if any, and files it (the concurrent collector's background sweeper).
    /// Only between a mark termination and the next mark start. False when none was left.
    func sweepOne() -> Bool {
        monitor.lock()
        guard let b = unsweptBlocks.popLast() else {
            monitor.unlock()
            return false
        }
        monitor.unlock()
        let result = sweep(Int(b))
        monitor.withLock { file(Int(b), result) }
        return true
    }


    private func file(_ block: Int, _ result: SweepResult) {
        switch result {
        case .free:
            state[block] = .free
            freeBlocks.append(Int32(block))
            holdBackReserve()
        case .recyclable:
            state[block] = .recyclable
            recyclableBlocks.append(Int32(block))
        case .full:
            state[block] = .full
        }
    }

    /// Marks every line of a hole with the mark epoch: what is allocated there during a concurrent mark
    /// survives it (black allocation). Only the hole's owner calls this.
    func markHoleLive(start: Int, end: Int) {
        let epoch = markEpoch
        var line = start >> HeapGeometry.lineShift
        let last = end >> HeapGeometry.lineShift
        while line < last {
            lineMarks.bytes[line].store(epoch, ordering: .relaxed)
            line += 1
        }
    }

    /// Gives a used-up block back; it waits for the next collection.
    func retire(_ block: Int) {
        monitor.withLock { state[block] = .retired }
    }

    /// Called with the world stopped before marking: finishes the last cycle's sweep bookkeeping and
    /// starts a new mark epoch. Returns the epoch the marker must write.
    func prepareForMark() -> UInt8 {
        monitor.withLock {
            // Blocks the census found empty are free without a sweep (a defragmenting mark can copy
            // into them at once); the others only need their bitmaps cleared.
            for b in takeUnsweptEmptyBlocks() { file(Int(b), .free) }
            // Sticky marks: swept blocks kept their bits too; a full mark starts from none.
            for b in stickyMarks ? ownBlocks : unsweptBlocks { clearBitmap(of: Int(b)) }
            if markEpoch == UInt8.max {
                // Wrap-around (once every 254 cycles): renumber so that no stale byte can equal a
                // future epoch. Lines live now become epoch 1, everything else 0 ("never marked").
                for b in ownBlocks {
                    let first = Int(b) &* HeapGeometry.linesPerBlock
                    for l in first..<(first + HeapGeometry.linesPerBlock) {
                        lineMarks.bytes[l].store(lineMarks.mark(l) == liveEpoch ? 1 : 0, ordering: .relaxed)
                    }
                }
                liveEpoch = 1
                markEpoch = 2
            } else {
                markEpoch &+= 1
            }
            return markEpoch
        }
    }

    /// A minor collection of sticky marks begins (world stopped): the blocks known empty are filed free;
    /// the epoch stays, so old objects' lines stay live. Returns the epoch the marker writes.
    func prepareForMinor() -> UInt8 {
        monitor.withLock {
            for b in takeUnsweptEmptyBlocks() { file(Int(b), .free) }
            return markEpoch
        }
    }

    /// Calls `body` with every block this space holds (world stopped).
    func forEachBlock(_ body: (Int) -> Void) {
        monitor.withLock { for b in ownBlocks { body(Int(b)) } }
    }

    /// Called with the world stopped after marking, before `releaseAfterMark`: the census of every block
    /// this space holds (the mark's live lines and holes). Returns its totals.
    func takeCensus() -> ImmixBlockCensus.Totals {
        monitor.withLock { census.measure(ownBlocks, lineMarks: lineMarks, epoch: markEpoch) }
    }

    /// Called with the world stopped after marking: every block that may hold objects becomes unswept
    /// (recyclable blocks too: their mark bitmaps now hold this cycle's marks).
    func releaseAfterMark() {
        monitor.withLock {
            liveEpoch = markEpoch
            recyclableBlocks.removeAll(keepingCapacity: true)
            var unswept: [Int32] = []
            unswept.reserveCapacity(ownBlocks.count)
            for b in ownBlocks.map(Int.init) {
                switch state[b] {
                case .owned, .retired, .recyclable, .full, .unswept:
                    state[b] = .unswept
                    unswept.append(Int32(b))
                case .free, .unused:
                    break
                }
            }
            unsweptBlocks = unswept
        }
    }

    /// Sweeps every unswept block now (verify mode does this at the end of the pause so freed memory is
    /// poisoned at once).
    func sweepAllNow() {
        monitor.withLock {
            for b in unsweptBlocks { file(Int(b), sweep(Int(b))) }
            unsweptBlocks.removeAll()
        }
    }

    /// Sweeps one block: counts its free lines, poisons them in verify mode, clears its mark bitmap.
    private func sweep(_ block: Int) -> SweepResult {
        let firstLine = block &* HeapGeometry.linesPerBlock
        let (live, marking) = (liveEpoch, markEpoch)
        var freeLines = 0
        for l in 0..<HeapGeometry.linesPerBlock {
            let m = lineMarks.mark(firstLine &+ l)
            if m == live || m == marking { continue }
            freeLines &+= 1
            if poison {
                (base + ((firstLine &+ l) &<< HeapGeometry.lineShift))
                    .initializeMemory(as: UInt8.self, repeating: 0xFB, count: HeapGeometry.lineBytes)
            }
        }
        if !stickyMarks { clearBitmap(of: block) }
        if freeLines == HeapGeometry.linesPerBlock { return .free }
        return freeLines > 0 ? .recyclable : .full
    }

    private func clearBitmap(of block: Int) {
        markBitmap.clearRange(firstGranule: block &* HeapGeometry.granulesPerBlock, count: HeapGeometry.granulesPerBlock)
    }

    /// The next hole (run of free lines) in `block` at or after line `fromLine` (block-relative), as
    /// byte offsets from the heap base. Only the block's owner calls this.
    func nextHole(in block: Int, fromLine: Int) -> (start: Int, end: Int)? {
        let firstLine = block &* HeapGeometry.linesPerBlock
        let (live, marking) = (liveEpoch, markEpoch)
        @inline(__always) func used(_ line: Int) -> Bool {
            let m = lineMarks.mark(firstLine &+ line)
            return m == live || m == marking
        }
        var l = fromLine
        while l < HeapGeometry.linesPerBlock && used(l) { l &+= 1 }
        if l >= HeapGeometry.linesPerBlock { return nil }
        var e = l &+ 1
        while e < HeapGeometry.linesPerBlock && !used(e) { e &+= 1 }
        return ((firstLine &+ l) &<< HeapGeometry.lineShift, (firstLine &+ e) &<< HeapGeometry.lineShift)
    }
}
