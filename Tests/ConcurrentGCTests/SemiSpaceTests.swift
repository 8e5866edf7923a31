// The semispace plan: objects move and keep their data and shape (the moving verifier's digest), large
// objects stay, the copy reserve halves what the mutator may use, and the moving verifier fails when a
// collection leaves one reference stale.

@testable import ConcurrentGC
import XCTest

final class SemiSpaceTests: XCTestCase {
    func semispace(heapMax: Int = 64 << 20, verify: Bool = true) throws -> (Heap, SemiSpaceCollector) {
        let heap = try makeHeap(.semispace, heapMax: heapMax, verify: verify, minimumTrigger: 1 << 20)
        return (heap, heap.collector as! SemiSpaceCollector)
    }

    /// Every collection moves every small object; a list and a tree keep their values, the roots and
    /// fields are updated, and the verifier (graph digest, references, checkmark) finds nothing.
    func testObjectsMoveAndKeepTheirData() throws {
        let (heap, _) = try semispace()
        try withMutator(heap) { m in
            let list = try rootedList(m, count: 5000)
            var addresses = Set<UInt32>()
            for _ in 0..<4 {
                addresses.insert(m[list].raw)
                m.collect()
                let (count, sum) = walkList(m, m[list])
                XCTAssertEqual(count, 5000)
                XCTAssertEqual(sum, 4999 * 5000 / 2)
            }
            XCTAssertEqual(addresses.count, 4, "the list's head moved at every collection")
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        let cycles = heap.stats.cycles
        XCTAssertEqual(cycles.count, 4)
        for c in cycles {
            XCTAssertEqual(c.planColumns["copied_objects"], "5000")
            XCTAssertEqual(c.planColumns["copied_bytes"], String(5000 * 24))
            XCTAssertEqual(c.markedBytes, 5000 * 24)
        }
    }

    /// A reference kept in a Swift local across a collection is stale: in verify mode the old copy is
    /// poisoned, so it no longer looks like an object (and any access through it stops the run).
    func testFromSpaceIsPoisonedInVerifyMode() throws {
        let (heap, _) = try semispace()
        try withMutator(heap) { m in
            let kept = m.pushRoot(try node(m, 5))
            let stale = m[kept]
            m.collect()
            XCTAssertNotEqual(m[kept], stale)
            XCTAssertTrue(heap.isValidObject(m[kept]))
            XCTAssertFalse(heap.isValidObject(stale), "from-space must read as poison")
            XCTAssertEqual(value(m, m[kept]), 5)
        }
    }

    /// Large objects are traced, not copied: their address stays, and their fields are updated to the
    /// copies of what they reference.
    func testLargeObjectsStayAndTheirFieldsAreUpdated() throws {
        let (heap, _) = try semispace()
        try withMutator(heap) { m in
            let big = m.pushRoot(try m.allocate(shape: 4, referenceCount: 3, payloadBytes: 20_000))
            let child = try node(m, 42)
            m.store(m[big], 1, child)
            let where0 = m[big]
            m.collect()
            XCTAssertEqual(m[big], where0, "the large object did not move")
            XCTAssertNotEqual(m.load(m[big], 1), child, "its field follows the moved child")
            XCTAssertEqual(value(m, m.load(m[big], 1)), 42)
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }

    /// The verifier can fail: a collection that leaves one field stale (a test hook skips its update) is
    /// caught twice, by the reference check (repaired, so the run goes on) and by the graph digest.
    func testTheMovingVerifierCatchesAStaleField() throws {
        let (heap, collector) = try semispace()
        try withMutator(heap) { m in
            let list = try rootedList(m, count: 100)
            collector.debugSkipSlotUpdates = 1
            m.collect()
            XCTAssertEqual(walkList(m, m[list]).count, 100, "the stale field was repaired")
        }
        let problems = heap.stats.lostObjects.compactMap(\.problem)
        XCTAssertEqual(heap.stats.lostObjectCount, 2, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("still points to the moved object") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("reachable graph changed") }, "\(problems)")
        XCTAssertEqual(heap.stats.cycles.last?.lostObjects, 2)
    }

    /// The copy reserve: a list that fits stw's heap twice over but not semispace's half is exhausted on
    /// semispace, with the reserve named; half of it fits.
    func testTheCopyReserveHalvesTheUsableHeap() throws {
        for (collector, count, fits) in [(CollectorKind.stw, 60_000, true), (.semispace, 60_000, false), (.semispace, 25_000, true)] {
            let heap = try makeHeap(collector, heapMax: 2 << 20, verify: false, minimumTrigger: 1 << 20)
            let caught = try heapErrorBuildingList(heap, count: count)
            if fits {
                XCTAssertNil(caught, "\(collector) \(count): \(String(describing: caught))")
            } else if case let .exhausted(_, _, _, limit, reserve)? = caught {
                XCTAssertGreaterThan(reserve, limit / 4, "the reserve is about to-space's size")
                XCTAssertTrue(caught!.description.contains("copy reserve"))
            } else {
                XCTFail("\(collector) \(count): expected exhaustion, got \(String(describing: caught))")
            }
        }
    }
}
