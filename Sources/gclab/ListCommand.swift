// `gclab list`: every workload, collector, barrier, root mode and pacer, with a line of description and
// their parameters.

import ConcurrentGC
import Pacer
import Workloads

enum ListCommand {
    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: [], flagOptions: ["help"])
        if o.flag("help") { print("usage: gclab list\n  lists every workload, collector, barrier, root mode and pacer with its parameters"); return }
        func row(_ name: String, _ text: String) { print("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(text)") }
        print("workloads (--workload; all take --threads, --scale small|default|large, --seed):")
        for w in WorkloadRegistry.all {
            row(w.name, w.summary)
            row("", "parameters: " + w.parameterSummary)
        }
        print("collectors (--collector):")
        for c in CollectorKind.allCases { row(c.rawValue, c.summary) }
        print("barriers (--barrier, concurrent collector):")
        for b in BarrierKind.allCases { row(b.rawValue, b.summary) }
        print("root modes (--roots, concurrent collector):")
        row(RootsMode.stw.rawValue, "every stack scanned in the mark-start pause")
        row(RootsMode.handshake.rawValue, "each thread scans its own stack at its next safepoint (hybrid, dijkstra, steele)")
        print("pacers (gclab run --pacer, gclab pacer-sim --pacer, gclab tune --pacer):")
        row("gogc", "no pacing: collect when the heap reaches live x (1 + GOGC/100); fixed assist ratio (run only; default for stw)")
        for p in PacerKind.allCases { row(p.rawValue, p.summary + (p == .go121 ? " (default for concurrent)" : "")) }
        print("heap: --heap-max SIZE (1G), --gogc N (100), --heap-minimum SIZE (4M), --verify (checkmark after every mark, poison freed memory)")
        print("concurrent collector: --mark-workers N (default: the pacer's worker plan; 1 with --pacer gogc; 0 = incremental),")
        print("                      --incremental-k K (2, --pacer gogc only), --unsafe (needs --verify)")
    }
}
