// `gclab list`: every workload, collector (with what it takes and its own options, from its traits),
// barrier and pacer, with a line of description and their parameters.

import ConcurrentGC
import Pacer
import Workloads

enum ListCommand {
    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: [], flagOptions: ["help"])
        if o.flag("help") { print("usage: gclab list\n  lists every workload, collector, barrier and pacer with its parameters"); return }
        func row(_ name: String, _ text: String) {
            // Names longer than the column keep their own width (never cut).
            print("  \(name.count < 18 ? name.padding(toLength: 18, withPad: " ", startingAt: 0) : name + " ") \(text)")
        }
        print("workloads (--workload; all take --threads, --scale small|default|large, --seed):")
        for w in WorkloadRegistry.all {
            row(w.name, w.summary)
            row("", "parameters: " + w.parameterSummary)
        }
        print("collectors (--collector):")
        for c in CollectorKind.allCases {
            row(c.name, c.summary)
            let t = c.traits
            var takes: [String] = []
            if !t.barriers.isEmpty { takes.append("--barrier") }
            if t.markWorkers != nil { takes.append("--mark-workers") }
            takes.append("--pacer gogc" + t.pacers.map { "|" + $0.rawValue }.joined())
            row("", "takes: " + takes.joined(separator: ", ") + "; pauses: " + t.pauseKinds.map(\.name).joined(separator: ", "))
            for o in t.options { row("", "--\(o.name) \(o.valuesDescription) (default \(o.defaultValue)): \(o.summary)") }
        }
        print("barriers (--barrier; \(CollectorKind.names { !$0.traits.barriers.isEmpty })):")
        for b in BarrierKind.allCases { row(b.name + b.aliases.map { "/" + $0 }.joined(), b.summary) }
        print("pacers (gclab run --pacer, gclab pacer-sim --pacer, gclab tune --pacer):")
        func defaultFor(_ pacer: PacerKind?) -> String {
            let names = CollectorKind.allCases.filter { $0.traits.defaultPacer == pacer }.map(\.name)
            return names.isEmpty ? "" : " (default for \(names.joined(separator: ", ")))"
        }
        row("gogc", "no pacing: collect when the heap reaches live x (1 + GOGC/100); fixed assist ratio (run only)" + defaultFor(nil))
        for p in PacerKind.allCases { row(p.rawValue, p.summary + defaultFor(p)) }
        print("heap: --heap-max SIZE (1G), --gogc N (100), --heap-minimum SIZE (4M), --verify (checkmark after every mark, poison freed memory)")
    }
}
