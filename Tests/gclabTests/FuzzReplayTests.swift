// The fuzz target's inputs replayed in every `swift test`: the seed corpus and each input that once
// trapped (Tests/Fuzz/crashes/, added when its bug is fixed), through the same check libFuzzer calls
// (Sources/gclab/Fuzz/FuzzCommand.swift). A trap fails the test run, as it failed the fuzzer.

import Foundation
import XCTest
@testable import gclab

final class FuzzReplayTests: XCTestCase {
    static var fuzzDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")
    }

    func testCorpusAndPastCrashesReplayWithoutTrapping() throws {
        var count = 0
        for folder in ["corpus", "crashes"] {
            let dir = Self.fuzzDirectory.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where !name.hasPrefix(".") && name != "README.md" {
                FuzzTarget.check(Array(try Data(contentsOf: dir.appendingPathComponent(name))))
                count += 1
            }
        }
        XCTAssertGreaterThanOrEqual(count, 10, "the seed corpus is missing")
    }

    /// Each parser the target feeds refuses what it should (so the target really reaches them).
    func testTheTargetReachesEachParser() throws {
        let o = try OptionParser(["--heap-max", "1.5M", "--heap-minimum", "64K"], valueOptions: RunCommand.valueOptions,
                                 flagOptions: RunCommand.flagOptions)
        XCTAssertEqual(try RunCommand.parse(o).heap.heapMaxBytes, 1_572_864)
        XCTAssertThrowsError(try MatrixSpec.parseSpec(Array(#"{"repeat": 2, "repeat": 3}"#.utf8), name: "s.json"))
        XCTAssertEqual(try MatrixSpec.parseSpec(Array(#"{"gogc": [50, 100], "verify": true}"#.utf8), name: "s.json").values["gogc"], "50,100")
        let r = try GCLabProcess.run(["fuzz", Self.fuzzDirectory.appendingPathComponent("corpus").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("replayed, none trapped"), r.stdout)
    }
}
