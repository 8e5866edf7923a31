// End-to-end tests of `gclab matrix`, `merge`, `summarize` and `minheap`: the built executable, its exit
// codes and the files it writes. Every run uses --scale small and --heap-minimum 256K to stay fast.

import Foundation
import XCTest

final class MatrixTests: TemporaryDirectoryTestCase {
    var gclab: URL { GCLabProcess.binary }

    func run(_ args: [String]) throws -> GCLabResult { try GCLabProcess.run(args) }


    let small = ["--workloads", "gcbench", "--scale", "small", "--heap-minimum", "256K"]
    let grid = ["--collectors", "stw,concurrent", "--barriers", "yuasa,dijkstra", "--repeat", "2"]

    /// The columns of a matrix summary.csv, as documented in results/README.md.
    static let documentedColumns = [
        "run_id", "repeat", "workload", "scale", "collector", "barrier", "mark_workers", "roots", "incremental_k", "treadmill_k",
        "defrag_reserve", "baker_k", "read_barrier", "nursery", "remset", "card_bytes", "major",
        "pacer", "threads", "seed", "gogc",
        "heap_max_bytes", "verify", "heap", "heap_minimum_bytes", "unsafe", "status", "wall_ns", "allocated_bytes",
        "allocation_rate_bytes_per_s", "gc_cycles", "pause_count", "pause_total_ns", "pause_p50_ns", "pause_p95_ns",
        "pause_p99_ns", "pause_max_ns", "minor_collections", "major_collections", "minor_pause_p50_ns",
        "minor_pause_p99_ns", "minor_pause_max_ns", "gc_cpu_ns", "peak_heap_bytes", "mean_heap_bytes", "peak_committed_bytes",
        "peak_over_goal_mean", "gc_cpu_fraction", "assist_fraction", "mmu_1ms", "mmu_10ms", "mmu_100ms", "lost_objects", "reason",
    ]

    /// Baker's k is a dimension of the treadmill collector only: stw runs once, the treadmill once per k
    /// (under the option's own name and its older plural alike).
    func testTreadmillKIsADimensionOfTheTreadmillOnly() throws {
        let dir = temp.appendingPathComponent("tk")
        let r = try run(["matrix"] + small + ["--collectors", "stw,treadmill", "--treadmill-ks", "1,4", "--out", dir.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (_, rows) = try csv(dir.appendingPathComponent("summary.csv"))
        XCTAssertEqual(rows.map { "\($0["collector"]!) \($0["treadmill_k"]!) \($0["pacer"]!)" },
                       ["stw n/a gogc", "treadmill 1 gogc", "treadmill 4 gogc"])
        XCTAssertTrue(rows.allSatisfy { $0["status"] == "ok" }, "\(rows)")
        let bad = try run(["matrix"] + small + ["--collectors", "stw", "--treadmill-ks", "2", "--out", dir.path + "-bad"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("treadmill"), bad.stderr)
        let same = try run(["matrix"] + small + ["--collectors", "stw,treadmill", "--treadmill-k", "1,4", "--out", dir.path + "-name", "--quiet"])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(try csv(URL(fileURLWithPath: dir.path + "-name").appendingPathComponent("summary.csv")).1.count, 3)
    }

    func testMatrixRunsTheCrossProductAndWritesTheDocumentedSummary() throws {
        let dir = temp.appendingPathComponent("m")
        let r = try run(["matrix"] + small + grid + ["--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (header, rows) = try csv(dir.appendingPathComponent("summary.csv"))
        XCTAssertEqual(header, MatrixTests.documentedColumns)
        XCTAssertEqual(rows.count, 6, "stw once per repeat (barrier n/a), concurrent per barrier and repeat")
        XCTAssertEqual(rows.filter { $0["collector"] == "stw" }.map { $0["barrier"]! }, ["n/a", "n/a"])
        XCTAssertEqual(rows.filter { $0["collector"] == "concurrent" }.map { $0["barrier"]! }.sorted(), ["dijkstra", "dijkstra", "yuasa", "yuasa"])
        XCTAssertTrue(rows.allSatisfy { $0["status"] == "ok" && $0["reason"] == "" && $0["scale"] == "small" }, "\(rows)")
        XCTAssertEqual(Set(rows.map { $0["run_id"]! }).count, 6)
        XCTAssertEqual(rows.map { $0["repeat"]! }, ["1", "1", "1", "2", "2", "2"])
        for row in rows {
            let id = row["run_id"]!
            XCTAssertNotNil(id.range(of: "^[0-9a-f]{12}-\(row["repeat"]!)$", options: .regularExpression), id)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/\(id)/summary.csv").path))
        }
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("matrix.json"))) as? [String: Any]
        let runs = plan?["runs"] as? [[String: Any]] ?? []
        XCTAssertEqual(runs.map { $0["run_id"] as? String }, rows.map { $0["run_id"] })
        XCTAssertEqual((runs.first?["args"] as? [String])?.first, "run")
        XCTAssertTrue(r.stderr.contains("[6/6] gcbench concurrent/dijkstra/go121 t=1 #2 ... ok"), r.stderr)

        // The same matrix again: the same run ids (they depend on the configuration only).
        let again = temp.appendingPathComponent("again")
        XCTAssertEqual(try run(["matrix"] + small + grid + ["--quiet", "--out", again.path]).status, 0)
        XCTAssertEqual(try csv(again.appendingPathComponent("summary.csv")).rows.map { $0["run_id"]! }, rows.map { $0["run_id"]! })
    }

    func testKilledMatrixResumesWithoutDuplicateRows() throws {
        let dir = temp.appendingPathComponent("m")
        let args = ["matrix"] + small + grid + ["--out", dir.path]
        let p = Process()
        p.executableURL = gclab
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let runs = dir.appendingPathComponent("runs")
        let deadline = Date().addingTimeInterval(60)
        func firstRunDone() -> Bool {
            let ids = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
            return ids.contains { FileManager.default.fileExists(atPath: runs.appendingPathComponent("\($0)/summary.csv").path) }
        }
        while !firstRunDone() && p.isRunning && Date() < deadline { usleep(1000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the matrix finished before it could be killed")
        let before = try csv(dir.appendingPathComponent("summary.csv")).rows
        XCTAssertLessThan(before.count, 6)

        let refused = try run(args)
        XCTAssertEqual(refused.status, 2, "a used --out needs --resume")
        XCTAssertTrue(refused.stderr.contains("--resume"), refused.stderr)
        let resumed = try run(args + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("already done"), resumed.stderr)
        let rows = try csv(dir.appendingPathComponent("summary.csv")).rows
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(Set(rows.map { $0["run_id"]! }).count, 6, "no duplicate rows")
        XCTAssertTrue(rows.allSatisfy { $0["status"] == "ok" }, "\(rows)")
    }

    func testBadSpecsAreRefusedWithExitCode2AndWriteNothing() throws {
        let badJSON = temp.appendingPathComponent("bad.json")
        try Data(#"{"workloads": ["gcbench", }"#.utf8).write(to: badJSON)
        let cases: [(args: [String], mentions: String)] = [
            (["--workloads", "gcbench,no-such-workload"], "no-such-workload"),
            ([badJSON.path], "bad.json"),
            (["--barriers", "yuasa,none"], "barrier=none"),
            (["--gogc", "100,fifty"], "fifty"),
            (["--heap", "2.5y"], "2.5y"),
            (["--repeat", "0"], "--repeat"),
            (["--collectors", "stw", "--barriers", "yuasa"], "--barriers"),
        ]
        for (i, c) in cases.enumerated() {
            let dir = temp.appendingPathComponent("out-\(i)")
            let r = try run(["matrix"] + c.args + ["--scale", "small", "--out", dir.path])
            XCTAssertEqual(r.status, 2, "\(c.args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("gclab: error: ") && r.stderr.contains(c.mentions), "\(c.args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path), "\(c.args) created \(dir.path)")
        }
    }

    func testShardsMergeToTheUnshardedRunIds() throws {
        let spec = temp.appendingPathComponent("spec.json")
        try Data("""
            {"workloads": "gcbench", "scale": "small", "heap-minimum": "256K",
             "collectors": ["stw", "concurrent"], "barriers": ["yuasa", "dijkstra"], "repeat": 2, "quiet": true}
            """.utf8).write(to: spec)
        func ids(_ dir: URL) throws -> [String] { try csv(dir.appendingPathComponent("summary.csv")).rows.map { $0["run_id"]! } }
        let full = temp.appendingPathComponent("full"), one = temp.appendingPathComponent("s1"), two = temp.appendingPathComponent("s2")
        XCTAssertEqual(try run(["matrix", spec.path, "--out", full.path]).status, 0)
        XCTAssertEqual(try run(["matrix", spec.path, "--shard", "1/2", "--out", one.path]).status, 0)
        XCTAssertEqual(try run(["matrix", spec.path, "--shard", "2/2", "--out", two.path]).status, 0)
        XCTAssertEqual(try ids(one).count, 3)
        XCTAssertEqual(try ids(two).count, 3)
        XCTAssertTrue(Set(try ids(one)).isDisjoint(with: try ids(two)))

        let merged = temp.appendingPathComponent("merged")
        let r = try run(["merge", two.path, one.path, one.path, "--out", merged.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ids(merged), try ids(full), "merged shards, in matrix order, without the duplicate input")
        XCTAssertEqual(try csv(merged.appendingPathComponent("summary.csv")).header, MatrixTests.documentedColumns)

        let other = temp.appendingPathComponent("other.csv")
        try Data("run_id,repeat\nabc-1,1\n".utf8).write(to: other)
        let mismatch = try run(["merge", one.path, other.path, "--out", temp.appendingPathComponent("x").path])
        XCTAssertEqual(mismatch.status, 2, mismatch.stderr)
    }

    func testSummarizePrintsARowPerConfiguration() throws {
        let dir = temp.appendingPathComponent("m")
        XCTAssertEqual(try run(["matrix"] + small + grid + ["--quiet", "--out", dir.path]).status, 0)
        let r = try run(["summarize", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("collector") })
        for title in ["n", "failed", "wall ms", "pause p99 µs", "pause max µs", "peak heap MB", "gc cycles", "lost objects"] {
            XCTAssertTrue(header.contains(title), header)
        }
        let rows = lines.drop { !$0.hasPrefix("collector") }.dropFirst()
        XCTAssertEqual(rows.count, 3, r.stdout)
        XCTAssertEqual(rows.map { $0.split(separator: " ").prefix(2).joined(separator: " ") },
                       ["stw n/a", "concurrent yuasa", "concurrent dijkstra"], r.stdout)
        for row in rows { XCTAssertTrue(row.contains(" 2  0 "), "n = 2 repeats, none failed: \(row)") }
    }

    func testMinHeapFindsTheSmallestHeapWithinPrecisionAndCachesIt() throws {
        let cache = temp.appendingPathComponent("minheap.csv")
        let common = ["--workload", "gcbench", "--scale", "small", "--collector", "stw", "--heap-minimum", "256K"]
        let r = try run(["minheap"] + common + ["--precision", "0.05", "--cache", cache.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let entries = try csv(cache).rows
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(entries[0]["workload"], "gcbench")
        XCTAssertEqual(entries[0]["collector"], "stw")
        let bytes = try XCTUnwrap(Int(entries[0]["min_heap_bytes"] ?? ""))
        XCTAssertTrue(r.stdout.contains("\(bytes) bytes"), r.stdout)

        // Completes at the size found; not 5% below it.
        let at = try run(["run"] + common + ["--heap-max", String(bytes), "--quiet", "--out", temp.appendingPathComponent("at").path])
        XCTAssertEqual(at.status, 0, at.stderr)
        let below = try run(["run"] + common + ["--heap-max", String(Int(Double(bytes) / 1.05)), "--quiet",
                                                "--out", temp.appendingPathComponent("below").path])
        XCTAssertEqual(below.status, 1, "a heap 5% smaller should not suffice")

        // `--heap 2x` in a matrix reads the cache: twice the minimum, rounded up to 4 KiB.
        let dir = temp.appendingPathComponent("m")
        let m = try run(["matrix"] + small + ["--collectors", "stw", "--heap", "2x", "--cache", cache.path, "--out", dir.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        let row = try XCTUnwrap(try csv(dir.appendingPathComponent("summary.csv")).rows.first)
        XCTAssertEqual(row["heap"], "2x")
        XCTAssertEqual(row["heap_max_bytes"], String((2 * bytes + 4095) / 4096 * 4096))
        XCTAssertFalse(m.stderr.contains("searching"), "the cached minimum is used")
    }
}
