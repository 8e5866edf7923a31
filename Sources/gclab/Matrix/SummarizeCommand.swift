// `gclab summarize DIR`: a matrix's summary.csv as a plain-text table, one row per configuration (every
// column except run_id, repeat, seed, status, reason and the measurements), with the median and min–max
// over its repeats of the headline measurements. A quick look before plotting; the CSV stays the record.

import Foundation

enum SummarizeCommand {
    static let help = """
    usage: gclab summarize DIR   (a matrix directory or its summary.csv)
    One row per configuration; only the configuration columns that vary are shown, the others are
    listed once above the table. Measurements are the median (min–max) over the runs that completed
    the workload (status ok, or lost-objects with --unsafe --verify); n counts those, failed the rest.
    """

    /// Column title, summary.csv column, factor from its unit, decimals.
    static let measures: [(title: String, column: String, scale: Double, decimals: Int)] = [
        ("wall ms", "wall_ns", 1e-6, 1), ("pause p99 µs", "pause_p99_ns", 1e-3, 0), ("pause max µs", "pause_max_ns", 1e-3, 0),
        ("peak heap MB", "peak_heap_bytes", 1e-6, 2), ("gc cycles", "gc_cycles", 1, 0), ("lost objects", "lost_objects", 1, 0),
    ]

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: [], flagOptions: ["help"], allowPositionals: true)
        if o.flag("help") { print(help); return }
        guard o.positionals.count == 1 else { throw UsageError("gclab summarize takes one matrix directory") }
        let url = MergeCommand.summaryFile(o.positionals[0])
        let file = try CSVFile.read(url)
        guard file.header.contains("status") else { throw UsageError("\(url.path) has no status column: not a summary") }
        print(render(file, title: url.path), terminator: "")
    }

    static func render(_ file: CSVFile, title: String) -> String {
        let records = file.records
        let configColumns = file.header.filter { !MatrixSummary.nonConfigColumns.contains($0) }
        let varying = configColumns.filter { c in Set(records.map { $0[c]! }).count > 1 }
        let common = configColumns.filter { !varying.contains($0) && !records.isEmpty }.map { "\($0)=\(records[0][$0]!)" }

        var order: [[String]] = []
        var groups: [[String]: [[String: String]]] = [:]
        for r in records {
            let key = configColumns.map { r[$0]! }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        let labels = varying.isEmpty ? ["configuration"] : varying
        var table = [labels + ["n", "failed"] + measures.map(\.title)]
        for key in order {
            let runs = groups[key]!
            let done = runs.filter { ["ok", "lost-objects"].contains($0["status"]!) }
            let label = varying.isEmpty ? ["all"] : varying.map { runs[0][$0]! }
            table.append(label + [String(done.count), String(runs.count - done.count)]
                         + measures.map { m in spread(done.compactMap { Double($0[m.column] ?? "") }.map { $0 * m.scale }, decimals: m.decimals, isCount: m.scale == 1) })
        }

        var text = "\(title): \(records.count) run\(records.count == 1 ? "" : "s"), \(order.count) configuration\(order.count == 1 ? "" : "s")\n"
        if !common.isEmpty { text += "same in every run: \(common.joined(separator: " "))\n" }
        let widths = table[0].indices.map { i in table.map { $0[i].count }.max()! }
        for row in table {
            text += row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        let failures = records.map { $0["status"]! }.filter { !["ok", "lost-objects"].contains($0) }
        if !failures.isEmpty {
            let counts = Dictionary(grouping: failures, by: { $0 }).map { "\($0.value.count) \($0.key)" }.sorted()
            text += "failed runs: \(counts.joined(separator: ", ")) (see the reason column)\n"
        }
        return text
    }

    /// `12.3 (11.9–13.0)`: median and range; one value when they agree; `-` without values.
    static func spread(_ values: [Double], decimals: Int, isCount: Bool) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        let median = BenchCommand.median(sorted)
        func f(_ x: Double) -> String {
            let d = isCount && x != x.rounded() ? 1 : decimals  // a median between two counts
            return String(format: "%.\(d)f", x)
        }
        return sorted.first == sorted.last ? f(median) : "\(f(median)) (\(f(sorted.first!))–\(f(sorted.last!)))"
    }
}
