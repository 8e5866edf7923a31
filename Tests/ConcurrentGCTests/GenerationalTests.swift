@testable import ConcurrentGC
import XCTest

/// The generational plans (sticky, gencopy) with each remembered-set barrier: minor collections keep what
/// only old objects reference, free young garbage, and leave survivors old; majors free old garbage; the
/// remembered set holds exactly the old objects stored into (object remembering); without one, the
/// verifier catches the loss.
final class GenerationalTests: XCTestCase {
    static let plans: [CollectorKind] = [.sticky, .gencopy]

    func makeGenerationalHeap(_ collector: CollectorKind, remset: String, nursery: Int = 256 << 10, verify: Bool = true,
                              unsafe: Bool = false, heapMax: Int = 64 << 20) throws -> Heap {
        var config = HeapConfiguration()
        config.collector = collector
        config.heapMaxBytes = heapMax
        config.verify = verify
        config.allowUnsafe = unsafe
        config.set(GenerationalOptions.remset, .choice(remset))
        config.set(GenerationalOptions.nursery, .integer(nursery))
        return try Heap(configuration: config)
    }

    func minors(_ heap: Heap) -> [CycleRecord] { heap.stats.cycles.filter { $0.planColumns["generation"] == "minor" } }

    /// Old objects (after a full collection) get young children stored into them, through every kind of
    /// source: small objects, a large object (born old). Only the old objects reference the children;
    /// garbage brings minor collections. Everything survives with its data, and nothing is lost.
    func testYoungObjectsReachableOnlyFromOldOnesSurviveMinorCollections() throws {
        for collector in Self.plans {
            for remset in ["card", "object"] {
                let heap = try makeGenerationalHeap(collector, remset: remset)
                try withMutator(heap) { m in
                    let olds = m.pushRoot(try m.allocate(shape: 1, referenceCount: 64, payloadBytes: 0))
                    for i in 0..<64 { m.store(m[olds], i, try node(m, -1)) }
                    let big = m.pushRoot(try m.allocate(shape: 3, referenceCount: 4096, payloadBytes: 0))  // 16 KiB: large
                    m.collect()  // a major: everything old
                    for round in 0..<20 {
                        for i in 0..<64 {
                            let child = try node(m, round * 1000 + i)
                            m.store(m.load(m[olds], i), 0, child)
                        }
                        m.store(m[big], round, try node(m, round))
                        for _ in 0..<20_000 { _ = try node(m, -1) }  // garbage: minor collections
                        for i in 0..<64 {
                            let child = m.load(m.load(m[olds], i), 0)
                            XCTAssertEqual(m.loadPayload(child, referenceCount: 2, as: Int.self), round * 1000 + i)
                        }
                        for r in 0...round { XCTAssertEqual(m.loadPayload(m.load(m[big], r), referenceCount: 2, as: Int.self), r) }
                    }
                }
                XCTAssertGreaterThanOrEqual(minors(heap).count, 5, "\(collector) \(remset)")
                XCTAssertEqual(heap.stats.lostObjectCount, 0, "\(collector) \(remset): \(heap.stats.lostObjects.prefix(3).map(\.problem))")
            }
        }
    }

    /// Object remembering logs an old object once, however many stores go into it: a minor collection
    /// scans exactly the old objects stored into since the last one. Card marking scans at least those.
    func testTheRememberedSetHoldsTheOldObjectsStoredInto() throws {
        for collector in Self.plans {
            for remset in ["card", "object"] {
                let heap = try makeGenerationalHeap(collector, remset: remset, nursery: 1 << 20)
                try withMutator(heap) { m in
                    let olds = m.pushRoot(try m.allocate(shape: 1, referenceCount: 100, payloadBytes: 0))
                    for i in 0..<100 { m.store(m[olds], i, try node(m, -1)) }
                    m.collect()
                    for i in stride(from: 0, to: 100, by: 10) {  // ten old objects, three stores each
                        for _ in 0..<3 { m.store(m.load(m[olds], i), 1, try node(m, i)) }
                    }
                    let before = heap.completedCycles
                    while heap.completedCycles == before { _ = try node(m, -1) }  // the next collection: a minor
                }
                guard let minor = minors(heap).first else { return XCTFail("\(collector) \(remset): no minor collection") }
                let objects = Int(minor.planColumns["remset_objects"] ?? "") ?? -1
                if remset == "object" {
                    XCTAssertEqual(objects, 10, "\(collector): logged objects")
                    XCTAssertEqual(minor.planColumns["remset_entries"], "10")
                } else {
                    XCTAssertGreaterThanOrEqual(objects, 10, "\(collector): old objects in dirty cards")
                }
                XCTAssertEqual(heap.stats.lostObjectCount, 0)
            }
        }
    }

    /// A minor collection frees young garbage (the old generation grows by the survivors only) and leaves
    /// the survivors old: under gencopy they leave the nursery (a pin is then promised), under sticky they
    /// stay put.
    func testMinorCollectionsKeepOnlySurvivorsAndMakeThemOld() throws {
        for collector in Self.plans {
            let heap = try makeGenerationalHeap(collector, remset: "card")
            let pinnedAfter = SharedBox(false), pinnedBefore = SharedBox(true)
            try withMutator(heap) { m in
                let keep = m.pushRoot(try node(m, 42))
                pinnedBefore.value = m.pin(m[keep])
                m.unpin(m[keep])
                let before = heap.completedCycles
                while heap.completedCycles == before { _ = try node(m, -1) }
                pinnedAfter.value = m.pin(m[keep])
                XCTAssertEqual(m.loadPayload(m[keep], referenceCount: 2, as: Int.self), 42)
            }
            guard let minor = minors(heap).first else { return XCTFail("\(collector): no minor collection") }
            XCTAssertLessThan(Int(minor.planColumns["survived_bytes"]!)!, 4096, "\(collector): garbage survived")
            XCTAssertLessThan(Double(minor.planColumns["survival_rate"]!)!, 0.02)
            XCTAssertLessThan(Int(minor.planColumns["mature_bytes"]!)!, 64 << 10)
            XCTAssertEqual(pinnedBefore.value, collector == .sticky, "\(collector): a young object can be pinned only if it never moves")
            XCTAssertTrue(pinnedAfter.value, "\(collector): an old object stays put")
        }
    }

    /// Old objects dropped are freed by the next major collection, not by minors.
    func testOldGarbageWaitsForAMajorCollection() throws {
        for collector in Self.plans {
            let heap = try makeGenerationalHeap(collector, remset: "object")
            try withMutator(heap) { m in
                let list = try rootedList(m, count: 50_000)  // ~1.2 MB
                m.collect()
                m[list] = .null
                let before = heap.completedCycles
                while heap.completedCycles == before { _ = try node(m, -1) }
                XCTAssertGreaterThan(heap.liveBytes, 1 << 20, "\(collector): a minor collection kept the old list")
                m.collect()
                XCTAssertLessThan(heap.liveBytes, 256 << 10, "\(collector): the major freed the old list")
            }
            XCTAssertEqual(heap.stats.lostObjectCount, 0)
        }
    }

    /// Without a remembered set a young object that only an old one references is lost at the next minor
    /// collection, and the verifier says so.
    func testWithoutARememberedSetTheVerifierCatchesTheLoss() throws {
        for collector in Self.plans {
            XCTAssertThrowsError(try makeGenerationalHeap(collector, remset: "none")) { error in
                XCTAssertTrue("\(error)".contains("--unsafe"), "\(error)")
            }
            let heap = try makeGenerationalHeap(collector, remset: "none", unsafe: true)
            try withMutator(heap) { m in
                let old = m.pushRoot(try node(m, 1))
                m.collect()
                m.store(m[old], 0, try node(m, 7))
                let before = heap.completedCycles
                while heap.completedCycles == before { _ = try node(m, -1) }
                // The verifier kept (sticky) or rescued (gencopy) the child, so the run can go on.
                XCTAssertEqual(m.loadPayload(m.load(m[old], 0), referenceCount: 2, as: Int.self), 7)
            }
            XCTAssertGreaterThan(heap.stats.lostObjectCount, 0, "\(collector) --remset none lost nothing")
        }
    }

    /// Options the plans refuse.
    func testCardSizeMustBeAPowerOfTwo() throws {
        for collector in Self.plans {
            var config = HeapConfiguration()
            config.collector = collector
            config.set(GenerationalOptions.cardBytes, .integer(300))
            XCTAssertThrowsError(try Heap(configuration: config)) { XCTAssertTrue("\($0)".contains("power of two"), "\($0)") }
            config.set(GenerationalOptions.cardBytes, .integer(256))
            XCTAssertNoThrow(try Heap(configuration: config))
        }
    }

    /// gencopy runs its barrier only in a concurrent major: `--barrier none` with `--major stw` loses
    /// nothing and needs no `--unsafe` (the stress command found those runs caught 0 times in 56).
    func testGenCopyBarrierNoneIsUnsafeOnlyWithAConcurrentMajor() {
        var c = HeapConfiguration()
        c.collector = .gencopy
        c.barrier = .none
        c.genCopyMajor = "stw"
        XCTAssertNil(c.unsafeReason)
        c.genCopyMajor = "concurrent"
        XCTAssertNotNil(c.unsafeReason)
        c.barrier = .yuasa
        XCTAssertNil(c.unsafeReason)
    }
}

/// A value a mutator's body sets and the test reads after it returned.
final class SharedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
