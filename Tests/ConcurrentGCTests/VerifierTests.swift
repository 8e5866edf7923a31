@testable import ConcurrentGC
import XCTest

final class VerifierTests: XCTestCase {
    /// The verifier can fail: hide an object from the marker (its mark bit set, so it is never scanned
    /// and its lines never marked). The checkmark pass reports the object it alone referenced, with the
    /// parent and field it was reached through, and the hidden object itself, whose lines would be freed.
    func testCheckmarkReportsAnObjectTheCollectorMissed() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, verify: true)
            try withMutator(heap) { m in
                let child = m.pushRoot(try node(m, 2))
                let parent = m.pushRoot(try node(m, 1, .null, m[child]))
                let hidden = m[parent], lost = m[child]
                m[child] = .null  // the child is now reachable only through the parent's field 1
                heap.debugHideFromMarker(hidden)
                m.collect()
                XCTAssertEqual(heap.stats.lostObjectCount, 2)
                let childReport = heap.stats.lostObjects.first { $0.object == lost }
                XCTAssertEqual(childReport?.parent, hidden)
                XCTAssertEqual(childReport?.field, 1)
                let parentReport = heap.stats.lostObjects.first { $0.object == hidden }
                XCTAssertNotNil(parentReport?.viaRoot, "the hidden object is reached from its root slot")
                XCTAssertEqual(heap.stats.cycles.last?.lostObjects, 2)
            }
        }
    }

    /// The same graph without the hook: nothing lost.
    func testCheckmarkFindsNothingWhenMarkingIsComplete() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, verify: true)
            try withMutator(heap) { m in
                let child = m.pushRoot(try node(m, 2))
                let parent = m.pushRoot(try node(m, 1, .null, m[child]))
                m[child] = .null
                m.collect()
                XCTAssertEqual(value(m, m.load(m[parent], 1)), 2)
            }
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
            XCTAssertEqual(heap.stats.cycles.count, 1)
        }
    }
}
