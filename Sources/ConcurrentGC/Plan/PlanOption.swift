// Options a plan declares for itself (`--treadmill-k`, `--roots`, and the nursery size, copy reserve or
// read barrier of plans to come). The plan lists them in its traits; the command line parses them, the
// matrix sweeps them and the results record them from that list alone, so adding one touches only its plan.
// Values given are kept in `HeapConfiguration.planOptions`; an option not given has its default.

import Pacer

/// One option of a collector plan.
public struct PlanOption: Hashable, Sendable, CustomStringConvertible {
    /// The values an option accepts.
    public enum Domain: Hashable, Sendable {
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        /// Bytes, typed as sizes (`4M`).
        case size(ClosedRange<Int>)
        case choice([String])
    }

    /// A value of an option.
    public enum Value: Hashable, Sendable, CustomStringConvertible {
        case integer(Int)
        case number(Double)
        case choice(String)

        public var description: String {
            switch self {
            case .integer(let n): return String(n)
            case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
            case .choice(let s): return s
            }
        }
    }

    /// The name on the command line, without `--`.
    public let name: String
    public let domain: Domain
    public let defaultValue: Value
    /// One line for help and `gclab list`.
    public let summary: String
    /// Names `gclab matrix` takes for it as a dimension (comma lists); the option's name and any of these.
    public let matrixAliases: [String]

    public init(name: String, domain: Domain, defaultValue: Value, summary: String, matrixAliases: [String] = []) {
        self.name = name
        self.domain = domain
        self.defaultValue = defaultValue
        self.summary = summary
        self.matrixAliases = matrixAliases
    }

    /// The column name in summary.csv and config.json (`treadmill_k`).
    public var columnName: String { name.replacingOccurrences(of: "-", with: "_") }

    /// The accepted values, for help texts: `1...1000000`, `stw | handshake`.
    public var valuesDescription: String {
        switch domain {
        case .integer(let r): return "\(r.lowerBound)...\(r.upperBound)"
        case .number(let r): return "\(Value.number(r.lowerBound))...\(Value.number(r.upperBound))"
        case .size(let r): return "\(r.lowerBound)...\(r.upperBound) bytes"
        case .choice(let names): return names.joined(separator: " | ")
        }
    }

    /// Parses `text` as typed on the command line; the error is one line naming the option.
    public func parse(_ text: String) -> Result<Value, PlanOptionError> {
        switch domain {
        case .integer(let range):
            guard let n = Int(text), parseDecimalNumber(text) != nil else { return .failure(PlanOptionError("invalid integer '\(text)' for --\(name)")) }
            guard range.contains(n) else { return .failure(PlanOptionError("--\(name) \(n) is out of range \(valuesDescription)")) }
            return .success(.integer(n))
        case .number(let range):
            guard let x = parseDecimalNumber(text) else { return .failure(PlanOptionError("invalid number '\(text)' for --\(name)")) }
            guard range.contains(x) else { return .failure(PlanOptionError("--\(name) \(text) is out of range \(valuesDescription)")) }
            return .success(.number(x))
        case .size(let range):
            guard let n = parseByteSize(text) else {
                return .failure(PlanOptionError("invalid size '\(text)' for --\(name) (whole bytes, or a number with a K/M/G/T suffix, e.g. 4096, 4M, 1.5M)"))
            }
            guard range.contains(n) else { return .failure(PlanOptionError("--\(name) \(text) is out of range \(valuesDescription)")) }
            return .success(.integer(n))
        case .choice(let names):
            guard names.contains(text) else {
                return .failure(PlanOptionError("invalid value '\(text)' for --\(name) (expected one of: \(names.joined(separator: ", ")))"))
            }
            return .success(.choice(text))
        }
    }

    /// Whether `value` is in the option's domain (a value set in code, not typed, is checked with this).
    public func accepts(_ value: Value) -> Bool {
        switch (domain, value) {
        case (.integer(let r), .integer(let n)), (.size(let r), .integer(let n)): return r.contains(n)
        case (.number(let r), .number(let x)): return r.contains(x)
        case (.number(let r), .integer(let n)): return r.contains(Double(n))
        case (.choice(let names), .choice(let s)): return names.contains(s)
        default: return false
        }
    }

    public static func == (a: PlanOption, b: PlanOption) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }
    public var description: String { "--" + name }
}

/// A plan option's value was refused.
public struct PlanOptionError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension HeapConfiguration {
    /// The value of `option`: the one given, or its default.
    public func value(of option: PlanOption) -> PlanOption.Value { planOptions[option.name] ?? option.defaultValue }

    /// The value of an integer or size option.
    public func integer(_ option: PlanOption) -> Int {
        switch value(of: option) {
        case .integer(let n): return n
        case .number(let x): return Int(x)
        case .choice: preconditionFailure("--\(option.name) is not a number")
        }
    }

    /// The value of a number option.
    public func number(_ option: PlanOption) -> Double {
        switch value(of: option) {
        case .integer(let n): return Double(n)
        case .number(let x): return x
        case .choice: preconditionFailure("--\(option.name) is not a number")
        }
    }

    /// The value of a choice option.
    public func choice(_ option: PlanOption) -> String {
        if case .choice(let s) = value(of: option) { return s }
        preconditionFailure("--\(option.name) is not a choice")
    }

    /// Whether `option` was given (not just defaulted).
    public func isGiven(_ option: PlanOption) -> Bool { planOptions[option.name] != nil }
}
