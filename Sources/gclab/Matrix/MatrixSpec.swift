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
    static let ownValueOptions = ["repeat", "out", "timeout", "shard", "cache"]
    static let ownFlags = ["resume", "quiet", "help"]
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
            guard let t = Double(text), t.isFinite, t > 0 else { throw UsageError("invalid --timeout '\(text)' (seconds, above 0)") }
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
        resume = flags.contains("resume")
        quiet = flags.contains("quiet")
        help = flags.contains("help")
    }

    /// `2.5x` → 2.5; nil when `text` is not a multiple in (0, 10000].
    static func heapMultiple(_ text: String) -> Double? {
        guard text.hasSuffix("x") || text.hasSuffix("X"), let m = Double(text.dropLast()), m > 0, m <= 10_000 else { return nil }
        return m
    }

    /// A JSON object of flag names (with or without the leading `--`) to a string, number or array of
    /// them; `true`/`false` for flags. Returned as the same raw values the command line gives.
    static func readSpecFile(_ path: String) throws -> (values: [String: String], flags: Set<String>) {
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read spec file \(path)") }
        let object: [String: SpecValue]
        do {
            object = try JSONDecoder().decode([String: SpecValue].self, from: data)
        } catch {
            throw UsageError("\(path) is not a JSON object of option names to strings, numbers or arrays (\(describe(error)))")
        }
        var values: [String: String] = [:]
        var flags: Set<String> = []
        for (key, value) in object {
            let name = key.hasPrefix("--") ? String(key.dropFirst(2)) : key
            if flagOptions.contains(name) {
                guard case .bool(let on) = value else { throw UsageError("\(path): \"\(key)\" is a flag: use true or false") }
                if on { flags.insert(name) }
            } else if valueOptions.contains(name) {
                guard let text = value.text else { throw UsageError("\(path): \"\(key)\" needs a string, a number or an array of them") }
                values[name] = text
            } else {
                throw UsageError("\(path): unknown key \"\(key)\" (known: \(valueOptions.union(flagOptions).sorted().joined(separator: " ")))")
            }
        }
        return (values, flags)
    }

    private static func describe(_ error: Error) -> String {
        var text: String
        switch error {
        case DecodingError.dataCorrupted(let c): text = c.debugDescription
        case DecodingError.typeMismatch(_, let c): text = "at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: text = "\(error)"
        }
        if case DecodingError.dataCorrupted(let c) = error, let underlying = c.underlyingError {
            text += ": \(underlying)"
        }
        return text.replacingOccurrences(of: "\n", with: " ")
    }
}

/// A value in a JSON spec file.
enum SpecValue: Decodable {
    case bool(Bool)
    case scalar(String)
    case list([String])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let s = try? SpecValue.scalar(c) { self = .scalar(s); return }
        if var items = try? decoder.unkeyedContainer() {
            var list: [String] = []
            while !items.isAtEnd {
                let item = try items.superDecoder()
                list.append(try SpecValue.scalar(item.singleValueContainer()))
            }
            self = .list(list)
            return
        }
        throw DecodingError.typeMismatch(SpecValue.self, .init(codingPath: decoder.codingPath,
                                                               debugDescription: "expected a string, a number, an array or true/false"))
    }

    /// A string or a number, as typed on the command line (whole numbers without a decimal point).
    private static func scalar(_ c: SingleValueDecodingContainer) throws -> String {
        if let i = try? c.decode(Int.self) { return String(i) }
        if let d = try? c.decode(Double.self) { return String(d) }
        return try c.decode(String.self)
    }

    /// The value as a command-line value; arrays become comma lists.
    var text: String? {
        switch self {
        case .bool: return nil
        case .scalar(let s): return s
        case .list(let items): return items.joined(separator: ",")
        }
    }
}
