// The loop of `gclab stress`: --jobs threads, each claiming the next draw index, running it and recording
// the result, until --runs are done, --time has passed or the user interrupts. SIGINT or SIGTERM stops
// drawing, kills the children under way (their runs are dropped, not counted) and still prints the
// report of the runs that finished; a second signal exits at once. Every failure is printed on stderr as
// it happens, a progress line every 10 s, and --out's stress.csv is rewritten atomically at most every
// 10 s and at the end.

import Foundation

final class StressLoop: @unchecked Sendable {
    let options: StressCommand.Options
    /// Where the children write: --out DIR/runs, or a scratch directory removed at the end.
    let runsDirectory: URL
    let scratch: Bool

    private let lock = NSLock()
    /// Serialises the writes of stress.csv (they share one temporary file name).
    private let writeLock = NSLock()
    private var nextIndex = 0
    private var results: [StressResult] = []
    private var stopReason: String?
    /// The signal that stopped the stress, if one did.
    private var interruptedBy: Int32?
    private var error: Error?
    private var lastWrite = Date()
    private var lastProgress = Date()
    private let start = Date()

    init(_ options: StressCommand.Options) {
        self.options = options
        if let out = options.out {
            runsDirectory = out.appendingPathComponent("runs")
            scratch = false
        } else {
            runsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gclab-stress-\(getpid())")
            scratch = true
        }
    }

    /// Runs the stress and prints the report. Returns the exit status: 1 when a safe run failed, else
    /// 128 + the signal when interrupted, else 0.
    func run() throws -> Int32 {
        let o = options
        print("\(o.space.command): "
              + [o.runs.map { "\($0) runs" }, o.seconds.map { "for \(MatrixCommand.duration($0))" }].compactMap { $0 }.joined(separator: " or ")
              + "; --jobs \(o.jobs), --timeout \(o.timeout) s, --scale \(o.space.scale)")
        try OutputDirectory.prepare(runsDirectory.path, what: "--out")
        defer { if scratch { try? FileManager.default.removeItem(at: runsDirectory) } }
        interceptSignals()
        let group = DispatchGroup()
        for _ in 0..<o.jobs {
            group.enter()
            Thread { [self] in
                defer { group.leave() }
                while let index = claim() {
                    do {
                        let draw = o.space.draw(index)
                        let result = try StressRun.execute(draw, directory: runsDirectory.appendingPathComponent(String(index + 1)),
                                                           timeout: o.timeout, keep: { !self.scratch && [.fail, .other].contains($0.verdict) })
                        record(result)
                    } catch {
                        fail(error)
                    }
                }
            }.start()
        }
        group.wait()
        if let error { throw error }
        let finished = lock.withLock { results }
        try writeCSV(finished)
        print(StressReport.text(finished, seed: o.space.seed, seconds: Date().timeIntervalSince(start), stopped: stopReason))
        if let out = o.out { print("results: \(out.appendingPathComponent("stress.csv").path)") }
        if finished.contains(where: { $0.verdict == .fail }) { return 1 }
        return lock.withLock { interruptedBy.map { 128 + $0 } ?? 0 }
    }

    /// The next draw index, or nil when the stress is over.
    private func claim() -> Int? {
        lock.withLock {
            if stopReason != nil { return nil }
            if let runs = options.runs, nextIndex >= runs { return nil }
            if let seconds = options.seconds, Date().timeIntervalSince(start) >= seconds { return nil }
            nextIndex += 1
            return nextIndex - 1
        }
    }

    private func record(_ result: StressResult) {
        lock.lock()
        // A child killed by the interrupt is not a crash of the collector.
        if stopReason != nil, result.exitStatus == "SIGKILL" { lock.unlock(); return }
        results.append(result)
        let snapshot = Date().timeIntervalSince(lastWrite) >= 10 ? results : nil
        if snapshot != nil { lastWrite = Date() }
        let progress = Date().timeIntervalSince(lastProgress) >= 10
        if progress { lastProgress = Date() }
        let count = results.count, failures = results.filter { $0.verdict == .fail }.count
        lock.unlock()
        if !options.quiet {
            if result.verdict == .fail { MatrixCommand.progress("stress: FAIL" + StressReport.line(result).dropFirst(1) + "\n") }
            if progress {
                MatrixCommand.progress("stress: \(count) runs, \(failures) failure\(failures == 1 ? "" : "s"), "
                                       + MatrixCommand.duration(Date().timeIntervalSince(start)) + "\n")
            }
        }
        if let snapshot {
            do { try writeCSV(snapshot) } catch { fail(error) }
        }
    }

    private func fail(_ error: Error) {
        lock.withLock {
            if self.error == nil { self.error = error }
            if stopReason == nil { stopReason = "stopped by an error" }
        }
    }

    private func writeCSV(_ results: [StressResult]) throws {
        guard let out = options.out else { return }
        try writeLock.withLock { try StressReport.table(results).write(to: out.appendingPathComponent("stress.csv")) }
    }

    /// SIGINT/SIGTERM: stop drawing, kill the children under way, report what finished; again: exit.
    private func interceptSignals() {
        onTerminationSignal { [self] sig in
            let again = lock.withLock { () -> Bool in
                defer { stopReason = "interrupted (\(ChildRun.signalName(sig)))"; interruptedBy = sig }
                return interruptedBy != nil
            }
            ChildRun.killRunning()
            if again { exit(128 + sig) }
        }
    }
}
