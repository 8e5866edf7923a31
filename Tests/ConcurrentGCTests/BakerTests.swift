// The baker plan: incremental copying keeps every object's data (both read barriers), the flip copies only
// what the roots reach, the mutator never sees a from-space reference under Baker's barrier (and verify mode
// catches it when there is none), Brooks' writes go to the copy (and are lost when a test hook sends them
// to the old copy), and several mutators racing to copy and write the same objects lose nothing.

@testable import ConcurrentGC
import Synchronization
import XCTest

final class BakerTests: XCTestCase {
    func baker(_ readBarrier: String, heapMax: Int = 64 << 20, unsafe: Bool = false, k: Int = 2,
               markWorkers: Int = 0) throws -> (Heap, BakerCollector) {
        var config = HeapConfiguration()
        config.collector = .baker
        config.bakerReadBarrier = readBarrier
        config.bakerK = k
        config.heapMaxBytes = heapMax
        config.verify = true
        config.allowUnsafe = unsafe
        config.markWorkers = markWorkers
        config.minimumTriggerBytes = 256 << 10
        let heap = try Heap(configuration: config)
        return (heap, heap.collector as! BakerCollector)
    }

    /// Starts a cycle now (the flip), from the mutator `m`; again if a background worker's pause got in
    /// the way (the trigger then defers to it).
    func flip(_ heap: Heap, _ collector: BakerCollector, _ m: Mutator) {
        let before = collector.flipsStarted.load(ordering: .relaxed)
        for _ in 0..<1000 where collector.flipsStarted.load(ordering: .relaxed) == before {
            collector.triggered(requester: m.record, observedCycle: heap.completedCycles)
        }
    }

    /// A long-lived list survives many incremental cycles paid for by allocation, with its values; the
    /// copying is done by the mutator's allocation steps (assist bytes), and every cycle has its flip and
    /// its end pause.
    func testIncrementalCyclesKeepTheData() throws {
        for readBarrier in ["baker", "brooks"] {
            let (heap, _) = try baker(readBarrier)
            try withMutator(heap) { m in
                let list = try rootedList(m, count: 5000)
                for round in 0..<40 {
                    for i in 0..<5000 { _ = try node(m, i) }  // garbage: drives the trigger and Baker's k
                    let (count, sum) = walkList(m, m[list])
                    XCTAssertEqual(count, 5000, "\(readBarrier) round \(round)")
                    XCTAssertEqual(sum, 4999 * 5000 / 2, "\(readBarrier) round \(round)")
                }
            }
            heap.finish()
            let cycles = heap.stats.cycles
            XCTAssertEqual(heap.stats.lostObjectCount, 0, readBarrier)
            XCTAssertGreaterThanOrEqual(cycles.count, 5, readBarrier)
            XCTAssertGreaterThan(cycles.reduce(0) { $0 + $1.scanAssistBytes }, 0, "\(readBarrier): allocation paid for copying")
            XCTAssertTrue(cycles.contains { Int($0.planColumns["copied_objects"] ?? "0")! >= 5000 }, readBarrier)
            let pauses = heap.stats.pauses
            XCTAssertEqual(pauses.filter { $0.kind == .bakerFlip }.count, cycles.count, readBarrier)
            XCTAssertEqual(pauses.filter { $0.kind == .bakerEnd }.count, cycles.count, readBarrier)
        }
    }

    /// Baker's flip copies what the roots reference and no more: the rest is copied after it.
    func testTheFlipCopiesOnlyTheRootsTargets() throws {
        let (heap, collector) = try baker("baker")
        try withMutator(heap) { m in
            let list = try rootedList(m, count: 1000)
            let other = m.pushRoot(try node(m, 7))
            m.pushRoot(.null)
            let headBefore = m[list]
            self.flip(heap, collector, m)
            XCTAssertNotEqual(m[list], headBefore, "the root's target was copied at the flip")
            XCTAssertEqual(value(m, m[other]), 7)
            XCTAssertEqual(walkList(m, m[list]).count, 1000, "the read barrier copies the rest as it is loaded")
            collector.endCycle(requester: m.record)
        }
        let cycle = try XCTUnwrap(heap.stats.cycles.first)
        XCTAssertEqual(cycle.planColumns["flip_roots"], "2", "two non-null roots")
        XCTAssertEqual(cycle.planColumns["copied_objects"], "1001")
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }

    /// Under Baker's barrier a load never returns a from-space reference; with no read barrier (unsafe)
    /// verify mode catches the first one, so the check can fail.
    func testTheToSpaceInvariantIsCheckedOnLoads() throws {
        for (readBarrier, caught) in [("baker", false), ("none", true)] {
            let (heap, collector) = try baker(readBarrier, unsafe: readBarrier == "none")
            let violations = Mutex<[String]>([])
            verifyViolationHandler = { message in violations.withLock { $0.append(message) } }
            defer { verifyViolationHandler = nil }
            try withMutator(heap) { m in
                let list = try rootedList(m, count: 100)
                self.flip(heap, collector, m)
                _ = m.load(m[list], 0)
                if readBarrier == "baker" { collector.endCycle(requester: m.record) }
            }
            let messages = violations.withLock { $0 }
            XCTAssertEqual(!messages.isEmpty, caught, "\(readBarrier): \(messages.prefix(2))")
            if caught { XCTAssertTrue(messages[0].contains("to-space invariant"), messages[0]) }
        }
    }

    /// Brooks: a payload write while the plan copies goes to the object's copy (made first), so the value
    /// is there after the cycle, also when the object was copied before the write.
    func testBrooksWritesGoToTheCopy() throws {
        let (heap, collector) = try baker("brooks")
        let lost = Mutex(0)
        try withMutator(heap) { m in
            let list = try rootedList(m, count: 500)
            self.flip(heap, collector, m)
            for add in [1000, 2000] {  // the first pass copies every object; the second writes to copies
                var n = m[list]
                while !n.isNull {
                    m.storePayload(n, referenceCount: 2, at: 0, value(m, n) + add)
                    n = m.load(n, 0)
                }
            }
            collector.endCycle(requester: m.record)
            var n = m[list], i = 499
            while !n.isNull {
                if value(m, n) != i + 3000 { lost.withLock { $0 += 1 } }
                n = m.load(n, 0)
                i -= 1
            }
        }
        XCTAssertEqual(lost.withLock { $0 }, 0)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }

    /// Brooks' write barrier forwards the value it stores: a from-space reference (which loads may return
    /// under Brooks) stored into an object allocated in the cycle, which is black and never scanned, would
    /// survive the cycle pointing into from-space. A test hook skips the forwarding; the verifier catches it.
    func testBrooksWriteBarrierForwardsStoredValues() throws {
        for skip in [false, true] {
            let (heap, collector) = try baker("brooks")
            collector.debugSkipStoredValueForwarding = skip
            try withMutator(heap) { m in
                let parent = m.pushRoot(try node(m, 1, try node(m, 2)))
                self.flip(heap, collector, m)
                let child = m.pushRoot(m.load(m[parent], 0))  // the child's from-space reference
                let black = m.pushRoot(try node(m, 3))  // allocated in the cycle: black
                m.store(m[black], 0, m[child])
                m[child] = .null
                m.store(m[parent], 0, .null)
                collector.endCycle(requester: m.record)
            }
            let problems = heap.stats.lostObjects.compactMap(\.problem)
            if skip {
                XCTAssertGreaterThan(heap.stats.lostObjectCount, 0, "the stale reference must be caught")
                XCTAssertTrue(problems.contains { $0.contains("about to be freed") || $0.contains("moved object") }, "\(problems)")
            } else {
                XCTAssertEqual(heap.stats.lostObjectCount, 0, "\(problems)")
            }
        }
    }

    /// The copy reserve while a cycle copies: mutators take blocks only while the copies still to come fit
    /// and, once the cycle ends and from-space is given back, the pool still holds a copy of all of
    /// to-space, so a full collection that flips at once can copy everything. (Reserving only the copies
    /// still to come let GCBench at --heap-max 10M die in a copy that found no block.)
    func testTheCopyReserveCoversTheCycleAndTheNextFlip() throws {
        let heap = try makeHeap(.baker, heapMax: 4 << 20, verify: false)
        let space = CopySpace(heap: heap)
        space.addCopiers(2)
        for _ in 0..<16 { XCTAssertNotNil(space.acquireMutatorBlock()) }  // a small heap in a large limit
        space.flip()  // a cycle begins: all of it is from-space, nothing copied yet
        let from = space.fromSpaceBytes / HeapGeometry.blockBytes
        XCTAssertEqual(from, 16)
        var allocated = 0, copied = 0
        while true {  // mutators allocate as far as the reserve lets them, between the copies (all survive)
            while space.acquireMutatorBlock() != nil { allocated += 1 }
            guard copied < from, space.acquireCopyBlock() != nil else { break }
            copied += 1
        }
        XCTAssertEqual(copied, from, "the copies of all of from-space found blocks")
        space.releaseFromSpace()  // the cycle ends
        let to = space.toSpaceBytes / HeapGeometry.blockBytes
        XCTAssertEqual(to, allocated + copied)
        XCTAssertGreaterThanOrEqual(heap.blocks.spareBlocks, to, "a full collection now can copy all of to-space")
        heap.finish()
    }

    /// More mutators than cores race to copy the same objects through their barriers while each writes
    /// its own lane of every object's payload: every object is copied once, no write is lost, and the
    /// verifier finds every reference in to-space. (Also run under ThreadSanitizer.)
    func testRacingCopiersAndWritersLoseNothing() throws {
        for readBarrier in ["baker", "brooks"] {
            let (heap, collector) = try baker(readBarrier, markWorkers: 1)
            let threads = 4, count = 2000, rounds = 6
            let shared = heap.addGlobalRoot()
            try withMutator(heap) { m in
                let head = m.pushRoot()
                for _ in 0..<count {
                    let n = try m.allocate(shape: 2, referenceCount: 1, payloadBytes: 8 * threads)
                    m.store(n, 0, m[head])
                    m[head] = n
                }
                m.setGlobal(shared, m[head])
            }
            let barrier = Barrier(parties: threads)
            try MutatorThreads.run(heap: heap, count: threads) { m, t in
                for round in 1...rounds {
                    barrier.wait(m)
                    if t == 0 { self.flip(heap, collector, m) }
                    barrier.wait(m)
                    var n = m.global(shared)
                    while !n.isNull {
                        m.storePayload(n, referenceCount: 1, at: 8 * t, round)
                        n = m.load(n, 0)
                    }
                    barrier.wait(m)
                    if t == 0 { collector.endCycle(requester: m.record) }
                    barrier.wait(m)
                    n = m.global(shared)
                    var seen = 0
                    while !n.isNull {
                        for lane in 0..<threads where m.loadPayload(n, referenceCount: 1, at: 8 * lane, as: Int.self) != round {
                            XCTFail("\(readBarrier) round \(round): lane \(lane) of object \(seen) lost its write")
                        }
                        seen += 1
                        n = m.load(n, 0)
                    }
                    XCTAssertEqual(seen, count)
                }
            }
            heap.finish()
            XCTAssertEqual(heap.stats.lostObjectCount, 0, readBarrier)
            let copied = heap.stats.cycles.map { Int($0.planColumns["copied_objects"] ?? "0")! }
            XCTAssertEqual(copied, Array(repeating: count, count: rounds), "\(readBarrier): each object copied once per cycle")
        }
    }
}

/// A reusable barrier for mutator threads: waits in a safe region so that a flip can stop the world.
final class Barrier: @unchecked Sendable {
    private let monitor = Monitor()
    private let parties: Int
    private var arrived = 0, generation = 0

    init(parties: Int) { self.parties = parties }

    func wait(_ m: Mutator) {
        m.withSafeRegion {
            monitor.withLock {
                let g = generation
                arrived += 1
                if arrived == parties {
                    arrived = 0
                    generation += 1
                    monitor.broadcast()
                } else {
                    while generation == g { monitor.wait() }
                }
            }
        }
    }
}
