// `gclab minheap`: the smallest --heap-max a workload completes in (status ok), found by a binary search
// in which every probe is a child `gclab run`. Heap sizes relative to this minimum (`gclab matrix --heap
// 2.5x`) compare collectors at the same memory pressure across workloads. The result goes to the
// min-heap cache (MinHeapCache.swift).

import ConcurrentGC
import Foundation

enum MinHeapCommand {
    static let searchOptions: Set<String> = ["lo", "hi", "precision", "timeout", "cache"]
    static var valueOptions: Set<String> { RunCommand.valueOptions.subtracting(["heap-max", "out"]).union(searchOptions) }
    static let flagOptions: Set<String> = ["verify", "unsafe", "help", "quiet"]

    static let help = """
    usage: gclab minheap --workload NAME [gclab run options] [--lo SIZE] [--hi SIZE] [--precision P]
    Binary search over --heap-max for the smallest heap the workload completes in (status ok); every
    probe is a `gclab run`. Prints the size and stores it in the min-heap cache, keyed by workload, scale,
    threads and collector (`gclab matrix --heap 2.5x` reads it).
      --lo SIZE        smallest size tried (default: the smallest heap, \(MinHeapSearch.smallest) bytes)
      --hi SIZE        largest size tried; the workload must complete in it (default 1G)
      --precision P    stop when the result is within this fraction of the true minimum (default 0.05)
      --timeout SEC    kill a probe after SEC seconds; it counts as not completing (default 600)
      --cache FILE     the cache (default results/minheap.csv)
      --quiet          no probe lines, only the result
    """

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: valueOptions, flagOptions: flagOptions)
        if o.flag("help") { print(help); return }
        guard o.string("workload") != nil else { throw UsageError("--workload is required (`gclab list` shows them)") }
        var runOptions: [String] = []
        for name in RunCommand.valueOptions.subtracting(["heap-max", "out"]).sorted() {
            if let v = o.string(name) { runOptions += ["--" + name, v] }
        }
        for flag in ["verify", "unsafe"] where o.flag(flag) { runOptions.append("--" + flag) }
        let sizes = MinHeapSearch.smallest...HeapConfiguration.largestHeapMaxBytes
        let lo = try o.bytes("lo", default: MinHeapSearch.smallest, range: sizes)
        let hi = try o.bytes("hi", default: 1 << 30, range: sizes)
        guard lo < hi else { throw UsageError("--lo \(lo) must be below --hi \(hi)") }
        let precision = try o.double("precision", default: 0.05, range: 0.001...1)
        let timeout = try o.double("timeout", default: 600, range: 0.001...1e9)
        let cache = URL(fileURLWithPath: o.string("cache") ?? "results/minheap.csv")
        let validation = try OptionParser(runOptions + ["--heap-max", String(hi), "--out", MatrixPlan.validationOut],
                                          valueOptions: RunCommand.valueOptions, flagOptions: RunCommand.flagOptions)
        let run = try RunCommand.parse(validation).run
        let key = MinHeapKey(workload: run.workload, scale: run.scale, threads: run.threads, collector: run.collector.name)
        try OutputDirectory.prepareFile(cache.path, what: "--cache")
        _ = try MinHeapCache.read(cache)  // a broken cache is refused before the search, not after it
        ChildRun.stopChildOnInterrupt()

        let result = try MinHeapSearch.search(key, runOptions: runOptions, lo: lo, hi: hi, precision: precision,
                                              timeout: timeout, quiet: o.flag("quiet"))
        try MinHeapCache.store(key, bytes: result.bytes, precision: precision, in: cache)
        print("min heap of \(key): \(result.bytes) bytes (\(String(format: "%.2f", Double(result.bytes) / 1048576)) MiB), "
              + "within " + String(format: "%g%%", precision * 100) + " after \(result.probes) probes; cached in \(cache.path)")
    }
}

enum MinHeapSearch {
    /// The smallest --heap-max `gclab run` accepts.
    static let smallest = 4 * HeapGeometry.blockBytes

    struct Result { var bytes: Int; var probes: Int }

    /// The workload did not complete even in the largest heap tried.
    struct NeverCompletes: Error, CustomStringConvertible { var description: String }

    /// The cached minimum of `key`, or a search (default bounds, precision 0.05) whose result is cached.
    static func cachedOrSearch(_ key: MinHeapKey, cache: URL, timeout: Double, quiet: Bool) throws -> Int {
        if let bytes = try MinHeapCache.lookup(key, in: cache) { return bytes }
        if !quiet { MatrixCommand.progress("min heap of \(key) is not in \(cache.path): searching\n") }
        let options = ["--workload", key.workload, "--scale", key.scale, "--threads", String(key.threads), "--collector", key.collector]
        let result = try search(key, runOptions: options, lo: smallest, hi: 1 << 30, precision: 0.05, timeout: timeout, quiet: quiet)
        try MinHeapCache.store(key, bytes: result.bytes, precision: 0.05, in: cache)
        return result.bytes
    }

    /// Smallest size in lo...hi with status ok, to within `precision`: the answer `hi` completed, a size
    /// `lo` >= hi / (1 + precision) did not. Probes at geometric midpoints (4 KiB multiples), so the
    /// number of probes grows with log log(hi/lo).
    static func search(_ key: MinHeapKey, runOptions: [String], lo: Int, hi: Int, precision: Double,
                       timeout: Double, quiet: Bool) throws -> Result {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gclab-minheap-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        var probes = 0
        var lastFailure = ""
        func completes(_ bytes: Int) throws -> Bool {
            probes += 1
            let out = temp.appendingPathComponent("probe-\(probes)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            if !quiet { MatrixCommand.progress("  probe \(probes): --heap-max \(bytes) ... ") }
            let stderr = out.appendingPathComponent("stderr.txt")
            let outcome = try ChildRun.run(["run"] + runOptions + ["--heap-max", String(bytes), "--quiet", "--out", out.path],
                                           stderrFile: stderr, timeout: timeout)
            let status = (try? CSVFile.read(out.appendingPathComponent("summary.csv")))?.records.first?["status"]
                ?? ChildRun.status(outcome.end)
            if status != "ok" { lastFailure = "\(status): " + ChildRun.reason(stderrFile: stderr, end: outcome.end, timeout: timeout) }
            if !quiet { MatrixCommand.progress("\(status) " + String(format: "%.1f s", outcome.seconds) + "\n") }
            return status == "ok"
        }
        guard try completes(hi) else {
            throw NeverCompletes(description: "\(key) does not complete with --heap-max \(hi) (\(lastFailure)); raise --hi")
        }
        if try completes(lo) { return Result(bytes: lo, probes: probes) }
        var (lo, hi) = (lo, hi)
        while Double(hi) > Double(lo) * (1 + precision) {
            var mid = Int((Double(lo) * Double(hi)).squareRoot()) / 4096 * 4096
            if mid <= lo || mid >= hi { mid = lo + (hi - lo) / 2 }
            if mid <= lo || mid >= hi { break }
            if try completes(mid) { hi = mid } else { lo = mid }
        }
        return Result(bytes: hi, probes: probes)
    }
}
