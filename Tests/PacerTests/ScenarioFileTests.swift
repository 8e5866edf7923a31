// Scenario files (Sources/Pacer/Simulator/ScenarioFile.swift): every built-in scenario written as a file
// and read back simulates to the same cycles.csv; a hand-written file means what the documentation
// says; bad files are refused with the path of the offending value.

import XCTest
@testable import Pacer

final class ScenarioFileTests: XCTestCase {
    private func parse(_ text: String) throws -> Scenario { try Scenario.parseFile(Array(text.utf8)) }

    private func csv(_ s: Scenario, _ kind: PacerKind, seed: UInt64 = 3) throws -> String {
        try Simulator.run(scenario: s, kind: kind, config: s.configure(),
                          options: SimulationOptions(cycles: s.defaultCycles, seed: seed)).csvTable.text
    }

    func testEveryBuiltInScenarioRoundTripsToTheSameSimulation() throws {
        for builtIn in Scenario.all {
            let text = builtIn.fileText
            let read = try parse(text)
            XCTAssertEqual(read.fileText, text, "\(builtIn.name): the file form is a fixed point")
            XCTAssertEqual(read.name, builtIn.name)
            XCTAssertEqual(read.bounds.count, builtIn.bounds.count, builtIn.name)
            for kind in [PacerKind.go121, .go15] {
                XCTAssertEqual(try csv(read, kind), try csv(builtIn, kind), "\(builtIn.name) with \(kind)")
                let simulated = try Simulator.run(scenario: read, kind: kind, config: read.configure())
                let original = try Simulator.run(scenario: builtIn, kind: kind, config: builtIn.configure())
                XCTAssertEqual(simulated.boundViolations(for: kind), original.boundViolations(for: kind), builtIn.name)
            }
        }
    }

    /// Written by hand, in the documented vocabulary: step-alloc's allocation rate as a step, plus every
    /// other kind of signal, each checked at the cycles where its definition says what it is.
    func testAHandWrittenFileMeansWhatTheDocumentationSays() throws {
        let s = try parse("""
        {"name": "mine", "procs": 4, "gogc": "off", "memory_limit": "64M", "initial_heap": "1M", "globals": 4096, "cycles": 12,
         "signals": {
           "alloc_rate": {"sum": [33, {"step": {"height": 66, "from_cycle": 52}}]},
           "scan_rate": {"sum": [1024, {"oscillate": {"amplitude": 10, "period": 4}}]},
           "growth": {"sum": [1, {"unit": 0.5}, {"delay": {"cycles": 3, "signal": {"ramp": {"height": 0.5, "length": 2}}}}]},
           "scannable_fraction": {"constant": 0.5},
           "stacks": {"random": {"amplitude": 2048, "stream": 9}}
         },
         "bounds": [{"metric": "gc_cpu_fraction", "window": 5, "cycles": [10, 20], "range": [0, 0.6], "pacers": ["membalancer"]}]}
        """)
        XCTAssertEqual(s.procs, 4)
        XCTAssertEqual(s.gogc, -1)
        XCTAssertEqual(s.memoryLimit, 64 << 20)
        XCTAssertEqual(s.initialHeapBytes, 1 << 20)
        XCTAssertEqual(s.globalsBytes, 4096)
        XCTAssertEqual(s.defaultCycles, 12)
        // The step: 33 up to cycle 51 (1-based), 99 from cycle 52, exactly as the built-in step-alloc.
        for i in 0..<100 {
            XCTAssertEqual(s.allocRate.value(at: i, seed: 1), Scenario.stepAlloc.allocRate.value(at: i, seed: 1), "cycle \(i + 1)")
        }
        XCTAssertEqual(s.allocRate.value(at: 50, seed: 1), 33)
        XCTAssertEqual(s.allocRate.value(at: 51, seed: 1), 99)
        XCTAssertEqual(s.scanRate.value(at: 1, seed: 1), 1034, accuracy: 1e-9, "1024 + 10·sin(π/2)")
        XCTAssertEqual(s.growthRate.value(at: 0, seed: 1), 1.5, "the unit is cycle 1 only")
        XCTAssertEqual(s.growthRate.value(at: 3, seed: 1), 1, "the ramp starts at 0 after its delay")
        XCTAssertEqual(s.growthRate.value(at: 4, seed: 1), 1.25)
        XCTAssertEqual(s.growthRate.value(at: 9, seed: 1), 1.5)
        XCTAssertEqual(s.scannableFraction.value(at: 7, seed: 1), 0.5)
        XCTAssertEqual(s.stackBytes, .random(amplitude: 2048, stream: 9))
        XCTAssertEqual(s.nonHeapBytes, .constant(0), "default")
        XCTAssertEqual(s.bounds.count, 1)
        XCTAssertEqual(s.bounds[0].metric, .gcCPUFraction(window: 5))
        XCTAssertEqual(s.bounds[0].pacers, [.membalancer])
        XCTAssertFalse(s.bounds[0].fromGo, "a file's bound is the researcher's unless it says from_go")
        XCTAssertEqual(s.bounds(for: .membalancer).count, 1)
        let r = try Simulator.run(scenario: s, kind: .membalancer, config: s.configure(), options: SimulationOptions(cycles: s.defaultCycles))
        XCTAssertEqual(r.records.count, 12)
    }

    func testBadFilesAreRefusedWithWhereAndWhy() {
        let cases: [(String, String)] = [
            ("[]", "expected an object, got an array"),
            ("{\"summary\": \"x\"}", "name: required"),
            ("{\"name\": \"a\", \"name\": \"b\"}", "duplicate"),
            ("{\"name\": \"a\", \"procs\": 0}", "procs: expected a whole number 1...4096, got 0"),
            ("{\"name\": \"a\", \"procs\": 2.5}", "procs: expected a whole number"),
            ("{\"name\": \"a\", \"gogc\": \"off\"}", "gogc: \"off\" needs a memory_limit"),
            ("{\"name\": \"a\", \"gogc\": 1e3}", "gogc: expected a whole number"),
            ("{\"name\": \"a\", \"memory_limit\": \"0.3K\"}", "memory_limit: expected bytes"),
            ("{\"name\": \"a\", \"cycles\": 100001}", "cycles: expected a whole number 1...100000"),
            ("{\"name\": \"a\", \"colour\": 1}", "colour: unknown key"),
            ("{\"name\": \"a\", \"signals\": {\"alloc\": 1}}", "signals.alloc: unknown key"),
            ("{\"name\": \"a\", \"signals\": {\"growth\": {\"sum\": [2, {\"ramp\": {\"height\": -1, \"length\": 2.5}}]}}}",
             "signals.growth.sum[1].ramp.length: expected a whole number 0...1000000, got 2.5"),
            ("{\"name\": \"a\", \"signals\": {\"growth\": {\"ramp\": {\"height\": 1}}}}", "signals.growth.ramp.length: required"),
            ("{\"name\": \"a\", \"signals\": {\"alloc_rate\": {\"ramp\": 1, \"unit\": 2}}}", "an object with 2 keys"),
            ("{\"name\": \"a\", \"signals\": {\"alloc_rate\": {\"spike\": 1}}}", "signals.alloc_rate.spike: unknown signal"),
            ("{\"name\": \"a\", \"signals\": {\"alloc_rate\": {\"sum\": []}}}", "signals.alloc_rate.sum: expected a non-empty array"),
            ("{\"name\": \"a\", \"signals\": {\"alloc_rate\": \"33\"}}", "signals.alloc_rate: expected a number or an object"),
            ("{\"name\": \"a\", \"signals\": {\"scan_rate\": {\"oscillate\": {\"amplitude\": 1, \"period\": 0}}}}", "period: expected a whole number 1"),
            ("{\"name\": \"a\", \"signals\": {\"stacks\": {\"random\": {\"amplitude\": 1}}}}", "signals.stacks.random.stream: required"),
            ("{\"name\": \"a\", \"signals\": {\"stacks\": {\"step\": {\"height\": 1, \"from_cycle\": 0}}}}", "from_cycle: expected a whole number 1"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"speed\", \"cycles\": [1, 2], \"range\": [0, 1]}]}", "bounds[0].metric: unknown metric 'speed'"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"utilization\", \"cycles\": [5, 2], \"range\": [0, 1]}]}", "bounds[0].cycles: first cycle 5 is after last cycle 2"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"utilization\", \"cycles\": [1, 2], \"range\": [1, 0]}]}", "bounds[0].range: low 1 is above high 0"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"utilization\", \"cycles\": [1, 2]}]}", "bounds[0].range: required"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"utilization\", \"window\": 3, \"cycles\": [1, 2], \"range\": [0, 1]}]}", "bounds[0].window: only for metric gc_cpu_fraction"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"utilization\", \"cycles\": [1, 2], \"range\": [0, 1], \"pacers\": [\"go99\"]}]}", "bounds[0].pacers[0]: expected one of"),
            ("{\"name\": \"a\", \"bounds\": [{\"metric\": \"gc_cpu_fraction\", \"cycles\": [1, 2], \"range\": [0, 1]}]}", "bounds[0].window: required"),
            ("{\"name\": \"a\",", "line 1"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): got \(error), expected \(expected)")
                XCTAssertFalse("\(error)".contains("\n"), "one line")
            }
        }
    }

    func testDecimalTextNeverUsesAnExponent() {
        for (x, text) in [(134217728.0, "134217728"), (0.0001, "0.0001"), (1.5e-7, "0.00000015"), (-2.5e20, "-250000000000000000000"),
                          (0.1, "0.1"), (-0.005, "-0.005"), (1234.5678, "1234.5678"), (0, "0")] {
            XCTAssertEqual(decimalText(x), text)
            XCTAssertEqual(parseDecimalNumber(decimalText(x)), x, "reads back exactly")
        }
    }
}
