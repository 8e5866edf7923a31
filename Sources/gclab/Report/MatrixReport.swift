// `gclab report MATRIX_DIR`: MATRIX_DIR/report.html comparing the configurations — wall time, pause p99
// and max, peak heap and GC CPU as dots over repeats (median marked), MMU curves overlaid per
// configuration, and a table linking each run's own report (written beside it, runs/<id>/report.html).
// With heap multiples (`--heap 2x,3x`) every figure is drawn against the multiple instead, one line of
// medians per configuration, as the MMTk community plots heap-size sweeps.

import Foundation
import Pacer

enum MatrixReport {
    /// The measurements compared: summary column, chart title, unit label and scale.
    static let metrics: [(column: String, title: String, unit: String, scale: Double)] = [
        ("wall_ns", "Wall time", "s", 1e-9), ("pause_p99_ns", "Pause p99", "ms", 1e-6), ("pause_max_ns", "Pause max", "ms", 1e-6),
        ("peak_heap_bytes", "Peak heap", "MiB", 1.0 / 1048576), ("gc_cpu_fraction", "GC CPU", "fraction of CPU time", 1),
    ]

    /// The report of the matrix in `dir` as HTML; writes each run's report into its run directory first.
    static func html(_ dir: URL, runReports: Bool = true) throws -> String {
        let summary = try CSVFile.read(dir.appendingPathComponent("summary.csv"))
        guard let statusIndex = summary.header.firstIndex(of: "status") else {
            throw UsageError("\(dir.path)/summary.csv has no status column: not a matrix summary")
        }
        let rows = summary.records
        // A configuration is what the columns before `status` say, but the run id and the repeat.
        let configColumns = summary.header[..<statusIndex].filter { $0 != "run_id" && $0 != "repeat" }
        let varying = configColumns.filter { c in Set(rows.map { $0[c] ?? "" }).count > 1 }
        let multiples = varying.contains("heap") && rows.allSatisfy { ($0["heap"] ?? "").hasSuffix("x") }
        let labelColumns = varying.filter { !(multiples && $0 == "heap") }
        func label(_ r: [String: String]) -> String {
            labelColumns.isEmpty ? "all runs" : labelColumns.map { "\($0)=\(r[$0] ?? "")" }.joined(separator: " ")
        }
        var configs: [String] = []
        for r in rows where !configs.contains(label(r)) { configs.append(label(r)) }
        func value(_ r: [String: String], _ column: String) -> Double? { r[column].flatMap { parseDecimalNumber($0) } }

        var body = "<h1>\(escape("gclab matrix: \(rows.count) runs, \(configs.count) configurations"))</h1>"
        body += "<p class=\"path\">\(escape(dir.path))</p>"
        let fixed = configColumns.filter { !varying.contains($0) }.compactMap { c in rows.first?[c].map { (c, $0) } }.filter { $0.1 != "n/a" && !$0.1.isEmpty }
        body += "<table class=\"config\"><caption>The same in every run</caption>"
            + fixed.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
        // The charts name configurations C1, C2, ...; this table says what each is.
        func short(_ c: String) -> String { "C\((configs.firstIndex(of: c) ?? 0) + 1)" }
        body += "<table class=\"configs\"><caption>Configurations</caption>"
            + configs.map { c in "<tr><th>\(short(c))</th><td>\(escape(c))</td><td>\(rows.filter { label($0) == c }.count) runs</td></tr>" }.joined()
            + "</table>"

        for m in metrics {
            var plot = SVGPlot(title: "\(m.title) (\(m.unit))", xLabel: multiples ? "heap size (multiple of the minimum heap)" : "configuration",
                               yLabel: m.unit)
            if multiples {
                for (i, c) in configs.enumerated() {
                    let mine = rows.filter { label($0) == c && $0["status"] == "ok" }
                    let points = mine.compactMap { r in value(r, m.column).flatMap { v in MatrixSpec.heapMultiple(r["heap"] ?? "").map { ($0, v * m.scale) } } }
                    let medians = Dictionary(grouping: points, by: \.0).map { ($0.key, BenchCommand.median($0.value.map(\.1))) }.sorted { $0.0 < $1.0 }
                    let color = SVGPlot.palette[i % SVGPlot.palette.count]
                    plot.series.append(.init(name: short(c), points: medians, style: .line, color: color))
                    plot.series.append(.init(name: short(c) + " runs", points: points, style: .dots, color: color))
                }
            } else {
                plot.categories = configs.map(short)
                let ok = rows.filter { $0["status"] == "ok" }
                let points = ok.compactMap { r in value(r, m.column).map { (Double(configs.firstIndex(of: label(r))!), $0 * m.scale) } }
                plot.series.append(.init(name: "runs", points: points, style: .dots, color: SVGPlot.palette[0],
                                         labels: ok.compactMap { r in value(r, m.column).map { _ in "\(r["run_id"] ?? ""): \(r[m.column] ?? "")" } }))
                let medians = configs.indices.compactMap { i -> (x: Double, y: Double)? in
                    let v = points.filter { $0.0 == Double(i) }.map(\.1)
                    return v.isEmpty ? nil : (Double(i), BenchCommand.median(v))
                }
                plot.series.append(.init(name: "median", points: medians, style: .dots, color: SVGPlot.palette[1]))
            }
            body += RunReport.section(m.title, plot.svg)
        }

        // MMU per configuration: the first completed run of each.
        var mmu = SVGPlot(title: "Minimum mutator utilization, first run of each configuration", xLabel: "window (ms)", yLabel: "utilization")
        mmu.logX = true
        mmu.yMax = 1
        for (i, c) in configs.enumerated() {
            guard let r = rows.first(where: { label($0) == c && $0["status"] == "ok" }), let id = r["run_id"],
                  let file = try? CSVFile.read(runDirectory(dir, id).appendingPathComponent("mmu.csv")) else { continue }
            mmu.series.append(.init(name: short(c), points: file.records.compactMap { x in
                guard let w = value(x, "window_ns"), let u = value(x, "mmu") else { return nil }
                return (w / 1e6, u)
            }, style: .line, color: SVGPlot.palette[i % SVGPlot.palette.count]))
        }
        body += RunReport.section("MMU", mmu.svg)

        // Every run, linked to its own report.
        var table = "<table class=\"runs\"><caption>Runs</caption><tr><th>run</th><th>configuration</th><th>status</th></tr>"
        for r in rows {
            let id = r["run_id"] ?? ""
            let runDir = runDirectory(dir, id)
            var link = escape(id)
            if runReports, FileManager.default.fileExists(atPath: runDir.appendingPathComponent("cycles.csv").path),
               let page = try? RunReport.html(runDir) {
                try writeAtomically(page, to: runDir.appendingPathComponent("report.html"))
                link = "<a href=\"\(escape(relativePath(of: runDir, from: dir) + "/report.html"))\">\(escape(id))</a>"
            }
            table += "<tr><td>\(link)</td><td>\(short(label(r)))</td><td>\(escape(r["status"] ?? ""))</td></tr>"
        }
        body += RunReport.section("Runs", table + "</table>")
        return RunReport.page(title: "gclab matrix report", body: body)
    }

    /// A run's directory: DIR/runs/<id>, or, for a merged summary, the shard directory that holds it.
    static func runDirectory(_ dir: URL, _ id: String) -> URL {
        let own = dir.appendingPathComponent("runs").appendingPathComponent(id)
        if FileManager.default.fileExists(atPath: own.path) { return own }
        let parent = dir.deletingLastPathComponent()
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for s in siblings.sorted() {
            let candidate = parent.appendingPathComponent(s).appendingPathComponent("runs").appendingPathComponent(id)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return own
    }

    private static func relativePath(of target: URL, from base: URL) -> String {
        let t = target.standardizedFileURL.pathComponents, b = base.standardizedFileURL.pathComponents
        var i = 0
        while i < min(t.count, b.count) && t[i] == b[i] { i += 1 }
        return (Array(repeating: "..", count: b.count - i) + t[i...]).joined(separator: "/")
    }
}

/// `gclab report DIR`.
enum ReportCommand {
    static let help = """
    usage: gclab report DIR [--quiet]
    Writes DIR/report.html, one self-contained page (inline SVG, no script, no network) to look at:
      a run directory (gclab run): heap in use over time with each cycle's trigger and goal and the memory
        limit, pauses over time and as a histogram by kind, MMU and BMU, the pacer's per-cycle state, and
        the configuration and summary figures;
      a matrix directory (gclab matrix, or gclab merge's output): wall time, pause p99 and max, peak heap
        and GC CPU per configuration over repeats (against the heap multiple when the matrix has them),
        MMU curves per configuration, and every run linked to its own report (written beside it).
    """

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: [], flagOptions: ["quiet", "help"], allowPositionals: true)
        if o.flag("help") { print(help); return }
        guard o.positionals.count == 1 else { throw UsageError("gclab report takes one directory (a run or a matrix)") }
        let path = try write(URL(fileURLWithPath: o.positionals[0]))
        if !o.flag("quiet") { print("wrote \(path)") }
    }

    /// Writes DIR/report.html for a run or a matrix directory and returns its path.
    static func write(_ dir: URL) throws -> String {
        let fm = FileManager.default
        guard fm.fileExists(atPath: dir.appendingPathComponent("summary.csv").path) else {
            throw UsageError("\(dir.path) has no summary.csv: not a gclab run or matrix directory")
        }
        let isRun = fm.fileExists(atPath: dir.appendingPathComponent("cycles.csv").path)
        let page = isRun ? try RunReport.html(dir) : try MatrixReport.html(dir)
        try OutputDirectory.prepareFile(dir.appendingPathComponent("report.html").path, what: "report")
        let out = dir.appendingPathComponent("report.html")
        try writeAtomically(page, to: out)
        return out.path
    }
}
