// End-to-end tests of `gclab stress`: the draws are a function of the seed, a short stress completes
// with its table, an unsafe class is caught and reported apart without failing the stress, a safe failure
// (a timeout) is reported with its exact command and exit status 1, bad options are one line and exit
// status 2, and results/README.md documents stress.csv's columns. Every process has a deadline: a hang
// fails the test instead of holding the suite.

import Foundation
import XCTest
@testable import gclab

final class StressTests: TemporaryDirectoryTestCase {
    /// Runs `gclab args`; after `deadline` seconds it is stopped (SIGTERM, then SIGKILL) and the test fails.
    func gclab(_ args: [String], deadline: Double = 180) throws -> GCLabResult {
        let name = UUID().uuidString
        let outURL = temp.appendingPathComponent("\(name).out"), errURL = temp.appendingPathComponent("\(name).err")
        XCTAssertTrue(FileManager.default.createFile(atPath: outURL.path, contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: errURL.path, contents: nil))
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = GCLabProcess.binary
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        if done.wait(timeout: .now() + deadline) == .timedOut {
            kill(p.processIdentifier, SIGTERM)  // stress kills its children on SIGTERM
            if done.wait(timeout: .now() + 10) == .timedOut { kill(p.processIdentifier, SIGKILL); done.wait() }
            XCTFail("gclab \(args.joined(separator: " ")) still running after \(deadline) s")
        }
        return GCLabResult(status: p.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                           stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    /// The `gclab run ...` commands of a dry run, one per draw.
    func drawnCommands(_ output: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix("run ") }.map { String($0[$0.range(of: ": gclab run ")!.lowerBound...].dropFirst(2)) }
    }

    func testDrawsAreAFunctionOfTheSeed() throws {
        let a = try gclab(["stress", "--dry-run", "--runs", "200", "--seed", "11"])
        XCTAssertEqual(a.status, 0, a.stderr)
        // The first line names every option that decides the draws (--max-threads defaults to 4 x the cores).
        let maxThreads = 4 * ProcessInfo.processInfo.activeProcessorCount
        XCTAssertTrue(a.stdout.hasPrefix("gclab stress --seed 11 --scale small --max-threads \(maxThreads) --unsafe-rate 0.15: 200 draws\n"), a.stdout)
        let b = try gclab(["stress", "--dry-run", "--runs", "200", "--seed", "11"])
        XCTAssertEqual(a.stdout, b.stdout, "the same seed draws the same configurations")
        let prefix = try gclab(["stress", "--dry-run", "--runs", "20", "--seed", "11"])
        XCTAssertEqual(Array(drawnCommands(a.stdout).prefix(20)), drawnCommands(prefix.stdout), "draw i depends on the seed and i only")
        let other = try gclab(["stress", "--dry-run", "--runs", "200", "--seed", "12"])
        XCTAssertNotEqual(drawnCommands(a.stdout), drawnCommands(other.stdout))

        let lines = a.stdout.split(separator: "\n").dropFirst().map(String.init)
        XCTAssertEqual(lines.count, 200)
        // Every collector of the registry is drawn, safe and (where it has them) unsafe configurations too.
        for collector in ["stw", "concurrent", "treadmill", "semispace", "immix", "baker", "sticky", "gencopy"] {
            XCTAssertTrue(lines.contains { $0.contains(" safe \(collector)") }, "no safe draw of \(collector)")
        }
        let unsafe = lines.filter { $0.contains(" unsafe ") }
        XCTAssertGreaterThan(unsafe.count, 10)
        XCTAssertLessThan(unsafe.count, 60, "unsafe draws come at the lower --unsafe-rate")
        XCTAssertTrue(unsafe.allSatisfy { $0.hasSuffix(" --verify --unsafe") }, "an unsafe draw runs with --unsafe")
        XCTAssertTrue(lines.filter { $0.contains(" safe ") }.allSatisfy { !$0.contains("--unsafe") && $0.hasSuffix(" --verify") })
        XCTAssertTrue(unsafe.allSatisfy { $0.contains("/none") || $0.contains("/handshake") }, "unsafe: what gclab calls unsafe")
        XCTAssertTrue(unsafe.contains { $0.contains("gencopy/") && $0.contains("--remset none") }, "--remset none is drawn")

        let only = try gclab(["stress", "--dry-run", "--runs", "30", "--seed", "11", "--collectors", "treadmill", "--unsafe-rate", "1"])
        XCTAssertEqual(only.status, 0, only.stderr)
        let onlyLines = only.stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(onlyLines.count, 30)
        XCTAssertTrue(onlyLines.allSatisfy { $0.contains(" unsafe treadmill/none: gclab run --collector treadmill ") }, only.stdout)
        // The concurrent plan calls two kinds of configurations unsafe: both are drawn.
        let concurrent = try gclab(["stress", "--dry-run", "--runs", "40", "--seed", "11", "--collectors", "concurrent", "--unsafe-rate", "1"])
        XCTAssertTrue(concurrent.stdout.contains(" unsafe concurrent/none/"), concurrent.stdout)
        XCTAssertTrue(concurrent.stdout.contains(" unsafe concurrent/yuasa/handshake: "), concurrent.stdout)
        XCTAssertFalse(concurrent.stdout.contains(" safe "), concurrent.stdout)
    }

    func testShortStressCompletesAndPrintsTheTable() throws {
        let out = temp.appendingPathComponent("short")
        let args = ["stress", "--runs", "6", "--seed", "5", "--workloads", "gcbench,lru-cache,graph-mutation", "--max-threads", "3"]
        let r = try gclab(args + ["--out", out.path], deadline: 240)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("gclab stress --seed 5 --workloads gcbench,lru-cache,graph-mutation --scale small --max-threads 3 --unsafe-rate 0.15: 6 runs; "), r.stdout)
        XCTAssertTrue(r.stdout.contains("safe class"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\ncollector "), r.stdout)
        XCTAssertTrue(r.stdout.contains("stress: 6 runs ("), r.stdout)
        XCTAssertTrue(r.stdout.contains(" 0 failures, 0 lost objects in safe runs; seed 5"), r.stdout)
        let (header, rows) = try csv(out.appendingPathComponent("stress.csv"))
        XCTAssertEqual(header, StressReport.columns)
        XCTAssertEqual(rows.map { $0["run"]! }, ["1", "2", "3", "4", "5", "6"])
        XCTAssertTrue(rows.allSatisfy { ["pass", "caught", "missed"].contains($0["verdict"]!) }, "\(rows)")
        XCTAssertTrue(rows.contains { Int($0["cycles"]!)! > 0 }, "the runs collect")
        // What ran is what the dry run of the same seed draws.
        let dry = try gclab(["stress", "--dry-run"] + args.dropFirst())
        XCTAssertEqual(rows.map { $0["command"]! }, drawnCommands(dry.stdout))
        // Passed runs leave no files behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path), [])
    }

    func testUnsafeClassIsCaughtAndReportedApart() throws {
        // --unsafe-rate 1: every draw of the concurrent collector is one gclab calls unsafe (--barrier none,
        // or yuasa with --roots handshake); graph-mutation on several threads loses objects under none.
        let r = try gclab(["stress", "--collectors", "concurrent", "--workloads", "graph-mutation", "--unsafe-rate", "1",
                           "--runs", "8", "--seed", "3", "--quiet"], deadline: 240)
        XCTAssertEqual(r.status, 0, "an unsafe run losing objects is expected, not a failure: " + r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("unsafe class (losses expected)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("stress: 8 runs (0 safe, 8 unsafe)"), r.stdout)
        let none = r.stdout.split(separator: "\n").filter { $0.hasPrefix("concurrent/none/") }
        XCTAssertFalse(none.isEmpty, r.stdout)
        // runs, collected, caught, catch rate, ...: the verifier caught barrier none at least once.
        let caught = none.map { $0.split(separator: " ", omittingEmptySubsequences: true) }.reduce(0) { $0 + Int($1[3])! }
        XCTAssertGreaterThan(caught, 0, r.stdout)
        XCTAssertFalse(r.stdout.contains("failures (safe configurations)"), r.stdout)
    }

    func testSafeFailureIsReportedWithItsCommandAndExitStatus1() throws {
        let out = temp.appendingPathComponent("timeout")
        // A timeout far too short for any run: every run fails.
        // (gcbench: a workload that takes every thread count, so no draw is refused before the timeout.)
        let r = try gclab(["stress", "--runs", "2", "--seed", "3", "--collectors", "stw,concurrent", "--workloads", "gcbench",
                           "--unsafe-rate", "0", "--timeout", "0.01", "--out", out.path])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("failures (safe configurations):"), r.stdout)
        XCTAssertTrue(r.stdout.contains("stress: 2 runs (2 safe, 0 unsafe)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("; 2 failures, "), r.stdout)
        let rows = try csv(out.appendingPathComponent("stress.csv")).rows
        XCTAssertEqual(rows.count, 2)
        for row in rows {
            XCTAssertEqual(row["verdict"], "fail")
            XCTAssertEqual(row["outcome"], "timeout")
            XCTAssertEqual(row["exit_status"], "timeout")
            XCTAssertTrue(row["command"]!.hasPrefix("gclab run --collector "), row["command"]!)
            XCTAssertTrue(r.stdout.contains("\n    " + row["command"]! + "\n"), "the report names the failure's command")
            XCTAssertTrue(r.stderr.contains(row["command"]!), "the failure is printed as it happens")
            // A failed run's files are kept.
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/\(row["run"]!)/stderr.txt").path))
        }
    }

    func testInterruptReportsWhatFinishedAndKillsTheRunUnderWay() throws {
        let out = temp.appendingPathComponent("interrupted")
        let stdout = temp.appendingPathComponent("interrupted.out")
        XCTAssertTrue(FileManager.default.createFile(atPath: stdout.path, contents: nil))
        let handle = try FileHandle(forWritingTo: stdout)
        defer { try? handle.close() }
        let p = Process()
        p.executableURL = GCLabProcess.binary
        p.arguments = ["stress", "--runs", "10000", "--seed", "9", "--quiet", "--out", out.path]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = handle
        p.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        Thread.sleep(forTimeInterval: 3)
        kill(p.processIdentifier, SIGINT)
        if done.wait(timeout: .now() + 30) == .timedOut {
            kill(p.processIdentifier, SIGKILL)
            done.wait()
            return XCTFail("gclab stress did not stop on SIGINT")
        }
        XCTAssertEqual(p.terminationStatus, 130)
        let text = try String(contentsOf: stdout, encoding: .utf8)
        XCTAssertTrue(text.contains("; interrupted (SIGINT)\n"), text)
        XCTAssertTrue(text.contains("\ncollector "), text)
        // The rows are the runs that finished: numbered from 1 without a gap, none killed by the interrupt.
        let rows = try csv(out.appendingPathComponent("stress.csv")).rows
        XCTAssertEqual(rows.map { $0["run"]! }, (0..<rows.count).map { String($0 + 1) })
        XCTAssertFalse(rows.contains { $0["exit_status"] == "SIGKILL" })
    }

    func testVerdicts() {
        let space = StressSpace(collectors: [.concurrent], workloads: ["graph-mutation"], scale: "small", maxThreads: 4,
                                unsafeRate: 0, seed: 1)
        let safe = space.draw(0)
        var unsafeSpace = space
        unsafeSpace.unsafeRate = 1
        let unsafe = unsafeSpace.draw(0)
        XCTAssertTrue(safe.safe)
        XCTAssertFalse(unsafe.safe)
        func verdict(_ d: StressDraw, _ end: ChildRun.End, _ status: String?) -> StressVerdict {
            StressRun.judge(d, end: end, seconds: 1, summary: status.map { ["status": $0, "gc_cycles": "3", "lost_objects": "0"] },
                            reason: { "why" }).verdict
        }
        XCTAssertEqual(verdict(safe, .exited(0), "ok"), .pass)
        XCTAssertEqual(verdict(safe, .exited(1), "lost-objects"), .fail, "a safe configuration losing objects fails")
        XCTAssertEqual(verdict(safe, .exited(1), "heap-exhausted"), .fail)
        XCTAssertEqual(verdict(safe, .exited(3), nil), .fail, "a verify-mode stop of a safe run fails")
        XCTAssertEqual(verdict(safe, .exited(0), nil), .fail, "no summary.csv")
        XCTAssertEqual(verdict(safe, .signaled(SIGSEGV), nil), .fail)
        XCTAssertEqual(verdict(safe, .timedOut, "ok"), .fail)
        XCTAssertEqual(verdict(safe, .exited(2), nil), .refused)
        XCTAssertEqual(verdict(unsafe, .exited(1), "lost-objects"), .caught)
        XCTAssertEqual(verdict(unsafe, .exited(3), nil), .caught)
        XCTAssertEqual(verdict(unsafe, .exited(0), "ok"), .missed)
        XCTAssertEqual(verdict(unsafe, .signaled(SIGSEGV), nil), .other)
    }

    func testBadOptionsAreOneLineAndExitStatus2() throws {
        for args in [["--time", "10x"], ["--time", "0s"], ["--time", "m"], ["--collectors", "nope"], ["--workloads", "gcbench,nope"],
                     ["--runs", "0"], ["--unsafe-rate", "2"], ["--jobs", "0"], ["--timeout", "0"], ["--seed", "-1"],
                     ["--dry-run", "--time", "1m"], ["--frobnicate"], ["--scale", "huge"], ["--max-threads", "0"], ["extra"]] {
            let r = try gclab(["stress"] + args + ["--runs", "1"].filter { _ in !args.contains("--runs") && !args.contains("--time") })
            XCTAssertEqual(r.status, 2, "\(args): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("gclab: error: "), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args)")
        }
        let help = try gclab(["stress", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.hasPrefix("usage: gclab stress"))
        XCTAssertTrue(try gclab(["help"]).stdout.contains("\n  stress "))
    }

    func testResultsReadmeDocumentsStressCSV() throws {
        let doc = try String(contentsOf: DocsTests.root.appendingPathComponent("results/README.md"), encoding: .utf8)
        // The first backticked word of each table row under the section's heading.
        var on = false, documented: [String] = []
        for line in doc.split(separator: "\n").map(String.init) {
            if line.hasPrefix("#") { on = line.contains("gclab stress: stress.csv"); continue }
            if on, line.hasPrefix("| `") { documented.append(String(line.split(separator: "`")[1])) }
        }
        XCTAssertEqual(documented, StressReport.columns)
        let out = temp.appendingPathComponent("doc")
        let r = try gclab(["stress", "--runs", "1", "--seed", "1", "--collectors", "stw", "--quiet", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(try csv(out.appendingPathComponent("stress.csv")).header, documented)
    }
}
