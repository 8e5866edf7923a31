// `gclab stress`: random configurations (StressDraw.swift), each a verified child `gclab run` with a
// timeout (StressRun.swift), then a table per configuration class and every failure's exact command
// (StressReport.swift). For the researcher who adds a collector or a barrier: it draws from the plans'
// declared traits, so a new plan is stressed as soon as it is in the registry. Exit status 1 when a safe
// configuration failed (lost an object, crashed, timed out, ...), 128 + the signal when interrupted, 0
// otherwise; 2 for bad options.

import ConcurrentGC
import Foundation
import Pacer
import Workloads

enum StressCommand {
    static let valueOptions: Set<String> = ["collectors", "workloads", "runs", "time", "seed", "jobs", "timeout", "scale",
                                            "max-threads", "unsafe-rate", "out"]
    static let flagOptions: Set<String> = ["help", "dry-run", "quiet"]
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    static var help: String { """
    usage: gclab stress [--collectors LIST] [--runs N | --time 10m] [--seed S] [options]
    Draws random configurations and runs each as a child `gclab run --verify`, killed after --timeout.
    Drawn from each collector's traits (`gclab list`): the collector, its barrier, --mark-workers and
    --pacer where it takes them, each of its own options (a choice uniformly; a number its default
    x 2^-3..2^3; a size, such as --nursery, its default x 2^-6..1 so that collections come often), the
    workload, --threads 1..--max-threads, --heap-minimum 64K..1M (small: frequent collections; --heap-max
    stays 1G), --gogc 25..200 and --seed. A combination `gclab run` refuses is drawn again; one that only
    the workload refuses when it starts (exit status 2: producer-consumer's odd thread counts) is listed,
    not counted. The table has a row per class: the collector, its barrier and the value of each of its
    choice options (e.g. concurrent/yuasa/handshake, gencopy/hybrid/card/concurrent).
    Safe and unsafe: a configuration the plan itself calls unsafe (one `gclab run` takes only with
    --unsafe, e.g. --barrier none, --remset none) is drawn at --unsafe-rate and run with --unsafe; it is
    expected to lose objects and is reported apart with its catch rate: the fraction of its runs that
    collected at least once in which the verifier caught a loss (lost objects, or a verify-mode stop).
    A safe run fails when it does not end with status ok and exit status 0: lost objects, a crash, a
    self-check failure, heap exhaustion (with a 1G heap and small workloads it means a collector keeps
    garbage) or a timeout. Every failure is printed with the `gclab run` command that reproduces it
    (add --out DIR to keep its files).
      --collectors LIST  comma list (default all: \(CollectorKind.allCases.map(\.name).joined(separator: ",")))
      --workloads LIST   comma list (default all `gclab list` shows)
      --runs N           runs to draw (default 50 without --time)
      --time DURATION    draw new runs until DURATION has passed, e.g. 90s, 10m, 1h (a run under way finishes)
      --seed S           the draws' seed (default: a fresh one); the same seed and draw options give the same
                         draws (the first line printed names them all: --max-threads depends on the cores)
      --jobs N           children at once (default 1: every run has up to --max-threads mutator threads plus
                         mark workers, more than the cores already; parallel children would measure the
                         machine's load more than the collector, and time out for it)
      --timeout SEC      kill a run after SEC seconds: a failure, status timeout (default 120)
      --scale S          workload scale of every run (default small: short runs, many of them)
      --max-threads N    most mutator threads drawn (default 4 x the cores: \(4 * cores))
      --unsafe-rate F    fraction of unsafe draws, 0...1, for the collectors that have some (default 0.15)
      --out DIR          write DIR/stress.csv (every run; rewritten atomically as runs finish) and keep the
                         files of every failed run (and unsafe run that crashed or hung) in DIR/runs/<run>/
      --dry-run          print the drawn commands (with class and safety) and run nothing
      --quiet            no progress lines on stderr
    SIGINT or SIGTERM stops the stress: the runs under way are killed and dropped, the report covers the
    runs that finished. Exit status: 1 when a safe run failed; else 130 or 143 when interrupted; else 0;
    2 for bad options.
    """ }

    /// The validated options.
    struct Options {
        var space: StressSpace
        var runs: Int?
        var seconds: Double?
        var jobs: Int
        var timeout: Double
        var out: URL?
        var dryRun: Bool
        var quiet: Bool
    }

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: valueOptions, flagOptions: flagOptions)
        if o.flag("help") { print(help); return }
        let options = try parse(o)
        if options.dryRun { return dryRun(options) }
        let status = try StressLoop(options).run()
        if status != 0 { exit(status) }
    }

    static func parse(_ o: OptionParser) throws -> Options {
        let collectors = try list(o, "collectors", known: CollectorKind.allCases.map(\.name)).map { CollectorKind(name: $0)! }
        let workloads = try list(o, "workloads", known: WorkloadRegistry.all.map { $0.name })
        let scale = try o.choice("scale", WorkloadScale.allCases.map(\.rawValue), default: "small")
        let seconds = try o.string("time").map(parseDuration)
        let runs = o.string("runs") != nil || seconds == nil ? try o.int("runs", default: 50, range: 1...100_000_000) : nil
        let seed: UInt64
        if let text = o.string("seed") {
            guard let s = UInt64(text) else { throw UsageError("invalid seed '\(text)' for --seed (expected 0...\(UInt64.max))") }
            seed = s
        } else {
            seed = StressSeed.fresh()
        }
        let space = StressSpace(collectors: collectors, workloads: workloads, scale: scale,
                                maxThreads: try o.int("max-threads", default: 4 * cores, range: 1...256),
                                unsafeRate: try o.double("unsafe-rate", default: 0.15, range: 0...1), seed: seed)
        var out: URL?
        if let path = o.string("out") {
            guard !path.isEmpty else { throw UsageError("--out needs a directory") }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw UsageError("--out \(path) exists and is not a directory") }
                if FileManager.default.fileExists(atPath: path + "/stress.csv") {
                    throw UsageError("--out \(path) already holds a stress run (stress.csv): choose another directory")
                }
            }
            out = URL(fileURLWithPath: path)
        }
        if o.flag("dry-run") && runs == nil { throw UsageError("--dry-run needs --runs, not --time") }
        if let out, !o.flag("dry-run") { try OutputDirectory.prepare(out.path, what: "--out") }
        return Options(space: space, runs: runs, seconds: seconds, jobs: try o.int("jobs", default: 1, range: 1...64),
                       timeout: try o.double("timeout", default: 120, range: 0.001...86_400), out: out,
                       dryRun: o.flag("dry-run"), quiet: o.flag("quiet"))
    }

    /// A comma list option whose every item is in `known` (default: all of them).
    static func list(_ o: OptionParser, _ name: String, known: [String]) throws -> [String] {
        guard let text = o.string(name) else { return known }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        for item in items where !known.contains(item) {
            throw UsageError("unknown \(name.dropLast()) '\(item)' in --\(name) (known: \(known.joined(separator: ", ")))")
        }
        return Array(NSOrderedSet(array: items)).map { $0 as! String }
    }

    /// `90s`, `10m`, `1h`, `1.5h` or plain seconds, above 0.
    static func parseDuration(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var number = Substring(text), unit = 1.0
        if let last = text.last, let u = units[last] { number = number.dropLast(); unit = u }
        guard let x = parseDecimalNumber(number), x > 0, x * unit <= 366 * 86_400 else {
            throw UsageError("invalid duration '\(text)' for --time (e.g. 90s, 10m, 1h)")
        }
        return x * unit
    }

    /// `--dry-run`: the draws, one line each.
    static func dryRun(_ options: Options) {
        print("\(options.space.command): \(options.runs!) draw\(options.runs! == 1 ? "" : "s")")
        for i in 0..<options.runs! {
            let d = options.space.draw(i)
            print("run \(i + 1) \(d.safe ? "safe" : "unsafe") \(d.className): \(d.command)")
        }
    }
}
