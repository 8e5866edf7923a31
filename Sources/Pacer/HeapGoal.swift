// The heap goal every pacer starts from: GOGC, optionally counting roots, bounded by the heap minimum and
// by the soft memory limit.
//
//     gogcGoal  = marked + (marked [+ stackScan + globals])·GOGC/100,  at least heapMinimum·GOGC/100
//     goal      = min(gogcGoal, memoryLimitGoal)
// Go 1.5–1.17 grew only the heap (h_g = GOGC/100 over marked); Go 1.18 counts stacks and globals too,
// because scanning them is work the runway must pay for (design/44167). When the memory limit binds, Go
// does not push the goal up for sweeping or minimum runway: `limitedByMemory` lets pacers honour that.
// Invariant: marked ≤ goal (a memory-limit goal is never below marked, and gogcGoal ≥ marked).

/// A computed heap goal and where it came from.
public struct HeapGoal: Equatable, Sendable {
    /// The GOGC goal (Int.max when GOGC is off).
    public var gogcGoal: Int
    /// The memory-limit goal, or nil without a limit.
    public var memoryLimitGoal: Int?
    /// min of the two.
    public var goal: Int { min(gogcGoal, memoryLimitGoal ?? Int.max) }
    /// True when the memory limit sets the goal.
    public var limitedByMemory: Bool { memoryLimitGoal.map { $0 < gogcGoal } ?? false }

    /// Computes the goal after a cycle that marked `marked` bytes and scanned `stackScan` bytes of stack,
    /// with `globals` bytes of globals and `nonHeap` bytes of other memory.
    public static func compute(marked: Int, stackScan: Int, globals: Int, nonHeap: Int, includeRoots: Bool,
                               config: PacerConfig) -> HeapGoal {
        var gogcGoal = Int.max
        if !config.gogcOff {
            let base = Double(marked + (includeRoots ? stackScan + globals : 0))
            let growth = base * Double(config.gogc) / 100
            // Saturate rather than trap on absurd GOGC values.
            gogcGoal = growth >= 9.0e18 - Double(marked) ? Int.max : marked + Int(growth)
            gogcGoal = max(gogcGoal, config.scaledHeapMinimum)
        }
        return HeapGoal(gogcGoal: gogcGoal, memoryLimitGoal: memoryLimitGoal(marked: marked, nonHeap: nonHeap, config: config))
    }

    /// The goal the soft memory limit allows after a cycle that marked `marked` bytes, or nil without a limit.
    public static func memoryLimitGoal(marked: Int, nonHeap: Int, config: PacerConfig) -> Int? {
        config.memoryLimit.map {
            MemoryLimit.heapGoal(limit: $0, nonHeapBytes: nonHeap, heapMarked: marked,
                                 headroomPercent: config.memoryLimitHeadroomPercent, minHeadroom: config.memoryLimitMinHeadroom)
        }
    }
}
