@testable import ConcurrentGC
import Synchronization
import XCTest

final class SafepointTests: XCTestCase {
    /// Runs `body` on another thread and fails the test if it has not returned within `seconds`: a broken
    /// safepoint protocol deadlocks, and a deadlock must be reported, not hang the suite (the stuck threads
    /// are left behind; the rest of the run goes on).
    func withinTimeLimit(_ seconds: Double = 120, file: StaticString = #filePath, line: UInt = #line,
                         _ body: @escaping @Sendable () throws -> Void) {
        let done = expectation(description: "finished within \(seconds) s")
        let failure = SharedBox<Error?>(nil)
        DispatchQueue(label: "gclab.test.timelimit").async {
            do { try body() } catch { failure.value = error }
            done.fulfill()
        }
        let result = XCTWaiter().wait(for: [done], timeout: seconds)
        XCTAssertEqual(result, .completed, "did not finish within \(seconds) s: deadlock?", file: file, line: line)
        if result == .completed, let error = failure.value { XCTFail("\(error)", file: file, line: line) }
    }

    /// N mutators on serial queues run at the same time even when N exceeds the core count: each waits
    /// until all have arrived, which only terminates if all are running at once.
    func testMoreMutatorsThanCoresRunAtOnce() throws {
        withinTimeLimit { try self.moreMutatorsThanCoresRunAtOnce() }
    }

    func moreMutatorsThanCoresRunAtOnce() throws {
        let heap = try makeHeap()
        let n = 4 * max(2, ProcessInfo.processInfo.activeProcessorCount)
        let arrived = Atomic<Int>(0)
        let sawAll = Atomic<Int>(0)
        try MutatorThreads.run(heap: heap, count: n) { _, _ in
            arrived.add(1, ordering: .relaxed)
            let deadline = Clock.now() + 20_000_000_000
            while arrived.load(ordering: .relaxed) < n && Clock.now() < deadline {}
            if arrived.load(ordering: .relaxed) == n { sawAll.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(sawAll.load(ordering: .relaxed), n)
    }

    /// Stop-the-world with more mutators than cores: every mutator parks at a safepoint for each
    /// collection, and every mutator's rooted data survives all of them.
    func testStopTheWorldHandshakeWithManyMutators() throws {
        for collector in CollectorKind.allCases {
            withinTimeLimit { try self.stopTheWorldHandshake(collector) }
        }
    }

    func stopTheWorldHandshake(_ collector: CollectorKind) throws {
        let heap = try makeHeap(collector, heapMax: 256 << 20, minimumTrigger: 1 << 20)
        let n = 8
        try MutatorThreads.run(heap: heap, count: n) { m, index in
            let kept = try rootedList(m, count: 2000)
            for round in 0..<30 {
                let f = m.frame()
                _ = try rootedList(m, count: 3000)  // garbage after the frame pops
                m.popFrame(f)
                if round % 10 == 0 { m.poll() }
            }
            let (count, sum) = walkList(m, m[kept])
            if count != 2000 || sum != 1999 * 2000 / 2 {
                throw WorkloadFailure("mutator \(index): kept list has \(count) nodes, sum \(sum)")
            }
        }
        heap.finish()  // a concurrent cycle still running completes
        XCTAssertGreaterThan(heap.collectionCount, 3)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        let pauses = heap.stats.pauses
        // One pause per stop-the-world cycle; a mark start and at least one termination per concurrent
        // one; one flip pause per treadmill cycle, but a full collection's second cycle is in the first's.
        // The pause that starts a cycle's marking, or the one that is the whole cycle.
        let opening = pauses.contains { $0.kind.role == .cycleStart } ? PauseKind.Role.cycleStart : .cycleEnd
        let secondCycles = heap.stats.cycles.filter { $0.reason.isSecond }.count
        XCTAssertEqual(pauses.filter { $0.kind.role == opening }.count, heap.collectionCount - secondCycles, "\(collector)")
        if collector == .concurrent {
            XCTAssertGreaterThanOrEqual(pauses.filter { $0.kind == .markTermination }.count, heap.collectionCount)
            for c in heap.stats.cycles {
                XCTAssertLessThanOrEqual(c.startNs, c.concurrentMarkStartNs)
                XCTAssertLessThan(c.concurrentMarkStartNs, c.markTerminationStartNs)
                XCTAssertLessThan(c.markTerminationStartNs, c.endNs)
            }
        }
        XCTAssertTrue(pauses.allSatisfy { $0.timeToSafepointNs <= $0.durationNs })
    }

    /// A mutator in a safe region (blocked) does not hold up collections.
    func testSafeRegionDoesNotBlockCollections() throws {
        withinTimeLimit { try self.safeRegionDoesNotBlockCollections() }
    }

    func safeRegionDoesNotBlockCollections() throws {
        let heap = try makeHeap()
        let released = Atomic<Bool>(false)
        let collectionsWhileBlocked = Atomic<Int>(0)
        try MutatorThreads.run(heap: heap, count: 2) { m, index in
            if index == 0 {
                let kept = m.pushRoot(try node(m, 77))
                m.withSafeRegion {
                    while !released.load(ordering: .acquiring) { usleep(1000) }
                }
                XCTAssertEqual(value(m, m[kept]), 77)
            } else {
                let before = heap.collectionCount
                for _ in 0..<3 { m.collect() }
                collectionsWhileBlocked.store(heap.collectionCount - before, ordering: .relaxed)
                released.store(true, ordering: .releasing)
            }
        }
        XCTAssertEqual(collectionsWhileBlocked.load(ordering: .relaxed), 3)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }

    /// A mutator spinning without allocating is stopped at its explicit poll.
    func testExplicitPollParksALoopThatDoesNotAllocate() throws {
        withinTimeLimit { try self.explicitPollParksALoop() }
    }

    func explicitPollParksALoop() throws {
        let heap = try makeHeap()
        let stop = Atomic<Bool>(false)
        try MutatorThreads.run(heap: heap, count: 2) { m, index in
            if index == 0 {
                while !stop.load(ordering: .acquiring) { m.poll() }
            } else {
                for _ in 0..<5 { m.collect() }
                stop.store(true, ordering: .releasing)
            }
        }
        XCTAssertEqual(heap.collectionCount, 5)
    }
}

struct WorkloadFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
