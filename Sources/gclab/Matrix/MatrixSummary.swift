// The files of a matrix directory: summary.csv (one row per run: run_id, repeat, the configuration
// columns, the child's summary.csv columns, reason) and matrix.json (the expanded runs and their
// arguments). summary.csv is rewritten atomically after every run, so a killed matrix leaves a valid file.

import ConcurrentGC
import Foundation
import Pacer

enum MatrixSummary {
    /// `gclab run`'s configuration columns (workload ... verify) and its result columns (status ...).
    static let runConfigColumns = Array(RunResults.summaryColumns.prefix { $0 != "status" })
    static let runResultColumns = Array(RunResults.summaryColumns.drop { $0 != "status" })
    /// Configuration columns only the matrix knows.
    static let matrixColumns = ["heap", "heap_minimum_bytes", "unsafe"]
    /// Columns that are not part of a configuration (summarize groups by all the others).
    static let nonConfigColumns: Set<String> = Set(["run_id", "repeat", "seed", "reason"] + runResultColumns)

    static func header(gainColumns: [String]) -> [String] {
        ["run_id", "repeat"] + runConfigColumns + matrixColumns + gainColumns + runResultColumns + ["reason"]
    }

    /// The row of `run`: its configuration, then the child's results (empty when it wrote none).
    static func row(_ run: MatrixRun, gainColumns: [String], child: [String: String]?, status: String, reason: String) -> [String] {
        let config = run.config
        var values: [String: String] = ["run_id": run.runId, "repeat": String(run.repeatIndex), "heap": config.value("heap") ?? "",
                                        "heap_minimum_bytes": String(config.heapMinimumBytes), "unsafe": config.unsafe ? "1" : "0"]
        if let c = config.run {
            var known: [String: String] = ["workload": c.workload, "scale": c.scale, "collector": c.collector.name, "barrier": c.barrier,
                                            "mark_workers": String(c.markWorkers), "pacer": c.pacer,
                                            "threads": String(c.threads), "seed": String(c.seed), "gogc": String(c.gogc),
                                            "heap_max_bytes": String(c.heapMaxBytes), "verify": c.verify ? "1" : "0"]
            for option in CollectorKind.allPlanOptions { known[option.columnName] = c.planOption(option.name) }
            values.merge(known) { a, _ in a }
        }
        for gain in gainColumns { values[gain] = config.value(gain) ?? "" }
        for column in runResultColumns { values[column] = child?[column] ?? "" }
        values["status"] = status
        values["reason"] = reason
        // A configuration column this file does not know yet (added to `gclab run`): the child's value.
        return header(gainColumns: gainColumns).map { values[$0] ?? child?[$0] ?? "" }
    }

    /// Writes DIR/summary.csv atomically with the rows done so far.
    static func write(_ rows: [[String]], gainColumns: [String], to dir: URL) throws {
        var table = CSVTable(header(gainColumns: gainColumns))
        for row in rows { table.append(row) }
        try table.write(to: dir.appendingPathComponent("summary.csv"))
    }

    /// Writes DIR/matrix.json: every run of the matrix (all shards) with its configuration and arguments.
    static func writePlan(_ plan: MatrixPlan, command: [String], shard: (index: Int, count: Int)?,
                          selected: Set<Int>, to dir: URL) throws {
        let runs: [[String: Any]] = plan.runs.map { run in
            [
                "index": run.index + 1,
                "run_id": run.runId,
                "repeat": run.repeatIndex,
                "config": Dictionary(run.config.settings.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                "args": ["run"] + run.config.arguments(out: dir.appendingPathComponent("runs/" + run.runId).path),
                "in_this_shard": selected.contains(run.index),
            ]
        }
        let object: [String: Any] = ["command": ["gclab", "matrix"] + command,
                                     "shard": shard.map { "\($0.index)/\($0.count)" } ?? NSNull(),
                                     "repeat": plan.repeats, "total_runs": runs.count, "runs": runs]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try writeAtomically(String(decoding: data, as: UTF8.self) + "\n", to: dir.appendingPathComponent("matrix.json"))
    }

    /// The run ids of a matrix.json, in matrix order (for merge); nil when absent or unreadable.
    static func plannedRunIds(in dir: URL) -> [String]? {
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent("matrix.json").path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let runs = object["runs"] as? [[String: Any]] else { return nil }
        return runs.compactMap { $0["run_id"] as? String }
    }
}
