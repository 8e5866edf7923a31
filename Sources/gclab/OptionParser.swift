// Command-line parsing shared by every gclab subcommand.
//
// gclab takes `--name value` (or `--name=value`) and `--flag` options only, each at most once. Every
// subcommand declares the options it knows; anything else is refused with one clear line (exit code 2,
// see main.swift), never a crash. Numbers and sizes have one syntax everywhere (Pacer's NumberSyntax.swift):
// `-0.5`, `42`; `512M`, `1.5G`, `64KiB`; no exponents, hex, inf or nan.

import ConcurrentGC
import Pacer
import Foundation

/// A mistake in what the user typed: printed as one line, exit code 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// The parsed options of one subcommand.
struct OptionParser {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    /// Words that are not options (e.g. a spec file name), in order.
    private(set) var positionals: [String] = []

    /// Parses `arguments` (without the subcommand name). `valueOptions` take one value each,
    /// `flagOptions` none; names are given without the leading `--`.
    init(_ arguments: [String], valueOptions: Set<String>, flagOptions: Set<String> = [],
         allowPositionals: Bool = false) throws {
        var i = 0
        while i < arguments.count {
            let word = arguments[i]
            if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                var inlineValue: String? = nil
                if let eq = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if flags.contains(name) || values[name] != nil {
                    throw UsageError("option --\(name) given twice: give it once")
                }
                if flagOptions.contains(name) {
                    if inlineValue != nil { throw UsageError("option --\(name) takes no value") }
                    flags.insert(name)
                } else if valueOptions.contains(name) {
                    if let v = inlineValue {
                        values[name] = v
                    } else {
                        guard i + 1 < arguments.count else { throw UsageError("option --\(name) needs a value") }
                        i += 1
                        values[name] = arguments[i]
                    }
                } else {
                    let known = (valueOptions.union(flagOptions)).sorted().map { "--" + $0 }.joined(separator: " ")
                    throw UsageError("unknown option \(word) (known: \(known))")
                }
            } else if allowPositionals {
                positionals.append(word)
            } else {
                throw UsageError("unexpected argument '\(word)'")
            }
            i += 1
        }
    }

    /// True when the flag was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The raw value of an option, if given.
    func string(_ name: String) -> String? { values[name] }

    /// A string option restricted to `choices`.
    func choice(_ name: String, _ choices: [String], default def: String) throws -> String {
        guard let v = values[name] else { return def }
        guard choices.contains(v) else {
            throw UsageError("invalid value '\(v)' for --\(name) (expected one of: \(choices.joined(separator: ", ")))")
        }
        return v
    }

    /// An integer option within `range`.
    func int(_ name: String, default def: Int, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let v = values[name] else { return def }
        guard let n = Int(v), parseDecimalNumber(v) != nil else { throw UsageError("invalid integer '\(v)' for --\(name)") }
        guard range.contains(n) else {
            throw UsageError("--\(name) \(n) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    /// A finite floating-point option within `range`.
    func double(_ name: String, default def: Double,
                range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Double {
        guard let v = values[name] else { return def }
        guard let x = parseDecimalNumber(v) else { throw UsageError("invalid number '\(v)' for --\(name)") }
        guard range.contains(x) else {
            throw UsageError("--\(name) \(v) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return x
    }

    /// A byte size such as `1073741824`, `512M`, `1G`, `64KiB`.
    func bytes(_ name: String, default def: Int, range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        guard let v = values[name] else { return def }
        guard let n = parseByteSize(v) else {
            throw UsageError("invalid size '\(v)' for --\(name) (whole bytes, or a number with a K/M/G/T suffix, e.g. 4096, 512M, 1.5G)")
        }
        guard range.contains(n) else {
            throw UsageError("--\(name) \(v) is out of range \(range.lowerBound)...\(range.upperBound) bytes")
        }
        return n
    }
}
