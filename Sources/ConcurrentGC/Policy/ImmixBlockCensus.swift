// The census of the Immix space, taken with the world stopped at the end of every mark: for each block,
// how many of its lines the mark found live and how many holes (runs of free lines) it has. Immix's
// defragmentation chooses its candidates from these figures (the most holes first: Blackburn & McKinley,
// PLDI 2008, §3.3), and heap.csv's fragmentation is their total: free lines in partly used blocks.
//
// A line is live when its mark byte equals the mark's epoch. The census reads eight line bytes at a time
// and finds the live ones with the zero-byte trick (x = bytes ^ epoch; a byte is zero exactly when its
// line is live), so a 256-line block costs 32 word operations: a 100 MiB heap takes ~3 200 blocks, ~10^5
// operations, inside the pause.
//
// Invariant: between two censuses the figures of a block describe it as the last mark left it. A block
// the mark found empty has no live line; between marks its figures only overstate its holes (allocation
// fills holes without marking lines), which is what Immix's heuristic expects.

/// Each block's live lines and holes at the end of the last mark.
final class ImmixBlockCensus {
    /// The totals of one census.
    struct Totals {
        /// Blocks of the space (taken from the pool).
        var blocks = 0
        /// Blocks with no live line, and blocks with no free line.
        var emptyBlocks = 0
        var fullBlocks = 0
        /// Free lines in blocks that also hold live lines: the fragmentation.
        var fragmentedLines = 0
        var liveLines = 0

        /// Bytes of free lines in partly used blocks.
        var fragmentedBytes: Int { fragmentedLines * HeapGeometry.lineBytes }
    }

    /// Per block: live lines (0 ... linesPerBlock) and holes (0 ... linesPerBlock / 2), raw memory.
    let liveLines: UnsafeMutablePointer<UInt16>
    let holes: UnsafeMutablePointer<UInt8>
    /// The blocks the last census measured.
    private(set) var measured: [Int32] = []

    init(blockCount: Int) {
        liveLines = .allocate(capacity: blockCount)
        liveLines.initialize(repeating: 0, count: blockCount)
        holes = .allocate(capacity: blockCount)
        holes.initialize(repeating: 0, count: blockCount)
    }

    deinit {
        liveLines.deallocate()
        holes.deallocate()
    }

    /// Measures `blocks` against the mark epoch `epoch` (world stopped, marking complete).
    func measure(_ blocks: [Int32], lineMarks: LineMarkTable, epoch: UInt8) -> Totals {
        let pattern = UInt64(epoch) &* 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, high: UInt64 = 0x8080_8080_8080_8080
        let wordsPerBlock = HeapGeometry.linesPerBlock / 8
        let words = UnsafeRawPointer(lineMarks.bytes).assumingMemoryBound(to: UInt64.self)
        var t = Totals()
        for b in blocks {
            let block = Int(b)
            let first = words + block &* wordsPerBlock
            var live = 0, runs = 0
            var carry: UInt64 = 0  // bit 7 set when the previous line was free (the block start is not)
            for w in 0..<wordsPerBlock {
                let x = first[w] ^ pattern
                let free = (((x & low7) &+ low7) | x) & high  // bit 7 of each byte: its line is free
                live &+= 8 &- free.nonzeroBitCount
                runs &+= (free & ~((free &<< 8) | carry)).nonzeroBitCount  // free lines after a used one
                carry = free &>> 56
            }
            liveLines[block] = UInt16(live)
            holes[block] = UInt8(runs)
            t.liveLines &+= live
            if live == 0 { t.emptyBlocks &+= 1 }
            else if live == HeapGeometry.linesPerBlock { t.fullBlocks &+= 1 }
            else { t.fragmentedLines &+= HeapGeometry.linesPerBlock &- live }
        }
        t.blocks = blocks.count
        measured = blocks
        return t
    }
}
