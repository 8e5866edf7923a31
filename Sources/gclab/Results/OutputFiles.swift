// Where results go, checked before any work starts, and what an interruption leaves behind.
//
// Every command that writes (`run --out`, `tune --out`, `pacer-sim --out`, a matrix's `--out` or its
// spec's "out", `merge --out`, `stress --out`, the min-heap `--cache`) prepares its destination first:
// the directory is created (with its parents) and a probe file written and removed there, so that a path
// that cannot be written is one line naming the path and the system's reason (exit 2), before a single
// probe or run — not a Foundation error dump after minutes of work.
//
// Files are written atomically (CSVTable+Files.swift): a temporary `.NAME.tmp-PID` beside the final
// name, then a rename. The temporaries being written are registered here, so that SIGINT or SIGTERM
// removes them before the process dies (`removeTemporariesOnInterrupt`), and a temporary whose writer is
// gone (killed with SIGKILL, which no handler sees) is removed by the next run or resume writing in that
// directory (`removeStaleTemporaries`): the pid in its name says whose it is.

import Foundation
import Glibc

enum OutputDirectory {
    /// Creates `path` (and its parents) if needed and checks that a file can be written in it.
    /// `what` names the option in the message, e.g. "--out".
    static func prepare(_ path: String, what: String) throws {
        guard !path.isEmpty else { throw UsageError("\(what) needs a directory") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UsageError("\(what) \(path) exists and is not a directory") }
        } else {
            try makeDirectories(path, what: what)
        }
        let probe = path + "/.gclab-write-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UsageError("\(what) \(path): cannot write there: \(systemReason())") }
        close(fd)
        unlink(probe)
    }

    /// For a file gclab reads and rewrites (the min-heap cache): its directory is prepared, and an
    /// existing file must be readable and writable.
    static func prepareFile(_ path: String, what: String) throws {
        let url = URL(fileURLWithPath: path)
        try prepare(url.deletingLastPathComponent().path, what: what)
        if FileManager.default.fileExists(atPath: path) {
            guard access(path, R_OK | W_OK) == 0 else { throw UsageError("\(what) \(path): \(systemReason())") }
        }
    }

    /// `mkdir -p`, with the system's reason for the first component that fails.
    private static func makeDirectories(_ path: String, what: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw UsageError("\(what) \(path): cannot create \(String(prefix.dropLast())): \(systemReason())")
            }
        }
    }

    static func systemReason() -> String { String(cString: strerror(errno)) }
}

enum TemporaryFiles {
    /// The temporary files this process is writing now.
    private static let live = LockedValue(Set<String>())

    /// The temporary name for `url`: hidden, beside it, naming this process.
    static func temporary(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    }

    static func register(_ path: String) { live.withLock { _ = $0.insert(path) } }
    static func unregister(_ path: String) { live.withLock { _ = $0.remove(path) } }

    /// Removes every temporary file being written (from a signal handler's queue, before exiting).
    static func removeAll() {
        for path in live.withLock({ $0 }) { unlink(path) }
    }

    /// Removes the `.NAME.tmp-PID` files in `directory` whose process no longer runs.
    static func removeStaleTemporaries(in directory: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(".") {
            guard let range = name.range(of: ".tmp-", options: .backwards), let pid = Int32(name[range.upperBound...]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                unlink(directory.appendingPathComponent(name).path)
            }
        }
    }

    /// On SIGINT or SIGTERM: remove the temporaries being written, then die of the same signal (so a
    /// parent sees the process killed by it, as without the handler).
    static func removeTemporariesOnInterrupt() {
        onTerminationSignal { sig in
            removeAll()
            signal(sig, SIG_DFL)
            kill(getpid(), sig)
            usleep(200_000)  // the signal may be blocked in this thread: exit as the shell would report it
            _exit(128 + sig)
        }
    }
}

/// The signal sources installed by `onTerminationSignal` (kept alive for the process's life).
private nonisolated(unsafe) var terminationSignalSources: [DispatchSourceSignal] = []

/// Runs `handler` (on a Dispatch queue, not in a signal handler) on SIGINT and on SIGTERM, in place of
/// their default action.
func onTerminationSignal(_ handler: @escaping (Int32) -> Void) {
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { handler(sig) }
        source.resume()
        terminationSignalSources.append(source)
    }
}
