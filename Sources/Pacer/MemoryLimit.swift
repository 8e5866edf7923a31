// The soft memory limit's heap goal (Go 1.19+ GOMEMLIMIT, design/48409-soft-memory-limit.md; the headroom
// rule of Go 1.21's memoryLimitHeapGoal).
//
//     goal = limit − nonHeap                       (memory the heap may use)
//     goal = goal − max(goal·3 %, 1 MiB)           (headroom for pacing error; tiny goals keep one headroom)
//     goal = max(goal, marked)                     (a goal below the live heap is meaningless)
// If non-heap memory alone reaches the limit, the goal is the marked heap: collect continuously and let
// the GC CPU limiter (CPULimiter.swift) stop the GC from taking the whole machine.
// Invariant: marked ≤ goal, and goal ≤ limit − nonHeap whenever that is ≥ marked.

/// The memory-limit heap goal.
public enum MemoryLimit {
    /// The heap goal that keeps total memory under `limit` given `nonHeapBytes` of other memory and a heap
    /// that marked `heapMarked` bytes last cycle.
    public static func heapGoal(limit: Int, nonHeapBytes: Int, heapMarked: Int,
                                headroomPercent: Int = 3, minHeadroom: Int = 1 << 20) -> Int {
        let nonHeap = max(0, nonHeapBytes)
        if nonHeap >= limit { return heapMarked }
        var goal = limit - nonHeap
        let headroom = max(goal / 100 * headroomPercent, minHeadroom)
        if goal < headroom || goal - headroom < headroom {
            goal = headroom
        } else {
            goal -= headroom
        }
        return max(goal, heapMarked)
    }
}
