// One `gclab run` as a child process of this same executable, for `gclab matrix`, `gclab minheap` and `gclab stress`.
// A child keeps a crash, a hang or a heap exhaustion from taking the whole matrix down: it is killed after
// a timeout, and its exit (code, signal or timeout) and the last line it wrote on stderr become the run's
// status and reason. Its stderr goes to a file (no pipe to drain, and a record of what went wrong).

import Foundation

enum ChildRun {
    /// How a child ended.
    enum End: Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
    }

    struct Outcome {
        var end: End
        var seconds: Double
    }

    /// This executable: /proc/self/exe, or argv[0] made absolute.
    static let executable: URL = {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0], relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }()

    /// Runs `gclab <arguments>`, stdout discarded, stderr into `stderrFile`; kills it after `timeout` seconds.
    static func run(_ arguments: [String], stderrFile: URL, timeout: Double) throws -> Outcome {
        guard FileManager.default.createFile(atPath: stderrFile.path, contents: nil) else {
            throw OutputError(message: "could not create \(stderrFile.path)")
        }
        let stderr = try FileHandle(forWritingTo: stderrFile)
        defer { try? stderr.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[ParentDeath.environmentKey] = String(getpid())  // the child dies with this process
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        let start = Date()
        try process.run()
        let pid = process.processIdentifier
        running.withLock { _ = $0.insert(pid) }
        defer { running.withLock { _ = $0.remove(pid) } }
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        let end: End = timedOut ? .timedOut
            : process.terminationReason == .uncaughtSignal ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
        return Outcome(end: end, seconds: Date().timeIntervalSince(start))
    }

    /// The status of a run that wrote no summary.csv: `timeout`, `crash:<signal>` or `failed:<exit code>`.
    static func status(_ end: End) -> String {
        switch end {
        case .timedOut: return "timeout"
        case .signaled(let signal): return "crash:" + signalName(signal)
        case .exited(let code): return "failed:\(code)"
        }
    }

    /// Why a run failed: the child's last error line on stderr (a `gclab: error:` line or a Swift runtime
    /// `Fatal error`, else simply the last line), or a description of how it ended.
    static func reason(stderrFile: URL, end: End?, timeout: Double) -> String {
        let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let marked = lines.last { $0.hasPrefix("gclab: error:") || $0.contains("Fatal error") || $0.contains("Precondition failed") }
        if var line = marked ?? lines.last {
            if line.hasPrefix("gclab: error: ") { line.removeFirst("gclab: error: ".count) }
            return String(line.prefix(300))
        }
        switch end {
        case .timedOut?: return "still running after \(timeout) s (--timeout); killed"
        case .signaled(let s)?: return "killed by \(signalName(s))"
        case .exited(0)?: return "exited without writing summary.csv"
        case .exited(let code)?: return "exited with status \(code) and no message"
        case nil: return ""
        }
    }

    static func signalName(_ signal: Int32) -> String {
        [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
         SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT"][signal] ?? "signal \(signal)"
    }

    /// The children running now (`gclab stress --jobs` runs several), for the interrupt handlers.
    private static let running = LockedValue(Set<pid_t>())

    /// Kills every child running now (SIGKILL); their `run` calls return `.signaled(SIGKILL)`.
    static func killRunning() {
        for pid in running.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
    /// On SIGINT or SIGTERM, kills the running child too before exiting (128 + signal), so that
    /// stopping a matrix leaves no orphan run behind. Results written so far stay valid.
    static func stopChildOnInterrupt() {
        onTerminationSignal { sig in
            killRunning()
            TemporaryFiles.removeAll()
            exit(128 + sig)
        }
    }
}

/// A value behind a lock.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
