// `gclab fuzz`: the parsers under libFuzzer. Every input a user can type or write — the options of
// `run`, `matrix`, `pacer-sim`, `tune` and `stress`, sizes and numbers, a matrix spec file, a scenario
// file — must end in a
// result or a one-line UsageError, never a trap (an overflow, an index out of range, a forced unwrap).
// `FuzzTarget.check` feeds one input to one of them, chosen by its first byte; it validates only (no run
// starts, no file is written: --out is not among the options it accepts).
//
// A normal build replays files through the same check (`gclab fuzz FILE...`: the corpus and every crash
// found so far, Tests/Fuzz/, as a test does). A build instrumented for libFuzzer (`.ci/fuzz`:
// `-sanitize=address -sanitize-coverage=...` and libFuzzer's library without its main) has
// LLVMFuzzerRunDriver linked in; `gclab fuzz -max_total_time=60 DIR` then hands its arguments to
// libFuzzer, which calls `check` with the inputs it generates. The driver is found with dlsym, so the same
// source builds with and without libFuzzer.

import ConcurrentGC
import Foundation
import Pacer

enum FuzzCommand {
    static var help: String { """
    usage: gclab fuzz [libFuzzer options] [CORPUS_DIR | FILE...]
    In a build made by .ci/fuzz (libFuzzer linked in): fuzzes the option, number, size and matrix spec
    parsers, e.g. `gclab fuzz -max_total_time=60 Tests/Fuzz/corpus`. In a normal build: replays each FILE
    (or every file of each directory) through the same check, and fails if any traps. An input's first
    byte chooses the parser (0 run, 1 matrix options, 2 matrix spec JSON, 3 pacer-sim and tune, 4 stress,
    5 sizes and numbers, 6 a pacer-sim scenario file); the rest is its text, arguments separated by newlines.
    """ }

    typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    typealias Driver = @convention(c) (UnsafeMutablePointer<Int32>,
                                       UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>, Callback) -> Int32

    static func main(_ args: [String]) throws {
        if args == ["--help"] { print(help); return }
        if let symbol = dlsym(nil, "LLVMFuzzerRunDriver") {
            // libFuzzer parses its own options from argv: give it `gclab-fuzz` and the arguments.
            var argv: [UnsafeMutablePointer<CChar>?] = (["gclab-fuzz"] + args).map { strdup($0) } + [nil]
            var argc = Int32(args.count + 1)
            let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var pointer = Optional(buffer.baseAddress!)
                return unsafeBitCast(symbol, to: Driver.self)(&argc, &pointer) { data, size in
                    FuzzTarget.check(Array(UnsafeBufferPointer(start: data, count: size)))
                    return 0
                }
            }
            exit(status)
        }
        guard !args.isEmpty, !args.contains(where: { $0.hasPrefix("-") }) else {
            throw UsageError("this gclab has no libFuzzer (build it with .ci/fuzz); give input files or directories to replay them")
        }
        var files: [String] = []
        for path in args {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw UsageError("no such input: \(path)") }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                files += names.filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        for file in files { FuzzTarget.check(try readSmallFile(file, what: "fuzz input")) }
        print("fuzz: \(files.count) input\(files.count == 1 ? "" : "s") replayed, none trapped")
    }
}

enum FuzzTarget {
    /// Feeds `input` to the parser its first byte names. Returns normally for any input that is handled
    /// (accepted or refused with a UsageError); anything else is a bug, and traps.
    static func check(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let text = String(decoding: input.dropFirst(), as: UTF8.self)
        let args = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        do {
            switch selector % 7 {
            case 0:
                let o = try OptionParser(args, valueOptions: RunCommand.valueOptions.subtracting(["out"]), flagOptions: RunCommand.flagOptions)
                _ = try RunCommand.parse(o)
            case 1:
                try matrix(MatrixSpec.parse(args.filter { !$0.hasPrefix("--out") && !$0.hasSuffix(".json") }))
            case 2:
                let (values, flags) = try MatrixSpec.parseSpec(Array(input.dropFirst()), name: "spec.json")
                try matrix(MatrixSpec(values: values.filter { $0.key != "out" }, flags: flags))
            case 3:
                if selector & 8 == 0 {  // pacer-sim, as the command reads it
                    let o = try OptionParser(args, valueOptions: Set(["scenario", "pacer", "cycles", "seed", "noise"]).union(PacerOptions.parameterNames),
                                             flagOptions: ["no-cpu-limiter"])
                    _ = try PacerSimCommand.parse(o)
                } else {  // tune's ranges
                    let o = try OptionParser(args, valueOptions: Set(["scenario", "pacer", "cycles", "seeds", "noise"]).union(PacerOptions.parameterNames))
                    let scenario = try PacerOptions.scenario(o)
                    let kind = try PacerOptions.pacer(o)
                    _ = try o.int("cycles", default: scenario.defaultCycles, range: 1...100_000)
                    _ = try PacerOptions.config(o, scenario: scenario, kind: kind, allowRanges: true).base.validationError()
                }
            case 4:
                let o = try OptionParser(args, valueOptions: StressCommand.valueOptions.subtracting(["out"]), flagOptions: StressCommand.flagOptions)
                let options = try StressCommand.parse(o)
                _ = options.space.draw(0)
            case 6:
                // A scenario file: accepted or refused in one line; an accepted one prints to a file that
                // reads back to itself.
                let scenario = try PacerOptions.scenarioFile(Array(input.dropFirst()), name: "scenario.json")
                let text = scenario.fileText
                guard let again = try? Scenario.parseFile(Array(text.utf8)), again.fileText == text else {
                    fatalError("a scenario's file form does not read back to itself:\n\(text)")
                }
            default:
                _ = parseSizeInBytes(text)
                _ = parseDecimalNumber(text)
                _ = try StressCommand.parseDuration(text)
            }
        } catch is UsageError {
            // Refused with a message: handled.
        } catch {
            fatalError("not a UsageError: \(error)")
        }
    }

    /// Expands and validates a matrix spec as `gclab matrix` does, when it is small enough to do so
    /// quickly (the size limit itself is checked for any spec).
    private static func matrix(_ spec: MatrixSpec) throws {
        guard MatrixPlan.countRuns(spec, limit: 2_000) <= 2_000 else {
            if MatrixPlan.countRuns(spec, limit: MatrixPlan.maxRuns) > MatrixPlan.maxRuns { _ = try? MatrixPlan(spec) }
            return
        }
        _ = try MatrixPlan(spec)
    }
}
