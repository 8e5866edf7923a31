// Each pacer's formulas against values computed by hand from the equations in its file header.

import XCTest
@testable import Pacer

private let MiB = 1 << 20

final class HeapGoalTests: XCTestCase {
    func testGOGCGoalWithAndWithoutRoots() {
        let c = PacerConfig()
        let withRoots = HeapGoal.compute(marked: 100 * MiB, stackScan: 4 * MiB, globals: 6 * MiB, nonHeap: 0,
                                         includeRoots: true, config: c)
        XCTAssertEqual(withRoots.goal, 100 * MiB + 110 * MiB)
        let heapOnly = HeapGoal.compute(marked: 100 * MiB, stackScan: 4 * MiB, globals: 6 * MiB, nonHeap: 0,
                                        includeRoots: false, config: c)
        XCTAssertEqual(heapOnly.goal, 200 * MiB)
        XCTAssertNil(heapOnly.memoryLimitGoal)
    }

    func testHeapMinimumScalesWithGOGCAndGOGCOff() {
        var c = PacerConfig()
        c.gogc = 200
        XCTAssertEqual(HeapGoal.compute(marked: MiB, stackScan: 0, globals: 0, nonHeap: 0, includeRoots: true, config: c).goal, 8 * MiB)
        c.gogc = -1
        c.memoryLimit = 64 * MiB
        let off = HeapGoal.compute(marked: MiB, stackScan: 0, globals: 0, nonHeap: 0, includeRoots: true, config: c)
        XCTAssertEqual(off.gogcGoal, Int.max)
        XCTAssertTrue(off.limitedByMemory)
        XCTAssertEqual(off.goal, MemoryLimit.heapGoal(limit: 64 * MiB, nonHeapBytes: 0, heapMarked: MiB))
    }
}

final class AssistPacingTests: XCTestCase {
    let m = 1_000_000

    func testOnScheduleRatioIsRemainingWorkOverRemainingHeap() {
        let a = AssistPacing.extrapolating(heapLive: 15 * m, scanWorkDone: 2 * m, heapGoal: 20 * m, triggered: 14 * m,
                                           expectedScanWork: 10 * m, maxScanWork: 12 * m, goalGrowthRatio: 1, maxOvershoot: 1.1)
        XCTAssertEqual(a, 8.0 / 5.0, accuracy: 1e-12)
    }

    func testGoalIsExtrapolatedWhenWorkExceedsEstimate() {
        // goal' = 14 + (20 − 14)/10·12 = 21.2 (×1e6); remaining work 12 − 11 = 1; heap 21.2 − 15 = 6.2.
        let a = AssistPacing.extrapolating(heapLive: 15 * m, scanWorkDone: 11 * m, heapGoal: 20 * m, triggered: 14 * m,
                                           expectedScanWork: 10 * m, maxScanWork: 12 * m, goalGrowthRatio: 1, maxOvershoot: 1.1)
        XCTAssertEqual(a, 1.0 / 6.2, accuracy: 1e-9)
        // Past even the extrapolated goal: aim at 1.1 × 21.2 = 23.32 with the worst-case work.
        let b = AssistPacing.extrapolating(heapLive: 22 * m, scanWorkDone: 11 * m, heapGoal: 20 * m, triggered: 14 * m,
                                           expectedScanWork: 10 * m, maxScanWork: 12 * m, goalGrowthRatio: 1, maxOvershoot: 1.1)
        XCTAssertEqual(b, 1.0 / 1.32, accuracy: 1e-9)
    }

    func testExtrapolationIsCappedAtOnePlusGOGCTimesGoal() {
        // Uncapped: 14 + 6/1·100 = 614; cap (1 + 1)·20 = 40. Ratio (100 − 2)/(40 − 15).
        let a = AssistPacing.extrapolating(heapLive: 15 * m, scanWorkDone: 2 * m, heapGoal: 20 * m, triggered: 14 * m,
                                           expectedScanWork: 1 * m, maxScanWork: 100 * m, goalGrowthRatio: 1, maxOvershoot: 1.1)
        XCTAssertEqual(a, 98.0 / 25.0, accuracy: 1e-9)
        // Zero expected work must not trap: it goes straight to the cap.
        let z = AssistPacing.extrapolating(heapLive: 15 * m, scanWorkDone: 2 * m, heapGoal: 20 * m, triggered: 14 * m,
                                           expectedScanWork: 0, maxScanWork: 100 * m, goalGrowthRatio: 1, maxOvershoot: 1.1)
        XCTAssertEqual(z, 98.0 / 25.0, accuracy: 1e-9)
    }

    func testRatioIsAlwaysPositiveAndFinite() {
        let a = AssistPacing.extrapolating(heapLive: 100 * m, scanWorkDone: 200 * m, heapGoal: 20 * m, triggered: 14 * m,
                                           expectedScanWork: 10 * m, maxScanWork: 12 * m, goalGrowthRatio: 1, maxOvershoot: 1.1)
        XCTAssertEqual(a, 1000, "remaining work floors at 1000 bytes, remaining heap at 1 byte")
    }

    func testSoftHardGoals() {
        let soft = AssistPacing.softHard(heapLive: 15 * m, scanWorkDone: 2 * m, heapGoal: 20 * m, expectedScanWork: 10 * m,
                                         maxScanWork: 30 * m, maxOvershoot: 1.1)
        XCTAssertEqual(soft, 8.0 / 5.0, accuracy: 1e-12)
        // Work beyond the estimate: hard goal 22 with worst-case work 30: (30 − 11)/(22 − 15).
        let hard = AssistPacing.softHard(heapLive: 15 * m, scanWorkDone: 11 * m, heapGoal: 20 * m, expectedScanWork: 10 * m,
                                         maxScanWork: 30 * m, maxOvershoot: 1.1)
        XCTAssertEqual(hard, 19.0 / 7.0, accuracy: 1e-9)
    }
}

final class MeasurementTests: XCTestCase {
    func testConsMarkFormula() {
        let m = CycleMeasurement(heapMarked: 0, heapAtTrigger: 1_000_000, heapPeak: 1_300_000, heapScanWork: 800_000,
                                 stackScanWork: 100_000, globalsScanWork: 100_000, utilization: 0.3, idleUtilization: 0.1)
        // (300k)(0.3 + 0.1) / (1M · 0.7)
        XCTAssertEqual(m.consMark!, 300_000 * 0.4 / (1_000_000 * 0.7), accuracy: 1e-12)
        XCTAssertEqual(m.allocatedDuringMark, 300_000)
        XCTAssertNil(CycleMeasurement(heapMarked: 0, heapAtTrigger: 5, heapPeak: 5, heapScanWork: 1, utilization: 0.25).consMark)
        XCTAssertNil(CycleMeasurement(heapMarked: 0, heapAtTrigger: 5, heapPeak: 9, heapScanWork: 0, utilization: 0.25).consMark)
        XCTAssertNil(CycleMeasurement(heapMarked: 0, heapAtTrigger: 5, heapPeak: 9, heapScanWork: 1, utilization: 1).consMark)
    }
}

/// A measurement used by several pacer tests: 10 MiB marked, 9 M heap + 8 KiB stack + 32 KiB globals
/// scanned, 1 M bytes allocated during marking at u = 0.25, so cons/mark r = 1e6·0.25/(9_040_960·0.75).
private func sampleMeasurement(trigger: Int) -> CycleMeasurement {
    CycleMeasurement(heapMarked: 10 * MiB, heapAtTrigger: trigger, heapPeak: trigger + 1_000_000, heapScanWork: 9_000_000,
                     stackScanWork: 8192, globalsScanWork: 32768, utilization: 0.25)
}

final class Go118PacerTests: XCTestCase {
    // After sampleMeasurement: goal = 10 MiB + (10 MiB + 8 KiB + 32 KiB) = 21_012_480,
    // runway point 0.7 → 17_854_464, 0.95 → 20_486_144; expected scan work 9_040_960.
    let goal = 21_012_480

    func testInitialDecisionUsesHeapMinimum() {
        let p = Go118Pacer()
        XCTAssertEqual(p.decision.heapGoal, 4 * MiB)
        XCTAssertEqual(p.decision.trigger, Int(0.95 * Double(4 * MiB)), "no cons/mark yet: runway 0, trigger at the 0.95 bound")
    }

    func testGo118TriggerFromPISmoothedConsMark() {
        var p = Go118Pacer()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, stackBytes: 8192, globalsBytes: 32768, procs: 8))
        let d = p.endCycle(sampleMeasurement(trigger: p.decision.trigger))
        let r = 1e6 * 0.25 / (9_040_960 * 0.75)
        XCTAssertEqual(d.measuredConsMark!, r, accuracy: 1e-12)
        XCTAssertEqual(d.consMarkEstimate!, 0.9 * r, accuracy: 1e-12, "PI from 0: kp·(r − 0)")
        XCTAssertEqual(d.controllerIntegral!, 0.225 * r, accuracy: 1e-12)
        XCTAssertEqual(d.heapGoal, goal)
        XCTAssertEqual(d.expectedScanWork, 9_040_960)
        // runway = 0.9r·(0.75/0.25)·9_040_960 = 900_000
        XCTAssertEqual(d.trigger, goal - 900_000, accuracy: 1)
    }

    func testGo121UsesMaxOfRecentMeasurements() {
        var p = Go118Pacer.go121()
        XCTAssertEqual(p.name, "go121")
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        let d1 = p.endCycle(sampleMeasurement(trigger: p.decision.trigger))
        // runway = r·3·9_040_960 = 1_000_000
        XCTAssertEqual(d1.trigger, goal - 1_000_000, accuracy: 1)
        let r1 = d1.measuredConsMark!
        // A quieter cycle (half the allocation) does not lower the estimate for the next 4 cycles.
        for k in 0..<6 {
            let trigger = p.decision.trigger
            _ = p.startCycle(CycleStart(heapLive: trigger, procs: 8))
            var m = sampleMeasurement(trigger: trigger)
            m.heapPeak = trigger + 500_000
            let d = p.endCycle(m)
            if k < 4 {
                XCTAssertEqual(d.consMarkEstimate!, r1, accuracy: 1e-12, "cycle \(k)")
            } else {
                XCTAssertEqual(d.consMarkEstimate!, r1 / 2, accuracy: 1e-12, "cycle \(k): r1 has aged out")
            }
        }
    }

    func testTriggerClampedToRunwayBounds() {
        // A huge cons/mark pushes the trigger to the 0.7 bound; zero pushes it to the 0.95 bound.
        var p = Go118Pacer.go121()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        var m = sampleMeasurement(trigger: p.decision.trigger)
        m.heapPeak = m.heapAtTrigger + 500 * MiB
        XCTAssertEqual(p.endCycle(m).trigger, 17_854_464, accuracy: 1)

        var q = Go118Pacer()
        _ = q.startCycle(CycleStart(heapLive: q.decision.trigger, procs: 8))
        var n = sampleMeasurement(trigger: q.decision.trigger)
        n.heapPeak = n.heapAtTrigger   // no allocation: no cons/mark update, estimate stays 0
        let d = q.endCycle(n)
        XCTAssertNil(d.measuredConsMark)
        XCTAssertEqual(d.trigger, 20_486_144, accuracy: 1)
    }

    func testUndefinedConsMarkLeavesEstimateAlone() {
        var p = Go118Pacer()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        var m = sampleMeasurement(trigger: p.decision.trigger)
        m.utilization = 1   // no mutator CPU at all: cons/mark undefined
        let d = p.endCycle(m)
        XCTAssertNil(d.measuredConsMark)
        XCTAssertEqual(d.consMarkEstimate, 0)
        XCTAssertFalse(d.controllerReset)
    }

    func testControllerOverflowResetsEstimateToZero() {
        var c = PacerConfig()
        c.ti = .leastNonzeroMagnitude   // kp/ti overflows to +Inf: the integral blows up on the first update
        var p = Go118Pacer(config: c)
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        let d = p.endCycle(sampleMeasurement(trigger: p.decision.trigger))
        XCTAssertTrue(d.controllerReset)
        XCTAssertEqual(d.consMarkEstimate, 0)
        XCTAssertEqual(d.controllerIntegral, 0)
        XCTAssertTrue(p.controller.errorOverflow)
        XCTAssertEqual(d.trigger, 20_486_144, accuracy: 1, "zero estimate: trigger at the 0.95 bound")
    }

    func testAssistRatioAtStartMatchesExpectedWorkOverRunway() {
        var p = Go118Pacer()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        let d = p.endCycle(sampleMeasurement(trigger: p.decision.trigger))
        let plan = p.startCycle(CycleStart(heapLive: d.trigger, heapScan: 9_000_000, stackBytes: 8192, globalsBytes: 32768, procs: 8))
        XCTAssertEqual(plan.heapGoal, goal)
        XCTAssertEqual(plan.assistWorkPerByte, 9_040_960.0 / Double(goal - d.trigger), accuracy: 1e-9)
        XCTAssertEqual(plan.workers, WorkerPlan(procs: 8, dedicated: 2, fractionalUtilization: 0))
        // Halfway through the work with half the runway used: still the same ratio.
        let mid = p.assistWorkPerByte(MarkProgress(heapLive: d.trigger + (goal - d.trigger) / 2, scanWorkDone: 9_040_960 / 2))
        XCTAssertEqual(mid, plan.assistWorkPerByte, accuracy: 1e-3)
    }

    func testMemoryLimitGoalIsHonouredWithoutMinimumRunway() {
        var c = PacerConfig()
        c.memoryLimit = 16 * MiB
        var p = Go118Pacer(config: c)
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        let d = p.endCycle(sampleMeasurement(trigger: p.decision.trigger))
        let limitGoal = MemoryLimit.heapGoal(limit: 16 * MiB, nonHeapBytes: 0, heapMarked: 10 * MiB)
        XCTAssertTrue(d.limitedByMemory)
        XCTAssertEqual(d.heapGoal, limitGoal)
        XCTAssertLessThanOrEqual(d.trigger, d.heapGoal)
        // Starting right at the goal does not push the goal up by the 64 KiB minimum runway.
        let plan = p.startCycle(CycleStart(heapLive: limitGoal, procs: 8))
        XCTAssertEqual(plan.heapGoal, limitGoal)
    }
}

final class Go15PacerTests: XCTestCase {
    func testControllerStepMatchesHandComputation() {
        // e = 1 − 0.875 − (0.4/0.25)(1.05 − 0.875) = −0.155; h_T' = 0.875 + 0.5·(−0.155) = 0.7975.
        let h = Go15Pacer.nextTriggerRatio(current: 0.875, goalRatio: 1, actualRatio: 1.05, utilization: 0.4,
                                           goalUtilization: 0.25, gain: 0.5)
        XCTAssertEqual(h, 0.7975, accuracy: 1e-12)
    }

    func testPacerEndToEnd() {
        var p = Go15Pacer()
        XCTAssertEqual(p.triggerRatio, 0.875)
        // Cycle 1 has no marked heap to measure against: no controller update.
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        var d = p.endCycle(CycleMeasurement(heapMarked: 100 * MiB, heapAtTrigger: p.decision.trigger,
                                            heapPeak: p.decision.trigger + MiB, heapScanWork: 90 * MiB, utilization: 0.25))
        XCTAssertEqual(d.heapGoal, 200 * MiB, "heap-only goal")
        XCTAssertEqual(d.trigger, Int(100.0 * 1.875 * Double(MiB)))
        // Cycle 2: finished at 205 MiB (h_a = 1.05) with u_a = 0.4.
        _ = p.startCycle(CycleStart(heapLive: d.trigger, procs: 8))
        d = p.endCycle(CycleMeasurement(heapMarked: 110 * MiB, heapAtTrigger: d.trigger, heapPeak: 205 * MiB,
                                        heapScanWork: 100 * MiB, utilization: 0.4))
        XCTAssertEqual(p.triggerRatio, 0.7975, accuracy: 1e-12)
        XCTAssertEqual(d.heapGoal, 220 * MiB)
        XCTAssertEqual(d.trigger, Int(110.0 * 1.7975 * Double(MiB)), accuracy: 1)
    }

    func testForcedCycleLeavesControllerAlone() {
        var p = Go15Pacer()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        _ = p.endCycle(CycleMeasurement(heapMarked: 100 * MiB, heapAtTrigger: p.decision.trigger,
                                        heapPeak: p.decision.trigger, heapScanWork: 90 * MiB, utilization: 0.25))
        _ = p.startCycle(CycleStart(heapLive: 120 * MiB, procs: 8))
        let d = p.endCycle(CycleMeasurement(heapMarked: 100 * MiB, heapAtTrigger: 120 * MiB, heapPeak: 130 * MiB,
                                            heapScanWork: 90 * MiB, utilization: 0.9, userForced: true))
        XCTAssertEqual(p.triggerRatio, 0.875)
        XCTAssertEqual(d.trigger, Int(100.0 * 1.875 * Double(MiB)))
    }

    func testTriggerRatioIsClamped() {
        let high = Go15Pacer.nextTriggerRatio(current: 0.9, goalRatio: 1, actualRatio: 0.9, utilization: 0.25,
                                              goalUtilization: 0.25, gain: 2)
        XCTAssertEqual(high, 1.1, accuracy: 1e-12, "unclamped step")
        var p = Go15Pacer()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        _ = p.endCycle(CycleMeasurement(heapMarked: 100 * MiB, heapAtTrigger: p.decision.trigger, heapPeak: p.decision.trigger,
                                        heapScanWork: 90 * MiB, utilization: 0.25))
        // Finishing far below the goal at u_g drives h_T up, but never above 0.95·h_g.
        for _ in 0..<20 {
            let t = p.decision.trigger
            _ = p.startCycle(CycleStart(heapLive: t, procs: 8))
            _ = p.endCycle(CycleMeasurement(heapMarked: 100 * MiB, heapAtTrigger: t, heapPeak: t, heapScanWork: 90 * MiB,
                                            utilization: 0.25))
        }
        XCTAssertEqual(p.triggerRatio, 0.95, accuracy: 1e-12)
        XCTAssertEqual(p.decision.trigger, 195 * MiB, accuracy: 1)
    }
}

final class FixedPacerTests: XCTestCase {
    func testTriggerAtFixedFractionOfRunway() {
        var p = Go118Pacer.fixed()
        _ = p.startCycle(CycleStart(heapLive: p.decision.trigger, procs: 8))
        let d = p.endCycle(sampleMeasurement(trigger: p.decision.trigger))
        XCTAssertEqual(d.heapGoal, 21_012_480)
        XCTAssertEqual(d.trigger, 17_854_464, accuracy: 1)
        var c = PacerConfig()
        c.triggerFraction = 0.5
        var q = Go118Pacer.fixed(config: c)
        _ = q.startCycle(CycleStart(heapLive: q.decision.trigger, procs: 8))
        XCTAssertEqual(q.endCycle(sampleMeasurement(trigger: q.decision.trigger)).trigger, 10 * MiB + 10_526_720 / 2)
    }
}

final class PacerInvariantTests: XCTestCase {
    func testTriggerBetweenMarkedAndGoalForAllPacersUnderRandomMeasurements() {
        var rng = SplitMix64(seed: 42)
        for kind in PacerKind.allCases {
            for limit in [nil, 64 * MiB] as [Int?] {
                var c = PacerConfig()
                c.memoryLimit = limit
                var p = kind.make(config: c)
                for _ in 0..<300 {
                    let d = p.decision
                    XCTAssertLessThanOrEqual(d.trigger, d.heapGoal, "\(kind)")
                    XCTAssertGreaterThanOrEqual(d.trigger, d.heapMarked, "\(kind)")
                    XCTAssertGreaterThanOrEqual(d.heapGoal, d.heapMarked, "\(kind)")
                    let start = d.trigger + Int(rng.nextUnit() * Double(MiB))
                    let plan = p.startCycle(CycleStart(heapLive: start, stackBytes: 8192, globalsBytes: 4096, procs: 4))
                    XCTAssertTrue(plan.assistWorkPerByte.isFinite && plan.assistWorkPerByte > 0, "\(kind)")
                    let marked = Int(rng.nextUnit() * Double(100 * MiB))
                    let peak = start + Int(rng.nextUnit() * Double(20 * MiB))
                    let a = p.assistWorkPerByte(MarkProgress(heapLive: peak, scanWorkDone: marked))
                    XCTAssertTrue(a.isFinite && a > 0, "\(kind)")
                    p.endCycle(CycleMeasurement(heapMarked: marked, heapAtTrigger: start, heapPeak: peak,
                                                heapScanWork: Int(Double(marked) * rng.nextUnit()), stackScanWork: 8192,
                                                globalsScanWork: 4096, utilization: 0.25 + 0.75 * rng.nextUnit()))
                }
            }
        }
    }
}

private func XCTAssertEqual(_ a: Int, _ b: Int, accuracy: Int, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(a - b), accuracy, "\(a) vs \(b) \(message)", file: file, line: line)
}
