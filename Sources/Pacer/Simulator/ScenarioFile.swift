// Scenario files: a simulated program and its acceptance bounds as JSON, read by
// `gclab pacer-sim --scenario-file FILE` and written by `--print-scenario`.
//
//   {"name": "my-program", "summary": "...", "procs": 8, "gogc": 100, "memory_limit": "512M",
//    "cycles": 100, "initial_heap": "256K", "globals": "32K", "disturbance_cycle": 52,
//    "signals": {"alloc_rate": {"sum": [33, {"step": {"height": 66, "from_cycle": 52}}]},
//                "scan_rate": 1024, "growth": {"sum": [2, {"ramp": {"height": -1, "length": 12}}]},
//                "scannable_fraction": 1, "stacks": 8192, "non_heap": 0},
//    "bounds": [{"metric": "peak_over_goal", "cycles": [25, 100], "range": [0.95, 1.05],
//                "pacers": ["go118", "go121"], "note": "finishes at the goal"}]}
//
// A signal is a number (a constant) or an object with exactly one key, Go's TestGcPacer vocabulary:
// constant, ramp {height, length}, unit (amplitude at cycle 1 only), oscillate {amplitude, phase, period},
// random {amplitude, stream}, delay {cycles, signal}, sum [signals], and step {height, from_cycle}
// (0 before the 1-based cycle, height from it on), and series [values] (one per cycle from cycle 1, the last
// holding after them: what --from-run writes). Every built-in scenario prints in this form and reads
// back to the same simulation (a test compares the cycles.csv of each). Unknown keys, wrong types, values
// out of range and duplicate keys (the strict JSON reader) are refused with the path of the offending
// value, e.g. `signals.growth.sum[1].ramp.length: expected a whole number 0...1000000, got 2.5`.
// Numbers use the command line's syntax (no exponents); sizes may also be strings with K/M/G suffixes.

/// A scenario file that cannot be used: one line naming where and why.
public struct ScenarioFileError: Error, CustomStringConvertible, Sendable {
    /// The one-line explanation.
    public let description: String
    init(_ path: String, _ message: String) { description = path.isEmpty ? message : "\(path): \(message)" }
}

extension Scenario {
    /// Most cycles a file may ask for (the command line's --cycles limit).
    public static let maxFileCycles = 100_000
    /// Most processors a scenario may have.
    public static let maxProcs = 4096

    /// Reads a scenario file's bytes.
    public static func parseFile(_ bytes: [UInt8]) throws -> Scenario {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw ScenarioFileError("", "\(error)") }
        return try parse(json)
    }

    /// Builds a scenario from a parsed JSON document.
    public static func parse(_ json: JSONValue) throws -> Scenario {
        let root = try FileObject(json, path: "")
        try root.allow(["name", "summary", "go_test", "procs", "gogc", "memory_limit", "cycles", "initial_heap",
                        "globals", "disturbance_cycle", "signals", "bounds"])
        guard case .string(let name)? = root["name"], !name.isEmpty else {
            throw ScenarioFileError("name", "required: a non-empty string")
        }
        var s = Scenario(name: name, summary: try root.string("summary") ?? "", goTestName: try root.string("go_test"))
        if let p = root["procs"] { s.procs = try wholeNumber(p, "procs", 1...Double(maxProcs)) }
        if let g = root["gogc"] {
            if case .string("off") = g { s.gogc = -1 } else { s.gogc = try wholeNumber(g, "gogc", 0...1_000_000, or: "or \"off\"") }
        }
        if let m = root["memory_limit"], m != .null { s.memoryLimit = try size(m, "memory_limit", 1...(1 << 50)) }
        if s.gogc < 0 && s.memoryLimit == nil { throw ScenarioFileError("gogc", "\"off\" needs a memory_limit") }
        if let c = root["cycles"] { s.defaultCycles = try wholeNumber(c, "cycles", 1...Double(maxFileCycles)) }
        if let h = root["initial_heap"] { s.initialHeapBytes = try size(h, "initial_heap", 0...(1 << 50)) }
        if let g = root["globals"] { s.globalsBytes = try size(g, "globals", 0...(1 << 50)) }
        if let d = root["disturbance_cycle"], d != .null {
            s.disturbanceCycle = try wholeNumber(d, "disturbance_cycle", 1...Double(maxFileCycles))
        }
        if let signals = root["signals"] {
            let o = try FileObject(signals, path: "signals")
            try o.allow(SignalField.all.map(\.key))
            for f in SignalField.all {
                if let v = o[f.key] { s[keyPath: f.path] = try signal(v, "signals." + f.key) }
            }
        }
        if let bounds = root["bounds"] {
            guard case .array(let items) = bounds else { throw ScenarioFileError("bounds", "expected an array, got \(bounds.kindName)") }
            s.bounds = try items.enumerated().map { try bound($1, "bounds[\($0)]") }
        }
        return s
    }

    /// This scenario as a scenario file (two-space indent, keys in the documented order). Reading it back
    /// gives the same simulation.
    public var fileText: String {
        var lines = ["{"]
        var fields: [(String, String)] = [("name", quote(name)), ("summary", quote(summary))]
        if let goTestName { fields.append(("go_test", quote(goTestName))) }
        fields += [("procs", "\(procs)"), ("gogc", gogc < 0 ? "\"off\"" : "\(gogc)")]
        if let memoryLimit { fields.append(("memory_limit", "\(memoryLimit)")) }
        fields += [("cycles", "\(defaultCycles)"), ("initial_heap", "\(initialHeapBytes)"), ("globals", "\(globalsBytes)")]
        if let disturbanceCycle { fields.append(("disturbance_cycle", "\(disturbanceCycle)")) }
        let signals = SignalField.all.map { "    \(quote($0.key)): \(self[keyPath: $0.path].fileText)" }
        fields.append(("signals", "{\n" + signals.joined(separator: ",\n") + "\n  }"))
        let bounds = self.bounds.map { "    " + $0.fileText }
        fields.append(("bounds", bounds.isEmpty ? "[]" : "[\n" + bounds.joined(separator: ",\n") + "\n  ]"))
        lines.append(fields.map { "  \(quote($0.0)): \($0.1)" }.joined(separator: ",\n"))
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The signal fields of a scenario, by file key.
private struct SignalField {
    let key: String
    let path: WritableKeyPath<Scenario, Signal>
    static let all = [
        SignalField(key: "alloc_rate", path: \.allocRate), SignalField(key: "scan_rate", path: \.scanRate),
        SignalField(key: "growth", path: \.growthRate), SignalField(key: "scannable_fraction", path: \.scannableFraction),
        SignalField(key: "stacks", path: \.stackBytes), SignalField(key: "non_heap", path: \.nonHeapBytes),
    ]
}

extension Signal {
    /// The signal in the scenario-file form.
    public var fileText: String {
        switch self {
        case .constant(let c): return decimalText(c)
        case .ramp(let h, let n): return "{\"ramp\": {\"height\": \(decimalText(h)), \"length\": \(n)}}"
        case .unit(let a): return "{\"unit\": \(decimalText(a))}"
        case .oscillate(let a, let p, let n):
            return "{\"oscillate\": {\"amplitude\": \(decimalText(a)), \"phase\": \(decimalText(p)), \"period\": \(n)}}"
        case .random(let a, let stream): return "{\"random\": {\"amplitude\": \(decimalText(a)), \"stream\": \(stream)}}"
        case .delayed(.constant(let h), let k): return "{\"step\": {\"height\": \(decimalText(h)), \"from_cycle\": \(k + 1)}}"
        case .delayed(let s, let k): return "{\"delay\": {\"cycles\": \(k), \"signal\": \(s.fileText)}}"
        case .sum(let parts): return "{\"sum\": [" + parts.map(\.fileText).joined(separator: ", ") + "]}"
        case .series(let values): return "{\"series\": [" + values.map(decimalText).joined(separator: ", ") + "]}"
        }
    }
}

extension BoundMetric {
    /// Every metric once, as a file names it (the parameters of the two that take one are read apart).
    static let fileForms: [BoundMetric] = [.utilization, .utilizationChange, .utilizationChangeFrom(cycle: 1), .peakOverGoal,
                                           .goalOverMemoryLimitGoal, .goalOverMarked, .gcCPUFraction(window: 1)]

    /// The metric's name in a scenario file.
    var fileName: String {
        switch self {
        case .utilization: return "utilization"
        case .utilizationChange: return "utilization_change"
        case .utilizationChangeFrom: return "utilization_change_from"
        case .peakOverGoal: return "peak_over_goal"
        case .goalOverMemoryLimitGoal: return "goal_over_memory_limit_goal"
        case .goalOverMarked: return "goal_over_marked"
        case .gcCPUFraction: return "gc_cpu_fraction"
        }
    }
}

extension Bound {
    /// The bound in the scenario-file form (one line).
    public var fileText: String {
        var metricFields = "\"metric\": \(quote(metric.fileName))"
        switch metric {
        case .utilizationChangeFrom(let c): metricFields += ", \"reference_cycle\": \(c)"
        case .gcCPUFraction(let w): metricFields += ", \"window\": \(w)"
        default: break
        }
        let pacerNames = PacerKind.allCases.filter(pacers.contains).map { quote($0.rawValue) }.joined(separator: ", ")
        return "{\(metricFields), \"cycles\": [\(cycles.lowerBound), \(cycles.upperBound)], "
            + "\"range\": [\(decimalText(range.lowerBound)), \(decimalText(range.upperBound))], \"pacers\": [\(pacerNames)], "
            + "\"from_go\": \(fromGo), \"note\": \(quote(note))}"
    }
}

// MARK: Reading

/// A JSON object with its path, for errors that say where.
private struct FileObject {
    let members: [(key: String, value: JSONValue)]
    let path: String

    init(_ json: JSONValue, path: String) throws {
        guard case .object(let members) = json else {
            throw ScenarioFileError(path, "expected an object, got \(json.kindName)")
        }
        self.members = members
        self.path = path
    }

    subscript(key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    func allow(_ keys: [String]) throws {
        for m in members where !keys.contains(m.key) {
            throw ScenarioFileError(join(path, m.key), "unknown key (expected one of: \(keys.joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws -> String? {
        guard let v = self[key], v != .null else { return nil }
        guard case .string(let s) = v else { throw ScenarioFileError(join(path, key), "expected a string, got \(v.kindName)") }
        return s
    }
}

private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

private func number(_ v: JSONValue, _ path: String, _ range: ClosedRange<Double>) throws -> Double {
    guard case .number(let text) = v else { throw ScenarioFileError(path, "expected a number, got \(v.kindName)") }
    guard let x = parseDecimalNumber(text), x.isFinite else {
        throw ScenarioFileError(path, "'\(text)' is not a decimal number (no exponents)")
    }
    guard range.contains(x) else {
        throw ScenarioFileError(path, "\(text) is out of range \(decimalText(range.lowerBound))...\(decimalText(range.upperBound))")
    }
    return x
}

private func wholeNumber(_ v: JSONValue, _ path: String, _ range: ClosedRange<Double>, or alternative: String = "") throws -> Int {
    let expected = "expected a whole number \(decimalText(range.lowerBound))...\(decimalText(range.upperBound))"
        + (alternative.isEmpty ? "" : " " + alternative)
    guard case .number(let text) = v, let x = parseDecimalNumber(text), x.isFinite else {
        throw ScenarioFileError(path, "\(expected), got \(describe(v))")
    }
    guard x.rounded() == x, range.contains(x) else { throw ScenarioFileError(path, "\(expected), got \(text)") }
    return Int(x)
}

private func size(_ v: JSONValue, _ path: String, _ range: ClosedRange<Int>) throws -> Int {
    let expected = "expected bytes or a size such as \"512M\", \(range.lowerBound)...\(range.upperBound)"
    let bytes: Int?
    switch v {
    case .number(let text): bytes = parseDecimalNumber(text).flatMap { $0.rounded() == $0 && abs($0) < 9.0e18 ? Int($0) : nil }
    case .string(let text): bytes = parseSizeInBytes(text)
    default: bytes = nil
    }
    guard let bytes else { throw ScenarioFileError(path, "\(expected), got \(describe(v))") }
    guard range.contains(bytes) else { throw ScenarioFileError(path, "\(expected), got \(bytes)") }
    return bytes
}

private func describe(_ v: JSONValue) -> String {
    switch v {
    case .number(let t): return t
    case .string(let s): return "\"\(s)\""
    default: return v.kindName
    }
}

/// Largest magnitude a signal value may have (beyond it the model's sizes overflow).
private let signalLimit = 9.0e15

private func signal(_ v: JSONValue, _ path: String) throws -> Signal {
    if case .number = v { return .constant(try number(v, path, -signalLimit...signalLimit)) }
    guard case .object(let members) = v, members.count == 1 else {
        throw ScenarioFileError(path, "expected a number or an object with one key (constant, ramp, step, unit, oscillate, random, delay, sum, series), got \(v.kindName == "an object" ? "an object with \(membersCount(v)) keys" : v.kindName)")
    }
    let (key, body) = members[0]
    let here = path + "." + key
    switch key {
    case "constant":
        return .constant(try number(body, here, -signalLimit...signalLimit))
    case "unit":
        return .unit(try number(body, here, -signalLimit...signalLimit))
    case "ramp":
        let o = try FileObject(body, path: here)
        try o.allow(["height", "length"])
        return .ramp(height: try required(o, "height") { try number($0, $1, -signalLimit...signalLimit) },
                     length: try required(o, "length") { try wholeNumber($0, $1, 0...1_000_000) })
    case "step":
        let o = try FileObject(body, path: here)
        try o.allow(["height", "from_cycle"])
        let height = try required(o, "height") { try number($0, $1, -signalLimit...signalLimit) }
        let from = try required(o, "from_cycle") { try wholeNumber($0, $1, 1...1_000_000) }
        return .delayed(.constant(height), cycles: from - 1)
    case "oscillate":
        let o = try FileObject(body, path: here)
        try o.allow(["amplitude", "phase", "period"])
        return .oscillate(amplitude: try required(o, "amplitude") { try number($0, $1, -signalLimit...signalLimit) },
                          phase: try o["phase"].map { try number($0, here + ".phase", -1e6...1e6) } ?? 0,
                          period: try required(o, "period") { try wholeNumber($0, $1, 1...1_000_000) })
    case "random":
        let o = try FileObject(body, path: here)
        try o.allow(["amplitude", "stream"])
        let stream = try required(o, "stream") { try wholeNumber($0, $1, 0...9_007_199_254_740_992) }
        return .random(amplitude: try required(o, "amplitude") { try number($0, $1, 0...signalLimit) }, stream: UInt64(stream))
    case "delay":
        let o = try FileObject(body, path: here)
        try o.allow(["cycles", "signal"])
        let cycles = try required(o, "cycles") { try wholeNumber($0, $1, 0...1_000_000) }
        return .delayed(try required(o, "signal") { try signal($0, $1) }, cycles: cycles)
    case "sum":
        guard case .array(let items) = body, !items.isEmpty else {
            throw ScenarioFileError(here, "expected a non-empty array of signals, got \(body.kindName)")
        }
        return .sum(try items.enumerated().map { try signal($1, "\(here)[\($0)]") })
    case "series":
        guard case .array(let items) = body, !items.isEmpty, items.count <= Scenario.maxFileCycles else {
            throw ScenarioFileError(here, "expected an array of 1...\(Scenario.maxFileCycles) numbers, got \(body.kindName)")
        }
        return .series(try items.enumerated().map { try number($1, "\(here)[\($0)]", -signalLimit...signalLimit) })
    default:
        throw ScenarioFileError(here, "unknown signal (expected constant, ramp, step, unit, oscillate, random, delay, sum or series)")
    }
}

private func membersCount(_ v: JSONValue) -> Int {
    if case .object(let m) = v { return m.count }
    return 0
}

private func required<T>(_ o: FileObject, _ key: String, _ read: (JSONValue, String) throws -> T) throws -> T {
    guard let v = o[key] else { throw ScenarioFileError(join(o.path, key), "required") }
    return try read(v, join(o.path, key))
}

private func bound(_ v: JSONValue, _ path: String) throws -> Bound {
    let o = try FileObject(v, path: path)
    try o.allow(["metric", "reference_cycle", "window", "cycles", "range", "pacers", "from_go", "note"])
    guard let name = try o.string("metric") else { throw ScenarioFileError(join(path, "metric"), "required") }
    guard var metric = BoundMetric.fileForms.first(where: { $0.fileName == name }) else {
        throw ScenarioFileError(join(path, "metric"), "unknown metric '\(name)' (expected one of: \(BoundMetric.fileForms.map(\.fileName).joined(separator: ", ")))")
    }
    switch metric {
    case .utilizationChangeFrom:
        metric = .utilizationChangeFrom(cycle: try required(o, "reference_cycle") { try wholeNumber($0, $1, 1...1_000_000) })
    case .gcCPUFraction:
        metric = .gcCPUFraction(window: try required(o, "window") { try wholeNumber($0, $1, 1...1_000_000) })
    default: break
    }
    if o["reference_cycle"] != nil, name != "utilization_change_from" {
        throw ScenarioFileError(join(path, "reference_cycle"), "only for metric utilization_change_from")
    }
    if o["window"] != nil, name != "gc_cpu_fraction" { throw ScenarioFileError(join(path, "window"), "only for metric gc_cpu_fraction") }
    let cycles = try required(o, "cycles") { v, p -> ClosedRange<Int> in
        guard case .array(let a) = v, a.count == 2 else { throw ScenarioFileError(p, "expected [first, last] (1-based cycles)") }
        let lo = try wholeNumber(a[0], p + "[0]", 1...1_000_000), hi = try wholeNumber(a[1], p + "[1]", 1...1_000_000)
        guard lo <= hi else { throw ScenarioFileError(p, "first cycle \(lo) is after last cycle \(hi)") }
        return lo...hi
    }
    let range = try required(o, "range") { v, p -> ClosedRange<Double> in
        guard case .array(let a) = v, a.count == 2 else { throw ScenarioFileError(p, "expected [low, high]") }
        let lo = try number(a[0], p + "[0]", -1e12...1e12), hi = try number(a[1], p + "[1]", -1e12...1e12)
        guard lo <= hi else { throw ScenarioFileError(p, "low \(decimalText(lo)) is above high \(decimalText(hi))") }
        return lo...hi
    }
    var pacers: Set<PacerKind> = [.go118, .go121]
    if let p = o["pacers"] {
        guard case .array(let items) = p, !items.isEmpty else {
            throw ScenarioFileError(join(path, "pacers"), "expected a non-empty array of pacer names")
        }
        pacers = try Set(items.enumerated().map { i, item in
            guard case .string(let n) = item, let kind = PacerKind(rawValue: n) else {
                throw ScenarioFileError("\(join(path, "pacers"))[\(i)]", "expected one of \(PacerKind.allCases.map(\.rawValue).joined(separator: ", ")), got \(describe(item))")
            }
            return kind
        })
    }
    var fromGo = false
    if let f = o["from_go"] {
        guard case .bool(let b) = f else { throw ScenarioFileError(join(path, "from_go"), "expected true or false, got \(f.kindName)") }
        fromGo = b
    }
    return Bound(metric, cycles: cycles, range, pacers: pacers, fromGo: fromGo, note: try o.string("note") ?? "")
}

// MARK: Writing

/// A JSON string literal.
private func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

/// `x` in decimal without an exponent (the number syntax refuses exponents), exact to Double's
/// shortest round-trip digits.
func decimalText(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 9.0e15 { return String(Int(x)) }
    let text = "\(x)"
    guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
    let exponent = Int(text[text.index(after: e)...])!
    var mantissa = String(text[..<e])
    let negative = mantissa.hasPrefix("-")
    if negative { mantissa.removeFirst() }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
    var digits = whole + fraction
    var point = whole.count + exponent   // position of the decimal point within `digits`
    if point <= 0 { digits = String(repeating: "0", count: 1 - point) + digits; point = 1 }
    if point >= digits.count { digits += String(repeating: "0", count: point - digits.count); point = digits.count }
    var result = String(digits.prefix(point))
    let rest = digits.dropFirst(point).reversed().drop { $0 == "0" }.reversed()
    if !rest.isEmpty { result += "." + String(rest) }
    while result.count > 1 && result.hasPrefix("0") && !result.hasPrefix("0.") { result.removeFirst() }
    return (negative ? "-" : "") + result
}
