// `gclab pacer-sim` and `gclab tune`: argument handling only. The simulator and the gain search live in the
// Pacer module (Sources/Pacer/Simulator, Sources/Pacer/Tuning) so tests can drive them directly.
//
// Everything the user typed is validated before any simulation runs; every mistake is one UsageError line.

import Foundation
import Pacer

/// `gclab pacer-sim`: run one pacer on one simulated program and write DIR/cycles.csv.
enum PacerSimCommand {
    static let help = """
    usage: gclab pacer-sim --scenario NAME --pacer NAME --out DIR [options]
           gclab pacer-sim --scenario-file FILE.json --pacer NAME --out DIR [options]
           gclab pacer-sim --from-run RUN_DIR --out DIR [--pacer NAME] [options]
           gclab pacer-sim --scenario NAME --print-scenario
           gclab pacer-sim --list

    Runs a GC pacer cycle by cycle against a simulated program (no real heap) and writes DIR/cycles.csv.

    options:
      --scenario NAME     simulated program (see --list)
      --scenario-file F   a simulated program and its bounds as JSON (docs/PACER.md, "Scenario files")
      --from-run RUN_DIR  rebuild the program of a `gclab run` directory from its cycles.csv, simulate it with
                          the run's pacer and configuration (or --pacer and the parameters given) and write
                          DIR/from-run.csv (simulated and real trigger, goal, peak, utilization per cycle)
                          and DIR/scenario.json beside DIR/cycles.csv
      --print-scenario    print the scenario as a scenario file and exit (a starting point for your own)
      --strict            exit status 1 if any bound of the scenario is violated
      --pacer NAME        \(PacerKind.allCases.map(\.rawValue).joined(separator: " | "))
      --out DIR           output directory (created if needed)
      --cycles N          cycles to simulate (default: the scenario's, 100)
      --seed N            seed for the scenario's random signals (default 1)
      --noise X           extra relative jitter on the allocation rate each cycle, 0...1 (default 0)
      --no-cpu-limiter    disable the GC CPU limiter (leaky bucket)
      --list              describe the scenarios and pacers
    pacer parameters (Go's defaults; a scenario may set GOGC and the memory limit):
    \(PacerOptions.parameterHelp)
    """

    static func main(_ args: [String]) throws {
        let parser = try OptionParser(args, valueOptions: Set(["scenario", "scenario-file", "from-run", "pacer", "out", "cycles", "seed", "noise"])
                                        .union(PacerOptions.parameterNames),
                                      flagOptions: ["list", "help", "no-cpu-limiter", "print-scenario", "strict"])
        if parser.flag("help") { print(help); return }
        if parser.flag("list") { printList(); return }
        if let run = parser.string("from-run") { try fromRun(run, parser); return }

        if parser.flag("print-scenario") {
            print(try PacerOptions.scenario(parser).fileText, terminator: "")
            return
        }
        let request = try parse(parser)
        let out = try PacerOptions.outputDirectory(parser)

        try OutputDirectory.prepare(out, what: "--out")
        let result = try Simulator.run(scenario: request.scenario, kind: request.kind, config: request.config, options: request.options)
        try result.csvTable.write(toDirectory: out, name: "cycles.csv")
        let violated = report(result, kind: request.kind, path: (out as NSString).appendingPathComponent("cycles.csv"))
        if violated && parser.flag("strict") { throw BoundsViolated() }
    }

    /// A validated simulation of a named or file scenario (everything but the output directory).
    struct Request {
        var scenario: Scenario
        var kind: PacerKind
        var config: PacerConfig
        var options: SimulationOptions
    }

    /// Reads and validates the options of a simulation (not --from-run): the one place they are checked,
    /// shared by the command and the fuzz target.
    static func parse(_ parser: OptionParser) throws -> Request {
        let scenario = try PacerOptions.scenario(parser)
        let kind = try PacerOptions.pacer(parser)
        let cycles = try parser.int("cycles", default: scenario.defaultCycles, range: 1...100_000)
        let seed = try PacerOptions.seed(parser, default: 1)
        let noise = try parser.double("noise", default: 0, range: 0...1)
        var config = try PacerOptions.config(parser, scenario: scenario, kind: kind, allowRanges: false).base
        if parser.flag("no-cpu-limiter") { config.cpuLimiterEnabled = false }
        if let problem = config.validationError() { throw UsageError(problem) }
        return Request(scenario: scenario, kind: kind, config: config, options: SimulationOptions(cycles: cycles, seed: seed, noise: noise))
    }

    /// `--from-run`: the run's program through the simulator, beside the run.
    private static func fromRun(_ dir: String, _ parser: OptionParser) throws {
        for other in ["scenario", "scenario-file", "cycles", "noise"] where parser.string(other) != nil {
            throw UsageError("--\(other) does not go with --from-run (the run is the scenario, its cycles the length)")
        }
        if parser.flag("print-scenario") || parser.flag("strict") {
            throw UsageError("--print-scenario and --strict do not go with --from-run (it writes DIR/scenario.json)")
        }
        let run = try RecordedRun.load(dir)
        let kind: PacerKind
        if parser.string("pacer") != nil { kind = try PacerOptions.pacer(parser) } else if let p = run.pacer { kind = p } else {
            throw UsageError("\(dir) ran with --pacer gogc, which the simulator does not model: give --pacer NAME")
        }
        let out = try PacerOptions.outputDirectory(parser)
        let seed = try PacerOptions.seed(parser, default: 1)
        var config = try PacerOptions.config(parser, base: run.config, kind: kind, allowRanges: false).base
        if parser.flag("no-cpu-limiter") { config.cpuLimiterEnabled = false }
        if let problem = config.validationError() { throw UsageError(problem) }
        let rebuilt: RunReconstruction
        do {
            rebuilt = try RunReconstruction(name: "from-run", recorded: run.recorded, procs: run.procs,
                                            gogc: config.gogc, memoryLimit: config.memoryLimit)
        } catch let e as PacerInputError { throw UsageError("\(dir): \(e.description)") }

        try OutputDirectory.prepare(out, what: "--out")
        let result = try Simulator.run(scenario: rebuilt.scenario, kind: kind, config: config,
                                       options: SimulationOptions(cycles: rebuilt.scenario.defaultCycles, seed: seed))
        let (table, errors) = rebuilt.compare(with: result)
        try result.csvTable.write(toDirectory: out, name: "cycles.csv")
        try table.write(toDirectory: out, name: "from-run.csv")
        try writeAtomically(rebuilt.scenario.fileText, to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("scenario.json")))
        print("pacer-sim: \(kind.rawValue) on the program of \(dir) (\(errors.cycles) cycles, \(run.procs) processors, "
              + "GOGC \(config.gogcOff ? "off" : String(config.gogc)))")
        print(String(format: "mean error of the simulation against the run: trigger %.1f%%, goal %.1f%%, peak %.1f%%, marked %.1f%%, "
                     + "utilization %.3f (%.3f against utilization + idle)",
                     100 * errors.triggerError, 100 * errors.goalError, 100 * errors.peakError, 100 * errors.markedError,
                     errors.utilizationError, errors.totalUtilizationError))
        print("wrote \((out as NSString).appendingPathComponent("from-run.csv")), cycles.csv and scenario.json")
    }

    /// Prints the run's summary; true if a bound of the scenario was violated.
    private static func report(_ result: SimulationResult, kind: PacerKind, path: String) -> Bool {
        let c = result.config
        print("pacer-sim: \(kind.rawValue) on \(result.scenario.name), \(result.records.count) cycles, seed \(result.options.seed), "
              + "GOGC \(c.gogcOff ? "off" : String(c.gogc)), memory limit \(c.memoryLimit.map(formatBytes) ?? "off")")
        let warmup = 25
        if result.records.count > warmup {
            let s = SimulationSummary(result, warmup: warmup)
            print(String(format: "after cycle %d: utilization mean %.4f (target %.2f), peak/goal mean %.4f [min %.4f, max %.4f], GC CPU share %.4f, peak heap mean %.1f MiB",
                         warmup, s.meanUtilization, c.utilizationTarget, s.meanPeakOverGoal, s.minPeakOverGoal,
                         s.maxPeakOverGoal, s.gcCPUShare, s.meanPeakBytes / 1048576))
            if let settle = s.settleCycles, let step = result.scenario.disturbanceCycle {
                print("cycles to settle after the step at cycle \(step): \(settle)")
            }
        } else {
            print("(run more than \(warmup) cycles for steady-state statistics)")
        }
        let bounds = result.scenario.bounds(for: kind)
        var violated = false
        if bounds.isEmpty {
            print("bounds: none defined for \(kind.rawValue) on this scenario")
        } else {
            let violations = result.boundViolations(for: kind)
            violated = !violations.isEmpty
            print("bounds (\(bounds.count) checks): \(violations.isEmpty ? "all met" : "\(violations.count) violations")")
            for v in violations.prefix(10) { print("  \(v)") }
            if violations.count > 10 { print("  ... \(violations.count - 10) more") }
        }
        print("wrote \(path)")
        return violated
    }

    private static func printList() {
        print("scenarios (8 cores and GOGC 100 unless noted; rates in KiB per CPU-ms):")
        for s in Scenario.all {
            var notes: [String] = []
            if let go = s.goTestName { notes.append("Go TestGcPacer/\(go)") }
            if s.gogc != 100 { notes.append(s.gogc < 0 ? "GOGC off" : "GOGC \(s.gogc)") }
            if let limit = s.memoryLimit { notes.append("limit \(formatBytes(limit))") }
            print("  \(s.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(s.summary)")
            if !notes.isEmpty { print("  \(String(repeating: " ", count: 22)) \(notes.joined(separator: ", "))") }
        }
        print("pacers:")
        for k in PacerKind.allCases {
            print("  \(k.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(k.summary)")
        }
    }
}

/// `gclab tune`: grid-search pacer gains on the simulator and write DIR/tune.csv.
enum TuneCommand {
    static let help = """
    usage: gclab tune --scenario NAME --pacer NAME --out DIR [--kp 0.5:1.5:0.1 --ti 1:8:1 ...] [options]

    Simulates every combination of the given parameter values (lo:hi:step ranges or single values) on a
    scenario over several seeds, writes one row per point to DIR/tune.csv and prints the best point
    against the defaults. Score (lower is better): mean|peak/goal - 1| + mean|u - u_g| + 0.002 x cycles
    to settle after the scenario's step (if it has one), means taken after cycle 25.

    options:
      --scenario NAME     simulated program (see `gclab pacer-sim --list`)
      --scenario-file F   a simulated program as JSON (see `gclab pacer-sim --help`)
      --pacer NAME        \(PacerKind.allCases.map(\.rawValue).joined(separator: " | "))
      --out DIR           output directory (created if needed)
      --seeds N           seeds per point, 1...N (default 5)
      --cycles N          cycles per simulation (default: the scenario's, 100)
      --noise X           extra relative jitter on the allocation rate each cycle, 0...1 (default 0)
    parameters (each a value or lo:hi:step; Go's defaults):
    \(PacerOptions.parameterHelp)
    """

    /// Most simulations one search may run.
    static let maxSimulations = 200_000

    static func main(_ args: [String]) throws {
        let parser = try OptionParser(args, valueOptions: Set(["scenario", "scenario-file", "pacer", "out", "cycles", "seeds", "noise"])
                                        .union(PacerOptions.parameterNames),
                                      flagOptions: ["help"])
        if parser.flag("help") { print(help); return }

        let scenario = try PacerOptions.scenario(parser)
        let kind = try PacerOptions.pacer(parser)
        let out = try PacerOptions.outputDirectory(parser)
        let cycles = try parser.int("cycles", default: scenario.defaultCycles, range: 1...100_000)
        let seedCount = try parser.int("seeds", default: 5, range: 1...1000)
        let noise = try parser.double("noise", default: 0, range: 0...1)
        let (base, ranges) = try PacerOptions.config(parser, scenario: scenario, kind: kind, allowRanges: true)
        if let problem = base.validationError() { throw UsageError(problem) }

        let search: GainSearch
        do {
            search = try GainSearch(scenario: scenario, kind: kind, base: base, ranges: ranges,
                                    seeds: (1...UInt64(seedCount)).map { $0 },
                                    options: SimulationOptions(cycles: cycles, noise: noise))
        } catch let error as PacerInputError {
            throw UsageError(error.description)
        }
        let simulations = search.pointCount.multipliedReportingOverflow(by: seedCount)
        guard !simulations.overflow, simulations.partialValue <= maxSimulations else {
            throw UsageError("\(search.pointCount) points x \(seedCount) seeds is more than \(maxSimulations) simulations; narrow the ranges")
        }
        try OutputDirectory.prepare(out, what: "--out")

        let started = Date()
        let result = try search.run { n, body in DispatchQueue.concurrentPerform(iterations: n, execute: body) }  // points in parallel
        try result.csvTable.write(toDirectory: out, name: "tune.csv")
        report(result, search: search, seconds: Date().timeIntervalSince(started),
               path: (out as NSString).appendingPathComponent("tune.csv"))
    }

    private static func report(_ result: GainSearchResult, search: GainSearch, seconds: Double, path: String) {
        let invalid = result.points.filter { $0.metrics == nil }.count
        print("tune: \(search.kind.rawValue) on \(search.scenario.name), \(result.points.count) points x \(search.seeds.count) seeds "
              + "in \(String(format: "%.1f", seconds)) s\(invalid > 0 ? " (\(invalid) invalid points skipped)" : "")")
        func line(_ m: TuneMetrics) -> String {
            String(format: "score %.5f  |peak/goal-1| %.5f  |u-u_g| %.5f  settle %@  worst overshoot %+.4f  (u %.4f, peak/goal %.4f)",
                   m.score, m.meanGoalError, m.meanUtilizationError, m.settleCycles.map { String(format: "%.1f", $0) } ?? "n/a",
                   m.worstOvershoot, m.meanUtilization, m.meanPeakOverGoal)
        }
        let defaultValues = search.ranges.map { r in
            "--\(r.name) \(ParameterRange.format(PacerParameter.named(r.name)!.get(search.base)))"
        }.joined(separator: " ")
        print("defaults \(defaultValues.isEmpty ? "" : "(\(defaultValues))"):")
        print("  \(line(result.defaults))")
        if let best = result.best, let m = best.metrics {
            let values = zip(result.parameterNames, best.values).map { "--\($0) \(ParameterRange.format($1))" }
                .joined(separator: " ")
            print("best \(values.isEmpty ? "" : "(\(values))"):")
            print("  \(line(m))")
            let d = result.defaults.score
            if m.score < d {
                print(String(format: "  %.1f%% lower score than the defaults", d > 0 ? (d - m.score) / d * 100 : 0))
            } else {
                print("  no grid point beats the defaults")
            }
        } else {
            print("no valid point in the grid")
        }
        print("wrote \(path)")
    }
}

/// Option handling shared by pacer-sim, tune and run.
enum PacerOptions {
    static var parameterNames: Set<String> { Set(PacerParameter.all.map(\.name)) }

    static var parameterHelp: String { parameterHelp(excluding: []) }

    static func parameterHelp(excluding: Set<String>) -> String {
        PacerParameter.all.filter { !excluding.contains($0.name) }.map { p in
            let applies = p.appliesTo.isEmpty ? "" : " [" + PacerKind.allCases.filter(p.appliesTo.contains).map(\.rawValue).joined(separator: ",") + "]"
            let name = p.name.count < 18 ? p.name.padding(toLength: 18, withPad: " ", startingAt: 0) : p.name  // never cut a name
            return "  --\(name) \(p.summary)\(applies)"
        }.joined(separator: "\n") + (excluding.contains("gogc") ? "\n  (--memory-limit accepts sizes like 512M, or off)"
            : "\n  (--gogc and --memory-limit also accept off; --memory-limit accepts sizes like 512M)")
    }

    /// `--scenario NAME` or `--scenario-file FILE` (exactly one).
    static func scenario(_ parser: OptionParser) throws -> Scenario {
        if let path = parser.string("scenario-file") {
            if parser.string("scenario") != nil { throw UsageError("give --scenario or --scenario-file, not both") }
            return try scenarioFile(readSmallFile(path, what: "scenario file"), name: path)
        }
        guard let name = parser.string("scenario") else {
            throw UsageError("--scenario or --scenario-file is required (scenarios: \(Scenario.names.joined(separator: ", ")))")
        }
        guard let s = Scenario.named(name) else {
            throw UsageError("unknown scenario '\(name)' (expected one of: \(Scenario.names.joined(separator: ", ")))")
        }
        return s
    }

    /// A scenario file's contents (`name` for messages).
    static func scenarioFile(_ bytes: [UInt8], name: String) throws -> Scenario {
        do { return try Scenario.parseFile(bytes) } catch let e as ScenarioFileError {
            throw UsageError("\(name): \(e.description)")
        }
    }

    static func pacer(_ parser: OptionParser) throws -> PacerKind {
        let names = PacerKind.allCases.map(\.rawValue)
        guard let name = parser.string("pacer") else {
            throw UsageError("--pacer is required (one of: \(names.joined(separator: ", ")))")
        }
        guard let kind = PacerKind(rawValue: name) else {
            throw UsageError("unknown pacer '\(name)' (expected one of: \(names.joined(separator: ", ")))")
        }
        return kind
    }

    static func outputDirectory(_ parser: OptionParser) throws -> String {
        guard let out = parser.string("out"), !out.isEmpty else { throw UsageError("--out DIR is required") }
        return out  // prepared (created, checked writable) once every other option is valid
    }

    static func seed(_ parser: OptionParser, default def: UInt64) throws -> UInt64 {
        guard let text = parser.string("seed") else { return def }
        guard let seed = UInt64(text) else { throw UsageError("invalid seed '\(text)' for --seed (expected 0...\(UInt64.max))") }
        return seed
    }

    /// The scenario's configuration with the user's parameters applied; with `allowRanges`, parameters
    /// given as lo:hi:step (or that are swept) are returned as ranges instead of being applied.
    static func config(_ parser: OptionParser, scenario: Scenario, kind: PacerKind,
                       allowRanges: Bool) throws -> (base: PacerConfig, ranges: [ParameterRange]) {
        try config(parser, base: scenario.configure(), kind: kind, allowRanges: allowRanges)
    }

    /// `base` with the user's pacer parameters applied (those in `skip` are left to the caller).
    static func config(_ parser: OptionParser, base: PacerConfig, kind: PacerKind, allowRanges: Bool,
                       skip: Set<String> = []) throws -> (base: PacerConfig, ranges: [ParameterRange]) {
        var config = base
        var ranges: [ParameterRange] = []
        for p in PacerParameter.all where !skip.contains(p.name) {
            guard let text = parser.string(p.name) else { continue }
            guard p.applies(to: kind) else {
                let usable = PacerParameter.all.filter { !$0.appliesTo.isEmpty && $0.applies(to: kind) }
                    .map { "--" + $0.name }.joined(separator: " ")
                throw UsageError("--\(p.name) does not apply to pacer \(kind.rawValue) (its own parameters: \(usable.isEmpty ? "none" : usable))")
            }
            if text.contains(":") {
                guard allowRanges else {
                    throw UsageError("--\(p.name) takes a single value here; lo:hi:step ranges are for `gclab tune`")
                }
                do { ranges.append(try ParameterRange.parse(text, for: p)) } catch let e as PacerInputError {
                    throw UsageError(e.description)
                }
                continue
            }
            // Single values: the special spellings first.
            if p.name == "gogc" && text == "off" { config.gogc = -1; continue }
            if p.name == "memory-limit" {
                if text == "off" { config.memoryLimit = nil; continue }
                config.memoryLimit = try parser.bytes("memory-limit", default: 0, range: 1...Int(9.0e18))
                continue
            }
            if p.name == "heap-minimum" {  // a size, as `gclab run` takes it
                config.heapMinimum = try parser.bytes("heap-minimum", default: 0, range: Int(p.range.lowerBound)...(1 << 50))
                continue
            }
            do {
                let value = try ParameterRange.parse(text, for: p).values[0]
                p.set(&config, value)
            } catch let e as PacerInputError {
                throw UsageError(e.description)
            }
        }
        return (config, ranges)
    }
}

private func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
    return "\(bytes) B"
}

/// `pacer-sim --strict`: a bound of the scenario was violated (exit status 1; the report says which).
struct BoundsViolated: Error, CustomStringConvertible {
    var description: String { "pacer-sim: bounds violated (--strict)" }
}
