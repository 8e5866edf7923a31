// The min-heap cache (results/minheap.csv): the smallest --heap-max each workload completed in, found by
// `gclab minheap`, keyed by workload, scale, threads and collector. `gclab matrix --heap 2.5x` reads it,
// so heap sizes can be given relative to each workload's needs. Rewritten atomically on every update.

import Foundation
import Pacer

struct MinHeapKey: Hashable, CustomStringConvertible {
    var workload: String
    var scale: String
    var threads: Int
    var collector: String

    var description: String { "\(workload) (scale \(scale), \(threads) thread\(threads == 1 ? "" : "s"), \(collector))" }
}

enum MinHeapCache {
    static let columns = ["workload", "scale", "threads", "collector", "min_heap_bytes", "precision"]

    /// Every entry: key → (bytes, precision). A missing file is an empty cache.
    static func read(_ url: URL) throws -> [MinHeapKey: (bytes: Int, precision: String)] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let file = try CSVFile.read(url)
        guard file.header == columns else {
            throw UsageError("\(url.path) is not a min-heap cache (expected the columns \(columns.joined(separator: ",")))")
        }
        var entries: [MinHeapKey: (bytes: Int, precision: String)] = [:]
        for r in file.records {
            guard let threads = Int(r["threads"]!), let bytes = Int(r["min_heap_bytes"]!) else {
                throw UsageError("\(url.path): malformed row for \(r["workload"]!)")
            }
            entries[MinHeapKey(workload: r["workload"]!, scale: r["scale"]!, threads: threads, collector: r["collector"]!)] = (bytes, r["precision"]!)
        }
        return entries
    }

    static func lookup(_ key: MinHeapKey, in url: URL) throws -> Int? { try read(url)[key]?.bytes }

    /// Sets one entry (read, update, write atomically; the directory is created if needed).
    static func store(_ key: MinHeapKey, bytes: Int, precision: Double, in url: URL) throws {
        var entries = try read(url)
        entries[key] = (bytes, String(precision))
        var table = CSVTable(columns)
        for (k, v) in entries.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            table.append([k.workload, k.scale, k.threads, k.collector, v.bytes, v.precision])
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try table.write(to: url)
    }
}
