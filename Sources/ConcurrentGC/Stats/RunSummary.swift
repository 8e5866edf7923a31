// Summary figures of a run, computed from what GCStats recorded.

/// Percentiles and totals of a run's pauses and heap.
public struct RunSummary: Sendable {
    public var gcCycles = 0
    public var pauseCount = 0
    public var pauseTotalNs: UInt64 = 0
    public var pauseP50Ns: UInt64 = 0
    public var pauseP95Ns: UInt64 = 0
    public var pauseP99Ns: UInt64 = 0
    public var pauseMaxNs: UInt64 = 0
    public var gcCPUNs: UInt64 = 0
    /// Wall time mutators spent in assists.
    public var assistNs: UInt64 = 0
    /// Mean of the heap samples' in-use size.
    public var meanHeapBytes = 0
    public var lostObjects = 0
    /// Pauses of a generational plan's minor and major collections (`PauseKind.minor`, `.major`).
    public var minorCollections = 0
    public var majorCollections = 0
    public var minorPauseP50Ns: UInt64 = 0
    public var minorPauseP99Ns: UInt64 = 0
    public var minorPauseMaxNs: UInt64 = 0

    /// Summarizes `stats`.
    public init(stats: GCStats) {
        let pauses = stats.pauses.map(\.durationNs).sorted()
        pauseCount = pauses.count
        pauseTotalNs = pauses.reduce(0, +)
        pauseP50Ns = RunSummary.percentile(pauses, 0.50)
        pauseP95Ns = RunSummary.percentile(pauses, 0.95)
        pauseP99Ns = RunSummary.percentile(pauses, 0.99)
        pauseMaxNs = pauses.last ?? 0
        let cycles = stats.cycles
        gcCycles = cycles.count
        gcCPUNs = cycles.reduce(0) { $0 + $1.gcCPUNs }
        assistNs = cycles.reduce(0) { $0 + $1.assistNs }
        let samples = stats.heapSamples
        meanHeapBytes = samples.isEmpty ? 0 : samples.reduce(0) { $0 + $1.heapInUseBytes } / samples.count
        lostObjects = stats.lostObjectCount
        let minors = stats.pauses.filter { $0.kind == .minor }.map(\.durationNs).sorted()
        minorCollections = minors.count
        majorCollections = stats.pauses.count { $0.kind == .major }
        minorPauseP50Ns = RunSummary.percentile(minors, 0.50)
        minorPauseP99Ns = RunSummary.percentile(minors, 0.99)
        minorPauseMaxNs = minors.last ?? 0
    }

    /// Nearest-rank percentile of sorted values (0 when empty).
    public static func percentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
