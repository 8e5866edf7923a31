@testable import ConcurrentGC
import XCTest

final class ObjectLayoutTests: XCTestCase {
    func testHeaderRoundTrips() {
        let h = ObjectHeader(granules: 3, referenceCount: 2, shape: 7)
        XCTAssertTrue(h.isValid)
        XCTAssertEqual(h.granules, 3)
        XCTAssertEqual(h.bytes, 24)
        XCTAssertEqual(h.referenceCount, 2)
        XCTAssertEqual(h.shape, 7)
        XCTAssertFalse(h.isLarge)
        let big = ObjectHeader(granules: (1 << 24) - 1, referenceCount: (1 << 24) - 1, shape: 255, large: true)
        XCTAssertEqual(big.granules, (1 << 24) - 1)
        XCTAssertEqual(big.referenceCount, (1 << 24) - 1)
        XCTAssertEqual(big.shape, 255)
        XCTAssertTrue(big.isLarge)
        XCTAssertTrue(big.isValid)
    }

    /// The read barrier's condemned table is indexed by block: a reference shifted by `condemnedShift`.
    func testCondemnedShiftIsTheBlockOfAReference() {
        XCTAssertEqual(Int(condemnedShift), HeapGeometry.blockShift - HeapGeometry.granuleShift)
    }

    func testPoisonAndZeroAreNotHeaders() {
        XCTAssertFalse(ObjectHeader(bits: 0).isValid)
        XCTAssertFalse(ObjectHeader(bits: 0xFBFB_FBFB_FBFB_FBFB).isValid)
    }

    func testObjectSizesRoundToGranules() {
        // A GCBench node: header + two 4-byte references + two 4-byte integers.
        XCTAssertEqual(ObjectHeader.objectBytes(referenceCount: 2, payloadBytes: 8), 24)
        XCTAssertEqual(ObjectHeader.objectBytes(referenceCount: 0, payloadBytes: 0), 8)
        XCTAssertEqual(ObjectHeader.objectBytes(referenceCount: 1, payloadBytes: 0), 16)
        XCTAssertEqual(ObjectHeader.objectBytes(referenceCount: 3, payloadBytes: 1), 24)
        XCTAssertEqual(ObjectHeader.payloadOffset(referenceCount: 3), 20)
    }

    func testCompressedReferences() {
        let r = ObjectRef(offset: 0x12340)
        XCTAssertEqual(r.raw, 0x12340 >> 3)
        XCTAssertEqual(r.offset, 0x12340)
        XCTAssertTrue(ObjectRef.null.isNull)
        XCTAssertEqual(MemoryLayout<ObjectRef>.size, 4)
    }

    func testAllocatedObjectHasHeaderNullFieldsAndZeroPayload() throws {
        let heap = try makeHeap()
        try withMutator(heap) { m in
            let o = try m.allocate(shape: 9, referenceCount: 3, payloadBytes: 12)
            let h = m.header(o)
            XCTAssertEqual(h.shape, 9)
            XCTAssertEqual(h.referenceCount, 3)
            XCTAssertEqual(h.bytes, 32)
            for i in 0..<3 { XCTAssertTrue(m.load(o, i).isNull) }
            for i in 0..<12 { XCTAssertEqual(m.loadPayload(o, referenceCount: 3, at: i, as: UInt8.self), 0) }
            m.withPayload(o) { bytes in XCTAssertEqual(bytes.count, 12) }
            XCTAssertEqual(o.offset % 8, 0)
            XCTAssertFalse(o.isNull)
        }
    }
}
