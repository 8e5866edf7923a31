// The shared marking machinery: the mark pool's termination test under concurrent markers, and Immix's
// line-mark epochs across their wrap-around (every 254 collections the 8-bit epoch is renumbered).

@testable import ConcurrentGC
import Dispatch
import Synchronization
import XCTest

final class MarkingTests: XCTestCase {
    /// Four markers share a pool seeded with the roots of binary trees of work (an item d stands for a
    /// node with two children d - 1). When the pool reports quiescence every node must have been
    /// processed: a marker that reported itself idle while it still held, or was about to push, work
    /// would let quiescence come early and the count fall short.
    func testPoolQuiescenceMeansAllWorkIsDone() {
        let pool = MarkWorkPool()
        let depth: UInt32 = 14, roots = 64
        let expected = roots * ((1 << (Int(depth) + 1)) - 1)
        let processed = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: roots) { seeds in
            for i in 0..<roots { seeds[i] = depth }
            pool.push(UnsafeBufferPointer(seeds))
        }
        let group = DispatchGroup()
        for w in 0..<4 {
            DispatchQueue(label: "gclab.test.marker.\(w)").async(group: group) {
                var local = RawStack<UInt32>(capacity: 1024)
                defer { local.free() }
                var holds = false
                while pool.waitForWork(until: { stop.load(ordering: .relaxed) }) {
                    if local.capacity < MarkWorkPool.batch { local.grow(toAtLeast: MarkWorkPool.batch) }
                    let (n, _) = pool.take(into: local.base, max: MarkWorkPool.batch, alreadyActive: holds)
                    guard n > 0 else { continue }
                    holds = true
                    local.count = n
                    var done = 0
                    while !local.isEmpty {
                        let d = local.pop()
                        done += 1
                        if d > 0 { local.push(d - 1); local.push(d - 1) }
                        if local.count >= 2 * MarkWorkPool.batch && pool.hungry {  // share, as Marker does
                            let half = local.count / 2
                            pool.push(UnsafeBufferPointer(start: local.base + (local.count - half), count: half))
                            local.count -= half
                        }
                    }
                    processed.add(done, ordering: .relaxed)  // counted before this marker reports idle
                    holds = false
                    pool.finished()
                }
            }
        }
        XCTAssertTrue(pool.waitForQuiescence(until: { false }, timeoutNs: 60_000_000_000), "the pool never became quiescent")
        XCTAssertEqual(processed.load(ordering: .relaxed), expected, "quiescence before all work was done")
        stop.store(true, ordering: .relaxed)
        pool.wakeAll()
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertTrue(pool.quiescent)
    }

    /// Over 600 collections (the epoch wraps twice), a kept list survives every one with its lines marked
    /// (the verifier checks each line's epoch), the epochs are renumbered, and freed lines are reused.
    func testLineMarkEpochsSurviveTheirWrapAround() throws {
        let heap = try makeHeap(.stw, heapMax: 16 << 20, verify: true)
        let space = (heap.collector as! StopTheWorldCollector).spaces.immix
        let epochs = SharedBox<[UInt8]>([])
        try withMutator(heap) { m in
            let kept = try rootedList(m, count: 3000)
            for round in 0..<600 {
                for _ in 0..<200 { _ = try node(m, round) }  // garbage in the freed lines
                m.collect()
                epochs.value.append(space.markEpoch)
            }
            let (count, sum) = walkList(m, m[kept])
            XCTAssertEqual(count, 3000)
            XCTAssertEqual(sum, 2999 * 3000 / 2)
        }
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        XCTAssertEqual(heap.collectionCount, 600)
        let wraps = zip(epochs.value, epochs.value.dropFirst()).filter { $0.1 < $0.0 }.count
        XCTAssertEqual(wraps, 2, "epochs seen: \(Set(epochs.value).sorted())")
        XCTAssertLessThan(heap.peakCommittedBytes, 4 << 20, "freed lines are reused after a wrap")
    }

    /// Steele's barrier re-greys a black object each time a white reference is stored into it; a hot
    /// object (here each thread's 8192-slot table, stored into at every step) waits in the grey sets once
    /// until its next scan, not once per store. Queued once per store, the tables were scanned again for
    /// every store: scan work 65× the marked bytes per cycle on the LRU cache, and seconds of it left for
    /// the termination pause (issue 19).
    func testSteeleQueuesAHotObjectOnceUntilItsScan() throws {
        var config = HeapConfiguration()
        config.collector = .concurrent
        config.barrier = .steele
        config.roots = .handshake
        config.verify = true
        config.heapMaxBytes = 256 << 20
        config.minimumTriggerBytes = 256 << 10
        let heap = try Heap(configuration: config)
        try MutatorThreads.run(heap: heap, count: 4) { m, t in
            let slots = 8192
            let table = m.pushRoot(try m.allocate(shape: 1, referenceCount: slots, payloadBytes: 0))
            var rng = UInt64(t + 1)
            for _ in 0..<300_000 {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                m.store(m[table], Int((rng >> 33) % UInt64(slots)), try m.allocate(shape: 2, referenceCount: 1, payloadBytes: 16))
            }
        }
        heap.finish()
        let cycles = heap.stats.cycles.filter { $0.reason == .trigger }
        XCTAssertGreaterThanOrEqual(cycles.count, 5)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        let scanned = cycles.reduce(0) { $0 + $1.scanBackgroundBytes + $1.scanAssistBytes + $1.scanPauseBytes }
        let marked = cycles.reduce(0) { $0 + $1.markedBytes }
        XCTAssertLessThanOrEqual(scanned, 8 * marked, "scan work \(scanned) bytes for \(marked) bytes marked in \(cycles.count) cycles")
    }
}
