// Minimum mutator utilization (Cheng & Blelloch, PLDI 2001) and its monotone form, bounded mutator
// utilization (Sachindran, Moss & Berger, OOPSLA 2004), computed exactly from a list of GC intervals.
//
// MMU(w) = the minimum, over every window of length w inside the run, of the share of the window the
// mutator had. Each GC interval takes a weight of the machine (1 for a stop-the-world pause; a
// concurrent mark phase takes its measured share of the processors). The GC time inside a window is
// piecewise linear in the window's start, so its maximum (the MMU's minimum) is at a window that starts
// at an interval's start or ends at an interval's end, or at the run's edges: those are the only
// candidates checked. BMU(w) = min over w' >= w of MMU(w'), which is monotone.
// Checks that hold by construction: BMU is 0 up to the longest full-weight pause, and MMU at the whole
// run equals the overall utilization.

/// A stretch of time during which the collector took `weight` of the machine.
public struct GCInterval: Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    /// Share of the machine (0...1) the collector used during the interval.
    public var weight: Double

    public init(start: UInt64, end: UInt64, weight: Double = 1) {
        self.start = start
        self.end = max(start, end)
        self.weight = weight
    }
}

/// MMU and BMU of one run.
public struct MutatorUtilization: Sendable {
    private let intervals: [GCInterval]  // sorted by start, not overlapping
    private let runStart: UInt64, runEnd: UInt64
    private let prefix: [Double]  // prefix[i] = weighted GC time of intervals[0..<i]

    /// `intervals` inside [runStart, runEnd]; overlapping ones are not allowed (pauses and mark phases of
    /// one collector never overlap).
    public init(intervals: [GCInterval], runStart: UInt64, runEnd: UInt64) {
        self.runStart = runStart
        self.runEnd = max(runStart, runEnd)
        self.intervals = intervals
            .map { GCInterval(start: max($0.start, runStart), end: min($0.end, runEnd), weight: $0.weight) }
            .filter { $0.end > $0.start }
            .sorted { $0.start < $1.start }
        var p = [0.0]
        for i in self.intervals { p.append(p.last! + Double(i.end - i.start) * i.weight) }
        prefix = p
    }

    /// Weighted GC time inside [a, b].
    func gcTime(_ a: UInt64, _ b: UInt64) -> Double {
        // First interval ending after a, first starting at or after b.
        var lo = 0, hi = intervals.count
        while lo < hi { let m = (lo + hi) / 2; if intervals[m].end <= a { lo = m + 1 } else { hi = m } }
        let first = lo
        lo = first; hi = intervals.count
        while lo < hi { let m = (lo + hi) / 2; if intervals[m].start < b { lo = m + 1 } else { hi = m } }
        let last = lo  // exclusive
        guard first < last else { return 0 }
        var t = prefix[last] - prefix[first]
        let f = intervals[first], l = intervals[last - 1]
        if f.start < a { t -= Double(a - f.start) * f.weight }
        if l.end > b { t -= Double(l.end - b) * l.weight }
        return max(0, t)
    }

    /// Mutator utilization of the whole run.
    public var overall: Double {
        let length = Double(runEnd - runStart)
        return length > 0 ? 1 - gcTime(runStart, runEnd) / length : 1
    }

    /// MMU for windows of `window` nanoseconds (the whole run if longer).
    public func mmu(window: UInt64) -> Double {
        let length = runEnd - runStart
        guard length > 0 else { return 1 }
        let w = min(window, length)
        guard w > 0 else { return intervals.contains { $0.weight >= 1 } ? 0 : 1 }
        var worst = gcTime(runStart, runStart + w)
        worst = max(worst, gcTime(runEnd - w, runEnd))
        for i in intervals {
            if i.start + w <= runEnd { worst = max(worst, gcTime(i.start, i.start + w)) }
            if i.end >= runStart + w { worst = max(worst, gcTime(i.end - w, i.end)) }
        }
        return max(0, 1 - worst / Double(w))
    }

    /// (window, MMU, BMU) for each window in `windows` (ascending), BMU being the suffix minimum of MMU
    /// over these windows and the whole run.
    public func curve(windows: [UInt64]) -> [(window: UInt64, mmu: Double, bmu: Double)] {
        let sorted = windows.sorted()
        let mmus = sorted.map { mmu(window: $0) }
        var bmus = mmus
        var running = overall
        for i in stride(from: mmus.count - 1, through: 0, by: -1) {
            running = min(running, mmus[i])
            bmus[i] = running
        }
        return zip(sorted, zip(mmus, bmus)).map { ($0, $1.0, $1.1) }
    }

    /// Log-spaced windows from 100 µs to the run length (10 per decade).
    public static func standardWindows(runLength: UInt64) -> [UInt64] {
        var windows: [UInt64] = []
        var w = 100_000.0
        while w < Double(runLength) {
            windows.append(UInt64(w))
            w *= pow10th
        }
        windows.append(runLength)
        return windows
    }

    private static let pow10th = 1.2589254117941673  // 10^(1/10)
}
