// The assist ratio: scan work a mutator must do per byte it allocates while marking, so that marking ends
// by the goal.  ratio = (scan work remaining) / (heap remaining to the goal).
//
// Two variants, differing in what happens when the cycle turns out bigger than expected:
//  * soft/hard (Go 1.10–1.17): once scan work exceeds the estimate, or the heap passes the goal, aim at the
//    hard goal (goal × 1.1) assuming the worst case (all scannable heap is live).
//  * extrapolating (Go 1.18+, revise()): once scan work exceeds the estimate, assume the heap is growing
//    and stretch the goal in proportion, goal' = trigger + (goal − trigger)·maxScanWork/expected, capped at
//    (1 + GOGC/100)·goal, so assists stay flat through a heap growth; only if the heap passes even that is
//    the target goal' × 1.1.
// Both bound the remaining work below by 1000 bytes (a cycle may slightly overrun its estimate) and the
// remaining heap below by one byte, so the ratio is always positive and finite.
// All arithmetic is in Double so that degenerate inputs (zero expected work) cannot trap.

/// Assist-ratio formulas shared by the pacers.
public enum AssistPacing {
    /// Smallest remaining scan work assumed (Go: 1000).
    public static let minRemainingWork = 1000.0

    /// Go 1.18+ assist ratio. `triggered` is the heap when marking began; `maxScanWork` the worst-case work
    /// (all scannable heap, stacks and globals); `goalGrowthRatio` GOGC/100 (caps the extrapolation).
    public static func extrapolating(heapLive: Int, scanWorkDone: Int, heapGoal: Int, triggered: Int,
                                     expectedScanWork: Int, maxScanWork: Int, goalGrowthRatio: Double,
                                     maxOvershoot: Double) -> Double {
        let live = Double(heapLive)
        let work = Double(scanWorkDone)
        var goal = Double(heapGoal)
        var expected = Double(expectedScanWork)
        let worst = Double(max(maxScanWork, scanWorkDone))
        if work > expected {
            let base = Double(triggered)
            var extended = expected > 0 ? (goal - base) / expected * worst + base : .infinity
            let hardGoal = (1 + goalGrowthRatio) * goal
            if !(extended <= hardGoal) { extended = hardGoal }
            goal = extended
            expected = worst
        }
        if live > goal {
            goal *= maxOvershoot
            expected = worst
        }
        return ratio(remainingWork: expected - work, remainingHeap: goal - live)
    }

    /// Go 1.10–1.17 assist ratio with a soft goal and a hard goal of goal × `maxOvershoot`.
    public static func softHard(heapLive: Int, scanWorkDone: Int, heapGoal: Int, expectedScanWork: Int,
                                maxScanWork: Int, maxOvershoot: Double) -> Double {
        let live = Double(heapLive)
        let work = Double(scanWorkDone)
        var goal = Double(heapGoal)
        var expected = Double(expectedScanWork)
        if work > expected || live > goal {
            goal *= maxOvershoot
            expected = Double(max(maxScanWork, scanWorkDone))
        }
        return ratio(remainingWork: expected - work, remainingHeap: goal - live)
    }

    private static func ratio(remainingWork: Double, remainingHeap: Double) -> Double {
        max(remainingWork, minRemainingWork) / max(remainingHeap, 1)
    }
}
