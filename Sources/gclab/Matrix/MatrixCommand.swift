// `gclab matrix`: runs every configuration of an experiment matrix, each as a child `gclab run` writing
// to DIR/runs/<run_id>/, and keeps DIR/summary.csv up to date after every run. The whole matrix is
// expanded and validated first: a bad spec exits with code 2 before anything is written. A failed run is
// recorded (status, reason) and the matrix goes on.

import ConcurrentGC
import Foundation
import Pacer

enum MatrixCommand {
    static var help: String { """
    usage: gclab matrix [SPEC.json] [options]
    Runs the cross product of the dimensions below, each run a child `gclab run --quiet`.
    dimensions (comma lists; default: what `gclab run` does):
      --workloads LIST   e.g. gcbench,lru-cache (default gcbench)
      --collectors LIST  \(CollectorKind.allCases.map(\.name).joined(separator: ",")) (default \(CollectorKind.runDefault))
      --barriers LIST    \(CollectorKind.names { !$0.traits.barriers.isEmpty }) only (the others run once, barrier n/a)
      --pacers LIST      gogc,\(PacerKind.allCases.map(\.rawValue).joined(separator: ",")): \(CollectorKind.names { !$0.traits.pacers.isEmpty }) only
    \(CollectorKind.allPlanOptions.map { o in
        let flag = "  --\(([o.name] + o.matrixAliases).joined(separator: "/")) LIST"
        // A long name gets its description on the next line, aligned with the others.
        let lead = flag.count < 21 ? flag.padding(toLength: 21, withPad: " ", startingAt: 0) : flag + "\n" + String(repeating: " ", count: 21)
        return lead + "\(CollectorKind.names { $0.traits.options.contains(o) }) only: \(o.summary)" }.joined(separator: "\n"))
      --gogc LIST  --threads LIST
      --heap LIST        sizes (64M) or multiples of the workload's minimum heap (2.5x; from the
                         min-heap cache, searched first if missing: see `gclab minheap`)
      --kp LIST, --ti LIST, --trigger-min LIST, ...
                         any pacer parameter of `gclab run` (only with the pacers that read it)
    passed to every run: --scale --seed --mark-workers --heap-minimum --verify --unsafe
    matrix options:
      --repeat N         runs of each configuration (default 1); run ids end in -1, -2, ...
      --out DIR          output directory (default results/matrix-<yyyyMMdd-HHmmss>)
      --resume           continue the matrix in DIR (the same spec: refused otherwise): skip runs whose
                         runs/<run_id>/summary.csv exists, run the others again
      --shard I/N        run only runs I, I+N, I+2N, ... of the full list (join with `gclab merge`)
      --timeout SEC      kill a run after SEC seconds, status timeout (default 600)
      --cache FILE       min-heap cache (default results/minheap.csv)
      --quiet            no progress lines
      --slurm N          run nothing here: write DIR/slurm/array.sh (a Slurm job array of N tasks, task i
                         running --shard i/N into DIR/shard-i) and DIR/slurm/merge.sh (gclab merge into
                         DIR/merged, then gclab summarize), and print them
      --submit           with --slurm: submit both with sbatch, the merge after the array (afterok)
      --report           at the end, write DIR/report.html and each run's report.html (gclab report)
    SPEC.json: {"workloads": ["gcbench"], "collectors": "stw,concurrent", "repeat": 3, "verify": true}
    (keys are the option names; flags on the command line override the file)
    At most \(MatrixPlan.maxRuns) runs (configurations x repeats), counted before anything is expanded.
    While it runs, DIR/matrix.lock holds its pid: a second matrix in DIR refuses. Its children die with it.
    Exit status 0 once every run is recorded, whatever its status; 2 for a bad spec (nothing written).
    """ }

    static func main(_ args: [String]) throws {
        let spec = try MatrixSpec.parse(args)
        if spec.help { print(help); return }
        var plan = try MatrixPlan(spec)
        let dir = URL(fileURLWithPath: spec.out ?? defaultDirectory(shard: spec.shard))
        if let tasks = spec.slurm {
            guard tasks <= plan.runs.count else {
                throw UsageError("--slurm \(tasks) asks for more array tasks than the matrix has runs (\(plan.runs.count))")
            }
            if plan.configs.contains(where: { $0.heapMultiple != nil }) {
                try OutputDirectory.prepareFile(spec.cache, what: "--cache")
                try plan.resolveHeaps(cache: URL(fileURLWithPath: spec.cache), timeout: spec.timeout, quiet: spec.quiet)
            }
            try SlurmJob.write(spec, tasks: tasks, submit: spec.submit, dir: dir.standardizedFileURL)
            return
        }
        // Everything that can be refused is refused before a file is created (MatrixDirectory.swift).
        try MatrixDirectory.check(dir, resume: spec.resume)
        if plan.configs.contains(where: { $0.heapMultiple != nil }) { try OutputDirectory.prepareFile(spec.cache, what: "--cache") }
        try OutputDirectory.prepare(dir.path, what: "--out")
        try MatrixDirectory.lock(dir)
        if spec.resume { try MatrixDirectory.checkSameMatrix(plan, shard: spec.shard, dir: dir) }
        TemporaryFiles.removeStaleTemporaries(in: dir)
        ChildRun.stopChildOnInterrupt()
        try plan.resolveHeaps(cache: URL(fileURLWithPath: spec.cache), timeout: spec.timeout, quiet: spec.quiet)

        let runs = plan.runs.filter { run in spec.shard.map { run.index % $0.count == $0.index - 1 } ?? true }
        try OutputDirectory.prepare(dir.appendingPathComponent("runs").path, what: "--out")
        try MatrixSummary.writePlan(plan, command: args, shard: spec.shard, selected: Set(runs.map(\.index)), to: dir)

        var rows: [[String]?] = runs.map { spec.resume ? resultRow($0, plan: plan, dir: dir, end: nil, timeout: spec.timeout) : nil }
        let reused = rows.compactMap { $0 }.count
        try MatrixSummary.write(rows.compactMap { $0 }, gainColumns: plan.gainColumns, to: dir)
        if reused > 0 && !spec.quiet { progress("resuming \(dir.path): \(reused) of \(runs.count) runs already done\n") }

        let start = Date()
        var executed = 0
        for (i, run) in runs.enumerated() where rows[i] == nil {
            if !spec.quiet { progress("[\(i + 1)/\(runs.count)] \(label(run, plan: plan)) ... ") }
            let runDir = dir.appendingPathComponent("runs").appendingPathComponent(run.runId)
            try OutputDirectory.prepare(runDir.path, what: "--out")
            TemporaryFiles.removeStaleTemporaries(in: runDir)  // an interrupted attempt's (its writer is dead)
            let outcome = try ChildRun.run(["run"] + run.config.arguments(out: runDir.path),
                                           stderrFile: runDir.appendingPathComponent("stderr.txt"), timeout: spec.timeout)
            let row = resultRow(run, plan: plan, dir: dir, end: outcome.end, timeout: spec.timeout)!
            rows[i] = row
            try MatrixSummary.write(rows.compactMap { $0 }, gainColumns: plan.gainColumns, to: dir)
            executed += 1
            if !spec.quiet {
                let left = rows.filter { $0 == nil }.count
                let eta = left == 0 ? "" : ", ETA " + duration(Date().timeIntervalSince(start) / Double(executed) * Double(left))
                progress("\(status(of: row, plan: plan)) " + String(format: "%.1f s", outcome.seconds) + eta + "\n")
            }
        }
        if spec.report {
            let page = try ReportCommand.write(dir)
            if !spec.quiet { progress("report: \(page)\n") }
        }
        if !spec.quiet {
            let statuses = rows.compactMap { $0 }.map { status(of: $0, plan: plan) }
            let counts = Dictionary(grouping: statuses, by: { $0 }).map { "\($0.value.count) \($0.key)" }.sorted()
            print("matrix: \(runs.count) run\(runs.count == 1 ? "" : "s") (\(counts.joined(separator: ", "))) in \(duration(Date().timeIntervalSince(start))); "
                  + "summary: \(dir.appendingPathComponent("summary.csv").path)")
        }
    }

    /// The summary row of `run` from its directory: the child's summary.csv if it wrote one, else how it
    /// ended (`end`); nil when it has not run (resume).
    static func resultRow(_ run: MatrixRun, plan: MatrixPlan, dir: URL, end: ChildRun.End?, timeout: Double) -> [String]? {
        let runDir = dir.appendingPathComponent("runs").appendingPathComponent(run.runId)
        let child = (try? CSVFile.read(runDir.appendingPathComponent("summary.csv")))?.records.first
        guard child != nil || end != nil else { return nil }
        let status = child?["status"] ?? ChildRun.status(end!)
        let reason = status == "ok" ? "" : ChildRun.reason(stderrFile: runDir.appendingPathComponent("stderr.txt"), end: end, timeout: timeout)
        return MatrixSummary.row(run, gainColumns: plan.gainColumns, child: child, status: status, reason: reason)
    }

    static func status(of row: [String], plan: MatrixPlan) -> String {
        row[MatrixSummary.header(gainColumns: plan.gainColumns).firstIndex(of: "status")!]
    }

    /// `gcbench concurrent/yuasa/go121 t=2 gogc=50 #2`: what the progress line shows of a run.
    static func label(_ run: MatrixRun, plan: MatrixPlan) -> String {
        guard let c = run.config.run else { return run.config.description }
        var words = [c.workload, ([c.collector.name] + (c.barrier == "n/a" ? [] : [c.barrier]) + [c.pacer]).joined(separator: "/"), "t=\(c.threads)"]
        words += plan.varyingKeys.filter { !["workload", "collector", "barrier", "pacer", "threads"].contains($0) }
            .compactMap { key in run.config.value(key).map { "\(key)=\($0)" } }
        if plan.repeats > 1 { words.append("#\(run.repeatIndex)") }
        return words.joined(separator: " ")
    }

    static func defaultDirectory(shard: (index: Int, count: Int)?) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return "results/matrix-\(f.string(from: Date()))" + (shard.map { "-shard\($0.index)of\($0.count)" } ?? "")
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        if seconds < 90 { return String(format: "%.0f s", seconds) }
        if seconds < 5400 { return String(format: "%.0f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3600)
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
