// Signals (Go stream semantics), the seeded RNG, CSV writing, parameter ranges and the gain search.

import XCTest
@testable import Pacer

final class SignalTests: XCTestCase {
    func testGoStreamSemantics() {
        // Go: constant(33).sum(ramp(66, 1).delay(50)): 33 for calls 1...51, 99 from call 52 on.
        let step = Signal.constant(33) + Signal.ramp(height: 66, length: 1).delayed(by: 50)
        XCTAssertEqual(step.value(at: 49, seed: 0), 33)
        XCTAssertEqual(step.value(at: 50, seed: 0), 33)
        XCTAssertEqual(step.value(at: 51, seed: 0), 99)
        // ramp(−1, 12): 0, −1/12, ..., −1 at call 13 and after.
        let growth = Signal.constant(2) + .ramp(height: -1, length: 12)
        XCTAssertEqual(growth.value(at: 0, seed: 0), 2)
        XCTAssertEqual(growth.value(at: 6, seed: 0), 1.5, accuracy: 1e-12)
        XCTAssertEqual(growth.value(at: 12, seed: 0), 1)
        XCTAssertEqual(growth.value(at: 99, seed: 0), 1)
        // unit(14).delay(25): one spike on call 26.
        let spike = Signal.unit(14).delayed(by: 25)
        XCTAssertEqual(spike.value(at: 24, seed: 0), 0)
        XCTAssertEqual(spike.value(at: 25, seed: 0), 14)
        XCTAssertEqual(spike.value(at: 26, seed: 0), 0)
        // oscillate(13, 0, 8): sin(2π·i/8)·13, period 8.
        let osc = Signal.oscillate(amplitude: 13, phase: 0, period: 8)
        XCTAssertEqual(osc.value(at: 2, seed: 0), 13, accuracy: 1e-12)
        XCTAssertEqual(osc.value(at: 10, seed: 0), 13, accuracy: 1e-12)
    }

    func testRandomSignalIsBoundedSeededAndIndependentPerStream() {
        let a = Signal.random(amplitude: 13, stream: 1)
        let b = Signal.random(amplitude: 13, stream: 2)
        var differs = false
        for i in 0..<1000 {
            let v = a.value(at: i, seed: 9)
            XCTAssertTrue((-13...13).contains(v))
            XCTAssertEqual(v, a.value(at: i, seed: 9))
            if v != b.value(at: i, seed: 9) { differs = true }
        }
        XCTAssertTrue(differs)
        XCTAssertNotEqual(a.value(at: 0, seed: 9), a.value(at: 0, seed: 10))
    }

    func testSplitMix64ReferenceValues() {
        // Reference outputs of splitmix64 seeded with 0 (Vigna's splitmix64.c).
        var g = SplitMix64(seed: 0)
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
        let u = SplitMix64.unit(seed: 3, stream: 4, index: 5)
        XCTAssertTrue((0..<1).contains(u))
        XCTAssertEqual(u, SplitMix64.unit(seed: 3, stream: 4, index: 5))
    }
}

final class CSVTests: XCTestCase {
    func testEscapingAndFormatting() {
        XCTAssertEqual(CSVTable.escape("plain"), "plain")
        XCTAssertEqual(CSVTable.escape("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVTable.escape("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVTable.number(nil), "")
        XCTAssertEqual(CSVTable.number(0.25), "0.250000")
        XCTAssertEqual(CSVTable.number(.nan), "nan")
        var t = CSVTable(header: ["a", "b"])
        t.append(["1", "x,y"])
        XCTAssertEqual(t.text, "a,b\n1,\"x,y\"\n")
    }

    func testCyclesCSVHasRequiredColumns() throws {
        let r = try Simulator.run(scenario: .steady, kind: .go118, config: Scenario.steady.configure(),
                                  options: SimulationOptions(cycles: 3))
        let table = r.csvTable
        for column in ["cycle", "heap_goal_bytes", "trigger_bytes", "peak_heap_bytes", "peak_over_goal", "utilization", "cons_mark",
                       "heap_marked_bytes", "assist_ratio_start", "cons_mark_estimate", "controller_integral"] {
            XCTAssertTrue(table.header.contains(column), column)
        }
        XCTAssertEqual(table.rows.count, 3)
        XCTAssertTrue(table.rows.allSatisfy { $0.count == table.header.count })
    }
}

final class ParameterRangeTests: XCTestCase {
    func testGridValuesAreCleanDecimals() throws {
        let kp = PacerParameter.named("kp")!
        XCTAssertEqual(try ParameterRange.parse("0.5:1.5:0.1", for: kp).values,
                       [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
        XCTAssertEqual(try ParameterRange.parse("0.9", for: kp).values, [0.9])
        XCTAssertEqual(try ParameterRange.parse("1:1:0.5", for: kp).values, [1])
    }

    func testBadRangesAreRejected() {
        let kp = PacerParameter.named("kp")!
        for bad in ["1.5:0.5:0.1", "0.5:1.5:0", "0.5:1.5:-1", "0.5:1.5", "a:1:0.1", "1:2:nan", "", "-1:1:0.5", "0:100:0.0001"] {
            XCTAssertThrowsError(try ParameterRange.parse(bad, for: kp), bad)
        }
        XCTAssertThrowsError(try ParameterRange.parse("1:4:0.5", for: PacerParameter.named("consmark-history")!),
                             "whole-number parameter")
    }

    func testEveryParameterRoundTripsThroughConfig() {
        for p in PacerParameter.all {
            var c = PacerConfig()
            let v = p.isInteger ? p.range.lowerBound + 1 : (p.range.lowerBound + min(p.range.upperBound, p.range.lowerBound + 1)) / 2
            p.set(&c, v)
            XCTAssertEqual(p.get(c), v, accuracy: 1e-9, p.name)
        }
        XCTAssertNil(PacerConfig().validationError())
        for scenario in Scenario.all {
            XCTAssertNil(scenario.configure().validationError(), scenario.name)
        }
        var off = PacerConfig()
        off.gogc = -1
        XCTAssertNotNil(off.validationError(), "GOGC off without a memory limit")
        off.memoryLimit = 1 << 30
        XCTAssertNil(off.validationError())
    }
}

final class GainSearchTests: XCTestCase {
    func testTinyGridIncludingDefaultsIsAtLeastAsGood() throws {
        let s = Scenario.stepAlloc
        let search = try GainSearch(scenario: s, kind: .go118, base: s.configure(),
                                    ranges: [ParameterRange(name: "kp", values: [0.8, 0.9, 1.0]),
                                             ParameterRange(name: "ti", values: [3, 4, 5])],
                                    seeds: [1, 2])
        XCTAssertEqual(search.pointCount, 9)
        let result = try search.run()
        XCTAssertEqual(result.points.count, 9)
        let best = try XCTUnwrap(result.best?.metrics)
        XCTAssertLessThanOrEqual(best.score, result.defaults.score)
        // The defaults are a grid point and score identically there (determinism).
        let defaultPoint = result.points.first { $0.values == [0.9, 4] }!
        XCTAssertEqual(defaultPoint.metrics!.score, result.defaults.score)
        XCTAssertEqual(result.csvTable.rows.count, 9)
    }

    func testSearchImprovesOnABadBase() throws {
        // Start from a sluggish go15 (K_T = 0.05): a grid of larger gains must find something strictly better.
        let s = Scenario.stepAlloc
        var base = s.configure()
        base.triggerGain = 0.05
        let search = try GainSearch(scenario: s, kind: .go15, base: base,
                                    ranges: [try ParameterRange.parse("0.05:0.65:0.2", for: PacerParameter.named("kt")!)],
                                    seeds: [1])
        let result = try search.run()
        XCTAssertLessThan(result.best!.metrics!.score, result.defaults.score)
        XCTAssertNotEqual(result.best!.values, [0.05])
    }

    func testInvalidPointsAreReportedNotRanked() throws {
        let s = Scenario.steady
        let search = try GainSearch(scenario: s, kind: .go121, base: s.configure(),
                                    ranges: [ParameterRange(name: "trigger-min", values: [0.5, 0.99])], seeds: [1],
                                    options: SimulationOptions(cycles: 30))
        let result = try search.run()
        XCTAssertNil(result.points[1].metrics)
        XCTAssertNotNil(result.points[1].invalidReason)
        XCTAssertEqual(result.best?.values, [0.5])
    }

    func testRejectsParametersThePacerDoesNotUse() {
        XCTAssertThrowsError(try GainSearch(scenario: .steady, kind: .go15, base: PacerConfig(),
                                            ranges: [ParameterRange(name: "kp", values: [1])], seeds: [1]))
        XCTAssertThrowsError(try GainSearch(scenario: .steady, kind: .go118, base: PacerConfig(),
                                            ranges: [ParameterRange(name: "nope", values: [1])], seeds: [1]))
    }
}
