@testable import ConcurrentGC
import XCTest

final class CollectionTests: XCTestCase {
    func testUnreachableObjectsAreFreedAndTheirSpaceReused() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, heapMax: 16 << 20)
            try withMutator(heap) { m in
                let kept = try rootedList(m, count: 10_000)
                // 100 MB of garbage through a 16 MiB heap.
                for _ in 0..<4_000_000 { _ = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8) }
                let (count, sum) = walkList(m, m[kept])
                XCTAssertEqual(count, 10_000)
                XCTAssertEqual(sum, 9_999 * 10_000 / 2)
            }
            XCTAssertGreaterThan(heap.collectionCount, 5)
            XCTAssertLessThanOrEqual(heap.peakCommittedBytes, 16 << 20)
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
            // Each collection found the kept list (and little else) live. The treadmill's first cycles
            // allocated the list black, so its cells survive without being counted as reached.
            // A generational plan's minor collection marks (or promotes) the young survivors only: the
            // list is old after the first collection.
            for c in heap.stats.cycles where c.planColumns["generation"] != "minor" {
                XCTAssertGreaterThanOrEqual(collector == .treadmill ? c.treadmillBlackCells : c.markedObjects, 10_000, "\(collector)")
            }
            for c in heap.stats.cycles {
                XCTAssertLessThan(c.markedBytes, 2 << 20, "\(collector) cycle \(c.cycle) (\(c.reason))")
            }
        }
    }

    func testReachableObjectsSurviveWithTheirData() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector)
            let global = heap.addGlobalRoot()
            try withMutator(heap) { m in
                // A tree through a global root, a list through a stack root.
                func tree(_ d: Int) throws -> ObjectRef {
                    if d == 0 { return try node(m, 1) }
                    let f = m.frame()
                    let l = m.pushRoot(try tree(d - 1))
                    let r = m.pushRoot(try tree(d - 1))
                    let n = try node(m, d, m[l], m[r])
                    m.popFrame(f)
                    return n
                }
                m.setGlobal(global, try tree(10))
                let list = try rootedList(m, count: 500)
                for _ in 0..<3 { m.collect() }
                func check(_ n: ObjectRef, _ d: Int) -> Int {
                    XCTAssertEqual(value(m, n), d == 0 ? 1 : d)
                    return d == 0 ? 1 : 1 + check(m.load(n, 0), d - 1) + check(m.load(n, 1), d - 1)
                }
                XCTAssertEqual(check(m.global(global), 10), 2047)
                XCTAssertEqual(walkList(m, m[list]).count, 500)
            }
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
            XCTAssertEqual(heap.stats.cycles.last?.markedObjects, 2047 + 500)
        }
    }

    /// In verify mode freed memory is poisoned, so a stale reference no longer has a valid header.
    func testFreedObjectsArePoisonedInVerifyMode() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, verify: true)
            try withMutator(heap) { m in
                // Lines are the unit of reclamation: keep the garbage node's line free of survivors.
                let garbage = try node(m, 6)
                for _ in 0..<20 { _ = try node(m, 0) }
                let kept = m.pushRoot(try node(m, 5))
                m.collect()
                XCTAssertTrue(heap.isValidObject(m[kept]))
                XCTAssertFalse(heap.isValidObject(garbage), "a freed object must not look like an object")
            }
        }
    }

    func testPausesAndHeapSamplesAreRecorded() throws {
        let heap = try makeHeap()
        try withMutator(heap) { m in
            let kept = try rootedList(m, count: 1000)
            for _ in 0..<1_000_000 { _ = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8) }
            XCTAssertEqual(walkList(m, m[kept]).count, 1000)
        }
        let pauses = heap.stats.pauses
        XCTAssertEqual(pauses.count, heap.collectionCount)
        XCTAssertTrue(pauses.allSatisfy { $0.kind == .stopTheWorld && $0.durationNs > 0 })
        XCTAssertEqual(pauses.map(\.cycle), Array(1...pauses.count))
        let samples = heap.stats.heapSamples
        XCTAssertGreaterThanOrEqual(samples.count, 2 * heap.collectionCount)
        XCTAssertEqual(samples.map(\.timeNs), samples.map(\.timeNs).sorted())
        XCTAssertEqual(heap.allocatedBytes, 1_000_000 * 24 + 1000 * 24)
    }
}
