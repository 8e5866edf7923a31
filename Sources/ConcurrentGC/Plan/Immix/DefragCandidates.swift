// Choosing the blocks a collection evacuates (Blackburn & McKinley, PLDI 2008, §3.3): before marking, from
// the census the previous mark left (ImmixBlockCensus.swift), the blocks with the most holes first, as many
// as their live lines fit into the copy reserve. Holes, not free lines, order them: a block with many small
// holes is the one bump allocation cannot use well, and the one whose few survivors are cheapest to move
// for the space they give back.
//
// Immix's histogram: `liveLinesWithHoles[h]` sums the live lines of the blocks with h holes. Walking h down
// from the most holes, classes join until their lines reach the reserve; the class that reaches it joins
// too (as in Immix and MMTk: the reserve is filled, not left half empty), and the candidates are the blocks
// with at least the last class's holes. A block with no live line (empty) or no hole (full) is never a
// candidate. The choice is a prediction: what does not fit (the last class's overflow, objects allocated
// since the census) the marker marks in place (evacuation is opportunistic, never required).
//
// Invariant: `isCandidate[b]` is 1 exactly for the blocks chosen for the current collection (the marker
// reads it without a lock, world stopped) and 0 for every block between collections.

/// The blocks one collection evacuates.
final class DefragCandidates {
    /// One byte per block: 1 for a candidate of the current collection.
    let isCandidate: UnsafeMutablePointer<UInt8>
    private(set) var blocks: [Int32] = []
    /// Live lines the census found in the candidates (what the choice expects to copy or mark in place).
    private(set) var expectedLines = 0

    init(blockCount: Int) {
        isCandidate = .allocate(capacity: blockCount)
        isCandidate.initialize(repeating: 0, count: blockCount)
    }

    deinit { isCandidate.deallocate() }

    /// Chooses the candidates from `census`: the most fragmented blocks, until their live lines reach
    /// `reserveLines`.
    func choose(from census: ImmixBlockCensus, reserveLines: Int) {
        clear()
        guard reserveLines > 0 else { return }
        let maxHoles = HeapGeometry.linesPerBlock / 2
        var liveLinesWithHoles = [Int](repeating: 0, count: maxHoles + 1)
        for b in census.measured {
            let live = Int(census.liveLines[Int(b)]), holes = Int(census.holes[Int(b)])
            if live > 0 && holes > 0 { liveLinesWithHoles[holes] += live }
        }
        var threshold = maxHoles + 1, lines = 0
        var h = maxHoles
        while h > 0 && lines < reserveLines {
            lines += liveLinesWithHoles[h]
            threshold = h
            h -= 1
        }
        guard threshold <= maxHoles else { return }
        for b in census.measured {
            let live = census.liveLines[Int(b)], holes = Int(census.holes[Int(b)])
            if live > 0 && holes >= threshold {
                isCandidate[Int(b)] = 1
                blocks.append(b)
            }
        }
        expectedLines = lines
    }

    /// No candidates (the collection is over).
    func clear() {
        for b in blocks { isCandidate[Int(b)] = 0 }
        blocks.removeAll(keepingCapacity: true)
        expectedLines = 0
    }
}
