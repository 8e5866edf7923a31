// The immix plan: the census counts live lines and holes, the candidates are the most fragmented blocks
// that fit the reserve, a fragmented heap is evacuated (objects move, keep their data, the fragmentation
// falls), pinned objects in candidate blocks stay put, the moving verifier fails when an update is
// skipped, and the copy reserve is held back from the mutators.

@testable import ConcurrentGC
import XCTest

final class ImmixTests: XCTestCase {
    func immix(heapMax: Int = 16 << 20, reserve: Double = 0.25, verify: Bool = true) throws -> (Heap, ImmixCollector) {
        var config = HeapConfiguration()
        config.collector = .immix
        config.heapMaxBytes = heapMax
        config.verify = verify
        config.minimumTriggerBytes = 8 << 20  // no collection but the test's own
        config.defragReserve = reserve
        let heap = try Heap(configuration: config)
        return (heap, heap.collector as! ImmixCollector)
    }

    func testTheCensusCountsLiveLinesAndHoles() throws {
        guard let lines = LineMarkTable(lines: 4 * HeapGeometry.linesPerBlock) else { return XCTFail("no table") }
        defer { lines.free() }
        let per = HeapGeometry.linesPerBlock, epoch: UInt8 = 7
        for l in 0..<10 { lines.bytes[per + l].store(epoch, ordering: .relaxed) }       // block 1: lines 0-9,
        lines.bytes[per + 20].store(epoch, ordering: .relaxed)                           // 20 and 255 live:
        lines.bytes[per + per - 1].store(epoch, ordering: .relaxed)                      // two holes
        for l in 0..<per { lines.bytes[2 * per + l].store(epoch, ordering: .relaxed) }  // block 2: full
        for l in stride(from: 0, to: per, by: 2) { lines.bytes[3 * per + l].store(6, ordering: .relaxed) }  // block 3: an old epoch
        let census = ImmixBlockCensus(blockCount: 4)
        let t = census.measure([1, 2, 3], lineMarks: lines, epoch: epoch)
        XCTAssertEqual(census.liveLines[1], 12)
        XCTAssertEqual(census.holes[1], 2)
        XCTAssertEqual(census.liveLines[2], UInt16(per))
        XCTAssertEqual(census.holes[2], 0)
        XCTAssertEqual(census.liveLines[3], 0)
        XCTAssertEqual(census.holes[3], 1)
        XCTAssertEqual(t.fullBlocks, 1)
        XCTAssertEqual(t.emptyBlocks, 1)
        XCTAssertEqual(t.fragmentedLines, per - 12)
        XCTAssertEqual(t.liveLines, per + 12)
    }

    /// The most holes first, until the live lines reach the reserve; empty and full blocks never.
    func testCandidatesAreTheMostFragmentedBlocksThatFit() throws {
        guard let lines = LineMarkTable(lines: 6 * HeapGeometry.linesPerBlock) else { return XCTFail("no table") }
        defer { lines.free() }
        let per = HeapGeometry.linesPerBlock
        // Block b gets `holes` holes of one free line each after `live` live lines in runs.
        func shape(_ block: Int, live: Int, holes: Int) {
            var line = 0, placed = 0
            for h in 0..<holes {
                let run = (live - placed) / (holes - h)
                for l in line..<(line + run) { lines.bytes[block * per + l].store(1, ordering: .relaxed) }
                placed += run
                line += run + 1
            }
        }
        shape(1, live: 40, holes: 40)
        shape(2, live: 100, holes: 10)
        shape(3, live: 200, holes: 2)
        for l in 0..<per { lines.bytes[4 * per + l].store(1, ordering: .relaxed) }  // full
        let census = ImmixBlockCensus(blockCount: 6)
        _ = census.measure([1, 2, 3, 4, 5], lineMarks: lines, epoch: 1)
        XCTAssertEqual(census.holes[1], 40)
        let candidates = DefragCandidates(blockCount: 6)
        candidates.choose(from: census, reserveLines: 100)
        XCTAssertEqual(Set(candidates.blocks), [1, 2], "the class that reaches the reserve joins")
        XCTAssertEqual(candidates.expectedLines, 140)
        XCTAssertEqual(candidates.isCandidate[2], 1)
        XCTAssertEqual(candidates.isCandidate[3], 0)
        candidates.choose(from: census, reserveLines: 140)
        XCTAssertEqual(Set(candidates.blocks), [1, 2])
        candidates.choose(from: census, reserveLines: 39)
        XCTAssertEqual(candidates.blocks, [1], "the most fragmented block alone")
        candidates.choose(from: census, reserveLines: 0)
        XCTAssertTrue(candidates.blocks.isEmpty, "no reserve, no candidates")
        candidates.choose(from: census, reserveLines: 10_000)
        XCTAssertEqual(Set(candidates.blocks), [1, 2, 3])
        candidates.clear()
        XCTAssertEqual(candidates.isCandidate[1], 0)
    }

    /// The first collection leaves survivors scattered (the census sees it); the second evacuates them:
    /// they move, keep their values, and the fragmentation falls. The verifier finds nothing.
    func testAFragmentedHeapIsEvacuated() throws {
        let (heap, _) = try immix()
        try withMutator(heap) { m in
            let list = try fragmentedList(m, count: 3000)
            m.collect()
            let fragmentedBefore = heap.accounting.pointee.fragmented.load(ordering: .relaxed)
            let before = addresses(m, m[list])
            m.collect()
            let after = addresses(m, m[list])
            XCTAssertEqual(walkList(m, m[list]).count, 3000)
            XCTAssertEqual(walkList(m, m[list]).sum, 2999 * 3000 / 2)
            XCTAssertLessThan(before.intersection(after).count, 100, "nearly every node moved")
            let fragmentedAfter = heap.accounting.pointee.fragmented.load(ordering: .relaxed)
            XCTAssertLessThan(fragmentedAfter * 4, fragmentedBefore, "\(fragmentedBefore) -> \(fragmentedAfter)")
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        let cycles = heap.stats.cycles
        XCTAssertEqual(cycles.count, 2)
        XCTAssertEqual(cycles[0].planColumns["defrag_candidates"], "0", "no census before the first mark")
        let second = cycles[1].planColumns
        let copied = Int(second["copied_objects"] ?? "") ?? 0
        XCTAssertGreaterThan(copied, 2900)
        XCTAssertEqual(Int(second["copied_bytes"] ?? ""), copied * 24)
        XCTAssertGreaterThan(Int(second["evacuated_blocks"] ?? "") ?? 0, 30)
        XCTAssertEqual(cycles[1].markedObjects, 3000)
    }

    /// Pinned objects in candidate blocks are marked in place; the others move. Pins of objects that died
    /// are dropped.
    func testPinnedObjectsAreNeverMoved() throws {
        let (heap, collector) = try immix(reserve: 0.5)  // every fragmented block a candidate
        try withMutator(heap) { m in
            let list = try fragmentedList(m, count: 3000)
            var pinned: [UInt32] = []
            var n = m[list], i = 0
            while !n.isNull {
                if i % 10 == 0 { XCTAssertTrue(m.pin(n)); pinned.append(n.raw) }
                n = m.load(n, 0)
                i += 1
            }
            let garbage = try m.allocate(shape: 3, referenceCount: 0, payloadBytes: 16)
            XCTAssertTrue(m.pin(garbage))
            XCTAssertEqual(collector.pins.count, 301)
            m.collect()
            XCTAssertEqual(collector.pins.count, 300, "the dead object's pin is dropped")
            m.collect()
            m.collect()
            let after = addresses(m, m[list])
            XCTAssertTrue(Set(pinned).isSubset(of: after), "a pinned node moved")
            XCTAssertEqual(walkList(m, m[list]).sum, 2999 * 3000 / 2)
            for raw in pinned { m.unpin(ObjectRef(raw: raw)) }
            XCTAssertEqual(collector.pins.count, 0)
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        let second = heap.stats.cycles[1].planColumns
        XCTAssertGreaterThan(Int(second["copied_objects"] ?? "") ?? 0, 2000)
        XCTAssertGreaterThanOrEqual(Int(second["in_place_bytes"] ?? "") ?? 0, 300 * 24, "the pinned nodes stayed in their blocks")
    }

    /// When the reserve runs out, the rest of the candidates' objects are marked in place: nothing is lost
    /// and the list is intact, whichever block each node ended in.
    func testObjectsAreMarkedInPlaceWhenTheReserveIsFull() throws {
        let (heap, collector) = try immix(reserve: 0.5)
        try withMutator(heap) { m in
            let list = try fragmentedList(m, count: 3000)
            m.collect()
            collector.debugCopyBlockLimit = 1
            m.collect()
            XCTAssertEqual(walkList(m, m[list]).count, 3000)
            XCTAssertEqual(walkList(m, m[list]).sum, 2999 * 3000 / 2)
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        let second = heap.stats.cycles[1].planColumns
        let copied = Int(second["copied_objects"] ?? "") ?? 0
        XCTAssertGreaterThan(copied, 1000)
        XCTAssertLessThanOrEqual(copied * 24, HeapGeometry.blockBytes, "one block of copies")
        XCTAssertEqual(Int(second["in_place_bytes"] ?? ""), (3000 - copied) * 24, "every other node stayed")
    }

    /// Semispace cannot keep an object in place: pin says so. Non-moving plans: always true.
    func testPinSaysWhetherThePlanCanKeepAnObjectInPlace() throws {
        for (kind, expected) in [(CollectorKind.semispace, false), (.stw, true), (.concurrent, true), (.immix, true)] {
            let heap = try makeHeap(kind)
            try withMutator(heap) { m in
                let n = try node(m, 1)
                XCTAssertEqual(m.pin(n), expected, "\(kind)")
                m.unpin(n)
            }
        }
    }

    /// The verifier can fail: an evacuating collection that leaves one field stale is caught by the
    /// reference check (and repaired) and by the graph digest.
    func testTheMovingVerifierCatchesAStaleFieldAfterEvacuation() throws {
        let (heap, collector) = try immix()
        try withMutator(heap) { m in
            let list = try fragmentedList(m, count: 2000)
            m.collect()
            collector.debugSkipSlotUpdates = 1
            m.collect()
            XCTAssertEqual(walkList(m, m[list]).count, 2000, "the stale field was repaired")
        }
        let problems = heap.stats.lostObjects.compactMap(\.problem)
        XCTAssertEqual(heap.stats.lostObjectCount, 2, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("still points to the moved object") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("reachable graph changed") }, "\(problems)")
    }

    /// `--defrag-reserve 0`: immix never evacuates and marks as stw does.
    func testNoReserveMeansNoEvacuation() throws {
        let (heap, _) = try immix(reserve: 0)
        try withMutator(heap) { m in
            let list = try fragmentedList(m, count: 2000)
            m.collect()
            let before = addresses(m, m[list])
            m.collect()
            XCTAssertEqual(addresses(m, m[list]), before)
        }
        for c in heap.stats.cycles {
            XCTAssertEqual(c.planColumns["defrag_candidates"], "0")
            XCTAssertEqual(c.planColumns["copied_bytes"], "0")
        }
    }

    /// The copy reserve is held back: with half the heap reserved, a list stw holds does not fit, and the
    /// error names the reserve.
    func testTheCopyReserveIsHeldBackFromTheMutators() throws {
        for (reserve, count, fits) in [(0.5, 25_000, true), (0.5, 60_000, false), (0.02, 60_000, true)] {
            let (heap, _) = try immix(heapMax: 2 << 20, reserve: reserve, verify: false)
            let caught = try heapErrorBuildingList(heap, count: count)
            if fits {
                XCTAssertNil(caught, "reserve \(reserve), \(count): \(String(describing: caught))")
            } else if case let .exhausted(_, _, _, limit, reserveBytes)? = caught {
                XCTAssertEqual(reserveBytes, limit / 2)
                XCTAssertTrue(caught!.description.contains("copy reserve"))
            } else {
                XCTFail("reserve \(reserve), \(count): expected exhaustion, got \(String(describing: caught))")
            }
        }
    }
}

/// A list of `count` nodes, each followed by a garbage object of ~3 lines: after a collection every
/// survivor sits alone among free lines, ~70 holes per block.
private func fragmentedList(_ m: Mutator, count: Int) throws -> RootSlot {
    let head = m.pushRoot()
    for i in 0..<count {
        m[head] = try node(m, i, m[head])
        _ = try m.allocate(shape: 2, referenceCount: 0, payloadBytes: 400)
    }
    return head
}

private func addresses(_ m: Mutator, _ head: ObjectRef) -> Set<UInt32> {
    var n = head, seen = Set<UInt32>()
    while !n.isNull { seen.insert(n.raw); n = m.load(n, 0) }
    return seen
}
