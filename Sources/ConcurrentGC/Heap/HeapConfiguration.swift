// What a heap is set up with: size limit, collector, trigger, verification.

/// The collectors a heap can run.
public enum CollectorKind: String, CaseIterable, Sendable {
    /// Stop-the-world mark-sweep: the baseline.
    case stw

    /// One line of description for `gclab list`.
    public var summary: String {
        switch self {
        case .stw: return "stop-the-world mark-sweep (Immix line marking, lazy sweep); the baseline"
        }
    }
}

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
    /// The collector.
    public var collector: CollectorKind = .stw
    /// Initial capacity of each mutator's shadow stack, in root slots (it grows on demand).
    public var rootSlotsPerMutator: Int = 1024

    public init() {}

    /// The largest --heap-max: the reservation (blocks plus large-object space, about twice the limit)
    /// must stay addressable by 32-bit granule references.
    public static let largestHeapMaxBytes = HeapGeometry.maxReservationBytes / 2 - 2 * HeapGeometry.blockBytes
}
