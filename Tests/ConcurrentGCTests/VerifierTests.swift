@testable import ConcurrentGC
import XCTest

final class VerifierTests: XCTestCase {
    /// The verifier can fail: hide an object from the marker (its mark bit set, so it is never scanned
    /// and its lines never marked). The checkmark pass reports the object it alone referenced, with the
    /// parent and field it was reached through, and (Immix) the hidden object itself, whose lines would be
    /// freed. Under the treadmill the hidden object's cell is blackened without a scan: it survives (a
    /// cell has no lines), and only the child it alone references is lost. Under semispace the hidden
    /// object is copied but not scanned: the child is never copied, which the moving verifier reports
    /// (about to be freed) and the checkmark too (lost). Under gencopy both of these happen (below).
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
                let moved = m[parent]  // the hidden object's reference now (a copying plan moved it)
                // gencopy's explicit collection is a major one: its nursery promotion copies the hidden
                // object without scanning it (the moving verifier: the child about to be freed; the child
                // is then rescued), and its mark of the mature space marks the hidden object without
                // scanning it (the checkmark: the child and the hidden object's lines, as under stw).
                let expected = collector == .treadmill ? 1 : collector == .gencopy ? 3 : 2
                XCTAssertEqual(heap.stats.lostObjectCount, expected, "\(collector): \(heap.stats.lostObjects.map(\.problem))")
                let childReport = heap.stats.lostObjects.first { $0.object == lost }
                XCTAssertEqual(childReport?.parent, moved, "\(collector)")
                XCTAssertEqual(childReport?.field, 1)
                if collector == .stw || collector == .concurrent {
                    let parentReport = heap.stats.lostObjects.first { $0.object == hidden }
                    XCTAssertNotNil(parentReport?.viaRoot, "the hidden object is reached from its root slot")
                }
                XCTAssertEqual(heap.stats.cycles.last?.lostObjects, expected)
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
            // The treadmill's full collection is two flips: the running cycle's, then a whole cycle's.
            XCTAssertEqual(heap.stats.cycles.count, collector == .treadmill ? 2 : 1)
        }
    }
}
