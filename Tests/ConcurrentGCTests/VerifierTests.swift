@testable import ConcurrentGC
import XCTest

final class VerifierTests: XCTestCase {
    /// The verifier can fail: hide an object from the marker and the checkmark pass reports the object
    /// it alone referenced, with the parent and field it was reached through.
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
                XCTAssertEqual(heap.stats.lostObjectCount, 1)
                let report = heap.stats.lostObjects.first
                XCTAssertEqual(report?.object, lost)
                XCTAssertEqual(report?.parent, hidden)
                XCTAssertEqual(report?.field, 1)
                XCTAssertEqual(heap.stats.cycles.last?.lostObjects, 1)
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
