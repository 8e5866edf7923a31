// `gclab bench`: micro-benchmarks, always side by side with a baseline in the same run; figures are
// medians over repeats, rounds interleaved so machine noise hits both alike. Use a release build.
// One file per benchmark in Bench/.

import ConcurrentGC
import Foundation

enum BenchCommand {
    static let help = """
    usage: gclab bench NAME [options]
      alloc    ns per object: Mutator.allocate vs a bare bump-pointer loop
               [--objects N (10000000)] [--repeat R (9)] [--region SIZE (8M)]
      barrier  ns per reference store, barrier off and on, per collector and barrier, vs a plain store;
               then ns per reference load for each read barrier, idle and while a cycle copies, vs a
               plain load [--stores N (20000000): stores, and loads] [--repeat R (7)]
      mark     marking (semispace: copying) throughput on a large live graph, per collector (1 and 2
               workers where it has them): a random graph, or GCBench's long-lived tree built top-down
               [--nodes N (2000000)] [--graph random|tree (random)] [--repeat R (5)]
      flip     Baker's treadmill flip on rings of 1K, 32K and 1M cells (should not depend on size),
               against one pass over every cell (what a sweep would at least cost) [--repeat R (101)]
    """

    static func main(_ args: [String]) throws {
        guard let which = args.first, !which.hasPrefix("--") else {
            if args.contains("--help") { print(help); return }
            throw UsageError("bench needs a benchmark name: alloc, barrier, mark or flip")
        }
        let known: [String: Set<String>] = ["alloc": ["objects", "repeat", "region"], "barrier": ["stores", "repeat"],
                                            "mark": ["nodes", "repeat", "graph"], "flip": ["repeat"]]
        guard let options = known[which] else { throw UsageError("unknown benchmark '\(which)' (known: alloc, barrier, mark, flip)") }
        let o = try OptionParser(Array(args.dropFirst()), valueOptions: options, flagOptions: ["help"])
        if o.flag("help") { print(help); return }
        switch which {
        case "alloc":
            try AllocBench.run(objects: o.int("objects", default: 10_000_000, range: 1000...200_000_000),
                               repeats: o.int("repeat", default: 9, range: 1...1000),
                               region: o.bytes("region", default: 8 << 20, range: (1 << 20)...(1 << 34)))
        case "barrier":
            try BarrierBench.run(stores: o.int("stores", default: 20_000_000, range: 1000...1_000_000_000),
                                 repeats: o.int("repeat", default: 7, range: 1...1000))
            try ReadBarrierBench.run(loads: o.int("stores", default: 20_000_000, range: 1000...1_000_000_000),
                                     repeats: o.int("repeat", default: 7, range: 1...1000))
        case "mark":
            try MarkBench.run(nodes: o.int("nodes", default: 2_000_000, range: 1000...50_000_000),
                              repeats: o.int("repeat", default: 5, range: 1...100),
                              graph: MarkBench.Graph(rawValue: o.choice("graph", ["random", "tree"], default: "random"))!)
        case "flip":
            let repeats = try o.int("repeat", default: 101, range: 1...100_000)
            print("flip: median and max of \(repeats) flips; a pass over every cell for scale")
            print("  cells       flip median ns   flip max ns   visit-all us")
            for cells in [1 << 10, 1 << 15, 1 << 20] {
                let m = TreadmillFlipBenchmark.measure(cells: cells, repeats: repeats)
                let flips = m.flipsNs.sorted()
                let columns = ["\(cells)".padding(toLength: 10, withPad: " ", startingAt: 0),
                               String(repeating: " ", count: 5) + "\(flips[flips.count / 2])".rightAligned(10),
                               "\(flips.last!)".rightAligned(13), String(format: "%.1f", Double(m.visitAllNs) / 1e3).rightAligned(14)]
                print("  " + columns.joined(separator: " "))
            }
        default:
            throw UsageError("unknown benchmark '\(which)' (known: alloc, barrier, mark, flip)")
        }
    }

    /// The median of `xs` (0 when empty): the one the benchmarks, `summarize` and `report` show.
    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}

private extension String {
    /// The string right-aligned in `width` columns.
    func rightAligned(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
