// trace.json: the run as a Chrome trace-event timeline (opens in Perfetto, ui.perfetto.dev, and
// chrome://tracing). Tracks (threads of process 1):
//   0            "GC: pauses"         stop-the-world pauses as slices
//   1            "GC: phases"         each cycle's phases, named by its plan (`PlanTraits.phases`): an opening
//                                     pause, marking while mutators run, a closing pause; or one pause
//   10 + k       "GC: phases (k+1)"   cycles that overlap one still running on the tracks before (a
//                                     generational plan's minor collections during a concurrent major), so
//                                     that the slices of each track nest, as the format requires
//   1000 + id    "mutator id"         handshakes and assists of that mutator
//   2000 + i     "mark worker i"      background marking slices
// Counters: heap in use, live, trigger, committed (from the heap samples); goal and trigger per cycle.
// Times are microseconds (the format's unit) from the heap's creation.

import ConcurrentGC
import Foundation

enum TraceFile {
    static func write(_ stats: GCStats, title: String, to url: URL) throws {
        var events: [String] = []
        func us(_ ns: UInt64) -> String { String(format: "%.3f", Double(ns) / 1000) }
        func meta(_ tid: Int, _ name: String) {
            events.append(#"{"name":"thread_name","ph":"M","pid":1,"tid":\#(tid),"args":{"name":"\#(name)"}}"#)
            events.append(#"{"name":"thread_sort_index","ph":"M","pid":1,"tid":\#(tid),"args":{"sort_index":\#(tid)}}"#)
        }
        func slice(_ name: String, _ cat: String, _ tid: Int, _ start: UInt64, _ duration: UInt64, _ args: String = "{}") {
            events.append(#"{"name":"\#(name)","cat":"\#(cat)","ph":"X","pid":1,"tid":\#(tid),"ts":\#(us(start)),"dur":\#(us(duration)),"args":\#(args)}"#)
        }
        func counter(_ name: String, _ ts: UInt64, _ values: [(String, Int)]) {
            let args = values.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",")
            events.append(#"{"name":"\#(name)","ph":"C","pid":1,"ts":\#(us(ts)),"args":{\#(args)}}"#)
        }
        events.append(#"{"name":"process_name","ph":"M","pid":1,"args":{"name":"\#(title)"}}"#)
        meta(0, "GC: pauses")
        meta(1, "GC: phases")
        var mutators = Set<Int>(), workers = Set<Int>()
        for p in stats.pauses {
            if p.mutator == 0 {
                slice(p.kind.name, "pause", 0, p.startNs, p.durationNs,
                      #"{"cycle":\#(p.cycle),"time_to_safepoint_ns":\#(p.timeToSafepointNs)}"#)
            } else {
                mutators.insert(p.mutator)
                slice(p.kind.name, "handshake", 1000 + p.mutator, p.startNs, p.durationNs, #"{"cycle":\#(p.cycle)}"#)
            }
        }
        var laneEnds: [UInt64] = []  // per phase track, when its last cycle ended
        for c in stats.cycles.sorted(by: { $0.startNs < $1.startNs }) {
            let lane = laneEnds.firstIndex { $0 <= c.startNs } ?? laneEnds.count
            if lane == laneEnds.count {
                laneEnds.append(0)
                if lane > 0 { meta(10 + lane, "GC: phases (\(lane + 1))") }
            }
            laneEnds[lane] = max(c.endNs, c.startNs)
            let tid = lane == 0 ? 1 : 10 + lane
            let args = #"{"cycle":\#(c.cycle),"reason":"\#(c.reason)","marked_bytes":\#(c.markedBytes)}"#
            let phases = c.collector.traits.phases
            // Opening pause, marking while mutators run, closing pause (a cycle may begin marking at time
            // 0: the treadmill's first, which starts with the heap).
            if c.concurrentMarkStartNs > 0 || c.markTerminationStartNs > 0 {
                if c.concurrentMarkStartNs > c.startNs, !phases.opening.isEmpty {
                    slice("GC \(c.cycle) \(phases.opening)", "phase", tid, c.startNs, c.concurrentMarkStartNs - c.startNs, args)
                }
                slice("GC \(c.cycle) \(phases.marking)", "phase", tid, c.concurrentMarkStartNs,
                      c.markTerminationStartNs &- c.concurrentMarkStartNs, args)
                slice("GC \(c.cycle) \(phases.closing)", "phase", tid, c.markTerminationStartNs, c.endNs &- c.markTerminationStartNs, args)
            } else {
                slice("GC \(c.cycle)", "phase", tid, c.startNs, c.endNs - c.startNs, args)
            }
            if c.heapGoalBytes > 0 { counter("pacer", c.startNs, [("goal", c.heapGoalBytes), ("trigger", c.triggerBytes)]) }
        }
        for a in stats.activities {
            if a.kind == .assist { mutators.insert(a.thread) } else { workers.insert(a.thread) }
            let tid = a.kind == .assist ? 1000 + a.thread : 2000 + a.thread
            slice(a.kind.rawValue, "marking", tid, a.startNs, a.durationNs, #"{"scanned_bytes":\#(a.scannedBytes)}"#)
        }
        for m in mutators.sorted() { meta(1000 + m, "mutator \(m)") }
        for w in workers.sorted() { meta(2000 + w, "mark worker \(w)") }
        for s in stats.heapSamples {
            counter("heap", s.timeNs, [("in_use", s.heapInUseBytes), ("live", s.liveBytes), ("trigger", s.triggerBytes),
                                       ("committed", s.committedBytes)])
        }
        let text = #"{"displayTimeUnit":"ns","traceEvents":["# + "\n" + events.joined(separator: ",\n") + "\n]}\n"
        try writeAtomically(text, to: url)
    }
}
