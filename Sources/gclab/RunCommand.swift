// `gclab run`: one experiment. Runs a workload on a heap, prints a short summary and writes the run's
// CSV files (see results/README.md).

import ConcurrentGC
import Foundation
import Pacer
import Workloads

enum RunCommand {
    /// Options of every collector plan (each applies to the plans that declare it).
    static var planOptions: [PlanOption] { CollectorKind.allPlanOptions }
    static let valueOptions: Set<String> = Set(["workload", "scale", "collector", "threads", "gogc", "heap-max", "seed", "out",
                                                "barrier", "mark-workers", "pacer", "heap-minimum"])
        .union(PacerOptions.parameterNames).union(planOptions.map(\.name))
    static let flagOptions: Set<String> = ["verify", "help", "quiet", "unsafe", "gctrace"]

    static var help: String {
        // An option several plans share (the generational ones') is listed once, naming them all.
        let planLines = CollectorKind.allPlanOptions.map { o in
            "  --\(o.name) \(o.valuesDescription)".padding(toLength: 36, withPad: " ", startingAt: 0)
                + " \(CollectorKind.names { $0.traits.options.contains(o) }): \(o.summary) (default \(o.defaultValue))"
        }.joined(separator: "\n")
        return """
        usage: gclab run [options]
          --workload NAME   workload to run (default gcbench; `gclab list` shows all)
          --scale S         small | default | large (default: default)
          --collector NAME  \(CollectorKind.allCases.map(\.name).joined(separator: " | ")) (default \(CollectorKind.runDefault))
          --barrier NAME    write barrier of \(CollectorKind.names { !$0.traits.barriers.isEmpty }): \(BarrierKind.allCases.map(\.name).joined(separator: " | "))
                            (default yuasa, alias satb; none needs --unsafe)
          --mark-workers N  background mark threads of \(CollectorKind.names { $0.traits.markWorkers != nil }), 0...64; 0 = incremental
                            (default: the pacer's worker plan, Go's dedicated + fractional workers; 1 without
                            a pacer; 0 for treadmill)
          --pacer NAME      gogc | \(PacerKind.allCases.map(\.rawValue).joined(separator: " | ")): what sets the trigger, goal, assist
                            ratio and workers, for \(CollectorKind.names { !$0.traits.pacers.isEmpty }) (default \(CollectorKind.allCases.map { "\($0.traits.defaultPacer?.rawValue ?? "gogc") for \($0.name)" }.joined(separator: ", ")));
                            gogc = collect at live x (1 + GOGC/100)
          --unsafe          allow configurations that lose objects (barrier none, yuasa with handshakes);
                            needs --verify, which keeps what they lose alive and counts it
          --threads N       mutator threads, 1...256 (default 1)
          --gogc N          heap growth between collections, percent of live (default 100)
          --heap-minimum SIZE  the heap goal (trigger, with --pacer gogc) never goes below this (default 4M,
                            64K with --scale small; at least 64K; never above --heap-max)
          --heap-max SIZE   most memory the heap may commit, e.g. 512M, 1.5G (default 1G)
          --seed N          random seed for workloads that use one (default 1)
          --verify          run the checkmark verifier after every mark; poison freed memory
          --out DIR         output directory (default: a new folder under results/)
          --quiet           print nothing but errors
          --gctrace         one line per collection on stderr, in the format of Go's GODEBUG=gctrace=1
        each option at most once; numbers are decimal (42, 0.5); sizes are bytes or a number with a binary
        K/M/G/T suffix coming to whole bytes (4096, 512M, 1.5G, 64KiB); no exponents or hex
        options of one collector:
        \(planLines)
        pacer parameters (Go's defaults; not with --pacer gogc):
        \(PacerOptions.parameterHelp(excluding: ["gogc", "heap-minimum"]))
        """
    }

    /// Everything `gclab run` was asked to do, validated.
    struct Request {
        var run: RunConfiguration
        var heap: HeapConfiguration
        var workload: any Workload.Type
        var scale: WorkloadScale
        var outDir: URL
        var quiet: Bool
        var gctrace: Bool
    }

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: valueOptions, flagOptions: flagOptions)
        if o.flag("help") { print(help); return }
        let request = try parse(o)
        try execute(request)
    }

    /// "--NAME applies to --collector A or B only", naming the plans whose traits accept it.
    static func notApplicable(_ option: String, _ accepts: (CollectorKind) -> Bool) -> UsageError {
        UsageError("--\(option) applies to --collector \(CollectorKind.names(where: accepts)) only")
    }

    /// Validates every option before anything runs or is written. What applies to which collector comes
    /// from the plans' traits alone.
    static func parse(_ o: OptionParser) throws -> Request {
        let workloadName = o.string("workload") ?? "gcbench"
        guard let workloadType = WorkloadRegistry.named(workloadName) else {
            throw UsageError("unknown workload '\(workloadName)' (known: \(WorkloadRegistry.all.map { $0.name }.joined(separator: ", ")))")
        }
        let scaleName = try o.choice("scale", WorkloadScale.allCases.map(\.rawValue), default: "default")
        let collectorName = try o.choice("collector", CollectorKind.allCases.map(\.name), default: CollectorKind.runDefault.name)
        let kind = CollectorKind(name: collectorName)!
        let traits = kind.traits
        var config = HeapConfiguration()
        config.collector = kind
        for option in planOptions where o.string(option.name) != nil && !traits.options.contains(option) {
            throw notApplicable(option.name) { $0.traits.options.contains(option) }
        }
        if traits.barriers.isEmpty && o.string("barrier") != nil {
            throw notApplicable("barrier") { !$0.traits.barriers.isEmpty }
        }
        if !traits.takesUnsafe && o.flag("unsafe") { throw notApplicable("unsafe") { $0.traits.takesUnsafe } }
        if traits.markWorkers == nil && o.string("mark-workers") != nil {
            throw notApplicable("mark-workers") { $0.traits.markWorkers != nil }
        }
        let pacerName = try o.choice("pacer", ["gogc"] + PacerKind.allCases.map(\.rawValue),
                                     default: traits.defaultPacer?.rawValue ?? "gogc")
        config.pacer = PacerKind(rawValue: pacerName)
        if let pacer = config.pacer, !traits.pacers.contains(pacer) {
            throw UsageError("--pacer \(pacer.rawValue) does not apply to --collector \(kind)"
                             + (traits.pacerNote.map { ": " + $0 } ?? " (it takes: \((["gogc"] + traits.pacers.map(\.rawValue)).joined(separator: ", ")))"))
        }
        let barrierName = o.string("barrier") ?? BarrierKind.yuasa.name
        guard let barrier = BarrierKind(name: barrierName) else {
            throw UsageError("invalid value '\(barrierName)' for --barrier (expected one of: \(BarrierKind.allCases.flatMap { [$0.name] + $0.aliases }.joined(separator: ", ")))")
        }
        config.barrier = barrier
        for option in traits.options {
            guard let text = o.string(option.name) else { continue }
            switch option.parse(text) {
            case .success(let value): config.set(option, value)
            case .failure(let error): throw UsageError(error.description)
            }
        }
        config.gogc = try o.int("gogc", default: 100, range: 1...100_000)
        config.markWorkers = try o.int("mark-workers", default: kind.defaultMarkWorkers(pacer: config.pacer) ?? 0, range: 0...64)
        let scale = WorkloadScale(rawValue: scaleName)!
        for (option, value) in scale.scaledPlanOptions where traits.options.contains(option) && o.string(option.name) == nil {
            config.set(option, value)
        }
        config.heapMaxBytes = try o.bytes("heap-max", default: 1 << 30, range: (4 * HeapGeometry.blockBytes)...HeapConfiguration.largestHeapMaxBytes)
        // The preset's minimum, but never above the limit (a goal past it could never be met).
        let heapMinimum = try o.bytes("heap-minimum", default: min(scale.heapMinimumBytes, config.heapMaxBytes), range: (64 << 10)...(1 << 40))
        if heapMinimum > config.heapMaxBytes {
            throw UsageError("--heap-minimum \(o.string("heap-minimum")!) is above --heap-max \(o.string("heap-max") ?? "1G"): the heap goal never goes below the minimum, so it could never be met")
        }
        if let pacer = config.pacer {
            config.pacerConfig = try PacerOptions.config(o, base: PacerConfig(), kind: pacer, allowRanges: false, skip: ["gogc", "heap-minimum"]).base
            config.pacerConfig.gogc = config.gogc
        }
        WorkloadScale.setHeapMinimum(heapMinimum, in: &config)
        if config.pacer != nil {
            if let problem = config.pacerConfig.validationError() { throw UsageError(problem) }
        } else if let given = PacerParameter.all.first(where: { !["gogc", "heap-minimum"].contains($0.name) && o.string($0.name) != nil }) {
            throw UsageError("--\(given.name) is a parameter of the pacers \(PacerKind.allCases.map(\.rawValue).joined(separator: ", ")), not of --pacer gogc")
        }
        config.allowUnsafe = o.flag("unsafe")
        config.verify = o.flag("verify")
        if config.allowUnsafe && !config.verify {
            throw UsageError("--unsafe needs --verify: it admits configurations that lose objects, and only the verifier keeps what they lose alive and counts it")
        }
        if let refusal = kind.refusal(config) { throw UsageError(refusal) }
        if let reason = config.unsafeReason {
            guard config.allowUnsafe else { throw UsageError(reason + " (add --unsafe --verify to run it anyway)") }
        }
        let threads = try o.int("threads", default: 1, range: 1...256)
        guard let seed = UInt64(o.string("seed") ?? "1") else {
            throw UsageError("invalid seed '\(o.string("seed")!)' for --seed (expected 0...\(UInt64.max))")
        }
        let outPath = o.string("out") ?? defaultOutputDirectory(workload: workloadName, collector: collectorName)
        guard !outPath.isEmpty else { throw UsageError("--out needs a directory") }
        let run = RunConfiguration(workload: workloadName, scale: scaleName, collector: kind,
                                   barrier: traits.barriers.isEmpty ? "n/a" : config.barrier.name,
                                   markWorkers: traits.markWorkers == nil ? 0 : config.markWorkers,
                                   planOptions: planOptions.map { option in
                                       (option.name, traits.options.contains(option) ? config.value(of: option).description : "n/a")
                                   },
                                   pacer: pacerName, threads: threads, seed: seed, gogc: config.gogc, heapMaxBytes: config.heapMaxBytes,
                                   verify: config.verify)
        return Request(run: run, heap: config, workload: workloadType, scale: scale,
                       outDir: URL(fileURLWithPath: outPath), quiet: o.flag("quiet"), gctrace: o.flag("gctrace"))
    }

    /// Runs the workload and writes the results.
    static func execute(_ request: Request) throws {
        try OutputDirectory.prepare(request.outDir.path, what: "--out")  // before the work, not after it
        TemporaryFiles.removeTemporariesOnInterrupt()
        let workload: any Workload
        do { workload = try request.workload.init(scale: request.scale) } catch { throw UsageError("\(error)") }
        let heap: Heap
        do { heap = try Heap(configuration: request.heap) } catch { throw UsageError("\(error)") }
        if request.gctrace {
            let trace = GCTraceLine(stats: heap.stats, procs: request.heap.processors)
            heap.stats.cycleObserver = { cycle in
                FileHandle.standardError.write((trace.line(cycle) + "\n").data(using: .utf8)!)
            }
        }
        let start = Clock.now()
        var status = "ok"
        var failure: String?
        var report = WorkloadReport()
        do {
            report = try workload.run(heap: heap, threads: request.run.threads, seed: request.run.seed)
        } catch let error as HeapError {
            status = "heap-exhausted"; failure = error.description
        } catch let error as WorkloadError {
            if case .invalidParameter(let why) = error { throw UsageError(why) }  // nothing written yet
            status = "self-check-failed"; failure = error.description
        }
        let wallNs = Clock.now() - start
        heap.finish()  // a cycle still running completes now, so the files agree with each other
        if failure == nil && heap.stats.lostObjectCount > 0 {
            status = "lost-objects"
            failure = "verifier found \(heap.stats.lostObjectCount) lost objects; first: "
                + (heap.stats.lostObjects.first.map { "\($0)" } ?? "?")
        }
        try RunResults.write(config: request.run, status: status, wallNs: wallNs, heap: heap, to: request.outDir)
        if !request.quiet {
            printSummary(config: request.run, status: status, wallNs: wallNs, heap: heap, report: report, outDir: request.outDir)
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
        print("\(config.workload) on \(config.planDescription), \(config.threads) thread(s): \(status) in \(ms(wallNs))")
        print("  allocated \(mb(heap.allocatedBytes)); \(s.gcCycles) collections; peak heap \(mb(heap.peakHeapBytes)), committed \(mb(heap.peakCommittedBytes))")
        print("  pauses: \(s.pauseCount), total \(ms(s.pauseTotalNs)), p50 \(ms(s.pauseP50Ns)), p99 \(ms(s.pauseP99Ns)), max \(ms(s.pauseMaxNs))")
        if config.verify {
            print("  verifier: \(s.lostObjects) lost objects in \(s.gcCycles) collections"
                  + (s.gcCycles == 0 ? " (none ran, so nothing was checked: lower --heap-minimum)" : ""))
        }
        print("  results: \(outDir.path)")
    }
}
