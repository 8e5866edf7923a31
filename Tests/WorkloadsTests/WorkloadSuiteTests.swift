// Every registered workload, at small scale, on every collector (the concurrent one both paced by Go 1.21's
// pacer with paced workers and unpaced with one worker), under the checkmark verifier, with the small
// preset's heap minimum and nursery (WorkloadScale), with which each run collects several times. Plus
// binary-trees' published output and the corruption hook that proves the self-checks can fail.

import ConcurrentGC
import Pacer
import Pacer
@testable import Workloads
import XCTest

final class WorkloadSuiteTests: XCTestCase {
    /// A heap configuration the suite runs under.
    struct Setup: CustomStringConvertible {
        var collector: CollectorKind
        var pacer: PacerKind?
        var markWorkers: Int
        var description: String {
            collector == .concurrent ? "concurrent pacer=\(pacer.map(\.rawValue) ?? "none") workers=\(markWorkers)"
                : collector == .treadmill ? "treadmill workers=\(markWorkers)" : "\(collector)"
        }
    }

    static var setups: [Setup] {
        CollectorKind.allCases.flatMap { kind -> [Setup] in
            switch kind {
            case .concurrent:
                return [Setup(collector: kind, pacer: .go121, markWorkers: -1),
                        Setup(collector: kind, pacer: nil, markWorkers: 1)]
            case .treadmill:  // purely incremental (Baker's k only), and with a background worker
                return [Setup(collector: kind, pacer: nil, markWorkers: 0), Setup(collector: kind, pacer: nil, markWorkers: 1)]
            default:
                return [Setup(collector: kind, pacer: nil, markWorkers: 1)]
            }
        }
    }

    static func heap(_ setup: Setup, verify: Bool = true) throws -> Heap {
        var config = HeapConfiguration()
        config.collector = setup.collector
        config.verify = verify
        config.heapMaxBytes = 256 << 20
        config.markWorkers = setup.markWorkers
        config.pacer = setup.pacer
        config.pacerConfig.gogc = config.gogc
        // As `gclab run --scale small` does: the small preset's heap minimum and nursery.
        WorkloadScale.setHeapMinimum(WorkloadScale.small.heapMinimumBytes, in: &config)
        for (option, value) in WorkloadScale.small.scaledPlanOptions where setup.collector.traits.options.contains(option) {
            config.set(option, value)
        }
        return try Heap(configuration: config)
    }

    /// Runs `type` at small scale under `setup` and checks what every workload must satisfy.
    func runChecked(_ type: any Workload.Type, _ setup: Setup, threads: Int = 2) throws {
        let heap = try WorkloadSuiteTests.heap(setup)
        let workload = try type.init(scale: .small)
        let start = DispatchTime.now().uptimeNanoseconds
        let report: WorkloadReport
        do {
            report = try workload.run(heap: heap, threads: threads, seed: 42)
        } catch {
            heap.finish()
            XCTFail("\(type.name) on \(setup): \(error)")
            return
        }
        heap.finish()
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        print("suite: \(type.name) on \(setup): \(String(format: "%.0f", ms)) ms, \(heap.collectionCount) collections, "
              + "allocated \(heap.allocatedBytes >> 10) KiB; \(report.lines.last ?? "")")
        XCTAssertFalse(report.lines.isEmpty, "\(type.name) on \(setup): empty report")
        XCTAssertEqual(heap.stats.lostObjectCount, 0, "\(type.name) on \(setup): the verifier found lost objects")
        XCTAssertGreaterThanOrEqual(heap.collectionCount, 3, "\(type.name) on \(setup): too few collections at small scale")
    }

    func testEveryWorkloadOnEveryCollector() throws {
        XCTAssertGreaterThanOrEqual(WorkloadRegistry.all.count, 9)
        for type in WorkloadRegistry.all {
            for setup in WorkloadSuiteTests.setups {
                try runChecked(type, setup, threads: 2)
            }
        }
    }

    func testRegistryNamesAreUniqueAndOrdered() {
        let names = WorkloadRegistry.all.map { $0.name }
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(Array(names.prefix(2)), ["gcbench", "graph-mutation"])
        for name in ["binary-trees", "mt-gcbench", "quads", "lru-cache", "alloc-phases", "producer-consumer", "large-objects"] {
            XCTAssertNotNil(WorkloadRegistry.named(name), name)
        }
    }

    /// N = 10 on one thread prints exactly the Benchmarks Game's published output.
    func testBinaryTreesPublishedOutput() throws {
        let expected = [
            "stretch tree of depth 11\t check: 4095",
            "1024\t trees of depth 4\t check: 31744",
            "256\t trees of depth 6\t check: 32512",
            "64\t trees of depth 8\t check: 32704",
            "16\t trees of depth 10\t check: 32752",
            "long lived tree of depth 10\t check: 2047",
        ]
        let heap = try WorkloadSuiteTests.heap(Setup(collector: .stw, pacer: nil, markWorkers: 1))
        var bench = BinaryTrees(scale: .small)
        bench.n = 10
        let report = try bench.run(heap: heap, threads: 1, seed: 1)
        heap.finish()
        XCTAssertEqual(report.lines, expected)
        XCTAssertGreaterThanOrEqual(heap.collectionCount, 1)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
        // Splitting the iterations across threads changes nothing in the output.
        let heap2 = try WorkloadSuiteTests.heap(Setup(collector: .concurrent, pacer: nil, markWorkers: 1))
        XCTAssertEqual(try bench.run(heap: heap2, threads: 3, seed: 1).lines, expected)
        heap2.finish()
    }

    /// A deliberately corrupted run fails its self-check.
    func testCorruptedBinaryTreesFailsItsSelfCheck() throws {
        WorkloadDebug.corruptOnePayload = true
        defer { WorkloadDebug.corruptOnePayload = false }
        let heap = try WorkloadSuiteTests.heap(Setup(collector: .stw, pacer: nil, markWorkers: 1), verify: false)
        defer { heap.finish() }
        XCTAssertThrowsError(try BinaryTrees(scale: .small).run(heap: heap, threads: 1, seed: 1)) { error in
            guard case let WorkloadError.selfCheckFailed(workload, detail)? = error as? WorkloadError else {
                return XCTFail("expected selfCheckFailed, got \(error)")
            }
            XCTAssertEqual(workload, "binary-trees")
            XCTAssertTrue(detail.contains("long lived tree of depth 10"), detail)
        }
    }

    /// Every workload fails its self-check when the corruption hook damages its data (and passes without
    /// it: testEveryWorkloadOnEveryCollector), so no self-check is one that cannot fail.
    func testEveryWorkloadFailsItsSelfCheckWhenCorrupted() throws {
        for type in WorkloadRegistry.all {
            WorkloadDebug.corruptOnePayload = true
            defer { WorkloadDebug.corruptOnePayload = false }
            let heap = try WorkloadSuiteTests.heap(Setup(collector: .stw, pacer: nil, markWorkers: 1), verify: false)
            defer { heap.finish() }
            XCTAssertThrowsError(try type.init(scale: .small).run(heap: heap, threads: 2, seed: 7), type.name) { error in
                guard case let WorkloadError.selfCheckFailed(workload, detail)? = error as? WorkloadError else {
                    return XCTFail("\(type.name): expected selfCheckFailed, got \(error)")
                }
                XCTAssertEqual(workload, type.name)
                print("corrupted \(type.name): \(detail)")
            }
        }
    }

    /// Same seed, same data: the reports of a deterministic workload agree across collectors.
    func testWorkloadsAreDeterministicPerSeed() throws {
        for type in [LRUCache.self, Quads.self, MTGCBench.self] as [any Workload.Type] {
            let a = try type.init(scale: .small).run(heap: try WorkloadSuiteTests.heap(Setup(collector: .stw, pacer: nil, markWorkers: 1), verify: false), threads: 2, seed: 5)
            let b = try type.init(scale: .small).run(heap: try WorkloadSuiteTests.heap(Setup(collector: .concurrent, pacer: nil, markWorkers: 1), verify: false), threads: 2, seed: 5)
            let c = try type.init(scale: .small).run(heap: try WorkloadSuiteTests.heap(Setup(collector: .stw, pacer: nil, markWorkers: 1), verify: false), threads: 2, seed: 6)
            XCTAssertEqual(a.lines, b.lines, type.name)
            XCTAssertNotEqual(a.lines, c.lines, "\(type.name) ignores its seed")
        }
    }

    /// Producer-consumer runs in pairs: one thread still makes a pair, an odd count is refused.
    func testProducerConsumerThreadCounts() throws {
        var pc = ProducerConsumer(scale: .small)
        pc.messagesPerPair = 2000
        let heap = try WorkloadSuiteTests.heap(Setup(collector: .stw, pacer: nil, markWorkers: 1), verify: false)
        defer { heap.finish() }
        XCTAssertEqual(try pc.run(heap: heap, threads: 1, seed: 1).lines.count, 1)
        XCTAssertEqual(try pc.run(heap: heap, threads: 4, seed: 1).lines.count, 2)
        XCTAssertThrowsError(try pc.run(heap: heap, threads: 3, seed: 1)) { error in
            guard case WorkloadError.invalidParameter? = error as? WorkloadError else { return XCTFail("\(error)") }
        }
    }

    /// The Zipf sampler follows P(k) ∝ 1/(k+1) for s = 1.
    func testZipfSampler() {
        let zipf = ZipfSampler(count: 100, exponent: 1.0)
        var rng = SplitMix64(seed: 3)
        var counts = [Int](repeating: 0, count: 100)
        let draws = 200_000
        for _ in 0..<draws { counts[zipf.sample(&rng)] += 1 }
        let h = (1...100).reduce(0.0) { $0 + 1.0 / Double($1) }
        for k in [0, 1, 9, 99] {
            let expected = Double(draws) / (Double(k + 1) * h)
            XCTAssertEqual(Double(counts[k]), expected, accuracy: 5 * expected.squareRoot() + 5, "rank \(k)")
        }
    }
}
