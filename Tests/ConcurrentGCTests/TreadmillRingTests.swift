// Tests of Baker's treadmill (Policy/TreadmillRing.swift): the invariant after every operation of random
// runs checked against an object-graph model, flips on small and large rings, stamp renumbering, and the
// space bound of an incremental cycle.

@testable import ConcurrentGC
import XCTest

/// SplitMix64 (the Workloads module has one; this test target does not depend on it).
private struct TreadmillRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// The mutator's object graph: up to two children per cell (-1 = null) and a set of roots.
private struct GraphModel {
    var children: [[Int]]
    var roots: [Int] = []
    init(capacity: Int) { children = Array(repeating: [-1, -1], count: capacity) }

    /// Cells reachable from the roots.
    func reachable() -> Set<Int> {
        var seen = Set(roots), work = roots
        while let c = work.popLast() {
            for child in children[c] where child >= 0 && seen.insert(child).inserted { work.append(child) }
        }
        return seen
    }
}

final class TreadmillRingTests: XCTestCase {
    private func assertInvariants(_ ring: borrowing TreadmillRing, _ context: @autoclosure () -> String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        if let violation = ring.checkInvariants() {
            XCTFail("\(context()): \(violation)", file: file, line: line)
        }
    }

    func testFreshRingIsAllFree() {
        let ring = TreadmillRing(capacity: 5)
        XCTAssertEqual(ring.segmentCounts, .init(free: 5, black: 0, grey: 0, ecru: 0))
        for c in 0..<5 { XCTAssertEqual(ring.colour(of: c), .free) }
        assertInvariants(ring, "fresh")
    }

    /// One cycle by hand: allocate, flip, grey a root, scan, flip frees exactly the unreached cells.
    func testOneCycleByHand() {
        var ring = TreadmillRing(capacity: 6)
        var cells: [Int] = []
        while let c = ring.allocate() {
            XCTAssertEqual(ring.colour(of: c), .black)
            cells.append(c)
            assertInvariants(ring, "allocate \(c)")
        }
        XCTAssertEqual(cells.count, 6)
        XCTAssertEqual(ring.flip(), 0)  // nothing was ecru; the 6 black cells become ecru
        XCTAssertEqual(ring.segmentCounts, .init(free: 0, black: 0, grey: 0, ecru: 6))
        assertInvariants(ring, "first flip")
        // Graph: 0 -> 1 -> 2; 3, 4, 5 unreachable. Roots: 0.
        let children = [[1], [2], [], [4], [], []]
        XCTAssertEqual(ring.greyRoots([cells[0]]), 1)
        XCTAssertFalse(ring.grey(cells[0]), "greying a grey cell does nothing")
        assertInvariants(ring, "grey roots")
        var scanned: [Int] = []
        while let c = ring.scanNext() {
            scanned.append(c)
            for child in children[c] { ring.grey(child) }
            assertInvariants(ring, "scan \(c)")
        }
        XCTAssertEqual(scanned, [0, 1, 2])
        XCTAssertFalse(ring.grey(0), "greying a black cell does nothing")
        XCTAssertEqual(ring.flip(), 3)
        assertInvariants(ring, "second flip")
        XCTAssertEqual(ring.segmentCounts, .init(free: 3, black: 0, grey: 0, ecru: 3))
        for c in 3...5 {
            XCTAssertEqual(ring.colour(of: c), .free)
            XCTAssertFalse(ring.grey(c), "greying a free cell does nothing")
        }
        for c in 0...2 { XCTAssertEqual(ring.colour(of: c), .ecru) }
        // The freed cells are allocated again, and nothing else.
        var again = Set<Int>()
        while let c = ring.allocate() { again.insert(c) }
        XCTAssertEqual(again, [3, 4, 5])
        assertInvariants(ring, "reallocate")
    }

    /// Rings of one and two cells, where all four pointers coincide.
    func testTinyRings() {
        var one = TreadmillRing(capacity: 1)
        XCTAssertEqual(one.allocate(), 0)
        XCTAssertNil(one.allocate())
        one.flip()
        XCTAssertTrue(one.grey(0))
        assertInvariants(one, "one: grey")
        XCTAssertEqual(one.scanNext(), 0)
        XCTAssertNil(one.scanNext())
        XCTAssertEqual(one.flip(), 0)
        XCTAssertEqual(one.flip(), 1)  // not greyed this time: freed
        assertInvariants(one, "one: freed")
        XCTAssertEqual(one.allocate(), 0)

        for rootIndex in 0..<2 {
            var two = TreadmillRing(capacity: 2)
            XCTAssertNotNil(two.allocate()); XCTAssertNotNil(two.allocate())
            two.flip()
            XCTAssertTrue(two.grey(rootIndex))
            assertInvariants(two, "two: grey \(rootIndex)")
            XCTAssertEqual(two.scanNext(), rootIndex)
            XCTAssertEqual(two.flip(), 1)
            assertInvariants(two, "two: flip")
            XCTAssertEqual(two.colour(of: 1 - rootIndex), .free)
            XCTAssertEqual(two.allocate(), 1 - rootIndex)
            assertInvariants(two, "two: allocate")
        }
    }

    /// Thousands of random operations (allocate and link, store with an insertion barrier, drop roots, scan
    /// steps, flips) on a model graph, with the invariant checked after every one; no cell reachable in the
    /// model is ever free. Now and then a full cycle without mutation checks that its flip frees exactly the
    /// allocated cells the model cannot reach.
    func testRandomOperationsAgainstGraphModel() {
        for seed: UInt64 in [1, 2, 3] {
            randomRun(seed: seed, capacity: 48, operations: 4000)
        }
        randomRun(seed: 99, capacity: 300, operations: 3000)
    }

    private func randomRun(seed: UInt64, capacity: Int, operations: Int) {
        var rng = TreadmillRNG(state: seed)
        var ring = TreadmillRing(capacity: capacity)
        var model = GraphModel(capacity: capacity)
        var flips = 0, fullChecks = 0, exhausted = 0

        /// One scan step: blacken the next grey cell and grey its children.
        func scanStep(_ ring: inout TreadmillRing) -> Bool {
            guard let c = ring.scanNext() else { return false }
            for child in model.children[c] where child >= 0 { ring.grey(child) }
            return true
        }

        for op in 0..<operations {
            let live = Array(model.reachable())
            let what = rng.below(100)
            var name = ""
            switch what {
            case 0..<30:  // allocate; link the new cell from a root slot or a reachable cell's field
                name = "allocate"
                guard let c = ring.allocate() else { exhausted += 1; break }
                XCTAssertEqual(ring.colour(of: c), .black, "seed \(seed) op \(op)")
                model.children[c] = [-1, -1]
                if live.isEmpty || rng.below(4) == 0 {
                    model.roots.append(c)
                    ring.grey(c)  // a new root is greyed (a no-op: it is black)
                } else {
                    model.children[live[rng.below(live.count)]][rng.below(2)] = c
                    ring.grey(c)  // insertion barrier
                }
            case 30..<45:  // store a reachable cell (or null) into a reachable cell's field
                name = "store"
                guard !live.isEmpty else { break }
                let source = live[rng.below(live.count)]
                let target = rng.below(4) == 0 ? -1 : live[rng.below(live.count)]
                model.children[source][rng.below(2)] = target
                if target >= 0 { ring.grey(target) }  // insertion barrier: no black-to-ecru edge
            case 45..<52:  // drop a root
                name = "drop root"
                if !model.roots.isEmpty { model.roots.remove(at: rng.below(model.roots.count)) }
            case 52..<92:
                name = "scan"
                _ = scanStep(&ring)
            case 92..<98:  // flip when marking is done, and start the next cycle
                name = "flip"
                guard ring.markingDone else { break }
                ring.flip()
                flips += 1
                ring.greyRoots(model.roots)
            default:  // a full cycle without mutation: exactly the unreachable allocated cells are freed
                name = "full cycle"
                while scanStep(&ring) {}
                ring.flip()  // ends the incremental cycle (may keep floating garbage)
                ring.greyRoots(model.roots)
                while scanStep(&ring) {}
                let reachable = model.reachable()
                var expectedFreed = Set<Int>()
                for c in 0..<capacity {
                    let colour = ring.colour(of: c)
                    if reachable.contains(c) {
                        XCTAssertEqual(colour, .black, "seed \(seed) op \(op): reachable cell \(c)")
                    } else if colour != .free {
                        XCTAssertEqual(colour, .ecru, "seed \(seed) op \(op): unreachable cell \(c)")
                        expectedFreed.insert(c)
                    }
                }
                let freed = ring.flip()
                XCTAssertEqual(freed, expectedFreed.count, "seed \(seed) op \(op)")
                for c in expectedFreed { XCTAssertEqual(ring.colour(of: c), .free, "seed \(seed) op \(op)") }
                for c in reachable { XCTAssertEqual(ring.colour(of: c), .ecru, "seed \(seed) op \(op)") }
                flips += 2
                fullChecks += 1
                ring.greyRoots(model.roots)
            }
            if let violation = ring.checkInvariants() {
                XCTFail("seed \(seed) op \(op) (\(name)): \(violation)")
                return
            }
            for c in model.reachable() where ring.colour(of: c) == .free {
                XCTFail("seed \(seed) op \(op) (\(name)): reachable cell \(c) is free")
                return
            }
        }
        // The run must have exercised what it is meant to.
        XCTAssertGreaterThan(flips, 20, "seed \(seed)")
        XCTAssertGreaterThan(fullChecks, 5, "seed \(seed)")
    }

    /// Flipping does not depend on the ring's size (nothing is asserted about time: a benchmark belongs
    /// elsewhere; this only shows that a flip on a 1M-cell ring works like one on a 1K-cell ring).
    func testFlipOnSmallAndLargeRings() {
        for capacity in [1 << 10, 1 << 20] {
            var ring = TreadmillRing(capacity: capacity)
            while ring.allocate() != nil {}
            XCTAssertEqual(ring.flip(), 0)
            // Keep a chain of 3 cells: root 0 -> 1 -> 2.
            ring.greyRoots([0])
            while let c = ring.scanNext() { if c < 2 { ring.grey(c + 1) } }
            let clock = ContinuousClock()
            var freed = 0
            let elapsed = clock.measure { freed = ring.flip() }
            print("treadmill flip of a \(capacity)-cell ring: \(elapsed)")
            XCTAssertEqual(freed, capacity - 3)
            XCTAssertEqual(ring.segmentCounts, .init(free: capacity - 3, black: 0, grey: 0, ecru: 3))
            XCTAssertEqual(ring.colour(of: capacity - 1), .free)
            XCTAssertEqual(ring.colour(of: 2), .ecru)
            XCTAssertNil(ring.checkInvariants(), "capacity \(capacity)")
        }
    }

    /// Stamps are renumbered before the epoch counter wraps; colours are unchanged by it.
    func testEpochWrapRenumbersStamps() {
        var ring = TreadmillRing(capacity: 8, firstEpoch: UInt32.max - 3)
        var colours: [TreadmillRing.Colour] = []
        for _ in 0..<10 {
            // Keep cell 0 (once allocated) reachable; allocate one more cell each cycle.
            _ = ring.allocate()
            ring.greyRoots([0])
            while ring.scanNext() != nil {}
            ring.flip()
            XCTAssertNil(ring.checkInvariants())
            colours = (0..<8).map { ring.colour(of: $0) }
            XCTAssertEqual(colours[0], .ecru)
            XCTAssertEqual(colours.filter { $0 == .ecru }.count, ring.ecruCount)
        }
        XCTAssertEqual(ring.segmentCounts.ecru, 2)  // cell 0 and the last cell allocated
    }
}

extension TreadmillRingTests {
    /// A mutator that keeps `reachable` cells alive in a table of roots and allocates `allocations` cells,
    /// each replacing a random root (the old one becomes garbage), doing `k` scan steps before each
    /// allocation; when no grey cell remains it flips and re-greys the roots. Returns the allocation at
    /// which the ring had no free cell, or nil if it never ran out.
    fileprivate func incrementalMutator(capacity: Int, reachable: Int, k: Int, allocations: Int,
                                        seed: UInt64) -> Int? {
        var rng = TreadmillRNG(state: seed)
        var ring = TreadmillRing(capacity: capacity)
        var roots: [Int] = []
        for _ in 0..<reachable { roots.append(ring.allocate()!) }
        ring.flip()
        ring.greyRoots(roots)
        for a in 0..<allocations {
            for _ in 0..<k {
                if ring.markingDone {
                    ring.flip()
                    ring.greyRoots(roots)
                }
                _ = ring.scanNext()  // roots have no fields
            }
            guard let c = ring.allocate() else { return a }
            roots[rng.below(reachable)] = c  // a new root is black: no barrier work
        }
        return nil
    }

    /// Baker's space bound for an incremental cycle. Marking a cycle scans the R roots in R/k allocations,
    /// and cells allocated black survive the cycle they are allocated in (floating garbage). So when a flip
    /// starts a cycle the ring holds the last cycle's black cells, R scanned + R/k allocated, and the new
    /// cycle allocates R/k more before its own flip frees anything: R·(1 + 2/k) cells are needed, and enough.
    /// R·(1 + 1/k) is Baker's bound for one semispace of his copying collector (to-space holds R copies +
    /// R/k new cells); the treadmill holds from-space and to-space in one ring without copying, and R·(1 + 1/k)
    /// cells run out in this model.
    func testBakersBoundDuringIncrementalCycles() {
        for (r, k) in [(10, 1), (10, 2), (7, 2), (12, 3), (30, 5), (100, 4)] {
            let perCycle = (r + k - 1) / k  // allocations while one cycle scans R cells
            for seed: UInt64 in [1, 2, 3] {
                XCTAssertNil(incrementalMutator(capacity: r + 2 * perCycle, reachable: r, k: k, allocations: 5000,
                                                seed: seed), "R \(r) k \(k) seed \(seed): ran out")
            }
            XCTAssertNotNil(incrementalMutator(capacity: r + perCycle, reachable: r, k: k, allocations: 5000,
                                               seed: 1), "R \(r) k \(k): R(1 + 1/k) cells were enough")
        }
        // Exact where R/k is whole: one cell fewer than R(1 + 2/k) runs out.
        XCTAssertNotNil(incrementalMutator(capacity: 10 + 2 * 5 - 1, reachable: 10, k: 2, allocations: 5000, seed: 1))
    }
}

extension TreadmillRingTests {
    /// The operations a space needs beyond Baker's (white allocation, blackening a cell straight from ecru,
    /// re-greying a black cell, adding and removing free cells), in random order on a ring that starts with
    /// one cell: after every operation the invariant holds and every cell has the colour a model predicts.
    func testReshapingOperationsKeepTheInvariant() {
        for seed: UInt64 in [5, 6, 7, 8] {
            var rng = TreadmillRNG(state: seed)
            var ring = TreadmillRing(capacity: 1)
            var expected: [Int: TreadmillRing.Colour] = [0: .free]  // linked cells only
            var retired: [Int] = []
            var counts = [String: Int]()
            func cells(_ colour: TreadmillRing.Colour) -> [Int] { expected.filter { $0.value == colour }.map(\.key).sorted() }
            for op in 0..<3000 {
                var name = ""
                switch rng.below(13) {
                case 0:
                    name = "add"
                    let reuse = retired.isEmpty || rng.below(2) == 0 ? nil : retired.removeLast()
                    let c = ring.addFreeCell(reusing: reuse)
                    if let reuse { XCTAssertEqual(c, reuse) }
                    expected[c] = .free
                case 1:
                    name = "remove"
                    if let c = ring.removeFreeCell() {
                        XCTAssertEqual(expected[c], .free, "seed \(seed) op \(op): removed a \(expected[c].map { "\($0)" } ?? "missing") cell")
                        expected[c] = nil
                        retired.append(c)
                    } else {
                        XCTAssertTrue(cells(.free).isEmpty || expected.count == 1)
                    }
                case 2:
                    name = "allocate"
                    if let c = ring.allocate() { expected[c] = .black } else { XCTAssertTrue(cells(.free).isEmpty) }
                case 3:
                    name = "allocate white"
                    if let c = ring.allocateWhite() { expected[c] = .ecru } else { XCTAssertTrue(cells(.free).isEmpty) }
                case 4:
                    name = "grey"
                    let ecru = cells(.ecru)
                    if !ecru.isEmpty { let c = ecru[rng.below(ecru.count)]; XCTAssertTrue(ring.grey(c)); expected[c] = .grey }
                case 5:
                    name = "blacken"
                    let ecru = cells(.ecru)
                    if !ecru.isEmpty { let c = ecru[rng.below(ecru.count)]; XCTAssertTrue(ring.blacken(c)); expected[c] = .black }
                    let black = cells(.black)
                    if !black.isEmpty { XCTAssertFalse(ring.blacken(black[0])) }
                case 6:
                    name = "regrey"
                    let black = cells(.black)
                    if !black.isEmpty { let c = black[rng.below(black.count)]; XCTAssertTrue(ring.regrey(c)); expected[c] = .grey }
                case 12:
                    name = "remove chosen"  // the space gives back a chunk of free cells
                    let free = cells(.free)
                    if !free.isEmpty {
                        let c = free[rng.below(free.count)]
                        ring.removeFreeCell(c)
                        expected[c] = nil
                        retired.append(c)
                    }
                case 11:
                    name = "unallocate"
                    let black = cells(.black)
                    if !black.isEmpty { let c = black[rng.below(black.count)]; XCTAssertTrue(ring.unallocate(c)); expected[c] = .free }
                case 7, 8:
                    name = "scan"
                    if let c = ring.scanNext() {
                        XCTAssertEqual(expected[c], .grey)
                        expected[c] = .black
                    } else {
                        XCTAssertTrue(cells(.grey).isEmpty)
                    }
                case 9:
                    name = "flip"
                    guard ring.markingDone else { break }
                    ring.flip()
                    for (c, colour) in expected {
                        expected[c] = colour == .black ? .ecru : colour == .ecru ? .free : colour
                    }
                default:
                    name = "walk"
                    for segment in [TreadmillRing.Segment.free, .ecru, .grey, .black] {
                        var walked: [Int] = []
                        ring.forEachCell(in: segment) { walked.append($0) }
                        let colour: TreadmillRing.Colour = [.free, .ecru, .grey, .black][segment.rawValue]
                        XCTAssertEqual(walked.sorted(), cells(colour), "seed \(seed) op \(op): \(segment)")
                    }
                }
                counts[name, default: 0] += 1
                if let violation = ring.checkInvariants() {
                    XCTFail("seed \(seed) op \(op) (\(name)): \(violation)")
                    return
                }
                XCTAssertEqual(ring.capacity, expected.count)
                for (c, colour) in expected where ring.colour(of: c) != colour {
                    XCTFail("seed \(seed) op \(op) (\(name)): cell \(c) is \(ring.colour(of: c)), expected \(colour)")
                    return
                }
            }
            XCTAssertGreaterThan(ring.indexCount, 10, "seed \(seed): the ring grew")
        }
    }
}
