// The GC CPU limiter: a leaky bucket (Go 1.19+, runtime/mgclimit.go).
//
// The bucket fills with GC CPU time and drains with mutator CPU time, one for one, so sustained GC use
// above 50 % fills it. Its capacity (1 CPU-second per processor by default) lets short GC bursts through.
// While the bucket is full the limiter is "on" and drivers must stop mutator assists, leaving only the
// background workers (u_g); GC time that would have overflowed the bucket is counted in `overflow`.
// This is what keeps a memory limit below the live heap from becoming a death spiral of 100 % GC.
// Invariants: 0 ≤ fill ≤ capacity; the fill never goes negative, so an idle program cannot bank credit.

/// A leaky-bucket GC CPU limiter. Drivers feed it CPU time and read `isLimiting`.
public struct GCCPULimiter: Equatable, Sendable {
    /// Bucket capacity in CPU-seconds.
    public private(set) var capacity: Double
    /// Current fill in CPU-seconds.
    public private(set) var fill: Double = 0
    /// GC CPU-seconds that arrived while the bucket was full.
    public private(set) var overflow: Double = 0
    /// True while the bucket is full: assists must stop.
    public private(set) var isLimiting = false

    /// A limiter for `procs` processors with `capacityPerProc` CPU-seconds each.
    public init(procs: Int, capacityPerProc: Double = 1.0) {
        capacity = Double(max(procs, 1)) * max(0, capacityPerProc)
    }

    /// Adds a window of CPU time: `gcTime` spent on GC (background + assists), `mutatorTime` on the program.
    public mutating func accumulate(gcTime: Double, mutatorTime: Double) {
        let change = gcTime - mutatorTime
        let headroom = capacity - fill
        if change > 0 && headroom <= change {
            overflow += change - headroom
            fill = capacity
            isLimiting = true
            return
        }
        fill = min(capacity, max(0, fill + change))
        if change != 0 { isLimiting = false }
    }

    /// Changes the processor count, keeping the fill (clamped), as Go's resetCapacity does.
    public mutating func resetCapacity(procs: Int, capacityPerProc: Double = 1.0) {
        capacity = Double(max(procs, 1)) * max(0, capacityPerProc)
        if fill >= capacity {
            fill = capacity
            isLimiting = true
        } else {
            isLimiting = false
        }
    }

    /// Fill as a fraction of capacity (1 when the capacity is zero).
    public var fillFraction: Double { capacity > 0 ? fill / capacity : 1 }
}
