// `gclab report` (Sources/gclab/Report): the page is well-formed and self-contained, its charts draw the
// series the CSVs hold with as many points as they have rows, and the figures shown are the CSVs'.
// (.ci/browser loads a report in headless Chromium.)

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

final class ReportTests: TemporaryDirectoryTestCase {
    /// What a page holds: each series' name → its data-points, every data-column cell, every link.
    final class Page: NSObject, XMLParserDelegate {
        var series: [(name: String, points: Int)] = []
        var cells: [String: String] = [:]
        var links: [String] = []
        var svgs = 0
        var external: [String] = []
        private var column: String?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "svg" { svgs += 1 }
            if name == "g", let s = attributes["data-series"], let p = attributes["data-points"].flatMap(Int.init) { series.append((s, p)) }
            column = attributes["data-column"]
            if let href = attributes["href"] { links.append(href) }
            for key in ["src", "href", "xlink:href"] { if let v = attributes[key], v.contains("://") { external.append(v) } }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let c = column { cells[c, default: ""] += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { column = nil }
        func points(_ name: String) -> Int? { series.first { $0.name == name }?.points }
    }

    func parse(_ file: URL) throws -> Page {
        let parser = XMLParser(contentsOf: file)!
        let page = Page()
        parser.delegate = page
        XCTAssertTrue(parser.parse(), "\(file.path) is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        return page
    }

    func rows(_ file: URL) throws -> [[String: String]] { try csv(file).rows }

    func testRunReport() throws {
        let run = temp.appendingPathComponent("run")
        XCTAssertEqual(try GCLabProcess.run(["run", "--workload", "gcbench", "--scale", "small", "--pacer", "go121", "--memory-limit", "64M",
                                             "--out", run.path, "--quiet"]).status, 0)
        let r = try GCLabProcess.run(["report", run.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try parse(run.appendingPathComponent("report.html"))
        XCTAssertEqual(page.external, [], "no network: nothing loaded from elsewhere")
        XCTAssertEqual(page.svgs, 7, "heap, pause timeline, pause histogram, MMU, utilization, cons/mark, assists")
        XCTAssertEqual(page.points("heap in use"), try rows(run.appendingPathComponent("heap.csv")).count)
        XCTAssertEqual(page.points("trigger"), try rows(run.appendingPathComponent("heap.csv")).count)
        let cycles = try rows(run.appendingPathComponent("cycles.csv"))
        XCTAssertEqual(page.points("goal"), cycles.filter { (Int($0["heap_goal_bytes"] ?? "") ?? 0) > 0 }.count)
        XCTAssertEqual(page.points("memory limit"), 2, "the limit as a line across the run")
        XCTAssertEqual(page.points("utilization"), cycles.count)
        let pauses = try rows(run.appendingPathComponent("pauses.csv"))
        let kinds = Set(pauses.map { $0["kind"]! })
        XCTAssertEqual(kinds.compactMap { kind in page.points(kind) }.reduce(0, +), pauses.count,
                       "every pause drawn once on the timeline")
        XCTAssertEqual(page.points("mmu"), try rows(run.appendingPathComponent("mmu.csv")).count)
        XCTAssertEqual(page.points("bmu with marking"), try rows(run.appendingPathComponent("mmu.csv")).count)
        let summary = try rows(run.appendingPathComponent("summary.csv"))[0]
        XCTAssertGreaterThan(page.cells.count, 8)
        for (column, shown) in page.cells { XCTAssertEqual(shown, summary[column], column) }
    }

    func testMatrixReportLinksEveryRun() throws {
        let dir = temp.appendingPathComponent("matrix")
        XCTAssertEqual(try GCLabProcess.run(["matrix", "--workloads", "gcbench,lru-cache", "--collectors", "stw", "--scale", "small",
                                             "--repeat", "2", "--quiet", "--out", dir.path]).status, 0)
        XCTAssertEqual(try GCLabProcess.run(["report", dir.path]).status, 0)
        let page = try parse(dir.appendingPathComponent("report.html"))
        let runs = try rows(dir.appendingPathComponent("summary.csv"))
        XCTAssertEqual(runs.count, 4)
        // Five metrics, each with a dot per completed run and a median per configuration (2 workloads).
        XCTAssertEqual(page.series.filter { $0.name == "runs" }.map(\.points), Array(repeating: 4, count: 5))
        XCTAssertEqual(page.series.filter { $0.name == "median" }.map(\.points), Array(repeating: 2, count: 5))
        XCTAssertEqual(page.series.filter { ["C1", "C2"].contains($0.name) }.count, 2, "an MMU curve per configuration")
        XCTAssertEqual(page.links.count, 4)
        for link in page.links {
            let target = dir.appendingPathComponent(link)
            XCTAssertTrue(FileManager.default.fileExists(atPath: target.path), link)
            _ = try parse(target)
        }
    }

    func testReportRefusesWhatIsNotAResultDirectory() throws {
        let r = try GCLabProcess.run(["report", temp.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no summary.csv"), r.stderr)
        XCTAssertEqual(try GCLabProcess.run(["report"]).status, 2)
    }
}
