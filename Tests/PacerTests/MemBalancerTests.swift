// MemBalancer (Sources/Pacer/MemBalancer.swift): the formula against hand-computed values, the smoothing,
// the goal's bounds, and on the simulator the square-root law that sets it apart from GOGC.

import XCTest
@testable import Pacer

final class MemBalancerTests: XCTestCase {
    private let MiB = 1 << 20

    /// L = 16 MiB, g/s = 1/4, c = 0.01 per MiB: E = sqrt(16 · 0.25 / 0.01) MiB = sqrt(400) MiB = 20 MiB.
    func testExtraMemoryByHand() {
        let e = MemBalancerSizer.extraBytes(live: Double(16 * MiB), allocationRate: 64e6, collectionSpeed: 256e6, c: 0.01)
        XCTAssertEqual(e, Double(20 * MiB), accuracy: 1e-6)
        // Four times the live heap: twice the extra memory (GOGC would give four times).
        let e4 = MemBalancerSizer.extraBytes(live: Double(64 * MiB), allocationRate: 64e6, collectionSpeed: 256e6, c: 0.01)
        XCTAssertEqual(e4, Double(40 * MiB), accuracy: 1e-6)
        // c four times larger: half the extra memory. g/s four times larger: twice.
        XCTAssertEqual(MemBalancerSizer.extraBytes(live: Double(16 * MiB), allocationRate: 64e6, collectionSpeed: 256e6, c: 0.04),
                       Double(10 * MiB), accuracy: 1e-6)
        XCTAssertEqual(MemBalancerSizer.extraBytes(live: Double(16 * MiB), allocationRate: 256e6, collectionSpeed: 256e6, c: 0.01),
                       Double(40 * MiB), accuracy: 1e-6)
        XCTAssertEqual(MemBalancerSizer.extraBytes(live: 0, allocationRate: 1, collectionSpeed: 1, c: 1), 0)
    }

    /// One cycle: 8 MiB marked after allocating 8 MiB in 0.5 s, at utilization 0.25 on 4 processors for
    /// 0.1 s, so 0.1 GC CPU seconds. g = 16 MiB/s, s = 8 MiB / 0.1 s = 80 MiB/s, g/s = 0.2. `scan` (heap
    /// scan work) differs from `marked` where it must not matter: s is live bytes per GC second.
    private func cycle(marked: Int, peak: Int, scan: Int, cycleSeconds: Double) -> CycleMeasurement {
        CycleMeasurement(heapMarked: marked, heapAtTrigger: max(0, peak - MiB), heapPeak: peak, heapScanWork: scan,
                         utilization: 0.25, markSeconds: 0.1, cycleSeconds: cycleSeconds)
    }

    func testSizerMeasuresAndSmoothsTheRates() {
        var sizer = MemBalancerSizer()
        XCTAssertNil(sizer.allocationRate)
        XCTAssertNil(sizer.extraBytes(live: 8 * MiB, c: 0.01))
        sizer.record(cycle(marked: 8 * MiB, peak: 8 * MiB, scan: 3 * MiB, cycleSeconds: 0.5), procs: 4, smoothing: 0.5)
        XCTAssertEqual(sizer.allocationRate!, Double(16 * MiB), accuracy: 1e-6)
        XCTAssertEqual(sizer.collectionSpeed!, Double(80 * MiB), accuracy: 1e-6)
        // E = sqrt(8 · 0.2 / 0.01) MiB = sqrt(160) MiB.
        XCTAssertEqual(sizer.extraBytes(live: 8 * MiB, c: 0.01)!, 160.0.squareRoot() * Double(MiB), accuracy: 1)
        // Second cycle: 24 MiB allocated (peak 32 MiB over 8 marked) in 0.5 s, 16 MiB marked in 0.1 s.
        // Smoothed with weight 0.5: bytes (8+24)/2 = 16 MiB over (0.5+0.5)/2 s → g = 32 MiB/s;
        // marked (8+16)/2 = 12 MiB over 0.1 s → s = 120 MiB/s.
        sizer.record(cycle(marked: 16 * MiB, peak: 32 * MiB, scan: 5 * MiB, cycleSeconds: 0.5), procs: 4, smoothing: 0.5)
        XCTAssertEqual(sizer.allocationRate!, Double(32 * MiB), accuracy: 1e-6)
        XCTAssertEqual(sizer.collectionSpeed!, Double(120 * MiB), accuracy: 1e-6)
        // A cycle without timings (a driver that does not measure) leaves the rates alone.
        sizer.record(cycle(marked: 16 * MiB, peak: 40 * MiB, scan: 5 * MiB, cycleSeconds: 0), procs: 4, smoothing: 0.5)
        XCTAssertEqual(sizer.measuredCycles, 2)
        XCTAssertEqual(sizer.allocationRate!, Double(32 * MiB), accuracy: 1e-6)
    }

    func testPacerGoalIsLivePlusExtraWithinTheMinimumAndTheLimit() {
        var config = PacerConfig()
        config.memBalancerC = 0.01
        var p = Go118Pacer.memBalancer(config: config)
        XCTAssertEqual(p.name, "membalancer")
        XCTAssertEqual(PacerKind.membalancer.make(config: config).name, "membalancer")
        XCTAssertEqual(p.decision.heapGoal, 4 * MiB, "nothing measured: the heap minimum")
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 4))
        let d = p.endCycle(cycle(marked: 8 * MiB, peak: 8 * MiB, scan: 3 * MiB, cycleSeconds: 0.5))
        XCTAssertEqual(d.heapGoal, 8 * MiB + Int(160.0.squareRoot() * Double(MiB)), "L + sqrt(L·g/(c·s))")
        XCTAssertGreaterThanOrEqual(d.trigger, d.heapMarked)
        XCTAssertLessThanOrEqual(d.trigger, d.heapGoal)
        XCTAssertNotNil(d.consMarkEstimate, "go121's trigger: a cons/mark estimate")

        // GOGC does not enter the goal.
        var highGOGC = config
        highGOGC.gogc = 1000
        var q = Go118Pacer.memBalancer(config: highGOGC)
        _ = q.startCycle(CycleStart(heapLive: q.decision.trigger, procs: 4))
        XCTAssertEqual(q.endCycle(cycle(marked: 8 * MiB, peak: 8 * MiB, scan: 3 * MiB, cycleSeconds: 0.5)).heapGoal, d.heapGoal)

        // A tiny live heap (L + E ≈ 1.6 MiB): the heap minimum. A memory limit below L + E: the limit's goal.
        var r = Go118Pacer.memBalancer(config: config)
        _ = r.startCycle(CycleStart(heapLive: r.decision.trigger, procs: 4))
        XCTAssertEqual(r.endCycle(cycle(marked: 64 << 10, peak: 128 << 10, scan: 64 << 10, cycleSeconds: 0.5)).heapGoal, 4 * MiB)
        var limited = config
        limited.memoryLimit = 16 * MiB
        var l = Go118Pacer.memBalancer(config: limited)
        _ = l.startCycle(CycleStart(heapLive: l.decision.trigger, procs: 4))
        let ld = l.endCycle(cycle(marked: 8 * MiB, peak: 8 * MiB, scan: 3 * MiB, cycleSeconds: 0.5))
        XCTAssertEqual(ld.heapGoal, ld.memoryLimitHeapGoal!)
        XCTAssertTrue(ld.limitedByMemory)
        XCTAssertLessThan(ld.heapGoal, 16 * MiB)
    }

    /// A steady program with a fixed live heap L, simulated: MemBalancer's extra memory grows as √L, GOGC's as L.
    func testExtraMemoryGrowsAsTheSquareRootOfTheLiveHeap() throws {
        func extra(_ kind: PacerKind, live: Int) throws -> Double {
            var s = Scenario(name: "fixed-live", summary: "")
            s.initialHeapBytes = live
            s.growthRate = .constant(1)
            let r = try Simulator.run(scenario: s, kind: kind, config: s.configure(), options: SimulationOptions(cycles: 60))
            let tail = r.records.suffix(10)
            return tail.map { Double($0.heapGoal - $0.heapMarked) }.reduce(0, +) / Double(tail.count)
        }
        let mb = try extra(.membalancer, live: 64 * MiB) / extra(.membalancer, live: 16 * MiB)
        XCTAssertEqual(mb, 2, accuracy: 0.15, "membalancer: 4× the live heap, about 2× the extra memory")
        let go = try extra(.go121, live: 64 * MiB) / extra(.go121, live: 16 * MiB)
        XCTAssertEqual(go, 4, accuracy: 0.15, "go121: 4× the live heap, 4× the extra memory")
    }
}
