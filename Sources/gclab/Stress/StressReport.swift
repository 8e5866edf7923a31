// What `gclab stress` prints and writes: the table of runs per configuration class (safe and unsafe
// classes apart), a line per collector, every failure with the exact `gclab run` command that reproduces
// it, and stress.csv (one row per run; results/README.md documents its columns).

import Foundation
import Pacer

enum StressReport {
    /// stress.csv's columns.
    static let columns = ["run", "class", "collector", "workload", "safe", "verdict", "outcome", "exit_status",
                          "cycles", "lost_objects", "seconds", "reason", "command"]

    /// stress.csv: one row per finished run, in draw order.
    static func table(_ results: [StressResult]) -> CSVTable {
        var t = CSVTable(columns)
        for r in results.sorted(by: { $0.draw.index < $1.draw.index }) {
            t.append([String(r.draw.index + 1), r.draw.className, r.draw.collector.name, r.draw.workload, r.draw.safe ? "1" : "0",
                      r.verdict.rawValue, r.outcome, r.exitStatus, r.cycles.map(String.init) ?? "", r.lost.map(String.init) ?? "",
                      String(format: "%.3f", r.seconds), r.reason, r.draw.command])
        }
        return t
    }

    /// The figures of a group of runs.
    struct Counts {
        var runs = 0, collected = 0, cycles = 0, lost = 0, failures = 0, timeouts = 0, caught = 0, other = 0

        mutating func add(_ r: StressResult) {
            runs += 1
            if r.collected { collected += 1 }
            cycles += r.cycles ?? 0
            lost += r.lost ?? 0
            switch r.verdict {
            case .fail: if r.outcome == "timeout" { timeouts += 1 } else { failures += 1 }
            case .caught: caught += 1
            case .other: other += 1
            case .pass, .missed, .refused: break
            }
        }

        /// Caught among the unsafe runs that collected at least once.
        var catchRate: String { collected == 0 ? "-" : String(format: "%.0f %%", 100 * Double(caught) / Double(collected)) }
    }

    /// The counts per key, sorted by key.
    static func grouped(_ results: [StressResult], by key: (StressResult) -> String) -> [(String, Counts)] {
        var counts: [String: Counts] = [:]
        for r in results { counts[key(r), default: Counts()].add(r) }
        return counts.keys.sorted().map { ($0, counts[$0]!) }
    }

    /// A left-aligned first column and right-aligned numbers.
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max()! }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// The report: tables, failures with their commands, the closing line.
    static func text(_ results: [StressResult], seed: UInt64, seconds: Double, stopped: String?) -> String {
        let counted = results.filter { $0.verdict != .refused }.sorted { $0.draw.index < $1.draw.index }
        let safe = counted.filter(\.draw.safe), unsafe = counted.filter { !$0.draw.safe }
        var out: [String] = []
        if safe.isEmpty {
            out.append("safe class: no safe runs")
        } else {
            out.append(render(["safe class", "runs", "collected", "cycles", "lost", "failures", "timeouts"],
                              grouped(safe, by: \.draw.className).map { name, c in
                                  [name, "\(c.runs)", "\(c.collected)", "\(c.cycles)", "\(c.lost)", "\(c.failures)", "\(c.timeouts)"]
                              }))
        }
        if !unsafe.isEmpty {
            out.append("")
            out.append(render(["unsafe class (losses expected)", "runs", "collected", "caught", "catch rate", "cycles", "lost", "other"],
                              grouped(unsafe, by: \.draw.className).map { name, c in
                                  [name, "\(c.runs)", "\(c.collected)", "\(c.caught)", c.catchRate, "\(c.cycles)", "\(c.lost)", "\(c.other)"]
                              }))
        }
        out.append("")
        out.append(render(["collector", "safe runs", "cycles", "lost", "failures", "timeouts", "unsafe runs", "caught/collected"],
                          grouped(counted, by: \.draw.collector.name).map { name, _ in
                              var s = Counts(), u = Counts()
                              for r in counted where r.draw.collector.name == name { if r.draw.safe { s.add(r) } else { u.add(r) } }
                              return [name, "\(s.runs)", "\(s.cycles)", "\(s.lost)", "\(s.failures)", "\(s.timeouts)", "\(u.runs)",
                                      u.runs == 0 ? "-" : "\(u.caught)/\(u.collected)"]
                          }))
        let failures = safe.filter { $0.verdict == .fail }
        if !failures.isEmpty {
            out.append("")
            out.append("failures (safe configurations):")
            for r in failures { out.append(line(r)) }
        }
        let others = unsafe.filter { $0.verdict == .other }
        if !others.isEmpty {
            out.append("")
            out.append("unsafe runs that ended otherwise than ok or caught (not failures):")
            for r in others { out.append(line(r)) }
        }
        let refused = results.filter { $0.verdict == .refused }
        if let first = refused.first {
            out.append("")
            out.append("\(refused.count) draw\(refused.count == 1 ? "" : "s") refused by `gclab run` (not counted), e.g. run \(first.draw.index + 1): \(first.reason)")
        }
        let lost = safe.reduce(0) { $0 + ($1.lost ?? 0) }
        out.append("")
        out.append("stress: \(counted.count) runs (\(safe.count) safe, \(unsafe.count) unsafe) in \(MatrixCommand.duration(seconds)); "
                   + "\(failures.count) failure\(failures.count == 1 ? "" : "s"), \(lost) lost object\(lost == 1 ? "" : "s") in safe runs; "
                   + "seed \(seed)" + (stopped.map { "; " + $0 } ?? ""))
        return out.joined(separator: "\n")
    }

    /// `run 17 concurrent/yuasa/stw: timeout (still running after 60 s ...)` and the command on the next line.
    static func line(_ r: StressResult) -> String {
        "  run \(r.draw.index + 1) \(r.draw.className): \(r.outcome)" + (r.reason.isEmpty ? "" : " (\(r.reason))") + "\n    " + r.draw.command
    }
}
