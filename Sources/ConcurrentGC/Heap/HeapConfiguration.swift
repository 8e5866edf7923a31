// What a heap is set up with: size limit, collector plan and its options, trigger, verification.
// Options every plan reads are fields here; options of one plan are declared by that plan (its
// `PlanTraits.options`) and kept by name in `planOptions`.

import Glibc
import Pacer

/// A heap's configuration.
public struct HeapConfiguration: Sendable {
    /// Most bytes of blocks and large-object pages the heap may commit (--heap-max).
    public var heapMaxBytes: Int = 1 << 30
    /// Heap growth allowed between collections, in percent of the live heap (--gogc).
    public var gogc: Int = 100
    /// The trigger never goes below this many bytes (Go's 4 MiB minimum heap).
    public var minimumTriggerBytes: Int = 4 << 20
    /// Run the checkmark verifier after every mark and poison freed memory (--verify).
    public var verify: Bool = false
    /// The collector plan (--collector).
    public var collector: CollectorKind = .configurationDefault
    /// Initial capacity of each mutator's shadow stack, in root slots (it grows on demand).
    public var rootSlotsPerMutator: Int = 1024
    /// The marking barrier, for plans that run one (--barrier).
    public var barrier: BarrierKind = .yuasa
    /// Background mark threads, for plans that have them; 0 makes marking incremental (--mark-workers).
    /// Negative: as many as the pacer's worker plan asks for (Go's dedicated and fractional workers).
    public var markWorkers: Int = 1
    /// Tests: check each treadmill ring's whole invariant after every operation on it (slow: O(ring)).
    public var debugCheckTreadmillRings: Bool = false
    /// Allow combinations that lose objects on purpose (--unsafe).
    public var allowUnsafe: Bool = false
    /// The pacer that sets the trigger, the goal, the assist ratio and (with `markWorkers` < 0) the
    /// background workers; nil: the plain GOGC trigger (live × (1 + GOGC/100)).
    public var pacer: PacerKind? = nil
    /// The pacer's gains and constants (its `gogc` is kept equal to `gogc`).
    public var pacerConfig = PacerConfig()
    /// Processors the program may use (the pacer's GOMAXPROCS).
    public var processors: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// The plan's own options that were given, by name (see `PlanOption`); the others have their defaults.
    public var planOptions: [String: PlanOption.Value] = [:]

    public init() {}

    /// Sets a plan option.
    public mutating func set(_ option: PlanOption, _ value: PlanOption.Value) { planOptions[option.name] = value }

    /// Why this configuration may lose live objects, or nil when it is safe. Such a configuration needs
    /// `allowUnsafe`.
    public var unsafeReason: String? { collector.unsafeReason(self) }

    /// The largest --heap-max: the reservation (blocks plus large-object space, about twice the limit)
    /// must stay addressable by 32-bit granule references.
    public static let largestHeapMaxBytes = HeapGeometry.maxReservationBytes / 2 - 2 * HeapGeometry.blockBytes
}
