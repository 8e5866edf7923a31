// A matrix's directory: who may write in it, and whether `--resume` continues the matrix it holds.
//
// - A new matrix refuses a directory that already holds one (summary.csv or matrix.json): finished
//   results are never overwritten by accident.
// - `--resume` needs a directory holding a matrix (matrix.json), and the same matrix: the same run ids
//   in the same order (a run id hashes its configuration) and the same shard. Options that do not change
//   the runs (--timeout, --quiet) may differ. Anything else is refused before a file is touched.
// - While a matrix runs, it holds an exclusive flock(2) on DIR/matrix.lock, which names its pid: a second
//   `gclab matrix` on the same directory (a resume started while the first still runs, or a new matrix)
//   refuses, naming the holder. The kernel drops the lock when the holder dies, however it dies, so a
//   killed matrix never leaves a stale lock; its children die with it (ParentDeath.swift).

import Foundation
import Glibc

enum MatrixDirectory {
    /// Checks made before anything is created: what `dir` holds against what was asked.
    static func check(_ dir: URL, resume: Bool) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue { throw UsageError("--out \(dir.path) exists and is not a directory") }
        let recorded = FileManager.default.fileExists(atPath: dir.appendingPathComponent("matrix.json").path)
        if resume {
            guard exists else { throw UsageError("--resume: \(dir.path) does not exist, so there is no matrix to continue (drop --resume to start one)") }
            guard recorded else {
                throw UsageError("--resume: \(dir.path) holds no matrix (no matrix.json), so there is nothing to continue (drop --resume to start one there)")
            }
        } else if recorded || FileManager.default.fileExists(atPath: dir.appendingPathComponent("summary.csv").path) {
            throw UsageError("--out \(dir.path) already holds a matrix: add --resume to continue it, or choose another directory")
        }
    }

    /// The lock's file descriptor, open for the life of the process (closing it would drop the lock).
    private nonisolated(unsafe) static var lockDescriptor: Int32 = -1

    /// Takes DIR/matrix.lock for this process, or refuses naming the pid that holds it.
    static func lock(_ dir: URL) throws {
        let path = dir.appendingPathComponent("matrix.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UsageError("--out \(dir.path): cannot open matrix.lock: \(OutputDirectory.systemReason())") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw UsageError("\(dir.path) is in use by another gclab matrix (pid \(holder.isEmpty ? "unknown" : holder)): "
                             + "wait for it to finish or stop it, then --resume")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        lockDescriptor = fd
    }

    /// For `--resume`: the matrix recorded in DIR/matrix.json must be this one.
    static func checkSameMatrix(_ plan: MatrixPlan, shard: (index: Int, count: Int)?, dir: URL) throws {
        let file = dir.appendingPathComponent("matrix.json")
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let runs = object["runs"] as? [[String: Any]] else {
            throw UsageError("--resume: \(file.path) is not a matrix record gclab can read; choose another --out")
        }
        let recorded = runs.map { $0["run_id"] as? String ?? "?" }
        let wanted = plan.runs.map(\.runId)
        let refuse = { (why: String) in
            UsageError("--resume: \(dir.path) holds a different matrix (\(why)): give the spec it was started with, or another --out")
        }
        if recorded != wanted {
            let first = (0..<min(recorded.count, wanted.count)).first { recorded[$0] != wanted[$0] } ?? min(recorded.count, wanted.count)
            let detail = first < min(recorded.count, wanted.count) ? "; run \(first + 1) is \(recorded[first]) there, \(wanted[first]) here" : ""
            throw refuse("\(recorded.count) runs recorded, \(wanted.count) in this spec\(detail)")
        }
        let recordedShard = object["shard"] as? String
        let wantedShard = shard.map { "\($0.index)/\($0.count)" }
        if recordedShard != wantedShard {
            throw refuse("it was started with --shard \(recordedShard ?? "none"), this one has \(wantedShard ?? "none")")
        }
    }
}
