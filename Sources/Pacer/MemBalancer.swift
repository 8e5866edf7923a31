// `membalancer`: the heap limit of Kirisame, Shenoy and Panchekha, "Optimal Heap Limits for Reducing
// Browser Memory Use" (OOPSLA 2022), the rule V8 and Whippet's adaptive heap sizer adopted:
//
//     goal  = L + E,    E = sqrt(L·g / (c·s))
//     L     live bytes after the last collection (marked)
//     g     allocation rate: bytes allocated per wall-clock second, smoothed
//     s     collection speed: live (marked) bytes per second of GC CPU time, smoothed, as the paper
//           defines it (s = L / GC time): roots and other per-cycle work slow s down and so widen E
//     c     the tuning constant (--membalancer-c), per MiB: E and L are taken in MiB inside the root, so
//           E_bytes = sqrt(L_bytes · g/s · 2^20 / c). Smaller c: more memory, less GC time.
// Why: a heap collected every E bytes of allocation spends (g/E)·(L/s) of its time in GC. Minimising the
// total extra memory ΣE_i of several heaps for a given total GC time gives E_i ∝ sqrt(L_i·g_i/s_i): extra
// memory grows with the square root of the live heap, not in proportion to it as with GOGC, and a heap
// that allocates fast or scans slowly gets more room. c is the exchange rate between memory and time.
// Smoothing, as the paper does, is exponential, per cycle here: the bytes and the seconds are averaged
// separately (weight --membalancer-smoothing on the old value), so that one short cycle does not swing
// the rate. Until a cycle has been measured the goal is the heap minimum.
// The goal is bounded below by the heap minimum and above by the memory limit. Trigger, worker plan and
// assists are go121's (max-of-recent cons/mark runway, extrapolating assists), so on a concurrent
// collector MemBalancer decides only *how big* the heap may get, and Go's machinery *when* to start.
// Invariant: marked ≤ goal; g and s are finite and positive once measured.

/// MemBalancer's smoothed rates and the goal they give.
public struct MemBalancerSizer: Equatable, Sendable {
    /// Smoothed bytes allocated per cycle.
    public private(set) var allocatedBytes = 0.0
    /// Smoothed wall-clock seconds per cycle.
    public private(set) var cycleSeconds = 0.0
    /// Smoothed bytes marked (live) per cycle.
    public private(set) var markedBytes = 0.0
    /// Smoothed GC CPU seconds per cycle.
    public private(set) var gcSeconds = 0.0
    /// Cycles measured so far.
    public private(set) var measuredCycles = 0
    private var lastMarked = 0

    /// A sizer with nothing measured yet.
    public init() {}

    /// g: smoothed allocation rate in bytes per second, or nil before the first measured cycle.
    public var allocationRate: Double? { measuredCycles > 0 && cycleSeconds > 0 ? allocatedBytes / cycleSeconds : nil }
    /// s: smoothed collection speed in live bytes per GC CPU second, or nil before the first measured cycle.
    public var collectionSpeed: Double? { measuredCycles > 0 && gcSeconds > 0 ? markedBytes / gcSeconds : nil }

    /// Folds in one finished cycle. `procs` turns the measured utilization into GC CPU time.
    public mutating func record(_ m: CycleMeasurement, procs: Int, smoothing: Double) {
        defer { lastMarked = m.heapMarked }
        let allocated = Double(max(0, m.heapPeak - lastMarked))
        let gc = (m.utilization + m.idleUtilization) * Double(max(1, procs)) * m.markSeconds
        guard m.cycleSeconds > 0, gc > 0, m.heapMarked > 0, allocated > 0,
              m.cycleSeconds.isFinite, gc.isFinite else { return }
        if measuredCycles == 0 {
            (allocatedBytes, cycleSeconds, markedBytes, gcSeconds) = (allocated, m.cycleSeconds, Double(m.heapMarked), gc)
        } else {
            let a = smoothing, b = 1 - smoothing
            allocatedBytes = a * allocatedBytes + b * allocated
            cycleSeconds = a * cycleSeconds + b * m.cycleSeconds
            markedBytes = a * markedBytes + b * Double(m.heapMarked)
            gcSeconds = a * gcSeconds + b * gc
        }
        measuredCycles += 1
    }

    /// E: the extra bytes above `live` that the formula allows, or nil before the first measured cycle.
    public func extraBytes(live: Int, c: Double) -> Double? {
        guard let g = allocationRate, let s = collectionSpeed else { return nil }
        return MemBalancerSizer.extraBytes(live: Double(live), allocationRate: g, collectionSpeed: s, c: c)
    }

    /// E = sqrt(L·g/(c·s)) with c per MiB (so E = sqrt(L·(g/s)·2^20/c) in bytes).
    public static func extraBytes(live: Double, allocationRate g: Double, collectionSpeed s: Double, c: Double) -> Double {
        guard live > 0, g > 0, s > 0, c > 0 else { return 0 }
        let e = (live * (g / s) * Double(1 << 20) / c).squareRoot()
        return e.isFinite ? e : 9.0e18
    }

    /// The next goal after a cycle that marked `marked` bytes: marked + E, at least the heap minimum,
    /// at most the memory-limit goal (as HeapGoal computes it). `gogcGoal` reports marked + E.
    public func goal(marked: Int, nonHeap: Int, config: PacerConfig) -> HeapGoal {
        var goal = config.heapMinimum
        if let e = extraBytes(live: marked, c: config.memBalancerC) {
            goal = e >= 9.0e18 - Double(marked) ? Int.max : max(goal, marked + Int(e))
        }
        return HeapGoal(gogcGoal: max(goal, marked),
                        memoryLimitGoal: HeapGoal.memoryLimitGoal(marked: marked, nonHeap: nonHeap, config: config))
    }
}
