// pacer-sim --from-run's reconstruction (Sources/Pacer/Simulator/RunReconstruction.swift): a "run" the
// simulator itself produced is rebuilt into a scenario that simulates back to the same cycles, so the
// errors reported on a real run are the model's, not the reconstruction's.

import XCTest
@testable import Pacer

final class RunReconstructionTests: XCTestCase {
    /// The simulation of `s` recorded as a real run's cycles.csv would record it.
    private func record(_ s: Scenario, _ kind: PacerKind, seed: UInt64) throws -> [RecordedCycle] {
        let r = try Simulator.run(scenario: s, kind: kind, config: s.configure(), options: SimulationOptions(cycles: 60, seed: seed))
        var end = 0.0
        return r.records.enumerated().map { i, c in
            end += c.cycleMillis * 1e6
            let p = s.parameters(cycle: i, seed: seed)
            return RecordedCycle(cycle: c.cycle, endNs: end, markNs: c.markMillis * 1e6, heapPeak: c.heapPeak,
                                 marked: c.markedAfter, blackAllocated: c.allocatedDuringMark,
                                 heapScanWork: c.scanWork - p.stackBytes - p.globalsBytes, utilization: c.utilization,
                                 idleUtilization: 0, stackBytes: p.stackBytes, globalsBytes: p.globalsBytes,
                                 trigger: c.trigger, heapGoal: c.heapGoal)
        }
    }

    func testARunTheModelProducedIsRebuiltExactly() throws {
        for (name, kind) in [("steady", PacerKind.go121), ("step-alloc", .go118), ("jitter", .go121), ("big-roots", .membalancer),
                             ("growing-heap", .go15)] {
            let s = Scenario.named(name)!
            let recorded = try record(s, kind, seed: 4)
            let rebuilt = try RunReconstruction(name: "r", recorded: recorded, procs: s.procs, gogc: s.gogc, memoryLimit: s.memoryLimit)
            XCTAssertEqual(rebuilt.scenario.defaultCycles, 60)
            XCTAssertEqual(rebuilt.scenario.initialHeapBytes, s.initialHeapBytes, name)
            let result = try Simulator.run(scenario: rebuilt.scenario, kind: kind, config: rebuilt.scenario.configure(),
                                           options: SimulationOptions(cycles: 60))
            let (table, e) = rebuilt.compare(with: result)
            XCTAssertEqual(table.rows.count, 60)
            XCTAssertEqual(e.cycles, 60)
            // Rates are rebuilt through whole bytes and a revise period's rounding: within 0.5 %.
            for (what, error) in [("trigger", e.triggerError), ("goal", e.goalError), ("peak", e.peakError), ("marked", e.markedError)] {
                XCTAssertLessThan(error, 0.005, "\(name) \(kind): \(what) error \(error)")
            }
            XCTAssertLessThan(e.utilizationError, 0.005, "\(name) \(kind)")
            // The rebuilt scenario is a scenario file like any other.
            XCTAssertEqual(try Scenario.parseFile(Array(rebuilt.scenario.fileText.utf8)).fileText, rebuilt.scenario.fileText)
        }
    }

    /// The reconstruction is not a tautology: a different pacer on the rebuilt program differs.
    func testAnotherPacerOnTheRebuiltProgramDiffers() throws {
        let s = Scenario.stepAlloc
        let rebuilt = try RunReconstruction(name: "r", recorded: try record(s, .go121, seed: 1), procs: s.procs, gogc: s.gogc, memoryLimit: nil)
        let fixed = try Simulator.run(scenario: rebuilt.scenario, kind: .fixed, config: rebuilt.scenario.configure(), options: SimulationOptions(cycles: 60))
        XCTAssertGreaterThan(rebuilt.compare(with: fixed).errors.triggerError, 0.02)
    }

    func testSignalsFollowTheRecordedCycles() throws {
        // Two cycles by hand on 2 processors: cycle 1 marks 1 MiB (no black), allocating 3 MiB from 0 in 10 ms
        // of which 2 ms marking at u = 0.5: mutator time 10 − 1 = 9 ms, rate 3 MiB / (2 · 9 ms).
        let MiB = 1 << 20
        let c1 = RecordedCycle(cycle: 1, endNs: 10e6, markNs: 2e6, heapPeak: 3 * MiB, marked: MiB, blackAllocated: 0,
                               heapScanWork: MiB / 2, utilization: 0.5, idleUtilization: 0.25, stackBytes: 4096, globalsBytes: 1024,
                               trigger: 2 * MiB, heapGoal: 4 * MiB)
        let c2 = RecordedCycle(cycle: 2, endNs: 30e6, markNs: 4e6, heapPeak: 5 * MiB, marked: 3 * MiB, blackAllocated: MiB,
                               heapScanWork: 2 * MiB, utilization: 0.25, idleUtilization: 0, stackBytes: 8192, globalsBytes: 2048,
                               trigger: 4 * MiB, heapGoal: 6 * MiB)
        let r = try RunReconstruction(name: "hand", recorded: [c1, c2], procs: 2, gogc: 100, memoryLimit: nil)
        let s = r.scenario
        XCTAssertEqual(s.initialHeapBytes, MiB)
        XCTAssertEqual(s.globalsBytes, 2048, "the largest")
        XCTAssertEqual(s.allocRate.value(at: 0, seed: 1), 3072.0 / (2 * 9), accuracy: 1e-9)
        // Cycle 2: 4 MiB allocated (5 − 1) in 20 ms less 4 · 0.25 = 19 ms.
        XCTAssertEqual(s.allocRate.value(at: 1, seed: 1), 4096.0 / (2 * 19), accuracy: 1e-9)
        // Scan: (0.5 MiB + 4 KiB + 1 KiB) / ((0.5 + 0.25) · 2 · 2 ms) KiB per ms.
        XCTAssertEqual(s.scanRate.value(at: 0, seed: 1), (512.0 + 4 + 1) / 3, accuracy: 1e-9)
        XCTAssertEqual(s.growthRate.value(at: 1, seed: 1), 2, "live 2 MiB after 1 MiB")
        XCTAssertEqual(s.scannableFraction.value(at: 0, seed: 1), 0.5)
        XCTAssertEqual(s.scannableFraction.value(at: 1, seed: 1), 1)
        XCTAssertEqual(s.stackBytes.value(at: 1, seed: 1), 8192)
        XCTAssertEqual(s.allocRate.value(at: 5, seed: 1), s.allocRate.value(at: 1, seed: 1), "the last value holds")
        XCTAssertThrowsError(try RunReconstruction(name: "none", recorded: [], procs: 2, gogc: 100, memoryLimit: nil))
    }
}
