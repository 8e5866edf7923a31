// `gclab run`: one experiment. Runs a workload on a heap, prints a short summary and writes the run's
// CSV files (see results/README.md).

import ConcurrentGC
import Foundation
import Workloads

enum RunCommand {
    static let valueOptions: Set<String> = ["workload", "scale", "collector", "threads", "gogc", "heap-max", "seed", "out",
                                            "barrier", "roots", "mark-workers", "incremental-k"]
    static let flagOptions: Set<String> = ["verify", "help", "quiet", "unsafe"]

    static let help = """
    usage: gclab run [options]
      --workload NAME   workload to run (default gcbench; `gclab list` shows all)
      --scale S         small | default | large (default: default)
      --collector NAME  \(CollectorKind.allCases.map(\.rawValue).joined(separator: " | ")) (default concurrent)
      --barrier NAME    concurrent collector's write barrier: dijkstra | yuasa (satb) | hybrid | steele | none
                        (default yuasa; none needs --unsafe)
      --roots MODE      stw | handshake: roots scanned in the mark-start pause or by each thread (default stw)
      --mark-workers N  background mark threads, 0...64; 0 = incremental (default 1)
      --incremental-k K bytes a mutator scans per byte it allocates while marking (default 2)
      --unsafe          allow configurations that lose objects (barrier none, yuasa with handshakes)
      --threads N       mutator threads, 1...256 (default 1)
      --gogc N          heap growth between collections, percent of live (default 100)
      --heap-max SIZE   most memory the heap may commit, e.g. 512M, 2G (default 1G)
      --seed N          random seed for workloads that use one (default 1)
      --verify          run the checkmark verifier after every mark; poison freed memory
      --out DIR         output directory (default: a new folder under results/)
      --quiet           print nothing but errors
    """

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: valueOptions, flagOptions: flagOptions)
        if o.flag("help") { print(help); return }
        let workloadName = o.string("workload") ?? "gcbench"
        guard let workloadType = WorkloadRegistry.named(workloadName) else {
            throw UsageError("unknown workload '\(workloadName)' (known: \(WorkloadRegistry.all.map { $0.name }.joined(separator: ", ")))")
        }
        let scaleName = try o.choice("scale", WorkloadScale.allCases.map(\.rawValue), default: "default")
        let collectorName = try o.choice("collector", CollectorKind.allCases.map(\.rawValue), default: CollectorKind.concurrent.rawValue)
        var config = HeapConfiguration()
        config.collector = CollectorKind(rawValue: collectorName)!
        let barrierName = o.string("barrier") ?? "yuasa"
        guard let barrier = BarrierKind(name: barrierName) else {
            throw UsageError("invalid value '\(barrierName)' for --barrier (expected one of: dijkstra, yuasa, satb, hybrid, steele, none)")
        }
        config.barrier = barrier
        config.roots = RootsMode(rawValue: try o.choice("roots", RootsMode.allCases.map(\.rawValue), default: "stw"))!
        config.markWorkers = try o.int("mark-workers", default: 1, range: 0...64)
        config.assistRatio = try o.double("incremental-k", default: 2.0, range: 0...1_000_000)
        config.allowUnsafe = o.flag("unsafe")
        if config.collector == .stw && (o.string("barrier") != nil || o.string("roots") != nil || o.string("mark-workers") != nil) {
            throw UsageError("--barrier, --roots and --mark-workers apply to --collector concurrent only")
        }
        if config.collector == .concurrent && config.markWorkers == 0 && config.assistRatio == 0 {
            throw UsageError("--mark-workers 0 needs --incremental-k above 0: nobody else would mark")
        }
        if let reason = config.unsafeReason, !config.allowUnsafe {
            throw UsageError(reason + " (add --unsafe to run it anyway)")
        }
        config.gogc = try o.int("gogc", default: 100, range: 1...100_000)
        config.heapMaxBytes = try o.bytes("heap-max", default: 1 << 30, range: (4 * HeapGeometry.blockBytes)...HeapConfiguration.largestHeapMaxBytes)
        config.verify = o.flag("verify")
        let threads = try o.int("threads", default: 1, range: 1...256)
        guard let seed = UInt64(o.string("seed") ?? "1") else {
            throw UsageError("invalid seed '\(o.string("seed")!)' (expected a non-negative integer)")
        }
        let quiet = o.flag("quiet")
        let outDir = URL(fileURLWithPath: o.string("out") ?? defaultOutputDirectory(workload: workloadName, collector: collectorName))
        let scale = WorkloadScale(rawValue: scaleName)!
        let workload: any Workload
        do { workload = try workloadType.init(scale: scale) } catch { throw UsageError("\(error)") }
        let heap: Heap
        do { heap = try Heap(configuration: config) } catch { throw UsageError("\(error)") }

        let concurrent = config.collector == .concurrent
        let runConfig = RunConfiguration(workload: workloadName, scale: scaleName, collector: collectorName,
                                         barrier: concurrent ? config.barrier.rawValue : "n/a",
                                         roots: concurrent ? config.roots.rawValue : "n/a",
                                         markWorkers: concurrent ? config.markWorkers : 0,
                                         threads: threads, seed: seed, gogc: config.gogc, heapMaxBytes: config.heapMaxBytes,
                                         verify: config.verify)
        let start = Clock.now()
        var status = "ok"
        var failure: String?
        var report = WorkloadReport()
        do {
            report = try workload.run(heap: heap, threads: threads, seed: seed)
        } catch let error as HeapError {
            status = "heap-exhausted"; failure = error.description
        } catch let error as WorkloadError {
            status = "self-check-failed"; failure = error.description
        }
        let wallNs = Clock.now() - start
        if failure == nil && heap.stats.lostObjectCount > 0 {
            status = "lost-objects"
            failure = "verifier found \(heap.stats.lostObjectCount) lost objects; first: "
                + (heap.stats.lostObjects.first.map { "\($0)" } ?? "?")
        }
        try RunResults.write(config: runConfig, status: status, wallNs: wallNs, heap: heap, to: outDir)
        if !quiet {
            printSummary(config: runConfig, status: status, wallNs: wallNs, heap: heap, report: report, outDir: outDir)
        }
        if let failure {
            printError(failure)
            exit(1)
        }
    }

    static func defaultOutputDirectory(workload: String, collector: String) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return "results/run-\(workload)-\(collector)-\(f.string(from: Date()))-\(getpid())"
    }

    static func printSummary(config: RunConfiguration, status: String, wallNs: UInt64, heap: Heap,
                             report: WorkloadReport, outDir: URL) {
        let s = RunSummary(stats: heap.stats)
        func ms(_ ns: UInt64) -> String { String(format: "%.3f ms", Double(ns) / 1e6) }
        func mb(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1e6) }
        for line in report.lines { print(line) }
        let plan = config.collector == "concurrent" ? "concurrent/\(config.barrier) roots=\(config.roots) workers=\(config.markWorkers)" : config.collector
        print("\(config.workload) on \(plan), \(config.threads) thread(s): \(status) in \(ms(wallNs))")
        print("  allocated \(mb(heap.allocatedBytes)); \(s.gcCycles) collections; peak heap \(mb(heap.peakHeapBytes)), committed \(mb(heap.peakCommittedBytes))")
        print("  pauses: \(s.pauseCount), total \(ms(s.pauseTotalNs)), p50 \(ms(s.pauseP50Ns)), p99 \(ms(s.pauseP99Ns)), max \(ms(s.pauseMaxNs))")
        if config.verify { print("  verifier: \(s.lostObjects) lost objects") }
        print("  results: \(outDir.path)")
    }
}
