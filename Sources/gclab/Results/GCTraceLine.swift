// --gctrace: one line per cycle on stderr in the format of Go's GODEBUG=gctrace=1 (runtime/extern.go):
//
//   gc N @Ts P%: a+b+c ms clock, d+e/f/g+h ms cpu, A->B->C MB, G MB goal, S MB stacks, L MB globals, P P
//
// N cycle; T seconds since start; P percent of the processors' time spent in GC since start; clock: mark
// start pause + concurrent mark + mark termination pause (wall); cpu: mark start + assist/background/idle
// marking + termination; A->B->C: heap at trigger, at mark end, marked live; G the goal (the trigger
// with --pacer gogc); S and L the roots; P the processors. The pauses are told apart by their role
// (`PauseKind.Role`): a cycle that is one pause shows 0+0+pause; a cycle whose marking runs with the
// mutators, opening pause + marking + closing pause (a treadmill cycle: 0 + flip to flip + flip pause;
// Baker's k steps are not timed, so assist is 0).

import ConcurrentGC
import Foundation

/// Formats gctrace lines; keeps the running GC CPU total.
final class GCTraceLine: @unchecked Sendable {
    private let stats: GCStats
    private let procs: Int
    private var gcCPUTotal: UInt64 = 0

    init(stats: GCStats, procs: Int) {
        self.stats = stats
        self.procs = procs
    }

    func line(_ c: CycleRecord) -> String {
        gcCPUTotal &+= c.gcCPUNs &+ c.assistNs
        let elapsed = max(1, c.endNs)
        let percent = Int((Double(gcCPUTotal) / (Double(elapsed) * Double(procs)) * 100).rounded())
        func ms(_ ns: UInt64) -> String { String(format: ns < 10_000_000 ? "%.3f" : "%.1f", Double(ns) / 1e6) }
        func mb(_ b: Int) -> String { String(Int((Double(b) / 1_048_576).rounded())) }
        let pauses = stats.pauses.filter { $0.cycle == c.cycle && $0.mutator == 0 }
        let start = pauses.first { $0.kind.role == .cycleStart }?.durationNs ?? 0
        let termination = pauses.filter { $0.kind.role == .cycleEnd }.reduce(0) { $0 + $1.durationNs }
        let concurrent = c.concurrentMarkStartNs > 0 ? c.markTerminationStartNs - c.concurrentMarkStartNs : 0
        let markCapacity = Double(concurrent) * Double(procs)
        let background = UInt64(c.utilization * markCapacity) &- min(c.assistNs, UInt64(c.utilization * markCapacity))
        let idle = UInt64(c.idleUtilization * markCapacity)
        let goal = c.heapGoalBytes > 0 ? c.heapGoalBytes : c.nextTriggerBytes
        return "gc \(c.cycle) @\(String(format: "%.3f", Double(c.startNs) / 1e9))s \(percent)%: "
            + "\(ms(start))+\(ms(concurrent))+\(ms(termination)) ms clock, "
            + "\(ms(start))+\(ms(c.assistNs))/\(ms(background))/\(ms(idle))+\(ms(termination)) ms cpu, "
            + "\(mb(c.heapAtTriggerBytes))->\(mb(c.heapAtMarkEndBytes))->\(mb(c.markedBytes)) MB, \(mb(goal)) MB goal, "
            + "\(mb(c.stackBytes)) MB stacks, \(mb(c.globalsBytes)) MB globals, \(procs) P"
    }
}
