// The barrier stress tests: graph-mutation on more mutators than cores, under the checkmark verifier.
// Every safe barrier must lose nothing with both root modes and in incremental mode; the unsafe
// configurations must be caught losing objects in most runs (a check that only ever sees 0 proves
// nothing). These also run under ThreadSanitizer: swift test --sanitize=thread --filter ConcurrencyStressTests

import ConcurrentGC
@testable import Workloads
import XCTest

final class ConcurrencyStressTests: XCTestCase {
    static let threads = 4  // more than the 2 cores CI machines have

    struct Outcome { var lost: Int; var cycles: Int; var barrierSlowPaths: Int; var handshakes: Int; var minors: Int }

    func stress(barrier: BarrierKind, roots: RootsMode = .stw, markWorkers: Int = 1, seed: UInt64 = 1,
                unsafe: Bool = false, ops: Int = 30_000, collector: CollectorKind = .concurrent,
                readBarrier: String = "baker", options: [(PlanOption, PlanOption.Value)] = []) throws -> Outcome {
        var config = HeapConfiguration()
        config.collector = collector
        if collector == .baker { config.bakerReadBarrier = readBarrier }
        config.barrier = barrier
        if collector == .concurrent { config.roots = roots }
        config.markWorkers = markWorkers
        config.verify = true
        config.allowUnsafe = unsafe
        config.heapMaxBytes = 128 << 20
        config.minimumTriggerBytes = 128 << 10  // many cycles in a short run
        for (option, value) in options { config.set(option, value) }
        let heap = try Heap(configuration: config)
        var workload = GraphMutation(scale: .small)
        workload.nodes = 3000
        workload.opsPerThread = ops
        _ = try workload.run(heap: heap, threads: ConcurrencyStressTests.threads, seed: seed)
        heap.finish()  // the verifier also checks a cycle still running
        let cycles = heap.stats.cycles
        return Outcome(lost: heap.stats.lostObjectCount, cycles: cycles.count,
                       barrierSlowPaths: cycles.reduce(0) { $0 + $1.barrierSlowPaths },
                       handshakes: cycles.reduce(0) { $0 + $1.handshakes },
                       minors: cycles.count { $0.planColumns["generation"] == "minor" })
    }

    func assertSafe(_ barrier: BarrierKind, roots: RootsMode = .stw, markWorkers: Int = 1, ops: Int = 30_000,
                    collector: CollectorKind = .concurrent, file: StaticString = #filePath, line: UInt = #line) throws {
        let o = try stress(barrier: barrier, roots: roots, markWorkers: markWorkers, ops: ops, collector: collector)
        XCTAssertEqual(o.lost, 0, "\(collector) \(barrier) roots=\(roots) workers=\(markWorkers) lost objects", file: file, line: line)
        XCTAssertGreaterThanOrEqual(o.cycles, 3, "too few cycles to mean anything", file: file, line: line)
        if barrier != .none { XCTAssertGreaterThan(o.barrierSlowPaths, 0, "marking never overlapped a store", file: file, line: line) }
        if roots == .handshake { XCTAssertGreaterThan(o.handshakes, 0, file: file, line: line) }
    }

    func testDijkstraLosesNothing() throws {
        try assertSafe(.dijkstra)
        try assertSafe(.dijkstra, roots: .handshake)
    }

    func testYuasaLosesNothing() throws { try assertSafe(.yuasa) }

    func testHybridLosesNothing() throws {
        try assertSafe(.hybrid)
        try assertSafe(.hybrid, roots: .handshake)
    }

    func testSteeleLosesNothing() throws {
        try assertSafe(.steele)
        try assertSafe(.steele, roots: .handshake)
    }

    /// --mark-workers 0: all marking by mutator assists.
    func testIncrementalModeLosesNothing() throws {
        try assertSafe(.yuasa, markWorkers: 0, ops: 40_000)
        try assertSafe(.hybrid, roots: .handshake, markWorkers: 0, ops: 40_000)
        try assertSafe(.dijkstra, markWorkers: 0, ops: 40_000)
    }

    /// Two background workers on two cores, besides four mutators.
    func testTwoMarkWorkersLoseNothing() throws { try assertSafe(.yuasa, markWorkers: 2) }

    /// The treadmill collector allocates black and takes every root in its flip pause: each barrier but
    /// none is safe with it (dijkstra and steele because the flip pause greys the roots again), purely
    /// incremental (k steps per allocation) and with a background worker.
    func testTreadmillBarriersLoseNothing() throws {
        for barrier in [BarrierKind.dijkstra, .yuasa, .hybrid, .steele] {
            try assertSafe(barrier, markWorkers: 0, collector: .treadmill)
        }
        try assertSafe(.yuasa, markWorkers: 1, collector: .treadmill)
        try assertSafe(.steele, markWorkers: 1, collector: .treadmill)
    }

    /// Baker's incremental copying with each read barrier: four mutators race to copy the same objects
    /// (in their barriers and in the work their allocation pays), with and without a background copier.
    /// The verifier checks every reference at each cycle's end; verify mode checks every load (baker).
    func testBakerLosesNothing() throws {
        for readBarrier in ["baker", "brooks"] {
            for workers in [0, 1] {
                let o = try stress(barrier: .none, markWorkers: workers, collector: .baker, readBarrier: readBarrier)
                XCTAssertEqual(o.lost, 0, "baker \(readBarrier) workers=\(workers) lost objects")
                XCTAssertGreaterThanOrEqual(o.cycles, 3, "too few cycles to mean anything")
                XCTAssertGreaterThan(o.barrierSlowPaths, 0, "copying never overlapped a barrier")
            }
        }
    }

    /// Brooks lets a mutator hold a reference to an object's old copy and one to its new copy: lru-cache,
    /// whose list and bucket surgery compares entries, must compare them with `Mutator.same`. Its
    /// self-check once used `==` and failed deterministically here, with one mutator and with two.
    func testBrooksKeepsReferenceIdentityThroughSame() throws {
        for threads in [1, 2] {
            for seed in 1...3 {
                var config = HeapConfiguration()
                config.collector = .baker
                config.bakerReadBarrier = "brooks"
                config.markWorkers = 0
                config.heapMaxBytes = 256 << 20
                config.minimumTriggerBytes = 512 << 10
                let heap = try Heap(configuration: config)
                var lru = LRUCache(scale: .default)
                lru.capacity = 1000
                lru.keys = 10_000
                lru.opsPerThread = 100_000
                XCTAssertNoThrow(try lru.run(heap: heap, threads: threads, seed: UInt64(seed)), "threads \(threads) seed \(seed)")
                heap.finish()
                XCTAssertGreaterThanOrEqual(heap.stats.cycles.count, 3, "too few cycles to mean anything")
            }
        }
    }

    /// The generational plans: graph-mutation keeps storing new (young) nodes into old ones from four
    /// threads. With either remembered-set barrier minor collections lose nothing; the verifier checks
    /// every minor (sticky: the checkmark; gencopy: every reference and the graph digest) and every major.
    func testGenerationalRememberedSetsLoseNothing() throws {
        for collector in [CollectorKind.sticky, .gencopy] {
            for remset in ["card", "object"] {
                let o = try stress(barrier: .yuasa, collector: collector,  // (gencopy's barrier is for --major concurrent)
                                   options: [(GenerationalOptions.nursery, .integer(256 << 10)), (GenerationalOptions.remset, .choice(remset))])
                XCTAssertEqual(o.lost, 0, "\(collector) --remset \(remset) lost objects")
                XCTAssertGreaterThanOrEqual(o.minors, 3, "\(collector) --remset \(remset): too few minor collections to mean anything")
                XCTAssertGreaterThan(o.cycles, o.minors, "\(collector) --remset \(remset): no major collection")
            }
        }
    }

    /// gencopy with its mature space marked concurrently: four mutators store young nodes into old ones
    /// while a background thread marks and minor collections promote (black) meanwhile. Each barrier it
    /// takes loses nothing; the verifier checks every minor and every termination.
    func testGencopyConcurrentMajorLosesNothing() throws {
        for barrier in [BarrierKind.yuasa, .hybrid, .dijkstra] {
            for remset in ["card", "object"] {
                let o = try stress(barrier: barrier, collector: .gencopy,
                                   options: [(GenerationalOptions.nursery, .integer(256 << 10)), (GenerationalOptions.remset, .choice(remset)),
                                             (GenCopyPlan.major, .choice("concurrent"))])
                XCTAssertEqual(o.lost, 0, "gencopy --major concurrent --barrier \(barrier) --remset \(remset) lost objects")
                XCTAssertGreaterThan(o.cycles, o.minors, "no major collection")
                XCTAssertGreaterThan(o.barrierSlowPaths, 0, "marking never overlapped a store")
            }
        }
    }

    /// The concurrent major without a marking barrier: caught in most runs.
    func testGencopyConcurrentMajorWithoutBarrierIsCaughtLosingObjects() throws {
        var caught = 0
        for seed in 1...5 {
            let o = try stress(barrier: .none, seed: UInt64(seed), unsafe: true, ops: 30_000, collector: .gencopy,
                               options: [(GenerationalOptions.nursery, .integer(256 << 10)), (GenCopyPlan.major, .choice("concurrent"))])
            if o.lost > 0 { caught += 1 }
        }
        XCTAssertGreaterThanOrEqual(caught, 3, "gencopy --major concurrent --barrier none lost objects in only \(caught) of 5 runs")
    }

    /// Without a remembered set a minor collection misses every young node an old one alone references:
    /// the verifier must catch losses in most runs.
    func testGenerationalWithoutRememberedSetIsCaughtLosingObjects() throws {
        for collector in [CollectorKind.sticky, .gencopy] {
            var caught = 0
            for seed in 1...5 {
                let o = try stress(barrier: .none, seed: UInt64(seed), unsafe: true, ops: 20_000, collector: collector,
                                   options: [(GenerationalOptions.nursery, .integer(256 << 10)), (GenerationalOptions.remset, .choice("none"))])
                if o.lost > 0 { caught += 1 }
            }
            XCTAssertGreaterThanOrEqual(caught, 3, "\(collector) --remset none lost objects in only \(caught) of 5 runs")
        }
    }

    /// No barrier under the treadmill: the verifier must catch losses in most runs.
    func testTreadmillWithoutBarrierIsCaughtLosingObjects() throws {
        var caught = 0
        for seed in 1...5 {
            if try stress(barrier: .none, markWorkers: 0, seed: UInt64(seed), unsafe: true, ops: 20_000, collector: .treadmill).lost > 0 {
                caught += 1
            }
        }
        XCTAssertGreaterThanOrEqual(caught, 3, "the none barrier lost objects in only \(caught) of 5 treadmill runs")
    }

    /// No barrier: the verifier must catch losses in most runs.
    func testNoBarrierIsCaughtLosingObjects() throws {
        var caught = 0
        for seed in 1...5 { if try stress(barrier: .none, seed: UInt64(seed), unsafe: true, ops: 20_000).lost > 0 { caught += 1 } }
        XCTAssertGreaterThanOrEqual(caught, 3, "the none barrier lost objects in only \(caught) of 5 runs")
    }

    /// Yuasa with per-thread root handshakes is unsafe: a white object held only in a stack not yet
    /// scanned can be stored into a black object (no heap reference to it is deleted, so the deletion
    /// barrier never sees it) and dropped from the stack before the handshake. GCBench's bottom-up
    /// MakeTree does exactly that with its subtrees. Refused without --unsafe, caught with it.
    func testYuasaWithHandshakesIsRefusedAndCaught() throws {
        var config = HeapConfiguration()
        config.collector = .concurrent
        config.barrier = .yuasa
        config.roots = .handshake
        XCTAssertThrowsError(try Heap(configuration: config)) { error in
            XCTAssertTrue("\(error)".contains("--unsafe"))
        }
        config.allowUnsafe = true
        config.verify = true
        config.heapMaxBytes = 128 << 20
        config.minimumTriggerBytes = 1 << 20  // cycles start while the trees are being built
        var bench = GCBench(scale: .small)
        bench.stretchTreeDepth = 16
        bench.longLivedTreeDepth = 14
        var caught = 0
        for seed in 1...5 {
            let heap = try Heap(configuration: config)
            _ = try? bench.run(heap: heap, threads: 2, seed: UInt64(seed))
            if heap.stats.lostObjectCount > 0 { caught += 1 }
        }
        XCTAssertGreaterThanOrEqual(caught, 3, "yuasa with handshakes lost objects in only \(caught) of 5 runs")
    }
}

