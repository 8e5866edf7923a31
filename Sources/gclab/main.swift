// gclab: the command-line front end. Dispatches to one subcommand; every usage error is one line on
// stderr and exit code 2.

import Foundation

let usage = """
usage: gclab <command> [options]

commands:
  run         run one experiment (default: GCBench on the default collector)
  bench       micro-benchmarks: `gclab bench alloc|barrier|mark`
  list        list workloads and collectors with their parameters
  pacer-sim   run a pacer against a simulated program (`gclab pacer-sim --list`)
  tune        grid-search pacer gains on the simulator
  matrix      run an experiment matrix: one `gclab run` per configuration (`gclab matrix --help`)
  minheap     find a workload's smallest heap (binary search over --heap-max), cached for --heap 2.5x
  summarize   a matrix's summary.csv as a table, one row per configuration
  merge       join the summary.csv files of matrix shards
  report      DIR/report.html: plots of a run or a matrix (inline SVG, opens from disk)
  stress      random verified runs of every collector, barrier and option; failures with their commands
  fuzz        the parsers under libFuzzer (a build made by .ci/fuzz), or replay inputs through them
  help        this text; `gclab help <command>` is `gclab <command> --help`

`gclab <command> --help` describes a command's options.
"""

func printError(_ message: String) {
    FileHandle.standardError.write(("gclab: error: " + message + "\n").data(using: .utf8)!)
}

ParentDeath.armIfChild()
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(usage)
    exit(0)
}
let commands: [String: ([String]) throws -> Void] = [
    "run": RunCommand.main, "bench": BenchCommand.main, "list": ListCommand.main, "pacer-sim": PacerSimCommand.main,
    "tune": TuneCommand.main, "matrix": MatrixCommand.main, "minheap": MinHeapCommand.main,
    "summarize": SummarizeCommand.main, "merge": MergeCommand.main, "stress": StressCommand.main, "fuzz": FuzzCommand.main,
    "report": ReportCommand.main,
]
let rest = Array(arguments.dropFirst())
do {
    switch command {
    case "help", "--help", "-h":
        if rest.isEmpty { print(usage); break }
        guard rest.count == 1, let help = commands[rest[0]] else {
            throw UsageError("`gclab help` takes no option or one command name (got: \(rest.joined(separator: " ")); commands: \(commands.keys.sorted().joined(separator: ", ")))")
        }
        try help(["--help"])
    case let name where commands[name] != nil: try commands[name]!(rest)
    default: throw UsageError("unknown command '\(command)' (try `gclab help`)")
    }
} catch let error as UsageError {
    printError(error.message)
    exit(2)
} catch let error as NSError where error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain {
    // A file error no check above anticipated: one line with the path and the reason, not the dump.
    let path = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    printError((path.map { $0 + ": " } ?? "") + error.localizedDescription)
    exit(1)
} catch {
    printError("\(error)")
    exit(1)
}
