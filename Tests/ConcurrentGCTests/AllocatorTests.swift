@testable import ConcurrentGC
import XCTest

final class AllocatorTests: XCTestCase {
    func testFastPathBumpsContiguously() throws {
        let heap = try makeHeap()
        try withMutator(heap) { m in
            _ = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8)  // takes a block (slow path)
            let a = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8)
            let b = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8)
            XCTAssertEqual(b.offset - a.offset, 24)
            XCTAssertEqual(a.offset >> HeapGeometry.blockShift, b.offset >> HeapGeometry.blockShift)
            XCTAssertGreaterThanOrEqual(a.offset, HeapGeometry.blockBytes, "block 0 is never used")
        }
    }

    func testSlowPathMovesToNewBlocks() throws {
        let heap = try makeHeap()
        try withMutator(heap) { m in
            var blocks = Set<Int>()
            for _ in 0..<5000 { blocks.insert(try m.allocate(shape: 1, referenceCount: 0, payloadBytes: 56).offset >> HeapGeometry.blockShift) }
            // 5000 × 64 bytes = 312.5 KiB: at least 10 blocks.
            XCTAssertGreaterThanOrEqual(blocks.count, 10)
            XCTAssertEqual(heap.committedBytes, blocks.count * HeapGeometry.blockBytes, "every block committed is in use")
        }
    }

    /// After a collection the allocator bump-allocates into the free lines of partly used blocks (or the
    /// treadmill's freed cells). Not for a copying plan: it has no holes, and reuses whole blocks
    /// (SemiSpaceTests, BakerTests).
    func testHoleFindingReusesFreeLinesOfRecyclableBlocks() throws {
        let inPlace = CollectorKind.allCases.filter { $0 != .semispace && $0 != .baker && $0 != .gencopy }
        for (collector, verify) in inPlace.flatMap({ c in [(c, false), (c, true)] }) {
            let heap = try makeHeap(collector, verify: verify)
            try withMutator(heap) { m in
                let keep = m.pushRoot()
                var keptBlocks = Set<Int>()
                for i in 0..<20_000 {
                    if i % 12 == 0 {
                        m[keep] = try node(m, i, m[keep])
                        keptBlocks.insert(m[keep].offset >> HeapGeometry.blockShift)
                    } else {
                        _ = try node(m, -1)
                    }
                }
                m.collect()
                let before = heap.committedBytes  // (a copying plan commits its copies during the collection)
                var reused = 0
                for i in 0..<5000 {
                    let n = try node(m, i)
                    let block = n.offset >> HeapGeometry.blockShift
                    if keptBlocks.contains(block) {
                        reused += 1
                        // The new object must not overlap a line holding a kept object.
                        XCTAssertTrue(heap.isValidObject(n))
                    }
                }
                XCTAssertEqual(heap.committedBytes, before, "\(collector): no fresh block needed: the freed lines or cells suffice")
                XCTAssertEqual(reused, 5000, "every new object went into a hole of a block with survivors")
                let (count, sum) = walkList(m, m[keep])
                XCTAssertEqual(count, (20_000 + 11) / 12)
                XCTAssertEqual(sum, stride(from: 0, to: 20_000, by: 12).reduce(0, +))
            }
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
        }
    }

    func testMediumObjectsUseOverflowBlockAndStayIntact() throws {
        let heap = try makeHeap()
        try withMutator(heap) { m in
            let head = m.pushRoot()
            for i in 0..<2000 {
                // Alternate small nodes and 2 KiB medium objects that rarely fit the current hole.
                let big = try m.allocate(shape: 3, referenceCount: 1, payloadBytes: 2048)
                m.storePayload(big, referenceCount: 1, at: 0, i)
                m.store(big, 0, m[head])
                m[head] = big
                _ = try node(m, i)
            }
            var n = m[head], expected = 1999
            while !n.isNull {
                XCTAssertEqual(m.loadPayload(n, referenceCount: 1, at: 0, as: Int.self), expected)
                expected -= 1
                n = m.load(n, 0)
            }
            XCTAssertEqual(expected, -1)
        }
    }

    func testLargeObjectsLiveInTheLargeObjectSpaceAndAreFreed() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, heapMax: 16 << 20)
            try withMutator(heap) { m in
                let kept = m.pushRoot(try m.allocate(shape: 4, referenceCount: 0, payloadBytes: 100_000))
                XCTAssertGreaterThanOrEqual(m[kept].offset, heap.largeObjectStart)
                XCTAssertTrue(m.header(m[kept]).isLarge)
                m.storePayload(m[kept], referenceCount: 0, at: 99_992, 0xC0FFEE)
                // 1 MiB objects, all garbage: 64 of them need collections to fit in 16 MiB.
                for _ in 0..<64 { _ = try m.allocate(shape: 4, referenceCount: 0, payloadBytes: 1 << 20) }
                m.collect()
                XCTAssertEqual(heap.largeObjectSpace.largeObjectCount, 1, "\(collector)")
                XCTAssertEqual(m.loadPayload(m[kept], referenceCount: 0, at: 99_992, as: Int.self), 0xC0FFEE)
                XCTAssertNil(heap.largeObjectSpace.checkInvariants())
                // The freed cells stay in their ring (no sweep) until memory is short; trimming returns them.
                heap.accounting.pointee.uncommit(heap.largeObjectSpace.trimFreeLargeCells())
                XCTAssertLessThan(heap.committedBytes, 1 << 20, "\(collector)")
            }
            XCTAssertGreaterThan(heap.collectionCount, 1)
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
        }
    }

    /// Blocks freed by small objects go back to the limit when a large object needs the room: a heap that
    /// held 0.8 MiB of small objects (all garbage now) still takes a 1.5 MiB large object within 2 MiB.
    /// (Not the treadmill: its small cells keep their blocks for good, a known limit.)
    func testFreeBlocksAreDecommittedForLargeObjects() throws {
        for collector in CollectorKind.allCases where collector != .treadmill {
            let heap = try makeHeap(collector, heapMax: 2 << 20, verify: false, minimumTrigger: 1 << 20)
            let size = 3 << 19
            try withMutator(heap) { m in
                let list = try rootedList(m, count: 35_000)  // 0.8 MiB of nodes
                XCTAssertEqual(walkList(m, m[list]).count, 35_000)
                m[list] = .null
                m.collect()
                XCTAssertGreaterThan(heap.committedBytes + size, 2 << 20, "\(collector): the blocks are still committed")
                let big = m.pushRoot(try m.allocate(shape: 4, referenceCount: 0, payloadBytes: size))
                m.storePayload(m[big], referenceCount: 0, at: size - 8, 0xC0FFEE)
                XCTAssertEqual(m.loadPayload(m[big], referenceCount: 0, at: size - 8, as: Int.self), 0xC0FFEE)
                // Blocks serve small objects again (recommitted from the pool).
                let again = try rootedList(m, count: 5_000)
                XCTAssertEqual(walkList(m, m[again]).count, 5_000, "\(collector)")
            }
            XCTAssertLessThanOrEqual(heap.peakCommittedBytes, 2 << 20)
        }
    }

    func testRootFramesPushPopAndGrow() throws {
        var config = HeapConfiguration()
        config.rootSlotsPerMutator = 16
        config.verify = true
        let heap = try Heap(configuration: config)
        try withMutator(heap) { m in
            let outer = m.frame()
            var slots: [RootSlot] = []
            for i in 0..<100 { slots.append(m.pushRoot(try node(m, i))) }  // grows past 16 slots
            XCTAssertEqual(m.rootDepth, 100)
            m.collect()
            for (i, s) in slots.enumerated() { XCTAssertEqual(value(m, m[s]), i) }
            let inner = m.frame()
            m.pushRoot(try node(m, 1000))
            m.popFrame(inner)
            XCTAssertEqual(m.rootDepth, 100)
            m.popFrame(outer)
            XCTAssertEqual(m.rootDepth, 0)
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }

    func testHeapExhaustionNamesTheNumbers() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, heapMax: 2 << 20, minimumTrigger: 1 << 20)
            var caught: HeapError?
            do {
                try withMutator(heap) { m in _ = try rootedList(m, count: 1_000_000) }
            } catch let e as HeapError { caught = e }
            guard case let .exhausted(requested, live, committed, limit, reserve)? = caught else {
                return XCTFail("expected heap exhaustion, got \(String(describing: caught))")
            }
            XCTAssertEqual(requested, 24)
            XCTAssertEqual(limit, 2 << 20)
            XCTAssertGreaterThan(live + reserve, 1 << 20, "\(collector): the rooted list is live (beside the copy reserve)")
            if reserve > 0 { XCTAssertTrue(caught!.description.contains("copy reserve"), caught!.description) }
            XCTAssertLessThanOrEqual(committed, limit)
            XCTAssertTrue(caught!.description.contains("heap exhausted"))
            XCTAssertTrue(caught!.description.contains("\(limit)"))
            // Every other mutator sees the failure at its next slow path.
            XCTAssertThrowsError(try withMutator(heap) { m in for _ in 0..<10_000 { _ = try node(m, 0) } })
            XCTAssertGreaterThan(heap.collectionCount, 0)
        }
    }

    /// Memory that small objects held and gave up serves a large object: a request that fits the limit
    /// less the live bytes succeeds, whatever space the free memory sat in (free Immix blocks, the
    /// treadmill's small-cell chunks, free large cells). Issue 19: the treadmill kept every chunk its
    /// rings ever had, and a 4 MB array could not be had in a 16 MB heap with 3 MB live.
    func testMemoryGivenUpBySmallObjectsServesALargeOne() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, heapMax: 32 << 20, minimumTrigger: 1 << 20)
            do {
                try withMutator(heap) { m in
                    let live = try rootedList(m, count: 10_000)
                    // 14.4 MB of small objects (7.2 MB for the copying plans, which hold a copy reserve
                    // and in verify mode a quarantined from-space beside them).
                    let copying: Set<CollectorKind> = [.semispace, .baker]
                    let dropped = try rootedList(m, count: copying.contains(collector) ? 300_000 : 600_000)
                    m[dropped] = .null
                    m.collect()
                    let big = try m.allocate(shape: 3, referenceCount: 0, payloadBytes: 18 << 20)
                    m.storePayload(big, referenceCount: 0, at: (18 << 20) - 8, 42)
                    XCTAssertEqual(walkList(m, m[live]).count, 10_000)
                }
            } catch {
                XCTFail("\(collector): \(error)")
            }
            XCTAssertEqual(heap.stats.lostObjectCount, 0, "\(collector)")
        }
    }

    func testInvalidShapesAreRefused() throws {
        let heap = try makeHeap()
        try withMutator(heap) { m in
            XCTAssertThrowsError(try m.allocate(shape: 1, referenceCount: -1, payloadBytes: 0))
            XCTAssertThrowsError(try m.allocate(shape: 1, referenceCount: 0, payloadBytes: -8))
            XCTAssertThrowsError(try m.allocate(shape: 1, referenceCount: 0, payloadBytes: 1 << 30))
        }
    }
}
