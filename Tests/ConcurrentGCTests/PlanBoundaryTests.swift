// The plan boundary: outside its folder (Sources/ConcurrentGC/Plan/<Name>/) and the registry, no source
// file names a collector — not by its name as a string, not by its `CollectorKind` constant, not by a type
// its folder declares, not by `if let treadmill...` or `collector == ...` checks. What applies to which
// collector comes from the traits. The scan is checked first on a snippet that breaks every rule, so the
// test can fail.

@testable import ConcurrentGC
import Foundation
import XCTest

final class PlanBoundaryTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let planFolder = packageRoot.appendingPathComponent("Sources/ConcurrentGC/Plan")

    /// Every .swift file below `dir`, as (path relative to the package root, text).
    static func swiftFiles(below dir: URL) -> [(path: String, text: String)] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.compactMap { url in
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
            return (String(url.path.dropFirst(packageRoot.path.count + 1)), text)
        }.sorted { $0.path < $1.path }
    }

    /// What the plan folders own: the folders, the types they declare and their `CollectorKind` constants.
    struct PlanNames {
        var folders: [String] = []
        var types: Set<String> = []
        var kindConstants: Set<String> = []
        var collectorNames: Set<String> = []
    }

    static func planNames() -> PlanNames {
        var names = PlanNames()
        names.collectorNames = Set(CollectorKind.allCases.map(\.name))
        let folders = (try? FileManager.default.contentsOfDirectory(at: planFolder, includingPropertiesForKeys: [.isDirectoryKey])) ?? []
        for folder in folders where (try? folder.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
            names.folders.append("Sources/ConcurrentGC/Plan/\(folder.lastPathComponent)/")
            for file in swiftFiles(below: folder) {
                names.types.formUnion(matches(#"(?:class|struct|enum|protocol)\s+([A-Z]\w*)"#, in: file.text))
                names.kindConstants.formUnion(matches(#"static let (\w+) = CollectorKind\("#, in: file.text))
            }
        }
        return names
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            Range(m.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// The lines of `text` that name a collector, as "line: reason".
    static func violations(in text: String, _ names: PlanNames) -> [String] {
        var found: [String] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.components(separatedBy: "//").first ?? ""  // code only, not comments
            func flag(_ why: String) { found.append("\(n + 1): \(why): \(raw.trimmingCharacters(in: .whitespaces))") }
            for name in names.collectorNames where line.contains("\"\(name)\"") { flag("collector name as a string") }
            for constant in names.kindConstants
            where line.range(of: #"(CollectorKind)?\.\#(constant)\b"#, options: .regularExpression) != nil { flag("CollectorKind.\(constant)") }
            for type in names.types where line.range(of: #"\b\#(type)\b"#, options: .regularExpression) != nil { flag("plan type \(type)") }
            if line.range(of: #"if let \w*[tT]readmill|collector\s*==|as[!?] \w+Collector"#, options: .regularExpression) != nil {
                flag("a check for one collector")
            }
        }
        return found
    }

    /// The scan catches each way of naming a collector.
    func testTheScanCatchesEveryWayOfNamingACollector() {
        let names = Self.planNames()
        XCTAssertTrue(names.collectorNames.isSuperset(of: ["stw", "concurrent", "treadmill"]))
        XCTAssertTrue(names.types.isSuperset(of: ["ConcurrentCollector", "TreadmillCollector", "StopTheWorldCollector"]))
        let bad = """
        if config.collector == .treadmill { }
        let k = RunConfiguration(collector: "concurrent")
        if let treadmill = heap.treadmillCollector { }
        let c = heap.collector as! ConcurrentCollector
        let s: ConcurrentMutatorState? = nil
        // a comment may say "stw" and .treadmill
        """
        XCTAssertEqual(Self.violations(in: bad, names).map { String($0.prefix(2)) }, ["1:", "1:", "2:", "3:", "4:", "4:", "5:"])
    }

    /// Outside the plan folders and the registry, no source file names a collector.
    func testNoSourceOutsideThePlansNamesACollector() {
        let names = Self.planNames()
        XCTAssertEqual(names.folders.count, CollectorKind.allCases.count, "one folder per collector: \(names.folders)")
        var report: [String] = []
        for file in Self.swiftFiles(below: Self.packageRoot.appendingPathComponent("Sources"))
        where !names.folders.contains(where: { file.path.hasPrefix($0) }) && !file.path.hasSuffix("Plan/PlanRegistry.swift") {
            report += Self.violations(in: file.text, names).map { "\(file.path):\($0)" }
        }
        XCTAssertEqual(report, [], report.joined(separator: "\n"))
    }
}
