import ConcurrentGC
@testable import Workloads
import XCTest

final class GCBenchTests: XCTestCase {
    func testGCBenchAtReducedDepthPassesItsCheckUnderTheVerifier() throws {
        var config = HeapConfiguration()
        config.verify = true
        config.heapMaxBytes = 64 << 20
        config.minimumTriggerBytes = 256 << 10  // small scale must still collect many times
        let heap = try Heap(configuration: config)
        let bench = GCBench(scale: .small)
        let report = try bench.run(heap: heap, threads: 1, seed: 1)
        XCTAssertEqual(report.lines.count, 1)
        XCTAssertTrue(report.lines[0].contains("\(GCBench.treeSize(bench.longLivedTreeDepth)) nodes"))
        XCTAssertGreaterThan(heap.collectionCount, 5)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }

    func testGCBenchParameters() {
        let bench = GCBench(scale: .default)
        XCTAssertEqual(GCBench.treeSize(18), 524_287)
        // NumIters for depths 4..16 as in the original program.
        XCTAssertEqual(stride(from: 4, through: 16, by: 2).map(bench.numIters), [33824, 8256, 2052, 512, 128, 32, 8])
    }

    func testGCBenchInTwoThreads() throws {
        var config = HeapConfiguration()
        config.verify = true
        config.heapMaxBytes = 64 << 20
        config.minimumTriggerBytes = 256 << 10
        let heap = try Heap(configuration: config)
        let report = try GCBench(scale: .small).run(heap: heap, threads: 2, seed: 1)
        XCTAssertGreaterThan(heap.collectionCount, 5)
        XCTAssertEqual(report.lines.count, 2)
        XCTAssertEqual(heap.stats.lostObjectCount, 0)
    }
}
