// Parsing a gain given either as one value ("0.9") or as a grid "lo:hi:step" ("0.5:1.5:0.1").
//
// Grid points are lo + i·step for i = 0, 1, ... while ≤ hi (with a 1e-9 relative slack so 0.5:1.5:0.1
// includes 1.5), each rounded to 12 significant digits so that decimal steps print as typed (0.3, not
// 0.30000000000000004). Every value must lie in the parameter's documented range, whole-number
// parameters must get whole numbers, and a grid may not exceed `maxValues` points.

import Foundation

/// A mistake in user-supplied pacer input (a bad range, an unknown parameter, ...), one line.
public struct PacerInputError: Error, CustomStringConvertible {
    /// The one-line explanation.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// The values one parameter takes in a gain search.
public struct ParameterRange: Equatable, Sendable {
    /// The parameter's command-line name.
    public let name: String
    /// The values, ascending.
    public let values: [Double]

    /// Most values a single range may produce.
    public static let maxValues = 10_000

    /// Whether this is a grid of more than one value.
    public var isSweep: Bool { values.count > 1 }

    /// Creates a range directly (values must be non-empty).
    public init(name: String, values: [Double]) {
        precondition(!values.isEmpty)
        self.name = name
        self.values = values
    }

    /// Parses `text` ("x" or "lo:hi:step") for `parameter`.
    public static func parse(_ text: String, for parameter: PacerParameter) throws -> ParameterRange {
        let flag = "--\(parameter.name)"
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ s: String, _ what: String) throws -> Double {
            guard let x = parseDecimalNumber(s.trimmingCharacters(in: .whitespaces)) else {
                if parts.count == 1 { throw PacerInputError("invalid number '\(s)' for \(flag)") }
                throw PacerInputError("invalid \(what) '\(s)' in \(flag) \(text) (expected a number)")
            }
            return x
        }
        var values: [Double]
        switch parts.count {
        case 1:
            values = [try number(parts[0], "value")]
        case 3:
            let lo = try number(parts[0], "lower bound"), hi = try number(parts[1], "upper bound")
            let step = try number(parts[2], "step")
            guard step > 0 else { throw PacerInputError("step must be positive in \(flag) \(text)") }
            guard lo <= hi else { throw PacerInputError("lower bound exceeds upper bound in \(flag) \(text)") }
            let span = (hi - lo) / step
            guard span < Double(maxValues) else {
                throw PacerInputError("\(flag) \(text) gives more than \(maxValues) values")
            }
            let count = Int((span * (1 + 1e-9) + 1e-9).rounded(.down)) + 1
            values = (0..<count).map { clean(lo + Double($0) * step) }
        default:
            throw PacerInputError("invalid range \(flag) \(text) (use a value or lo:hi:step, e.g. 0.5:1.5:0.1)")
        }
        for v in values {
            guard parameter.range.contains(v) else {
                throw PacerInputError("\(flag) value \(format(v)) is out of range \(format(parameter.range.lowerBound))...\(format(parameter.range.upperBound))")
            }
            if parameter.isInteger && v != v.rounded() {
                throw PacerInputError("\(flag) takes whole numbers, got \(format(v))")
            }
        }
        return ParameterRange(name: parameter.name, values: values)
    }

    /// Rounds to 12 significant digits, removing binary noise from decimal steps.
    static func clean(_ x: Double) -> Double { Double(String(format: "%.12g", x)) ?? x }

    /// Shortest faithful text for a value (12 significant digits).
    public static func format(_ x: Double) -> String { String(format: "%.12g", x) }
}
