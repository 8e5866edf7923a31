// Tests of the treadmill space and the treadmill collector: the rings' invariant checked after every ring
// operation of whole runs (as the large-object space and as the collector's space), Baker's pacing
// (marking at k steps per allocation finishes before the flip when the cycle's allocation budget is at
// least R/k, and does not when it is half that), the segment sizes recorded at each flip, and the refusal
// of the barrier that loses objects.

@testable import ConcurrentGC
import XCTest

final class TreadmillCollectorTests: XCTestCase {
    private func heap(_ collector: CollectorKind, k: Int = 2, gogc: Int = 100, workers: Int = 0,
                      barrier: BarrierKind = .yuasa, checks: Bool = true) throws -> Heap {
        var config = HeapConfiguration()
        config.collector = collector
        config.heapMaxBytes = 64 << 20
        config.minimumTriggerBytes = 64 << 10
        config.gogc = gogc
        config.verify = true
        if collector == .treadmill { config.treadmillK = k }
        config.markWorkers = workers
        config.barrier = barrier
        config.debugCheckTreadmillRings = checks
        return try Heap(configuration: config)
    }

    /// Trees, lists, large objects and stores into old objects on two mutators, with a ring check after
    /// every ring operation: the collector's space (each barrier, with and without a worker) and the
    /// large-object space of the other collectors.
    func testRingInvariantsHoldAfterEveryOperation() throws {
        var setups: [(CollectorKind, BarrierKind, Int)] = [(.stw, .yuasa, 0), (.concurrent, .yuasa, 1), (.concurrent, .dijkstra, 1)]
        for barrier in [BarrierKind.yuasa, .dijkstra, .hybrid, .steele] { setups.append((.treadmill, barrier, 0)) }
        setups.append((.treadmill, .yuasa, 1))
        for (collector, barrier, workers) in setups {
            let heap = try heap(collector, workers: workers, barrier: barrier)
            try MutatorThreads.run(heap: heap, count: 2) { m, index in
                let keep = m.pushRoot(try m.allocate(shape: 9, referenceCount: 64, payloadBytes: 0))
                for round in 0..<30 {
                    let list = try rootedList(m, count: 100)
                    m.store(m[keep], round % 64, m[list])  // old object -> new list: barrier work
                    let big = try m.allocate(shape: 4, referenceCount: 4, payloadBytes: 20_000 + 4096 * (round % 5))
                    m.store(big, 0, m[list])
                    m.store(m[keep], (round + 7) % 64, big)
                    m.popFrame(RootFrame(depth: keep.index + 1))
                    if round % 13 == index { m.collect() }
                }
                for i in 0..<64 {
                    var n = m.load(m[keep], i)
                    if !n.isNull && m.header(n).isLarge { n = m.load(n, 0) }
                    if !n.isNull {
                        let (count, _) = walkList(m, n)
                        if count != 100 { throw WorkloadFailure("mutator \(index) slot \(i): list of \(count)") }
                    }
                }
            }
            heap.finish()
            XCTAssertNil(heap.largeObjectSpace.checkInvariants(), "\(collector) \(barrier)")
            XCTAssertEqual(heap.stats.lostObjectCount, 0, "\(collector) \(barrier) workers \(workers)")
            XCTAssertGreaterThanOrEqual(heap.collectionCount, 3, "\(collector) \(barrier)")  // explicit collections may coincide
            for c in heap.stats.cycles {
                XCTAssertEqual(c.treadmillGreyCells, 0, "no grey cell at a flip")
                if collector == .treadmill { XCTAssertGreaterThan(c.treadmillBlackCells, 0) }
            }
        }
    }

    /// Keeps a list of `live` nodes and allocates garbage nodes; returns the steady-state cycles.
    private func churn(k: Int, gogc: Int, live: Int = 10_000, allocations: Int = 300_000) throws -> [CycleRecord] {
        let heap = try heap(.treadmill, k: k, gogc: gogc, checks: false)
        try withMutator(heap) { m in
            let kept = try rootedList(m, count: live)
            for _ in 0..<allocations { _ = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8) }
            XCTAssertEqual(walkList(m, m[kept]).count, live)
        }
        heap.finish()
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        // The steady state: cycles that started knowing the whole list (the one before reached all of it).
        let cycles = heap.stats.cycles
        return cycles.indices.dropFirst().filter { cycles[$0 - 1].markedBytes >= live * 24 }.map { cycles[$0] }
    }

    /// Baker's pacing: with R live cells, k scan steps per allocation finish a cycle's marking after R/k
    /// allocations. With an allocation budget per cycle of R/k (GOGC = 100/k) the marking is done by the
    /// flip, give or take the batching (cells are counted in use when a thread's cache takes them, up to
    /// `CellAllocator.batch` allocations early, and steps are paid `CellAllocator.workBatch` at a time), so the flip pause
    /// scans (almost) nothing. With half that budget (GOGC = 50/k) it is not, and the flip pause finishes
    /// a large part of it.
    func testMarkingAtBakersBoundFinishesBeforeTheFlip() throws {
        let cellBytes = 24
        for k in [1, 2, 4] {
            let slack = (CellAllocator.batch * k + CellAllocator.workBatch) * cellBytes
            let atBound = try churn(k: k, gogc: 100 / k)
            XCTAssertGreaterThan(atBound.count, 5, "k \(k)")
            for c in atBound {
                XCTAssertLessThanOrEqual(c.scanPauseBytes, slack, "k \(k) cycle \(c.cycle): marking left for the flip")
                XCTAssertGreaterThan(c.scanAssistBytes, 0)
            }
            let belowBound = try churn(k: k, gogc: 50 / k)
            let pauseScanned = belowBound.map(\.scanPauseBytes).reduce(0, +)
            XCTAssertGreaterThan(pauseScanned, 10 * slack, "k \(k): half the budget should not be enough")
        }
    }

    /// A cycle's cells at its flip add up: black = reached + allocated, white = freed, grey = 0.
    func testFlipRecordsAddUp() throws {
        let cycles = try churn(k: 2, gogc: 100, live: 5_000, allocations: 200_000)
        for c in cycles {
            XCTAssertEqual(c.treadmillGreyCells, 0)
            XCTAssertEqual(c.largeObjectBytesFreed, c.treadmillWhiteCells * 24, "cycle \(c.cycle): white cells are freed")
            XCTAssertGreaterThanOrEqual(c.treadmillBlackCells, 5_000)
            XCTAssertEqual(c.markedBytes + c.blackAllocatedBytes, c.treadmillBlackCells * 24, "cycle \(c.cycle)")
            XCTAssertEqual(c.planColumns["treadmill_k"], "2")
        }
    }

    /// The treadmill allocates black; the none barrier loses objects with it and is refused without
    /// --unsafe. Every other barrier is accepted; a pacer and k = 0 are not.
    func testNoBarrierIsRefusedUnderTheTreadmill() throws {
        var config = HeapConfiguration()
        config.collector = .treadmill
        config.barrier = .none
        XCTAssertThrowsError(try Heap(configuration: config)) { XCTAssertTrue("\($0)".contains("--unsafe")) }
        for barrier in [BarrierKind.dijkstra, .yuasa, .hybrid, .steele] {
            config.barrier = barrier
            XCTAssertNoThrow(try Heap(configuration: config))
        }
        config.pacer = .go121  // Baker's k paces the treadmill
        XCTAssertThrowsError(try Heap(configuration: config)) { XCTAssertTrue("\($0)".contains("pacer")) }
        config.pacer = nil
        config.treadmillK = 0
        XCTAssertThrowsError(try Heap(configuration: config))
    }

    /// Why the flip greys the roots again for an insertion barrier: a mutator loads W from an unscanned X,
    /// deletes X's reference (dijkstra shades only stored values) and keeps W on its stack only. X is
    /// then scanned without W. Unless the flip looks at the stacks again, W is white at the flip and
    /// would be freed while reachable: the verifier reports it.
    func testDijkstraNeedsTheFlipToGreyTheRootsAgain() throws {
        for skip in [false, true] {
            let heap = try heap(.treadmill, k: 1, barrier: .dijkstra, checks: false)
            (heap.collector as! TreadmillCollector).debugSkipFlipRescan = skip
            let space = heap.largeObjectSpace
            try withMutator(heap) { m in
                let x = m.pushRoot(try node(m, 1, try node(m, 2)))
                m.collect()  // two flips: X and W are now white, and the roots (X) grey
                XCTAssertEqual(space.isReached(m[x].raw), true)
                let w = m.pushRoot(m.load(m[x], 0))
                XCTAssertFalse(space.isReached(m[w].raw), "W is white")
                m.store(m[x], 0, .null)
                for _ in 0..<(2 * CellAllocator.workBatch) { _ = try node(m, 0) }  // Baker's steps scan X
                XCTAssertEqual(space.greyTotal.pointee.load(ordering: .relaxed), 0)
                XCTAssertFalse(space.isReached(m[w].raw), "W is still white: only the stack holds it")
                m.collect()
                if !skip { XCTAssertEqual(value(m, m[w]), 2) }
            }
            heap.finish()
            if skip {
                XCTAssertGreaterThanOrEqual(heap.stats.lostObjectCount, 1, "the verifier must catch W")
            } else {
                XCTAssertEqual(heap.stats.lostObjectCount, 0)
            }
        }
    }

    /// Why a snapshot barrier in flight counts as grey work (TreadmillBarrier.swift). A's barrier removes
    /// X (white, reachable at the flip through A only) and, before it shades X, this thread lets marking
    /// run dry: Baker's steps scan A, and no grey cell is left. Had that turned the barrier off, the
    /// thread could take Y from X, delete it unshaded and store it into black A: X is scanned later
    /// without Y, and Y is white at the flip while A holds it. With the barrier counted, marking stays
    /// open, the deletion of Y is shaded, and nothing is lost. The same moves stop being safe when the
    /// count is skipped, which the verifier shows (so this test can fail).
    func testSnapshotBarrierInFlightKeepsMarkingOpen() throws {
        final class Hook: @unchecked Sendable { var action: ((UInt32) -> Void)? }
        let hook = Hook()
        TreadmillBarrier.debugBeforeShade = { raw in hook.action?(raw) }
        defer { TreadmillBarrier.debugBeforeShade = nil }
        for barrier in [BarrierKind.yuasa, .hybrid] {
            for countInFlight in [true, false] {
                let heap = try heap(.treadmill, k: 1, barrier: barrier, checks: false)
                (heap.collector as! TreadmillCollector).debugSkipInFlightCount = !countInFlight
                let space = heap.largeObjectSpace
                try withMutator(heap) { m in
                    let a = m.pushRoot(try node(m, 1))
                    let x = m.pushRoot(try node(m, 2, try node(m, 3)))
                    m.store(m[a], 0, m[x])
                    m.collect()  // two flips: A, X and Y are white, and the roots (A, X) grey
                    m[x] = .null
                    m.collect()  // X and Y are reachable through A only
                    let xRef = m.load(m[a], 0)
                    XCTAssertFalse(space.isReached(xRef.raw), "X is white")
                    var fired = false
                    hook.action = { raw in
                        guard raw == xRef.raw, !fired else { return }
                        fired = true  // X has left the heap: only this barrier holds it
                        for _ in 0..<(4 * CellAllocator.workBatch) { _ = try? node(m, 0) }  // Baker's steps scan A
                        let y = m.pushRoot(m.load(xRef, 0))
                        m.store(xRef, 0, .null)      // deletes Y: shaded only if the barrier is still on
                        m.store(m[a], 1, m[y])       // into black A
                    }
                    m.store(m[a], 0, .null)
                    hook.action = nil
                    XCTAssertTrue(fired)
                    m.collect()
                    XCTAssertEqual(value(m, m.load(m[a], 1)), 3)
                }
                heap.finish()
                if countInFlight {
                    XCTAssertEqual(heap.stats.lostObjectCount, 0, "\(barrier)")
                } else {
                    XCTAssertGreaterThanOrEqual(heap.stats.lostObjectCount, 1, "\(barrier): the verifier must catch Y")
                }
            }
        }
    }
}
