// Verify mode enforces the mutator API's rules that keep moving collectors possible: no raw payload address
// is held across a safepoint (nothing inside `withPayload` may allocate, poll, collect or block), no access
// goes through a stale reference to a moved object, and no field or payload access leaves the object.
// Without verify mode none of this is checked (and nothing is slowed down).

@testable import ConcurrentGC
import XCTest

final class MutatorRulesTests: XCTestCase {
    /// Records violations instead of stopping the process while `body` runs.
    func violations(_ body: () throws -> Void) rethrows -> [String] {
        let seen = SharedBox<[String]>([])
        verifyViolationHandler = { seen.value.append($0) }
        defer { verifyViolationHandler = nil }
        try body()
        return seen.value
    }

    func testEverySafepointInsideWithPayloadIsCaught() throws {
        for collector in CollectorKind.allCases {
            let heap = try makeHeap(collector, verify: true)
            try withMutator(heap) { m in
                let blob = m.pushRoot(try m.allocate(shape: 5, referenceCount: 0, payloadBytes: 64))
                // Each call's first violation names the safepoint (a collection inside may reach more).
                let calls: [(String, () throws -> Void)] = [
                    ("poll", { m.withPayload(m[blob]) { bytes in bytes.storeBytes(of: 7, as: UInt64.self); m.poll() } }),
                    ("allocate", { try m.withPayload(m[blob]) { _ in _ = try m.allocate(shape: 6, referenceCount: 2, payloadBytes: 8) } }),
                    ("collect", { m.withPayload(m[blob]) { _ in m.collect() } }),
                    ("withSafeRegion", { m.withPayload(m[blob]) { _ in m.withSafeRegion {} } }),
                ]
                for (what, call) in calls {
                    let found = try self.violations(call)
                    XCTAssertTrue(found.first?.hasPrefix(what + " inside withPayload") ?? false, "\(collector) \(what): \(found)")
                }
                XCTAssertEqual(self.violations { m.withPayload(m[blob]) { _ in m.withPayload(m[blob]) { _ in } } }, [], "nesting is fine")
                // Outside withPayload the same calls are fine, and the allocation fast path is open again.
                let clean = try self.violations {
                    m.poll()
                    for _ in 0..<1000 { _ = try m.allocate(shape: 6, referenceCount: 2, payloadBytes: 8) }
                    m.collect()
                }
                XCTAssertEqual(clean, [])
                XCTAssertEqual(m.loadPayload(m[blob], referenceCount: 0, at: 0, as: UInt64.self), 7)
            }
            heap.finish()
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
        }
    }

    func testStaleReferencesAndOutOfRangeAccessesAreCaught() throws {
        let heap = try makeHeap(.stw, verify: true)
        try withMutator(heap) { m in
            let a = m.pushRoot(try m.allocate(shape: 5, referenceCount: 2, payloadBytes: 8))
            let b = m.pushRoot(try m.allocate(shape: 5, referenceCount: 2, payloadBytes: 8))
            let header = ObjectHeader(bits: (heap.base + m[a].offset).load(as: UInt64.self))
            let cases: [(String, () -> Void)] = [
                ("field 2 out of range", { _ = m.load(m[a], 2) }),
                ("payload bytes 4..<12 out of range", { _ = m.loadPayload(m[a], referenceCount: 2, at: 4, as: UInt64.self) }),
                ("as if it had 1 reference fields", { _ = m.loadPayload(m[a], referenceCount: 1, at: 0, as: UInt32.self) }),
                ("moved to \(m[b])", {
                    // What a moving collector leaves behind: a forwarding header in the old copy.
                    (heap.base + m[a].offset).storeBytes(of: ObjectHeader.forwarded(to: m[b]).bits, as: UInt64.self)
                    _ = m.header(m[a])
                    (heap.base + m[a].offset).storeBytes(of: header.bits, as: UInt64.self)
                }),
            ]
            for (expected, access) in cases {
                let found = self.violations(access)
                XCTAssertEqual(found.count, 1, "\(found)")
                XCTAssertTrue(found.first?.contains(expected) ?? false, "\(expected): \(found)")
            }
            XCTAssertEqual(self.violations { _ = m.load(m[a], 1); _ = m.loadPayload(m[a], referenceCount: 2, at: 0, as: UInt64.self) }, [])
        }
    }

    func testForwardingHeadersRoundTrip() {
        let h = ObjectHeader(granules: 3, referenceCount: 2, shape: 7)
        XCTAssertFalse(h.isForwarded)
        XCTAssertFalse(h.isBusy)
        XCTAssertTrue(h.claimed.isBusy)
        XCTAssertEqual(h.claimed.granules, 3, "a claimed header keeps the object's shape")
        let f = ObjectHeader.forwarded(to: ObjectRef(raw: 0x1234_5678))
        XCTAssertTrue(f.isValid)
        XCTAssertTrue(f.isForwarded)
        XCTAssertFalse(f.isBusy)
        XCTAssertEqual(f.forwardee, ObjectRef(raw: 0x1234_5678))
    }
}
