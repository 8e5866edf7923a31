// One run of `gclab stress`: a drawn configuration as a child `gclab run --verify` (ChildRun: timeout,
// stderr to a file), read back from the summary.csv it writes, and judged. A safe run passes only with
// status ok and exit status 0; an unsafe one is caught when the verifier found lost objects (status
// lost-objects) or stopped it (exit status 3, a verify-mode check), which is what it is run for.

import Foundation

/// What `gclab stress` makes of a run.
enum StressVerdict: String {
    /// A safe run ended ok.
    case pass
    /// A safe run lost objects, crashed, failed, ran out of heap or timed out.
    case fail
    /// An unsafe run: the verifier caught it losing objects.
    case caught
    /// An unsafe run ended ok: nothing lost (or no collection to lose anything in).
    case missed
    /// An unsafe run ended otherwise (a crash, a timeout, a self-check failure): listed, not a failure.
    case other
    /// The child refused the configuration as a usage error (exit status 2; e.g. producer-consumer's odd
    /// thread counts, which only the workload knows): not counted in any class.
    case refused
}

/// A finished run.
struct StressResult {
    var draw: StressDraw
    /// The run's status (summary.csv `status`), or how it ended without one: `verify-stopped`,
    /// `crash:<signal>`, `failed:<code>`, `timeout`, `refused`.
    var outcome: String
    /// The exit code, the signal's name, or `timeout`.
    var exitStatus: String
    /// Collections (summary.csv `gc_cycles`), nil without a summary.csv.
    var cycles: Int?
    /// Lost objects (summary.csv `lost_objects`), nil without a summary.csv.
    var lost: Int?
    var seconds: Double
    /// Why it did not end ok: the child's last error line (empty for ok).
    var reason: String
    var verdict: StressVerdict

    /// Whether at least one collection ran (a run stopped by a verify-mode check had one).
    var collected: Bool { (cycles ?? 0) > 0 || outcome == "verify-stopped" }
}

enum StressRun {
    /// Runs `draw` in `directory` (created; removed afterwards unless `keep` says to keep it).
    static func execute(_ draw: StressDraw, directory: URL, timeout: Double,
                        keep: (StressResult) -> Bool) throws -> StressResult {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stderrFile = directory.appendingPathComponent("stderr.txt")
        let outcome = try ChildRun.run(["run"] + draw.arguments + ["--quiet", "--out", directory.path],
                                       stderrFile: stderrFile, timeout: timeout)
        let result = judge(draw, end: outcome.end, seconds: outcome.seconds,
                           summary: (try? CSVFile.read(directory.appendingPathComponent("summary.csv")))?.records.first,
                           reason: { ChildRun.reason(stderrFile: stderrFile, end: outcome.end, timeout: timeout) })
        if !keep(result) { try? FileManager.default.removeItem(at: directory) }
        return result
    }

    /// The result of a child that ended with `end` and wrote `summary` (its summary.csv row), if any.
    static func judge(_ draw: StressDraw, end: ChildRun.End, seconds: Double, summary: [String: String]?,
                      reason: () -> String) -> StressResult {
        var outcome: String
        let exitStatus: String
        switch end {
        case .timedOut:
            outcome = "timeout"; exitStatus = "timeout"
        case .signaled(let signal):
            outcome = ChildRun.status(end); exitStatus = ChildRun.signalName(signal)
        case .exited(let code):
            exitStatus = String(code)
            if let status = summary?["status"] {
                outcome = status == "ok" && code != 0 ? "failed:\(code)" : status
            } else {
                outcome = code == 3 ? "verify-stopped" : code == 2 ? "refused" : ChildRun.status(end)
            }
        }
        let verdict: StressVerdict
        if outcome == "refused" {
            verdict = .refused
        } else if draw.safe {
            verdict = outcome == "ok" ? .pass : .fail
        } else {
            verdict = ["lost-objects", "verify-stopped"].contains(outcome) ? .caught : outcome == "ok" ? .missed : .other
        }
        return StressResult(draw: draw, outcome: outcome, exitStatus: exitStatus,
                            cycles: summary?["gc_cycles"].flatMap { Int($0) },
                            lost: summary?["lost_objects"].flatMap { Int($0) },
                            seconds: seconds, reason: outcome == "ok" ? "" : reason(), verdict: verdict)
    }
}
