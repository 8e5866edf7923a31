// `gclab matrix ... --slurm N [--submit]`: the matrix as a Slurm job array instead of a local run.
//
// It writes DIR/slurm/array.sh, a job array of N tasks in which task i runs `gclab matrix` on the same
// matrix with `--shard i/N --out DIR/shard-i`, and DIR/slurm/merge.sh, which joins the shards' summaries
// with `gclab merge` into DIR/merged, prints `gclab summarize` of it and writes its `gclab report`; it prints both scripts so they
// can be adapted to a site (partition, time limit, account: add #SBATCH lines). With --submit it submits
// them with sbatch, the merge job with --dependency=afterok on the array, and prints the job ids.
// The matrix is expanded and validated first, and heap multiples are resolved here into the min-heap
// cache, so that every task expands the same runs and none searches a minimum heap of its own.
// Invariant: every run of the matrix is in exactly one shard (run i in shard i mod N + 1), so the merged
// summary has each run once.

import Foundation

enum SlurmJob {
    /// Most array tasks (Slurm's default MaxArraySize is 1001).
    static let maxTasks = 1000

    /// Writes (and with `submit`, submits) the job scripts for `spec`, already validated as `plan`.
    static func write(_ spec: MatrixSpec, tasks: Int, submit: Bool, dir: URL) throws {
        let slurm = dir.appendingPathComponent("slurm")
        try OutputDirectory.prepare(slurm.path, what: "--out")
        let gclab = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let base = try spec.commandLine()
        let shard = dir.path + "/shard-${SLURM_ARRAY_TASK_ID}"
        let array = """
        #!/bin/bash
        #SBATCH --job-name=gclab-matrix
        #SBATCH --array=1-\(tasks)
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=2
        #SBATCH --output=\(slurm.path)/task-%a.out
        # One shard of the matrix per array task (written by gclab matrix --slurm; add your site's
        # partition, time limit and account as #SBATCH lines).
        set -euo pipefail
        exec \(quote(gclab)) matrix \(base.map(quote).joined(separator: " ")) --shard "${SLURM_ARRAY_TASK_ID}/\(tasks)" --out "\(shard)" --quiet

        """
        let shards = (1...tasks).map { quote(dir.path + "/shard-\($0)") }.joined(separator: " ")
        let merge = """
        #!/bin/bash
        #SBATCH --job-name=gclab-merge
        #SBATCH --ntasks=1
        #SBATCH --output=\(slurm.path)/merge.out
        # After every task of the array (sbatch --dependency=afterok:ARRAY_JOB_ID): the shards' summaries
        # joined into one, its summary table, and DIR/merged/report.html.
        set -euo pipefail
        \(quote(gclab)) merge \(shards) --out \(quote(dir.path + "/merged"))
        \(quote(gclab)) summarize \(quote(dir.path + "/merged"))
        \(quote(gclab)) report \(quote(dir.path + "/merged"))

        """
        let arrayPath = slurm.appendingPathComponent("array.sh"), mergePath = slurm.appendingPathComponent("merge.sh")
        try writeAtomically(array, to: arrayPath)
        try writeAtomically(merge, to: mergePath)
        chmod(arrayPath.path, 0o755)
        chmod(mergePath.path, 0o755)
        print("== \(arrayPath.path)\n\(array)== \(mergePath.path)\n\(merge)")
        guard submit else {
            print("submit with: sbatch \(arrayPath.path), then sbatch --dependency=afterok:<its job id> \(mergePath.path)")
            return
        }
        let arrayJob = try sbatch([arrayPath.path])
        let mergeJob = try sbatch(["--dependency=afterok:\(arrayJob)", mergePath.path])
        print("submitted: array job \(arrayJob) (\(tasks) tasks), merge job \(mergeJob); merged summary: \(dir.path)/merged/summary.csv")
    }

    /// Runs `sbatch --parsable ARGS` and returns the job id.
    private static func sbatch(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sbatch", "--parsable"] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw UsageError("--submit: cannot run sbatch: \(error.localizedDescription)") }
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let id = o.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard p.terminationStatus == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let why = e.split(separator: "\n").first.map(String.init) ?? "exit status \(p.terminationStatus)"
            throw UsageError("--submit: sbatch \(args.last ?? "") failed: \(why)")
        }
        return id
    }

    /// `text` as one shell word.
    static func quote(_ text: String) -> String {
        text.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=,:+@%".contains($0) }) && !text.isEmpty
            ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension MatrixSpec {
    /// The matrix as `gclab matrix` options, without --out, --shard, --resume and the Slurm options:
    /// what every array task runs. Paths are made absolute (a task may start elsewhere).
    func commandLine() throws -> [String] {
        var args: [String] = []
        for (name, _) in MatrixSpec.dimensions { if let items = lists[name] { args += ["--\(name)", items.joined(separator: ",")] } }
        for name in MatrixSpec.passThrough { if let v = singles[name] { args += ["--\(name)", v] } }
        for flag in MatrixSpec.runFlags where runFlags.contains(flag) { args.append("--\(flag)") }
        args += ["--repeat", String(repeats), "--timeout", decimal(timeout)]
        args += ["--cache", URL(fileURLWithPath: cache).standardizedFileURL.path]
        return args
    }

    private func decimal(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
}
