// A simulated program: what it allocates, how fast the GC can scan it, how its live heap evolves, and the
// bounds a good pacer must meet on it.
//
// Model (that of Go's TestGcPacer): rates are per CPU-millisecond, allocation and scan rates in KiB; the
// live heap of cycle i is (marked(i−1) − allocated-black(i−1))·growth(i), starting from 256 KiB; stacks
// and globals are scanned first in each cycle. Scenarios are data, so tests, the CLI and the docs share
// one definition.

/// The program's parameters for one cycle.
public struct CycleParameters: Equatable, Sendable {
    /// Mutator allocation rate, KiB per CPU-ms.
    public var allocRate: Double
    /// GC scan rate, KiB per CPU-ms.
    public var scanRate: Double
    /// Factor applied to last cycle's surviving heap to get this cycle's live heap.
    public var growthRate: Double
    /// Fraction of the heap that contains pointers and must be scanned, in [0, 1].
    public var scannableFraction: Double
    /// Stack bytes to scan (a multiple of 2 KiB).
    public var stackBytes: Int
    /// Globals bytes to scan.
    public var globalsBytes: Int
    /// Memory outside the heap, counted against a memory limit.
    public var nonHeapBytes: Int
}

/// A simulated program and its acceptance bounds.
public struct Scenario: Sendable {
    /// Name used with `--scenario`.
    public var name: String
    /// One or two lines for `--list`.
    public var summary: String
    /// The Go TestGcPacer case this follows, if any.
    public var goTestName: String?
    /// GOGC for this program (negative = off).
    public var gogc: Int = 100
    /// Soft memory limit, bytes.
    public var memoryLimit: Int? = nil
    /// Processors (GOMAXPROCS).
    public var procs: Int = 8
    /// Live heap in the first cycle.
    public var initialHeapBytes: Int = 256 << 10
    /// Globals bytes (constant, as in Go's test).
    public var globalsBytes: Int = 32 << 10
    /// Allocation rate signal, KiB per CPU-ms.
    public var allocRate: Signal = .constant(33)
    /// Scan rate signal, KiB per CPU-ms.
    public var scanRate: Signal = .constant(1024)
    /// Heap growth factor signal.
    public var growthRate: Signal = .constant(2) + .ramp(height: -1, length: 12)
    /// Scannable fraction signal (clamped to [0, 1]).
    public var scannableFraction: Signal = .constant(1)
    /// Stack bytes signal (quantised down to 2 KiB, at least 0).
    public var stackBytes: Signal = .constant(8192)
    /// Non-heap memory signal, bytes.
    public var nonHeapBytes: Signal = .constant(0)
    /// Cycles to run unless told otherwise.
    public var defaultCycles: Int = 100
    /// 1-based cycle at which a step disturbance takes effect, for the "cycles to settle" metric.
    public var disturbanceCycle: Int? = nil
    /// Acceptance bounds (Go's where Go asserts them, ours otherwise; each says which).
    public var bounds: [Bound] = []

    /// Creates a scenario with Go's TestGcPacer defaults (the Steady case); adjust fields after.
    public init(name: String, summary: String, goTestName: String? = nil) {
        self.name = name
        self.summary = summary
        self.goTestName = goTestName
    }

    /// Smallest rate, as in Go's test: rates must never be zero.
    public static let minRate = 0.0001

    /// The program's parameters at cycle `i` (0-based). `noise` adds independent uniform jitter of ±noise
    /// (relative) to the allocation rate each cycle.
    public func parameters(cycle i: Int, seed: UInt64, noise: Double = 0) -> CycleParameters {
        var alloc = max(Scenario.minRate, allocRate.value(at: i, seed: seed))
        if noise > 0 {
            let r = SplitMix64.unit(seed: seed, stream: 0xA110C, index: i)
            alloc = max(Scenario.minRate, alloc * (1 + noise * (2 * r - 1)))
        }
        let stack = max(0, (stackBytes.value(at: i, seed: seed) / 2048).rounded(.towardZero) * 2048)
        return CycleParameters(
            allocRate: alloc,
            scanRate: max(Scenario.minRate, scanRate.value(at: i, seed: seed)),
            growthRate: max(Scenario.minRate, growthRate.value(at: i, seed: seed)),
            scannableFraction: min(max(scannableFraction.value(at: i, seed: seed), 0), 1),
            stackBytes: Int(stack),
            globalsBytes: globalsBytes,
            nonHeapBytes: max(0, Int(nonHeapBytes.value(at: i, seed: seed))))
    }

    /// `base` with this program's GOGC and memory limit.
    public func configure(_ base: PacerConfig = PacerConfig()) -> PacerConfig {
        var config = base
        config.gogc = gogc
        config.memoryLimit = memoryLimit
        return config
    }

    /// The bounds that apply to `kind`.
    public func bounds(for kind: PacerKind) -> [Bound] { bounds.filter { $0.pacers.contains(kind) } }
}
