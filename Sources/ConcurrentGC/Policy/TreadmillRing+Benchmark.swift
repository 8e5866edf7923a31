// `gclab bench flip`: the treadmill's flip against the size of the ring. A flip moves three pointers and
// increments an epoch, so it should cost the same on a ring of a thousand cells as on one of a million;
// for scale, the same ring is also visited cell by cell, which is what a sweep would at least do.

/// Timings of Baker's flip, for the benchmark command.
public enum TreadmillFlipBenchmark {
    /// Times `repeats` flips of a ring of `cells` cells, each ending a cycle in which every cell was
    /// allocated and a chain of three stayed reachable, and one pass over every cell's colour. Returns
    /// the flips' durations and the pass's, in nanoseconds.
    public static func measure(cells: Int, repeats: Int) -> (flipsNs: [UInt64], visitAllNs: UInt64) {
        var ring = TreadmillRing(capacity: cells)
        var flips: [UInt64] = []
        for _ in 0..<repeats {
            while ring.allocate() != nil {}  // the free cells are allocated (black)...
            ring.greyRoots([0])
            while ring.scanNext() != nil {}
            ring.flip()  // ...and are white in the cycle timed below, where only the chain is reached
            ring.greyRoots([0])
            while let c = ring.scanNext() { if c < 2 { ring.grey(c + 1) } }
            // The ring's address escapes to a global first: the opaque clock calls might read it, so the
            // optimizer cannot move the flip out from between them.
            withUnsafeMutablePointer(to: &ring) { benchmarkEscape = UnsafeMutableRawPointer($0) }
            let t0 = Clock.now()
            let freed = ring.flip()
            let t1 = Clock.now()
            precondition(freed == cells - 3, "each timed flip frees all but the chain")
            flips.append(t1 &- t0)
        }
        let t0 = Clock.now()
        var black = 0
        for c in 0..<cells where ring.colour(of: c) != .free { black &+= 1 }
        let visit = Clock.now() &- t0
        precondition(black > 0 && ring.checkInvariants() == nil, "benchmark ring broken")
        return (flips, visit)
    }
}

/// Where the flip benchmark lets its ring's address escape.
nonisolated(unsafe) private var benchmarkEscape: UnsafeMutableRawPointer?
