// `gclab list`: every workload and collector, with a line of description and their parameters.

import ConcurrentGC
import Workloads

enum ListCommand {
    static func main(_ args: [String]) throws {
        _ = try OptionParser(args, valueOptions: [])
        print("workloads:")
        for w in WorkloadRegistry.all {
            print("  \(w.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(w.summary)")
            print("  \(String(repeating: " ", count: 14)) parameters: \(w.parameterSummary)")
        }
        print("collectors:")
        for c in CollectorKind.allCases {
            print("  \(c.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(c.summary)")
        }
        print("options common to all: --threads N (1), --gogc N (100), --heap-max SIZE (1G), --seed N (1), --scale small|default|large, --verify")
    }
}
