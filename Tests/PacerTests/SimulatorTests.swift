// Every scenario against its bounds, with fixed seeds, plus simulator invariants and determinism.
//
// go118/go121 must meet each scenario's bounds (Go's TestGcPacer bounds where Go asserts them). The
// baselines (fixed, go15) are not expected to meet Go's bounds; they get the looser, documented bounds in
// `baselineBounds` below, which record what they are known to do on this model.

import XCTest
@testable import Pacer

final class ScenarioBoundsTests: XCTestCase {
    /// The fixed seed the bounds are asserted at, as Go asserts its bounds at fixed stream seeds. Chosen
    /// before any results (it is the CLI default), not tuned.
    static let seed: UInt64 = 1
    /// Extra seeds for the robustness check of go121.
    static let extraSeeds: [UInt64] = Array(2...12)

    private func run(_ s: Scenario, _ kind: PacerKind, seed: UInt64 = 1, configure: (inout PacerConfig) -> Void = { _ in })
        throws -> SimulationResult {
        var config = s.configure()
        configure(&config)
        return try Simulator.run(scenario: s, kind: kind, config: config, options: SimulationOptions(cycles: s.defaultCycles, seed: seed))
    }

    func testEveryScenarioHasBoundsForTheRedesignedPacers() {
        for s in Scenario.all {
            XCTAssertFalse(s.bounds(for: .go118).isEmpty, s.name)
            XCTAssertFalse(s.bounds(for: .go121).isEmpty, s.name)
        }
        let names = Set(Scenario.names)
        for required in ["steady", "step-alloc", "heavy-step-alloc", "jitter", "oscillating", "high-gogc", "growing-heap",
                         "big-roots", "memory-limit-steady", "memory-limit-exceeded"] {
            XCTAssertTrue(names.contains(required), required)
        }
    }

    func testGo118AndGo121MeetEveryScenarioBound() throws {
        for s in Scenario.all {
            for kind in [PacerKind.go118, .go121] {
                let result = try run(s, kind, seed: ScenarioBoundsTests.seed)
                let violations = result.boundViolations(for: kind)
                XCTAssertTrue(violations.isEmpty, "\(kind) on \(s.name): \(violations.prefix(5))")
            }
        }
    }

    /// go121 meets the bounds of the random scenarios at other seeds too. (go118 does not always: with
    /// its PI-smoothed estimate, Go's jitter bound u ≤ 0.30 and high-gogc's |Δu| ≤ 0.03 fail at some seeds,
    /// see docs/PACER.md; that is a finding about the estimator, so it is not asserted away here.)
    func testGo121MeetsRandomScenarioBoundsAcrossSeeds() throws {
        for name in ["jitter", "heavy-jitter", "high-gogc", "oscillating"] {
            let s = Scenario.named(name)!
            for seed in ScenarioBoundsTests.extraSeeds {
                let violations = try run(s, .go121, seed: seed).boundViolations(for: .go121)
                XCTAssertTrue(violations.isEmpty, "go121 on \(name) seed \(seed): \(violations.prefix(3))")
            }
        }
    }

    func testGoAcceptanceInSteadyAndStepScenarios() throws {
        // The headline numbers, asserted directly: after cycle 25, peak/goal in [0.95, 1.05] and
        // utilization 0.25 ± 0.005 wherever the runway allows it (see Scenario.heavyStepAlloc for why the
        // 363 KiB/ms phase cannot run at 0.25).
        for kind in [PacerKind.go118, .go121] {
            for name in ["steady", "step-alloc", "heavy-step-alloc"] {
                let r = try run(Scenario.named(name)!, kind)
                for c in r.records where c.cycle >= 25 {
                    let inStepTransient = name != "steady" && c.cycle >= 50 && c.cycle < 75
                    if inStepTransient { continue }
                    XCTAssertTrue((0.95...1.05).contains(c.peakOverGoal), "\(kind) \(name) cycle \(c.cycle): peak/goal \(c.peakOverGoal)")
                    if name == "heavy-step-alloc" && c.cycle >= 75 { continue }
                    XCTAssertEqual(c.utilization, 0.25, accuracy: 0.005, "\(kind) \(name) cycle \(c.cycle)")
                }
            }
        }
    }

    /// What the baselines are held to (gclab's own bounds, from their design):
    ///  * fixed triggers at exactly 0.7 of the runway whenever the runway is not squeezed by a memory limit,
    ///    so with spare runway it finishes early (peak/goal < 1) at u = u_g and never overshoots the goal
    ///    by more than the hard-goal factor;
    ///  * go15 settles on its error curve: peak within 5 % of the goal at u ≤ 2·u_g in the GOGC scenarios
    ///    (the flaw shows as excess utilization, not as missed goals).
    /// Like Go's checks, the 25 cycles after a step (cycles 50...74) are a transient and not checked.
    func testBaselinesMeetTheirDocumentedBounds() throws {
        let gogcScenarios = ["steady", "step-alloc", "heavy-step-alloc", "jitter", "oscillating", "big-roots",
                             "big-globals", "growing-heap", "step-scannable", "heavy-jitter"]
        for name in gogcScenarios {
            let scenario = Scenario.named(name)!
            func checked(_ cycle: Int) -> Bool {
                cycle > 25 && !(scenario.disturbanceCycle != nil && cycle >= 50 && cycle < 75)
            }
            let fixed = try run(scenario, .fixed)
            for c in fixed.records where checked(c.cycle) {
                XCTAssertEqual(c.triggerRatio, 0.7, accuracy: 1e-6, "fixed \(name) cycle \(c.cycle)")
                XCTAssertLessThanOrEqual(c.peakOverGoal, 1.1, "fixed \(name) cycle \(c.cycle)")
                XCTAssertGreaterThanOrEqual(c.utilization, 0.25 - 1e-9, "fixed \(name) cycle \(c.cycle)")
            }
            let go15 = try run(scenario, .go15)
            for c in go15.records where checked(c.cycle) {
                XCTAssertTrue((0.95...1.05).contains(c.peakOverGoal), "go15 \(name) cycle \(c.cycle): \(c.peakOverGoal)")
                XCTAssertLessThanOrEqual(c.utilization, 0.5, "go15 \(name) cycle \(c.cycle)")
            }
        }
        // With spare runway (steady, cons/mark 0.03) fixed starts marking early: finishes well under the goal.
        let steady = SimulationSummary(try run(.steady, .fixed))
        XCTAssertLessThan(steady.meanPeakOverGoal, 0.95)
        XCTAssertEqual(steady.meanUtilization, 0.25, accuracy: 1e-9)
    }

    func testMemoryLimitGoalRespectedAndUtilizationCapped() throws {
        for kind in PacerKind.allCases {
            for name in ["memory-limit-steady", "memory-limit-exceeded", "memory-limit-gogc-off"] {
                let s = Scenario.named(name)!
                let r = try run(s, kind)
                // The goal never exceeds the limit-derived goal (which is ≥ marked by construction).
                for c in r.records {
                    if let limitGoal = c.memoryLimitGoal {
                        XCTAssertLessThanOrEqual(c.heapGoal, limitGoal, "\(kind) \(name) cycle \(c.cycle)")
                    }
                    XCTAssertLessThanOrEqual(c.trigger, c.heapGoal, "\(kind) \(name) cycle \(c.cycle)")
                }
                // The bounds beyond the redesigned pacers' (they hold for the baselines too) that apply to
                // `kind`: goal = limit goal (GOGC pacers) / goal = live heap, CPU share (all).
                let shared = s.bounds.filter { $0.pacers.contains(kind) && $0.pacers.isSuperset(of: [.fixed, .go15]) }
                XCTAssertFalse(shared.isEmpty && kind != .membalancer, "\(kind) on \(name): no shared bound")
                let violations = shared.flatMap { $0.violations(in: r.records) }
                XCTAssertTrue(violations.isEmpty, "\(kind) on \(name): \(violations.prefix(3))")
            }
        }
        // Exceeded: with the limiter the GC's CPU share stays near half; without it, Go's own expectation
        // (u → 1.0 within 0.005 after cycle 25) holds.
        let s = Scenario.memoryLimitExceeded
        let limited = SimulationSummary(try run(s, .go121))
        XCTAssertEqual(limited.gcCPUShare, 0.5, accuracy: 0.05)
        let unlimited = try run(s, .go121) { $0.cpuLimiterEnabled = false }
        for c in unlimited.records where c.cycle >= 25 {
            XCTAssertEqual(c.utilization, 1.0, accuracy: 0.005, "cycle \(c.cycle)")
            XCTAssertEqual(c.heapGoal, c.heapMarked, "goal pushed to the live heap")
        }
    }

    func testSimulatorInvariantsOnEveryScenarioAndPacer() throws {
        for s in Scenario.all {
            for kind in PacerKind.allCases {
                let r = try run(s, kind, seed: 7)
                XCTAssertEqual(r.records.count, s.defaultCycles)
                for c in r.records {
                    let where_ = "\(kind) \(s.name) cycle \(c.cycle)"
                    XCTAssertGreaterThanOrEqual(c.trigger, c.heapMarked, where_)
                    XCTAssertLessThanOrEqual(c.trigger, c.heapGoal, where_)
                    XCTAssertGreaterThanOrEqual(c.heapPeak, c.trigger, where_)
                    XCTAssertGreaterThanOrEqual(c.utilization, c.backgroundUtilization - 1e-9, where_)
                    XCTAssertLessThanOrEqual(c.utilization, 1, where_)
                    XCTAssertEqual(c.heapPeak - c.trigger, c.allocatedDuringMark, where_)
                    XCTAssertTrue((0...1).contains(c.limiterFill), where_)
                }
            }
        }
    }

    func testSimulationIsDeterministicAndSeedMatters() throws {
        let a = try run(.jitter, .go118, seed: 5).csvTable.text
        let b = try run(.jitter, .go118, seed: 5).csvTable.text
        let c = try run(.jitter, .go118, seed: 6).csvTable.text
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    func testNoiseOptionPerturbsOnlyWhenAsked() throws {
        let s = Scenario.steady
        let config = s.configure()
        let quiet = try Simulator.run(scenario: s, kind: .go121, config: config, options: SimulationOptions(seed: 1, noise: 0))
        let quiet2 = try Simulator.run(scenario: s, kind: .go121, config: config, options: SimulationOptions(seed: 2, noise: 0))
        let noisy = try Simulator.run(scenario: s, kind: .go121, config: config, options: SimulationOptions(seed: 1, noise: 0.2))
        XCTAssertEqual(quiet.records, quiet2.records, "steady has no random signals")
        XCTAssertNotEqual(quiet.records, noisy.records)
    }

    func testRunawayHeapIsReportedNotCrashed() {
        var s = Scenario(name: "runaway", summary: "heap grows 8x per cycle forever")
        s.growthRate = .constant(8)
        s.scanRate = .constant(1e9)   // marking stays a few periods long, so the test is quick
        XCTAssertThrowsError(try Simulator.run(scenario: s, kind: .go118, config: s.configure(), options: SimulationOptions(cycles: 60)))
    }

    func testSettleCycles() throws {
        let r = try run(.stepAlloc, .go121)
        let settle = try XCTUnwrap(SimulationSummary(r).settleCycles)
        XCTAssertLessThan(settle, 23, "go121 settles well before Go's 25-cycle window")
        XCTAssertGreaterThanOrEqual(settle, 1, "the step does perturb it")
        XCTAssertNil(SimulationSummary(try run(.jitter, .go121)).settleCycles, "no step, no settle time")
        // By hand: settled from the first cycle of the final in-band run.
        var records = r.records
        for k in records.indices { records[k].heapPeak = records[k].heapGoal; records[k].utilization = 0.25 }
        records[60].heapPeak = records[60].heapGoal * 2
        XCTAssertEqual(SimulationSummary.settleCycles(records, from: 52), 10, "cycle 61 is out of band; 62 on are in")
    }
}
