// What `gclab matrix` was asked for, read from flags and/or a JSON spec file: the dimensions (comma
// lists), the options passed unchanged to every run, and the matrix's own options (--repeat, --out,
// --shard, ...). Only the form of the input is checked here; MatrixExpansion turns the spec into runs
// and validates every run's `gclab run` command line.

import ConcurrentGC
import Foundation
import Pacer

struct MatrixSpec {
    /// Pacer parameters that can be swept like a dimension (`--kp 0.5,0.9`); gogc and heap-minimum are
    /// handled on their own.
    static var gainNames: [String] { PacerParameter.all.map(\.name).filter { $0 != "gogc" && $0 != "heap-minimum" } }
    /// Dimensions in expansion order (outermost first), each with the `gclab run` option it sets. Every
    /// plan option is one, under its own name (`--roots stw,handshake`, `--treadmill-k 1,2`).
    static var dimensions: [(name: String, runOption: String)] {
        let planOptions: [(name: String, runOption: String)] = CollectorKind.allPlanOptions.map { ($0.name, $0.name) }
        let gains: [(name: String, runOption: String)] = gainNames.map { ($0, $0) }
        let head: [(name: String, runOption: String)] = [("workloads", "workload"), ("collectors", "collector"), ("barriers", "barrier")]
        let tail: [(name: String, runOption: String)] = [("gogc", "gogc"), ("threads", "threads"), ("heap", "heap-max")]
        return head + planOptions + [("pacers", "pacer")] + gains + tail
    }
    /// Other names of plan-option dimensions (`--treadmill-ks`), to the option's name.
    static var dimensionAliases: [String: String] {
        Dictionary(CollectorKind.allPlanOptions.flatMap { o in o.matrixAliases.map { ($0, o.name) } }, uniquingKeysWith: { a, _ in a })
    }
    /// Single-valued `gclab run` options given to every run (where they apply).
    static let passThrough = ["scale", "seed", "mark-workers", "heap-minimum"]
    static let runFlags = ["verify", "unsafe"]
    static let ownValueOptions = ["repeat", "out", "timeout", "shard", "cache", "slurm"]
    static let ownFlags = ["resume", "quiet", "help", "submit", "report"]
    static var valueOptions: Set<String> { Set(dimensions.map(\.name) + dimensionAliases.keys + passThrough + ownValueOptions) }
    static var flagOptions: Set<String> { Set(runFlags + ownFlags) }

    /// The dimensions given, name → values in the order typed (duplicates dropped).
    var lists: [String: [String]] = [:]
    /// Pass-through options given, name → value.
    var singles: [String: String] = [:]
    /// `verify` and/or `unsafe`.
    var runFlags: Set<String> = []
    var repeats = 1
    var out: String?
    var timeout = 600.0
    /// 1-based shard index and shard count.
    var shard: (index: Int, count: Int)?
    var resume = false
    var quiet = false
    var help = false
    var cache = "results/minheap.csv"
    /// `--slurm N`: write (not run) the matrix as a Slurm job array of N tasks (SlurmJob.swift).
    var slurm: Int?
    /// `--submit`: with --slurm, submit the job scripts with sbatch.
    var submit = false
    /// `--report`: write DIR/report.html (gclab report) when the matrix is done.
    var report = false

    /// Parses `gclab matrix [spec.json] [options]`. Flags override the same key in the spec file.
    static func parse(_ args: [String]) throws -> MatrixSpec {
        let o = try OptionParser(args, valueOptions: valueOptions, flagOptions: flagOptions, allowPositionals: true)
        guard o.positionals.count <= 1 else {
            throw UsageError("gclab matrix takes at most one spec file (got: \(o.positionals.joined(separator: " ")))")
        }
        var values: [String: String] = [:]
        var flags: Set<String> = []
        if let file = o.positionals.first { (values, flags) = try readSpecFile(file) }
        for name in valueOptions { if let v = o.string(name) { values[name] = v } }
        for name in flagOptions where o.flag(name) { flags.insert(name) }
        return try MatrixSpec(values: values, flags: flags)
    }

    init(values given: [String: String], flags: Set<String>) throws {
        var values = given
        for (alias, name) in MatrixSpec.dimensionAliases {
            guard let v = values.removeValue(forKey: alias) else { continue }
            guard values[name] == nil else { throw UsageError("--\(alias) and --\(name) are one dimension: give one of them") }
            values[name] = v
        }
        for (name, _) in MatrixSpec.dimensions {
            guard let text = values[name] else { continue }
            var items: [String] = []
            for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
                var item = raw.trimmingCharacters(in: .whitespaces)
                guard !item.isEmpty else { throw UsageError("empty value in --\(name) '\(text)'") }
                if name == "barriers" && item == "satb" { item = "yuasa" }  // one barrier, two names
                if name == "heap" && MatrixSpec.heapMultiple(item) == nil && parseByteSize(item) == nil {
                    throw UsageError("invalid value '\(item)' in --heap (use a size such as 64M, or a multiple of the workload's minimum heap such as 2.5x)")
                }
                if !items.contains(item) { items.append(item) }
            }
            lists[name] = items
        }
        for name in MatrixSpec.passThrough {
            guard let v = values[name] else { continue }
            guard !v.contains(",") else { throw UsageError("--\(name) takes one value, not a list: it is not a matrix dimension") }
            singles[name] = v
        }
        runFlags = flags.intersection(MatrixSpec.runFlags)
        if let text = values["repeat"] {
            guard let n = Int(text), (1...10_000).contains(n) else { throw UsageError("invalid --repeat '\(text)' (expected 1...10000)") }
            repeats = n
        }
        if let text = values["timeout"] {
            guard let t = parseDecimalNumber(text), t > 0 else { throw UsageError("invalid --timeout '\(text)' (seconds, above 0)") }
            timeout = t
        }
        if let text = values["shard"] {
            let parts = text.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (1...n).contains(i) else {
                throw UsageError("invalid --shard '\(text)' (expected i/n with 1 <= i <= n, e.g. 2/4)")
            }
            shard = (i, n)
        }
        if let o = values["out"] {
            guard !o.isEmpty else { throw UsageError("--out needs a directory") }
            out = o
        }
        if let c = values["cache"] { cache = c }
        if let text = values["slurm"] {
            guard let n = Int(text), (1...SlurmJob.maxTasks).contains(n) else {
                throw UsageError("invalid --slurm '\(text)' (array tasks, 1...\(SlurmJob.maxTasks))")
            }
            slurm = n
        }
        submit = flags.contains("submit")
        report = flags.contains("report")
        if submit && slurm == nil { throw UsageError("--submit goes with --slurm N (it submits the job array)") }
        if slurm != nil && (values["shard"] != nil || flags.contains("resume")) {
            throw UsageError("--slurm writes a job array whose tasks are the shards: give neither --shard nor --resume")
        }
        resume = flags.contains("resume")
        quiet = flags.contains("quiet")
        help = flags.contains("help")
    }

    /// `2.5x` → 2.5; nil when `text` is not a multiple in (0, 10000].
    static func heapMultiple(_ text: String) -> Double? {
        guard text.hasSuffix("x") || text.hasSuffix("X"), let m = parseDecimalNumber(text.dropLast()), m > 0, m <= 10_000 else { return nil }
        return m
    }

    /// A JSON object of flag names (with or without the leading `--`) to a string, number or array of
    /// them; `true`/`false` for flags. Returned as the same raw values the command line gives. Read with
    /// Pacer's strict JSONValue: a key given twice is refused, as an option given twice is.
    static func readSpecFile(_ path: String) throws -> (values: [String: String], flags: Set<String>) {
        try parseSpec(try readSmallFile(path, what: "spec file"), name: path)
    }

    /// The spec in `bytes` (the file `name`), as readSpecFile returns it.
    static func parseSpec(_ bytes: [UInt8], name path: String) throws -> (values: [String: String], flags: Set<String>) {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw UsageError("\(path) is not valid JSON: \(error)")
        }
        guard case .object(let members) = document else {
            throw UsageError("\(path) must hold a JSON object of option names to values, not \(document.kindName)")
        }
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var names: [String: String] = [:]  // option name -> key as written, for `gogc` and `--gogc` both given
        for (key, value) in members {
            let name = key.hasPrefix("--") ? String(key.dropFirst(2)) : key
            if let other = names.updateValue(key, forKey: name) {
                throw UsageError("\(path): \"\(other)\" and \"\(key)\" are the same option: give it once")
            }
            if flagOptions.contains(name) {
                guard case .bool(let on) = value else { throw UsageError("\(path): \"\(key)\" is a flag: use true or false") }
                if on { flags.insert(name) }
            } else if valueOptions.contains(name) {
                guard let text = commandLineText(value) else {
                    throw UsageError("\(path): \"\(key)\" needs a string, a number or an array of them, not \(value.kindName)")
                }
                values[name] = text
            } else {
                throw UsageError("\(path): unknown key \"\(key)\" (known: \(valueOptions.union(flagOptions).sorted().joined(separator: " ")))")
            }
        }
        return (values, flags)
    }

    /// A string or number as typed on the command line; an array of them as a comma list.
    private static func commandLineText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s), .number(let s): return s
        case .array(let items):
            var parts: [String] = []
            for item in items {
                switch item {
                case .string(let s), .number(let s): parts.append(s)
                default: return nil
                }
            }
            return parts.joined(separator: ",")
        default: return nil
        }
    }
}

/// The bytes of a small input file (at most 16 MiB), or a one-line error with the system's reason.
func readSmallFile(_ path: String, what: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw UsageError("cannot read \(what) \(path): \(OutputDirectory.systemReason())") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw UsageError("cannot read \(what) \(path): \(OutputDirectory.systemReason())") }
        if n == 0 { return bytes }
        bytes += chunk[..<n]
        guard bytes.count <= 16 << 20 else { throw UsageError("\(what) \(path) is larger than 16 MiB: not a spec") }
    }
}
