// `gclab pacer-sim --from-run DIR`: reads a `gclab run` directory (cycles.csv and config.json) into the
// recorded cycles, the processors and the pacer configuration the run used. The reconstruction itself and
// the comparison are in the Pacer module (Simulator/RunReconstruction.swift).

import Foundation
import Pacer

/// A real run as `pacer-sim --from-run` needs it.
struct RecordedRun {
    var recorded: [RecordedCycle]
    var procs: Int
    /// The run's pacer, nil with `--pacer gogc`.
    var pacer: PacerKind?
    /// The run's pacer configuration (Go's defaults and the run's GOGC when it had no pacer).
    var config: PacerConfig

    /// Reads `dir`; every problem is one UsageError line naming the file.
    static func load(_ dir: String) throws -> RecordedRun {
        let configPath = (dir as NSString).appendingPathComponent("config.json")
        let document: JSONValue
        do { document = try JSONValue.parse(readSmallFile(configPath, what: "run configuration")) } catch let e as JSONSyntaxError {
            throw UsageError("\(configPath) is not valid JSON: \(e)")
        }
        guard case .object(let members) = document else { throw UsageError("\(configPath): not a gclab run configuration") }
        func member(_ key: String, in m: [(key: String, value: JSONValue)]) -> JSONValue? { m.first { $0.key == key }?.value }
        func number(_ v: JSONValue?) -> Double? {
            if case .number(let t)? = v { return parseDecimalNumber(t) }
            return nil
        }
        guard let procs = number(member("processors", in: members)), procs >= 1, procs <= Double(Scenario.maxProcs) else {
            throw UsageError("\(configPath): no valid \"processors\" (is this a gclab run directory?)")
        }
        var pacer: PacerKind? = nil
        if case .string(let name)? = member("pacer", in: members), name != "gogc" {
            guard let kind = PacerKind(rawValue: name) else { throw UsageError("\(configPath): unknown pacer '\(name)'") }
            pacer = kind
        }
        var config = PacerConfig()
        if let gogc = number(member("gogc", in: members)) { config.gogc = Int(gogc) }
        if case .object(let p)? = member("pacer_config", in: members) {
            for (key, value) in p {
                switch key {
                case "memory_limit_bytes": config.memoryLimit = number(value).map { Int($0) }
                case "utilization_target": number(value).map { config.utilizationTarget = $0 }
                case "heap_minimum_bytes": number(value).map { config.heapMinimum = Int($0) }
                case "hard_goal": number(value).map { config.maxOvershoot = $0 }
                case "cpu_limiter": if case .bool(let on) = value { config.cpuLimiterEnabled = on }
                default:
                    if let parameter = PacerParameter.named(key.replacingOccurrences(of: "_", with: "-")), let x = number(value) {
                        parameter.set(&config, x)
                    }
                }
            }
        }
        if let problem = config.validationError() { throw UsageError("\(configPath): pacer configuration: \(problem)") }
        let csv = try CSVFile.read(URL(fileURLWithPath: (dir as NSString).appendingPathComponent("cycles.csv")))
        return RecordedRun(recorded: try cycles(csv, path: dir + "/cycles.csv"), procs: Int(procs), pacer: pacer, config: config)
    }

    /// The rows of a run's cycles.csv.
    static func cycles(_ csv: CSVFile, path: String) throws -> [RecordedCycle] {
        let needed = ["cycle", "start_ns", "concurrent_mark_start_ns", "mark_termination_start_ns", "end_ns",
                      "heap_at_mark_end_bytes", "marked_bytes", "black_allocated_bytes", "scan_background_bytes",
                      "scan_assist_bytes", "scan_pause_bytes", "utilization", "idle_utilization", "stack_bytes",
                      "globals_bytes", "trigger_bytes", "heap_goal_bytes"]
        var index: [String: Int] = [:]
        for name in needed {
            guard let i = csv.header.firstIndex(of: name) else { throw UsageError("\(path) has no column \(name): not a gclab run's cycles.csv") }
            index[name] = i
        }
        return try csv.rows.enumerated().map { n, row in
            func value(_ name: String) throws -> Double {
                let text = row[index[name]!]
                if text.isEmpty && (name == "trigger_bytes" || name == "heap_goal_bytes") { return 0 }  // --pacer gogc: none
                guard let x = parseDecimalNumber(text), x.isFinite, abs(x) < 9.0e18 else {
                    throw UsageError("\(path): row \(n + 1), \(name): '\(text)' is not a number")
                }
                return x
            }
            func bytes(_ name: String) throws -> Int { Int(try value(name)) }
            let markStart = try value("concurrent_mark_start_ns"), markEnd = try value("mark_termination_start_ns")
            // One-pause plans record no concurrent phase: their utilization is over the pause.
            let markNs = markEnd > markStart ? markEnd - markStart : try value("end_ns") - value("start_ns")
            return RecordedCycle(
                cycle: try bytes("cycle"), endNs: try value("end_ns"), markNs: markNs,
                heapPeak: try bytes("heap_at_mark_end_bytes"), marked: try bytes("marked_bytes"),
                blackAllocated: try bytes("black_allocated_bytes"),
                heapScanWork: try bytes("scan_background_bytes") + bytes("scan_assist_bytes") + bytes("scan_pause_bytes"),
                utilization: try value("utilization"), idleUtilization: try value("idle_utilization"),
                stackBytes: try bytes("stack_bytes"), globalsBytes: try bytes("globals_bytes"),
                trigger: try bytes("trigger_bytes"), heapGoal: try bytes("heap_goal_bytes"))
        }
    }
}
