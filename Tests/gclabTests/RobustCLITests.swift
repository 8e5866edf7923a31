// The command line under hostile use (issue 19): options refused with one line and exit status 2, output
// paths checked before any work, a matrix directory that --resume and a second matrix cannot damage,
// children that die with their matrix, a matrix size limit counted before expansion, and temporaries an
// interruption leaves behind removed.

import Foundation
import XCTest
@testable import gclab

final class RobustCLITests: TemporaryDirectoryTestCase {
    func run(_ args: [String]) throws -> GCLabResult { try GCLabProcess.run(args) }

    /// Exit status 2, one `gclab: error:` line mentioning `mentions`, and `out` not created.
    func assertRefused(_ args: [String], mentions: String, out: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(args)
        XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("gclab: error: ") && r.stderr.contains(mentions), "\(args): \(r.stderr)", file: file, line: line)
        if let out { XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(args) created \(out.path)", file: file, line: line) }
    }

    /// `pacer-sim --scenario-file`: a bad file is one line naming where in it, and nothing is written;
    /// `--print-scenario` gives a file that runs to the built-in's cycles.csv; `--strict` turns a
    /// violated bound of the researcher's own into exit status 1.
    func testScenarioFiles() throws {
        let out = temp.appendingPathComponent("out")
        let file = temp.appendingPathComponent("s.json")
        let sim = ["pacer-sim", "--scenario-file", file.path, "--pacer", "go121", "--out", out.path]
        try Data("{\"name\": \"a\", \"procs\": 0}".utf8).write(to: file)
        try assertRefused(sim, mentions: "s.json: procs: expected a whole number 1...4096, got 0", out: out)
        try Data("{\"name\": \"a\", \"signals\": {\"alloc_rate\": {\"spike\": 3}}}".utf8).write(to: file)
        try assertRefused(sim, mentions: "signals.alloc_rate.spike: unknown signal", out: out)
        try assertRefused(["pacer-sim", "--scenario-file", temp.appendingPathComponent("none.json").path, "--pacer", "go121", "--out", out.path],
                          mentions: "cannot read scenario file", out: out)
        try assertRefused(sim + ["--scenario", "steady"], mentions: "not both", out: out)
        try assertRefused(["tune", "--scenario-file", file.path, "--pacer", "go121", "--out", out.path], mentions: "unknown signal", out: out)

        let printed = try run(["pacer-sim", "--scenario", "jitter", "--print-scenario"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        try Data(printed.stdout.utf8).write(to: file)
        XCTAssertEqual(try run(sim).status, 0)
        let builtIn = temp.appendingPathComponent("builtin")
        XCTAssertEqual(try run(["pacer-sim", "--scenario", "jitter", "--pacer", "go121", "--out", builtIn.path]).status, 0)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("cycles.csv")),
                       try Data(contentsOf: builtIn.appendingPathComponent("cycles.csv")))

        // A bound the pacer cannot meet (utilization at most 0.1 while u_g is 0.25).
        try Data("""
        {"name": "strict", "cycles": 30, "bounds": [{"metric": "utilization", "cycles": [20, 30], "range": [0, 0.1]}]}
        """.utf8).write(to: file)
        let lenient = try run(sim)
        XCTAssertEqual(lenient.status, 0, lenient.stderr)
        XCTAssertTrue(lenient.stdout.contains("11 violations"), lenient.stdout)
        let strict = try run(sim + ["--strict"])
        XCTAssertEqual(strict.status, 1, strict.stderr)
        XCTAssertTrue(strict.stderr.contains("bounds violated"), strict.stderr)
        try Data("""
        {"name": "strict", "cycles": 30, "bounds": [{"metric": "utilization", "cycles": [20, 30], "range": [0.2, 0.3]}]}
        """.utf8).write(to: file)
        XCTAssertEqual(try run(sim + ["--strict"]).status, 0)
    }

    /// `pacer-sim --from-run`: a recorded run rebuilt and simulated beside itself, one row per cycle; the
    /// rebuilt program is a scenario file; what cannot be rebuilt is refused in one line.
    func testFromRun() throws {
        let runDir = temp.appendingPathComponent("run"), out = temp.appendingPathComponent("sim")
        let ran = try run(["run", "--workload", "lru-cache", "--scale", "small", "--pacer", "go121", "--out", runDir.path, "--quiet"])
        XCTAssertEqual(ran.status, 0, ran.stderr)
        let sim = try run(["pacer-sim", "--from-run", runDir.path, "--out", out.path])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        XCTAssertTrue(sim.stdout.contains("go121 on the program of") && sim.stdout.contains("mean error"), sim.stdout)
        let realRows = try String(contentsOf: runDir.appendingPathComponent("cycles.csv"), encoding: .utf8).split(separator: "\n").count
        let compared = try String(contentsOf: out.appendingPathComponent("from-run.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThan(realRows, 2)
        XCTAssertEqual(compared.count, realRows, "one row per recorded cycle, and the header")
        XCTAssertEqual(compared.first.map(String.init), "cycle,real_trigger_bytes,sim_trigger_bytes,real_goal_bytes,sim_goal_bytes,real_peak_bytes,sim_peak_bytes,real_marked_bytes,sim_marked_bytes,real_utilization,real_idle_utilization,sim_utilization")
        let again = try run(["pacer-sim", "--scenario-file", out.appendingPathComponent("scenario.json").path, "--pacer", "membalancer",
                             "--out", temp.appendingPathComponent("again").path])
        XCTAssertEqual(again.status, 0, again.stderr)
        // Another pacer on the same program, with a parameter of its own.
        XCTAssertEqual(try run(["pacer-sim", "--from-run", runDir.path, "--pacer", "go118", "--kp", "0.5", "--out", out.path]).status, 0)

        let o = ["--out", temp.appendingPathComponent("none").path]
        try assertRefused(["pacer-sim", "--from-run", temp.appendingPathComponent("missing").path] + o, mentions: "cannot read run configuration")
        try assertRefused(["pacer-sim", "--from-run", runDir.path, "--scenario", "steady"] + o, mentions: "does not go with --from-run")
        try assertRefused(["pacer-sim", "--from-run", runDir.path, "--kt", "0.3"] + o, mentions: "--kt does not apply to pacer go121")
        let gogcRun = temp.appendingPathComponent("gogc-run")
        XCTAssertEqual(try run(["run", "--workload", "lru-cache", "--scale", "small", "--pacer", "gogc", "--out", gogcRun.path, "--quiet"]).status, 0)
        try assertRefused(["pacer-sim", "--from-run", gogcRun.path] + o, mentions: "give --pacer NAME")
        XCTAssertEqual(try run(["pacer-sim", "--from-run", gogcRun.path, "--pacer", "go121", "--out", out.path]).status, 0)
        try Data("cycle,foo\n1,2\n".utf8).write(to: runDir.appendingPathComponent("cycles.csv"))
        try assertRefused(["pacer-sim", "--from-run", runDir.path] + o, mentions: "has no column start_ns")
    }

    /// `matrix --slurm N` runs nothing and writes a job array and a merge job; run by hand as Slurm would
    /// (each task with its SLURM_ARRAY_TASK_ID, then the merge), they give every run once. (.ci/slurm runs
    /// them on a real Slurm.)
    func testSlurmJobScripts() throws {
        let dir = temp.appendingPathComponent("cluster")
        let matrix = ["matrix", "--workloads", "gcbench,lru-cache", "--collectors", "stw", "--scale", "small", "--repeat", "2",
                      "--cache", temp.appendingPathComponent("minheap.csv").path]
        let written = try run(matrix + ["--slurm", "3", "--out", dir.path])
        XCTAssertEqual(written.status, 0, written.stderr)
        let array = try String(contentsOf: dir.appendingPathComponent("slurm/array.sh"), encoding: .utf8)
        let merge = try String(contentsOf: dir.appendingPathComponent("slurm/merge.sh"), encoding: .utf8)
        XCTAssertTrue(array.contains("#SBATCH --array=1-3"), array)
        XCTAssertTrue(array.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""), array)
        XCTAssertTrue(merge.contains(" merge ") && merge.contains("shard-3") && merge.contains(" summarize "), merge)
        XCTAssertTrue(written.stdout.contains("sbatch --dependency=afterok"), written.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path), "--slurm runs nothing here")

        func bash(_ script: String, task: Int?) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [dir.appendingPathComponent("slurm/\(script)").path]
            var env = ProcessInfo.processInfo.environment
            if let task { env["SLURM_ARRAY_TASK_ID"] = String(task) }
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        for task in 1...3 { XCTAssertEqual(try bash("array.sh", task: task), 0, "task \(task)") }
        XCTAssertEqual(try bash("merge.sh", task: nil), 0)
        let merged = try String(contentsOf: dir.appendingPathComponent("merged/summary.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst()
        let ids = merged.map { $0.split(separator: ",")[0] }
        XCTAssertEqual(ids.count, 4, "2 workloads x 2 repeats")
        XCTAssertEqual(Set(ids).count, 4, "each run once")

        let o = ["--out", temp.appendingPathComponent("none").path]
        try assertRefused(matrix + ["--submit"] + o, mentions: "--submit goes with --slurm")
        try assertRefused(matrix + ["--slurm", "0"] + o, mentions: "invalid --slurm")
        try assertRefused(matrix + ["--slurm", "5"] + o, mentions: "more array tasks than the matrix has runs (4)")
        try assertRefused(matrix + ["--slurm", "2", "--shard", "1/2"] + o, mentions: "neither --shard nor --resume")
    }

    func testOptionsThatMustBeRefused() throws {
        let out = temp.appendingPathComponent("out")
        let o = ["--out", out.path]
        try assertRefused(["run", "--threads", "2", "--threads", "4"] + o, mentions: "--threads given twice", out: out)
        try assertRefused(["run", "--verify", "--verify"] + o, mentions: "--verify given twice", out: out)
        try assertRefused(["run", "--gogc=50", "--gogc", "60"] + o, mentions: "--gogc given twice", out: out)
        try assertRefused(["run", "--heap-max", "1M", "--heap-minimum", "4M"] + o, mentions: "above --heap-max", out: out)
        try assertRefused(["run", "--heap-max", "128K", "--heap-minimum", "256K"] + o, mentions: "above --heap-max", out: out)
        try assertRefused(["run", "--collector", "concurrent", "--unsafe"] + o, mentions: "--unsafe needs --verify", out: out)
        try assertRefused(["pacer-sim", "--scenario", "steady", "--pacer", "go121", "--heap-minimum", "0"] + o, mentions: "--heap-minimum", out: out)
        try assertRefused(["tune", "--scenario", "steady", "--pacer", "go118", "--heap-minimum", "1000:2000:500"] + o,
                          mentions: "--heap-minimum", out: out)
        try assertRefused(["help", "--foo"], mentions: "gclab help")
        try assertRefused(["help", "run", "stw"], mentions: "gclab help")
        for size in ["1e9", "0.3K", "0x100000", "inf", "-1M"] {
            try assertRefused(["run", "--heap-max", size] + o, mentions: "invalid size", out: out)
        }
        try assertRefused(["run", "--gogc", "1e2"] + o, mentions: "invalid integer", out: out)
        try assertRefused(["pacer-sim", "--scenario", "steady", "--pacer", "go121", "--noise", "nan"] + o, mentions: "invalid number", out: out)
        try assertRefused(["run", "--collector", "treadmill", "--treadmill-k", "1e0"] + o, mentions: "invalid", out: out)
        try assertRefused(["stress", "--time", "1e3s"], mentions: "invalid duration")
    }

    func testAcceptedSyntaxRuns() throws {
        for command in ["run", "bench", "list", "pacer-sim", "tune", "matrix", "minheap", "summarize", "merge", "stress", "fuzz", "report"] {
            let help = try run(["help", command])
            XCTAssertEqual(help.status, 0, "help \(command): \(help.stderr)")
            XCTAssertTrue(help.stdout.contains("usage: gclab") || help.stdout.contains("gclab \(command)"), "help \(command): \(help.stdout)")
        }
        let out = temp.appendingPathComponent("run")
        let r = try run(["run", "--workload", "quads", "--scale", "small", "--heap-max", "1.5M", "--heap-minimum", "96K",
                         "--collector", "stw", "--verify", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8)
        XCTAssertTrue(summary.contains(",1572864,"), "1.5M is 1572864 bytes: \(summary)")
        // Without --heap-minimum, a --heap-max below the preset's minimum is taken as the minimum too.
        let parsed = try RunCommand.parse(OptionParser(["--heap-max", "2M"], valueOptions: RunCommand.valueOptions,
                                                       flagOptions: RunCommand.flagOptions))
        XCTAssertEqual(parsed.heap.minimumTriggerBytes, 2 << 20)
        XCTAssertEqual(parsed.heap.pacerConfig.heapMinimum, 2 << 20)
    }

    /// A destination that cannot be written is one line naming it and the system's reason, before any
    /// work: minheap fails before its first probe, and nothing else is created.
    func testUnwritableDestinationsAreOneLineBeforeAnyWork() throws {
        let bad = "/proc/gclab-no/such"
        let spec = temp.appendingPathComponent("spec.json")
        try Data(#"{"workloads": "quads", "scale": "small", "out": "/proc/gclab-no/such"}"#.utf8).write(to: spec)
        for args in [["run", "--workload", "quads", "--scale", "small", "--out", bad],
                     ["pacer-sim", "--scenario", "steady", "--pacer", "go121", "--out", bad],
                     ["tune", "--scenario", "steady", "--pacer", "go118", "--kp", "0.5:0.9:0.2", "--out", bad],
                     ["merge", "--out", bad, temp.path],
                     ["minheap", "--workload", "quads", "--scale", "small", "--cache", bad + "/minheap.csv"],
                     ["matrix", "--workloads", "quads", "--scale", "small", "--out", bad],
                     ["matrix", spec.path],
                     ["stress", "--runs", "1", "--out", bad]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("/proc/gclab-no") && r.stderr.contains("No such file or directory"), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain") || r.stderr.contains("probe"), "\(args): \(r.stderr)")
        }
        try assertRefused(["matrix", temp.appendingPathComponent("missing.json").path], mentions: "No such file or directory")
    }

    func testResumeRefusesAnotherMatrixAndLeavesTheResultsAlone() throws {
        let dir = temp.appendingPathComponent("mx")
        let spec = ["matrix", "--workloads", "quads", "--scale", "small", "--collectors", "stw,treadmill", "--out", dir.path, "--quiet"]
        XCTAssertEqual(try run(spec).status, 0)
        let summary = try Data(contentsOf: dir.appendingPathComponent("summary.csv"))
        let record = try Data(contentsOf: dir.appendingPathComponent("matrix.json"))
        try assertRefused(["matrix", "--workloads", "quads", "--scale", "small", "--collectors", "treadmill", "--out", dir.path, "--resume"],
                          mentions: "holds a different matrix")
        try assertRefused(spec + ["--resume", "--shard", "1/2"], mentions: "holds a different matrix")
        try assertRefused(spec, mentions: "already holds a matrix")
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("summary.csv")), summary)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("matrix.json")), record)
        // The same spec resumes (options that do not change the runs may differ).
        let resumed = try run(spec + ["--resume", "--timeout", "300"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("summary.csv")), summary)

        let missing = temp.appendingPathComponent("missing")
        try assertRefused(["matrix", "--scale", "small", "--out", missing.path, "--resume"], mentions: "does not exist", out: missing)
        let empty = temp.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertRefused(["matrix", "--scale", "small", "--out", empty.path, "--resume"], mentions: "holds no matrix")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty.path), [])
    }

    /// While a matrix holds DIR/matrix.lock, another refuses and names the holder's pid.
    func testALockedMatrixDirectoryIsRefused() throws {
        let dir = temp.appendingPathComponent("locked")
        let spec = ["matrix", "--workloads", "quads", "--scale", "small", "--collectors", "stw", "--out", dir.path, "--quiet"]
        XCTAssertEqual(try run(spec).status, 0)
        let fd = open(dir.appendingPathComponent("matrix.lock").path, O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0, "the finished matrix released its lock")
        _ = ftruncate(fd, 0)
        _ = "4242\n".withCString { write(fd, $0, 5) }
        try assertRefused(spec + ["--resume"], mentions: "in use by another gclab matrix (pid 4242)")
        let fresh = temp.appendingPathComponent("fresh")  // a second new matrix while the first has written nothing yet
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        let other = open(fresh.appendingPathComponent("matrix.lock").path, O_RDWR | O_CREAT, 0o644)
        defer { close(other) }
        XCTAssertEqual(flock(other, LOCK_EX | LOCK_NB), 0)
        _ = "4343\n".withCString { write(other, $0, 5) }
        try assertRefused(Array(spec.dropLast(3)) + ["--out", fresh.path, "--quiet"], mentions: "in use by another gclab matrix (pid 4343)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fresh.path), ["matrix.lock"])
        flock(fd, LOCK_UN)
        XCTAssertEqual(try run(spec + ["--resume"]).status, 0)
    }

    /// SIGKILL of a matrix kills its running child too (no orphan writing into runs/<id>).
    func testChildrenDieWithTheirMatrix() throws {
        let dir = temp.appendingPathComponent("killed")
        let p = Process()
        p.executableURL = GCLabProcess.binary
        p.arguments = ["matrix", "--workloads", "gcbench", "--scale", "large", "--collectors", "stw", "--out", dir.path, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        var child: pid_t?
        while child == nil && p.isRunning && Date() < deadline {
            child = processes(mentioning: dir.path).first { $0 != p.processIdentifier }
            usleep(10_000)
        }
        let started = try XCTUnwrap(child, "the matrix never started its run")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while kill(started, 0) == 0 && processes(mentioning: dir.path).contains(started) && Date() < gone { usleep(10_000) }
        XCTAssertFalse(processes(mentioning: dir.path).contains(started), "child \(started) outlived its matrix")
    }

    /// The pids whose command line mentions `text` (from /proc).
    func processes(mentioning text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let state = (try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            return state != "Z" && String(decoding: data, as: UTF8.self).contains(text) ? pid : nil
        }
    }

    func testMatrixSizeIsLimitedBeforeExpansion() throws {
        let out = temp.appendingPathComponent("huge")
        let gogc = (1...1000).map(String.init).joined(separator: ","), threads = (1...256).map(String.init).joined(separator: ",")
        try assertRefused(["matrix", "--gogc", gogc, "--threads", threads, "--repeat", "1000", "--out", out.path],
                          mentions: "more than 100000 runs", out: out)
        let spec = try MatrixSpec.parse(["--collectors", "stw,concurrent,treadmill", "--barriers", "yuasa,dijkstra", "--pacers", "gogc,go118",
                                         "--kp", "0.5,0.9", "--gogc", "50,100,200", "--repeat", "3"])
        XCTAssertEqual(MatrixPlan.countRuns(spec, limit: 100_000), try MatrixPlan(spec).runs.count)
        XCTAssertEqual(MatrixPlan.countRuns(try MatrixSpec.parse(["--gogc", gogc, "--threads", threads]), limit: 100_000), 100_001)
    }

    func testDuplicateKeysInASpecAreRefused() throws {
        let cases = [(#"{"gogc": 50, "gogc": 100}"#, "duplicate key \"gogc\""), (#"{"gogc": 50, "--gogc": 100}"#, "same option"),
                     (#"{"verify": 1}"#, "is a flag"), (#"["gogc"]"#, "JSON object"), (#"{"gogc": {"a": 1}}"#, "not an object")]
        for (i, (text, message)) in cases.enumerated() {
            let file = temp.appendingPathComponent("spec-\(i).json")
            try Data(text.utf8).write(to: file)
            let out = temp.appendingPathComponent("out-\(i)")
            try assertRefused(["matrix", file.path, "--out", out.path], mentions: message, out: out)
        }
    }

    /// A temporary whose writer died (SIGKILL) is removed by the next run in that directory; one whose
    /// writer lives is not. A registered temporary is removed on interruption.
    func testTemporariesOfDeadWritersAreRemoved() throws {
        let dir = temp.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let dead = dir.appendingPathComponent(".pauses.csv.tmp-2147483646"), alive = dir.appendingPathComponent(".heap.csv.tmp-\(getpid())")
        for f in [dead, alive] { try Data("partial".utf8).write(to: f) }
        let r = try run(["run", "--workload", "quads", "--scale", "small", "--collector", "stw", "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: alive.path))

        let registered = temp.appendingPathComponent(".x.tmp-\(getpid())")
        try Data().write(to: registered)
        TemporaryFiles.register(registered.path)
        TemporaryFiles.removeAll()
        TemporaryFiles.unregister(registered.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: registered.path))
    }

    /// SIGINT during a run ends it by that signal and leaves no temporary file behind.
    func testInterruptedRunLeavesNoTemporaries() throws {
        for attempt in 0..<3 {
            let dir = temp.appendingPathComponent("int-\(attempt)")
            let p = Process()
            p.executableURL = GCLabProcess.binary
            p.arguments = ["run", "--workload", "gcbench", "--collector", "stw", "--out", dir.path, "--quiet"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(useconds_t(200_000 + attempt * 150_000))
            kill(p.processIdentifier, SIGINT)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { XCTAssertEqual(p.terminationStatus, SIGINT) }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            XCTAssertFalse(left.contains { $0.contains(".tmp-") }, "\(left)")
        }
    }
}
