// Worker plan (Go's rounding rule), memory-limit goal, GC CPU limiter.

import XCTest
@testable import Pacer

final class WorkerPlanTests: XCTestCase {
    func testGoRoundingRule() {
        // (procs, dedicated, fractional) for u_g = 0.25, from Go's startCycle.
        let expected: [(Int, Int, Double)] = [
            (1, 0, 0.25), (2, 0, 0.25), (3, 0, 0.25), (4, 1, 0), (5, 1, 0), (6, 1, 0.5 / 6), (7, 2, 0), (8, 2, 0),
            (16, 4, 0),
        ]
        for (procs, dedicated, fractional) in expected {
            let plan = WorkerPlan.plan(procs: procs, utilization: 0.25)
            XCTAssertEqual(plan.dedicated, dedicated, "procs \(procs)")
            XCTAssertEqual(plan.fractionalUtilization, fractional, accuracy: 1e-12, "procs \(procs)")
        }
    }

    func testFractionalPlansDeliverTheTargetExactly() {
        for procs in 1...64 {
            let plan = WorkerPlan.plan(procs: procs, utilization: 0.25)
            if plan.fractionalUtilization > 0 {
                XCTAssertEqual(plan.utilization, 0.25, accuracy: 1e-12, "procs \(procs)")
            } else {
                XCTAssertEqual(plan.utilization, 0.25, accuracy: 0.25 * 0.3 + 1e-12, "procs \(procs)")
            }
        }
    }

    func testZeroUtilizationNeedsNoWorkers() {
        XCTAssertEqual(WorkerPlan.plan(procs: 8, utilization: 0), WorkerPlan(procs: 8, dedicated: 0, fractionalUtilization: 0))
    }
}

final class MemoryLimitTests: XCTestCase {
    func testHeadroomIsThreePercentOrOneMiB() {
        let limit = 512 << 20
        // 3 % of 512 MiB (integer arithmetic as Go: goal/100*3).
        XCTAssertEqual(MemoryLimit.heapGoal(limit: limit, nonHeapBytes: 0, heapMarked: 0), limit - limit / 100 * 3)
        // 3 % of 10 MiB is under 1 MiB: the 1 MiB minimum applies.
        XCTAssertEqual(MemoryLimit.heapGoal(limit: 10 << 20, nonHeapBytes: 0, heapMarked: 0), 9 << 20)
        // Non-heap memory comes off first.
        let g = MemoryLimit.heapGoal(limit: 100 << 20, nonHeapBytes: 20 << 20, heapMarked: 0)
        XCTAssertEqual(g, (80 << 20) - (80 << 20) / 100 * 3)
    }

    func testNeverBelowMarkedAndTinyLimits() {
        XCTAssertEqual(MemoryLimit.heapGoal(limit: 100 << 20, nonHeapBytes: 0, heapMarked: 200 << 20), 200 << 20)
        XCTAssertEqual(MemoryLimit.heapGoal(limit: 10 << 20, nonHeapBytes: 12 << 20, heapMarked: 3 << 20), 3 << 20)
        // Goal smaller than two headrooms: one headroom.
        XCTAssertEqual(MemoryLimit.heapGoal(limit: 1_500_000, nonHeapBytes: 0, heapMarked: 0), 1 << 20)
    }

    func testHeapGoalTakesTheSmallerOfGOGCAndLimit() {
        var config = PacerConfig()
        config.memoryLimit = 64 << 20
        let small = HeapGoal.compute(marked: 10 << 20, stackScan: 0, globals: 0, nonHeap: 0, includeRoots: true, config: config)
        XCTAssertEqual(small.goal, 20 << 20)
        XCTAssertFalse(small.limitedByMemory)
        let big = HeapGoal.compute(marked: 40 << 20, stackScan: 0, globals: 0, nonHeap: 0, includeRoots: true, config: config)
        XCTAssertTrue(big.limitedByMemory)
        XCTAssertEqual(big.goal, MemoryLimit.heapGoal(limit: 64 << 20, nonHeapBytes: 0, heapMarked: 40 << 20))
    }
}

final class CPULimiterTests: XCTestCase {
    func testFillsWithGCTimeAndDrainsWithMutatorTime() {
        var l = GCCPULimiter(procs: 4, capacityPerProc: 1)
        XCTAssertEqual(l.capacity, 4)
        l.accumulate(gcTime: 3, mutatorTime: 1)
        XCTAssertEqual(l.fill, 2, accuracy: 1e-12)
        XCTAssertFalse(l.isLimiting)
        l.accumulate(gcTime: 0, mutatorTime: 5)
        XCTAssertEqual(l.fill, 0, "never negative: idle time banks no credit")
    }

    func testLimitsWhenFullAndCountsOverflow() {
        var l = GCCPULimiter(procs: 2, capacityPerProc: 1)
        l.accumulate(gcTime: 3, mutatorTime: 0)
        XCTAssertTrue(l.isLimiting)
        XCTAssertEqual(l.fill, 2)
        XCTAssertEqual(l.overflow, 1, accuracy: 1e-12)
        // Any net mutator time turns it off again.
        l.accumulate(gcTime: 0.25, mutatorTime: 0.75)
        XCTAssertFalse(l.isLimiting)
        XCTAssertEqual(l.fill, 1.5, accuracy: 1e-12)
    }

    func testSustainedDemandIsHeldToHalfPlusOverflow() {
        // A GC that wants 100 % but falls back to 25 % background while limited. Once the bucket is full the
        // limiter flips every update: one window at 100 % (filling the bucket, the excess counted as
        // overflow), one at 25 % (draining it). The GC time the bucket accepts equals the mutator time (the
        // 1:1 leak); what a discrete limiter lets through on top is the overflow, so the GC's share here is
        // (1 + 0.25)/2 = 0.625 rather than 0.5.
        var l = GCCPULimiter(procs: 8, capacityPerProc: 1)
        var gc = 0.0, total = 0.0, overflowAtStart = 0.0
        for step in 0..<100_000 {
            if step == 50_000 { overflowAtStart = l.overflow }
            let u = l.isLimiting ? 0.25 : 1.0
            let dt = 0.0005 * 8
            l.accumulate(gcTime: u * dt, mutatorTime: (1 - u) * dt)
            if step >= 50_000 { gc += u * dt; total += dt }
        }
        let overflow = l.overflow - overflowAtStart
        let mutator = total - gc
        XCTAssertEqual((gc - overflow) / mutator, 1, accuracy: 0.001)
        XCTAssertEqual(gc / total, 0.625, accuracy: 0.001)
    }

    func testResetCapacityClampsFill() {
        var l = GCCPULimiter(procs: 8)
        l.accumulate(gcTime: 6, mutatorTime: 0)
        l.resetCapacity(procs: 4)
        XCTAssertEqual(l.fill, 4)
        XCTAssertTrue(l.isLimiting)
    }
}
