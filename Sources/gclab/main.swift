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
  stress      random verified runs of every collector, barrier and option; failures with their commands
  help        this text

`gclab <command> --help` describes a command's options.
"""

func printError(_ message: String) {
    FileHandle.standardError.write(("gclab: error: " + message + "\n").data(using: .utf8)!)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(usage)
    exit(0)
}
let rest = Array(arguments.dropFirst())
do {
    switch command {
    case "run": try RunCommand.main(rest)
    case "bench": try BenchCommand.main(rest)
    case "list": try ListCommand.main(rest)
    case "pacer-sim": try PacerSimCommand.main(rest)
    case "tune": try TuneCommand.main(rest)
    case "matrix": try MatrixCommand.main(rest)
    case "minheap": try MinHeapCommand.main(rest)
    case "summarize": try SummarizeCommand.main(rest)
    case "merge": try MergeCommand.main(rest)
    case "stress": try StressCommand.main(rest)
    case "help", "--help", "-h": print(usage)
    default: throw UsageError("unknown command '\(command)' (try `gclab help`)")
    }
} catch let error as UsageError {
    printError(error.message)
    exit(2)
} catch {
    printError("\(error)")
    exit(1)
}
