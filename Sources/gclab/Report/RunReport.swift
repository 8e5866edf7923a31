// `gclab report RUN_DIR`: one self-contained RUN_DIR/report.html from the run's files — the heap in use
// over time with each cycle's trigger and goal (and the memory limit), the pauses on the same time axis
// and as a histogram by kind, the MMU and BMU curves, the pacer's per-cycle state, and a header with the
// configuration and the summary figures. Every number shown comes from the CSVs as written.

import Foundation
import Pacer

enum RunReport {
    /// The report of the run in `dir` as HTML.
    static func html(_ dir: URL) throws -> String {
        func csv(_ name: String) throws -> CSVFile { try CSVFile.read(dir.appendingPathComponent(name)) }
        let summary = try csv("summary.csv").records.first ?? [:]
        let heap = try csv("heap.csv").records, cycles = try csv("cycles.csv").records
        let pauses = try csv("pauses.csv").records, mmu = try csv("mmu.csv").records
        let config = (try? JSONValue.parse(readSmallFile(dir.appendingPathComponent("config.json").path, what: "config.json"))) ?? .null
        func n(_ r: [String: String], _ k: String) -> Double { r[k].flatMap { parseDecimalNumber($0) } ?? .nan }
        let MiB = 1048576.0

        var body = ""
        let title = "\(summary["workload"] ?? "?") on \(summary["collector"] ?? "?") (\(summary["pacer"] ?? "?"))"
        body += "<h1>\(escape(title))</h1>"
        body += "<p class=\"path\">\(escape(dir.path))</p>"
        body += configurationTable(summary, config: config)
        body += figuresTable(summary)

        // Heap over time.
        var heapPlot = SVGPlot(title: "Heap over time", xLabel: "time (ms)", yLabel: "MiB")
        heapPlot.series.append(.init(name: "heap in use", points: heap.map { (n($0, "time_ns") / 1e6, n($0, "heap_in_use_bytes") / MiB) },
                                     style: .line, color: SVGPlot.palette[0]))
        heapPlot.series.append(.init(name: "committed", points: heap.map { (n($0, "time_ns") / 1e6, n($0, "committed_bytes") / MiB) },
                                     style: .line, color: SVGPlot.palette[8]))
        heapPlot.series.append(.init(name: "trigger", points: heap.map { (n($0, "time_ns") / 1e6, n($0, "trigger_bytes") / MiB) },
                                     style: .step, color: SVGPlot.palette[3]))
        let goals = cycles.filter { n($0, "heap_goal_bytes") > 0 }
        if !goals.isEmpty {
            heapPlot.series.append(.init(name: "goal", points: goals.map { (n($0, "start_ns") / 1e6, n($0, "heap_goal_bytes") / MiB) },
                                         style: .dots, color: SVGPlot.palette[1],
                                         labels: goals.map { "cycle \($0["cycle"] ?? ""): goal \($0["heap_goal_bytes"] ?? "") bytes" }))
        }
        if case .object(let top) = config, case .object(let p)? = top.first(where: { $0.key == "pacer_config" })?.value,
           case .number(let limit)? = p.first(where: { $0.key == "memory_limit_bytes" })?.value, let l = parseDecimalNumber(limit) {
            let end = heap.last.map { n($0, "time_ns") / 1e6 } ?? 1
            heapPlot.series.append(.init(name: "memory limit", points: [(0, l / MiB), (end, l / MiB)], style: .line, color: SVGPlot.palette[4]))
        }
        heapPlot.xMin = 0
        body += section("Heap", heapPlot.svg)

        // Pauses over time and by length.
        let kinds = Array(Set(pauses.map { $0["kind"] ?? "" })).sorted()
        var timeline = SVGPlot(title: "Pauses over time", xLabel: "time (ms)", yLabel: "pause (µs)")
        timeline.series = kinds.enumerated().map { i, kind in
            let mine = pauses.filter { $0["kind"] == kind }
            return .init(name: kind, points: mine.map { (n($0, "start_ns") / 1e6, n($0, "duration_ns") / 1e3) }, style: .bars,
                         color: SVGPlot.palette[i % SVGPlot.palette.count],
                         labels: mine.map { "cycle \($0["cycle"] ?? ""), \(kind): \($0["duration_ns"] ?? "") ns" })
        }
        timeline.xMin = 0  // the same time axis as the heap's
        timeline.xMax = heap.last.map { n($0, "time_ns") / 1e6 }
        var histogram = SVGPlot(title: "Pause lengths (count per bin, log-spaced)", xLabel: "pause (µs)", yLabel: "pauses")
        histogram.logX = true
        let durations = pauses.map { n($0, "duration_ns") / 1e3 }.filter { $0 > 0 }
        if let lo = durations.min(), let hi = durations.max() {
            let bins = 24, a = log10(lo) - 0.01, b = log10(hi) + 0.01
            histogram.series = kinds.enumerated().map { i, kind in
                var counts = [Int](repeating: 0, count: bins)
                for p in pauses where p["kind"] == kind {
                    let d = n(p, "duration_ns") / 1e3
                    guard d > 0 else { continue }
                    counts[min(bins - 1, Int((log10(d) - a) / (b - a) * Double(bins)))] += 1
                }
                let pts = counts.enumerated().filter { $0.element > 0 }.map { (pow(10, a + (Double($0.offset) + 0.5) * (b - a) / Double(bins)), Double($0.element)) }
                return .init(name: kind, points: pts, style: .bars, color: SVGPlot.palette[i % SVGPlot.palette.count])
            }
        }
        body += section("Pauses", timeline.svg + histogram.svg)

        // MMU and BMU.
        var mmuPlot = SVGPlot(title: "Minimum mutator utilization", xLabel: "window (ms)", yLabel: "utilization")
        mmuPlot.logX = true
        mmuPlot.yMax = 1
        for (i, column) in ["mmu", "bmu", "mmu_with_marking", "bmu_with_marking"].enumerated() {
            mmuPlot.series.append(.init(name: column.replacingOccurrences(of: "_", with: " "),
                                        points: mmu.map { (n($0, "window_ns") / 1e6, n($0, column)) },
                                        style: .line, color: SVGPlot.palette[i]))
        }
        body += section("MMU", mmuPlot.svg)

        // The pacer, per cycle.
        var util = SVGPlot(title: "GC CPU utilization while marking, per cycle", xLabel: "cycle", yLabel: "fraction of the processors")
        util.series = [
            .init(name: "utilization", points: cycles.map { (n($0, "cycle"), n($0, "utilization")) }, style: .line, color: SVGPlot.palette[0]),
            .init(name: "idle utilization", points: cycles.map { (n($0, "cycle"), n($0, "idle_utilization")) }, style: .line, color: SVGPlot.palette[8]),
            .init(name: "peak/goal", points: goals.map { (n($0, "cycle"), n($0, "peak_over_goal")) }, style: .dots, color: SVGPlot.palette[1]),
        ]
        var ratios = SVGPlot(title: "Cons/mark, per cycle", xLabel: "cycle", yLabel: "bytes allocated per byte scanned")
        ratios.series = [
            .init(name: "cons/mark", points: cycles.map { (n($0, "cycle"), n($0, "cons_mark")) }, style: .line, color: SVGPlot.palette[2]),
            .init(name: "cons/mark estimate", points: cycles.map { (n($0, "cycle"), n($0, "cons_mark_estimate")) }, style: .step, color: SVGPlot.palette[3]),
        ]
        var assists = SVGPlot(title: "Assist ratio at mark start, per cycle", xLabel: "cycle", yLabel: "scan bytes owed per byte allocated")
        assists.series = [
            .init(name: "assist work per byte", points: cycles.map { (n($0, "cycle"), n($0, "assist_work_per_byte")) }, style: .dots, color: SVGPlot.palette[4]),
        ]
        body += section("Pacer", util.svg + ratios.svg + assists.svg)
        return page(title: "gclab report: " + title, body: body)
    }

    private static func configurationTable(_ s: [String: String], config: JSONValue) -> String {
        var rows: [(String, String)] = []
        for k in ["workload", "scale", "collector", "barrier", "pacer", "threads", "gogc", "heap_max_bytes", "mark_workers", "roots", "seed", "verify"] {
            if let v = s[k], v != "n/a" { rows.append((k, v)) }
        }
        if case .object(let top) = config {
            if case .array(let words)? = top.first(where: { $0.key == "command_line" })?.value {
                rows.append(("command line", words.compactMap { if case .string(let w) = $0 { return w }; return nil }.joined(separator: " ")))
            }
            if case .string(let commit)? = top.first(where: { $0.key == "git_commit" })?.value { rows.append(("git commit", commit)) }
        }
        return "<table class=\"config\"><caption>Configuration</caption>" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
    }

    /// The summary figures, with their units, as summary.csv has them.
    static let figures: [(column: String, label: String)] = [
        ("status", "status"), ("wall_ns", "wall time (ns)"), ("gc_cycles", "collections"), ("pause_count", "pauses"),
        ("pause_p50_ns", "pause p50 (ns)"), ("pause_p99_ns", "pause p99 (ns)"), ("pause_max_ns", "pause max (ns)"),
        ("peak_heap_bytes", "peak heap (bytes)"), ("mean_heap_bytes", "mean heap (bytes)"), ("gc_cpu_fraction", "GC CPU fraction"),
        ("peak_over_goal_mean", "peak/goal (mean)"), ("mmu_10ms", "MMU at 10 ms"), ("lost_objects", "lost objects"),
    ]

    private static func figuresTable(_ s: [String: String]) -> String {
        "<table class=\"figures\"><caption>Summary (summary.csv)</caption>"
            + figures.compactMap { f in s[f.column].map { "<tr><th>\(escape(f.label))</th><td data-column=\"\(f.column)\">\(escape($0))</td></tr>" } }.joined()
            + "</table>"
    }

    static func section(_ title: String, _ content: String) -> String {
        "<section><h2>\(escape(title))</h2>\(content)</section>"
    }

    /// A complete, self-contained, well-formed (XHTML) page.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>\(escape(title))</title>
        <style>
        body { font: 14px sans-serif; margin: 24px; color: #222; max-width: 900px; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
        .path { color: #666; font-family: monospace; }
        table { border-collapse: collapse; margin: 8px 24px 8px 0; display: inline-table; vertical-align: top; }
        caption { text-align: left; font-weight: bold; padding: 4px 0; }
        th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: left; font-weight: normal; }
        th { color: #555; } td { font-family: monospace; }
        svg.chart { display: block; margin: 8px 0; }
        svg .title { font-weight: bold; font-size: 13px; } svg .tick { font-size: 11px; fill: #444; }
        svg .label { font-size: 12px; fill: #222; } svg .legend { font-size: 11px; }
        svg .frame { fill: none; stroke: #999; } svg .grid { stroke: #eee; }
        </style></head>
        <body>\(body)</body></html>

        """
    }
}
