// The documentation stays true to the code: every column results/README.md documents is the column the
// files have (real output of the built gclab, each collector's cycles.csv with its own columns), and the
// top-level README's tables name exactly the workloads, benchmarks, collectors, barriers and options that
// `gclab list`, `gclab bench --help` and `gclab run --help` name. A table that falls behind fails here.

import Foundation
import XCTest

final class DocsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func text(_ path: String) throws -> String { try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8) }

    /// The first backticked word of each table row under the headings containing `heading` (to the next
    /// heading), and the row's cells.
    func tableRows(_ doc: String, under heading: String) -> [(name: String, cells: [String])] {
        var on = false, rows: [(String, [String])] = []
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("#") { on = line.contains(heading); continue }
            guard on, line.hasPrefix("| `") else { continue }
            let name = line.split(separator: "`", omittingEmptySubsequences: false)[1]
            rows.append((String(name), line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }))
        }
        return rows
    }

    func header(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").first.map { $0.split(separator: ",").map(String.init) } ?? []
    }

    func gclab(_ args: [String]) throws -> String {
        let r = try GCLabProcess.run(args)
        XCTAssertEqual(r.status, 0, "gclab \(args.joined(separator: " ")): \(r.stderr)")
        return r.stdout
    }

    /// The names `gclab list` prints in its section starting with `section`.
    func listed(_ list: String, section: String) -> [String] {
        var on = false, names: [String] = []
        for line in list.split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" ") { on = line.hasPrefix(section); continue }
            guard on, line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            names.append(String(line.dropFirst(2).prefix { $0 != " " }.split(separator: "/").first!))
        }
        return names
    }

    func testResultsReadmeDocumentsEveryColumnWritten() throws {
        let doc = try text("results/README.md")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gclab-docs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let collectors = listed(try gclab(["list"]), section: "collectors")
        XCTAssertFalse(collectors.isEmpty)
        let common = tableRows(doc, under: "### cycles.csv (gclab run)").map(\.name)
        let own = tableRows(doc, under: "cycles.csv: the collectors' own columns")
        for collector in collectors {
            let run = dir.appendingPathComponent("run-\(collector)")
            _ = try gclab(["run", "--collector", collector, "--scale", "small", "--quiet", "--out", run.path])
            // A row names one collector, or several that write the same column ("`sticky`, `gencopy`").
            let mine = own.filter { row in
                row.cells.count > 1 && row.cells[1].split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "`\(collector)`" }
            }.map(\.name)
            XCTAssertEqual(try header(run.appendingPathComponent("cycles.csv")), common + mine, "cycles.csv of \(collector)")
            XCTAssertEqual(try header(run.appendingPathComponent("summary.csv")), tableRows(doc, under: "### summary.csv").map(\.name))
            XCTAssertEqual(try header(run.appendingPathComponent("pauses.csv")), tableRows(doc, under: "### pauses.csv").map(\.name))
            XCTAssertEqual(try header(run.appendingPathComponent("heap.csv")), tableRows(doc, under: "### heap.csv").map(\.name))
            XCTAssertEqual(try header(run.appendingPathComponent("mmu.csv")), tableRows(doc, under: "### mmu.csv").map(\.name))
        }
        let matrix = dir.appendingPathComponent("matrix")
        _ = try gclab(["matrix", "--scale", "small", "--collectors", collectors[0], "--quiet", "--out", matrix.path])
        XCTAssertEqual(try header(matrix.appendingPathComponent("summary.csv")), tableRows(doc, under: "matrix-summary").map(\.name))
        let cache = dir.appendingPathComponent("minheap.csv")
        _ = try gclab(["minheap", "--workload", "gcbench", "--scale", "small", "--collector", collectors[0], "--quiet", "--cache", cache.path])
        XCTAssertEqual(try header(cache), tableRows(doc, under: "min-heap cache").map(\.name))
        _ = try gclab(["pacer-sim", "--scenario", "steady", "--pacer", "go121", "--out", dir.appendingPathComponent("sim").path])
        XCTAssertEqual(try header(dir.appendingPathComponent("sim/cycles.csv")), tableRows(doc, under: "pacer-sim: cycles.csv").map(\.name))
        // The concurrent collector's run, paced by go121 by default, rebuilt by pacer-sim --from-run.
        _ = try gclab(["pacer-sim", "--from-run", dir.appendingPathComponent("run-concurrent").path, "--out", dir.appendingPathComponent("from-run").path])
        XCTAssertEqual(try header(dir.appendingPathComponent("from-run/from-run.csv")), tableRows(doc, under: "from-run.csv").map(\.name))
        _ = try gclab(["tune", "--scenario", "steady", "--pacer", "go121", "--out", dir.appendingPathComponent("tune").path])
        XCTAssertEqual(try header(dir.appendingPathComponent("tune/tune.csv")), tableRows(doc, under: "tune: tune.csv").map(\.name))
    }

    func testReadmeTablesNameWhatGclabLists() throws {
        let readme = try text("README.md")
        let list = try gclab(["list"])
        func rowNames(after marker: String) -> [String] {
            guard let start = readme.range(of: marker) else { XCTFail("README has no \(marker)"); return [] }
            var names: [String] = [], inTable = false
            for line in readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("|") { inTable = true } else if inTable { break } else { continue }
                if line.hasPrefix("| `") { names.append(String(line.split(separator: "`")[1])) }
            }
            return names
        }
        XCTAssertEqual(rowNames(after: "Workloads (`gclab list`):"), listed(list, section: "workloads"), "the README's workload table")
        let benches = try gclab(["bench", "--help"]).split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return String(line.dropFirst(2).prefix { $0 != " " })
        }
        XCTAssertEqual(rowNames(after: "| benchmark | measures | options (default) |"), benches, "the README's bench table")
        let collectorRows = rowNames(after: "| `--collector` / `--barrier` |")
        XCTAssertEqual(Set(collectorRows), Set(listed(list, section: "collectors")), "the README's collector table")
        for barrier in listed(list, section: "barriers") {
            XCTAssertTrue(readme.contains("/ `\(barrier)`"), "the collector table has no row for barrier \(barrier)")
        }
        // Every option `gclab run --help` names has a row (the pacer parameters have their own table).
        let help = try gclab(["run", "--help"])
        let options = help.split(separator: "\n").compactMap { line -> String? in
            let t = line.drop { $0 == " " }
            guard t.hasPrefix("--"), line.hasPrefix("  ") else { return nil }
            return String(t.prefix { $0 != " " })
        }
        XCTAssertGreaterThan(options.count, 20)
        let tableLines = readme.split(separator: "\n").filter { $0.hasPrefix("|") }
        for option in options {
            XCTAssertTrue(tableLines.contains { $0.contains("`\(option)`") || $0.contains("`\(option) ") }, "README has no row for \(option)")
        }
    }
}
