// What a heap is set up with: size limit, collector, trigger, verification.

import Glibc
import Pacer

/// The collectors a heap can run.
public enum CollectorKind: String, CaseIterable, Sendable {
    /// Stop-the-world mark-sweep: the baseline.
    case stw
    /// Concurrent tri-colour marking with a write barrier, background mark workers and mutator assists
    /// (`markWorkers` 0: incremental, all marking done by mutators).
    case concurrent
    /// Baker's treadmill: every object in size-class rings, collected incrementally (k scan steps per
    /// allocation, `treadmillK`), optionally with background workers; O(1) flip, no sweep.
    case treadmill

    /// One line of description for `gclab list`.
    public var summary: String {
        switch self {
        case .stw: return "stop-the-world mark-sweep (Immix line marking, lazy sweep); the baseline"
        case .concurrent: return "concurrent tri-colour mark (background workers + assists; --mark-workers 0: incremental), lazy sweep"
        case .treadmill: return "Baker's treadmill: size-class rings, k scan steps per allocation (--treadmill-k), O(1) flip, no sweep"
        }
    }
}

/// The write barrier the concurrent collector uses (see Barrier/WriteBarrier.swift for each invariant).
public enum BarrierKind: String, CaseIterable, Sendable {
    /// Insertion barrier: shade the new target. Strong invariant; roots re-scanned at termination.
    case dijkstra
    /// Deletion (snapshot-at-the-beginning) barrier: shade the overwritten value. Weak invariant.
    case yuasa
    /// Go's hybrid barrier: shade the old value, and the new one while this thread's roots are grey.
    case hybrid
    /// Re-grey a marked object that receives a reference to an unmarked one. Strong; roots re-scanned.
    case steele
    /// No barrier: unsafe on purpose, for ablation (needs --unsafe).
    case none

    /// Parses a barrier name; `satb` is an alias of `yuasa`.
    public init?(name: String) {
        if name == "satb" { self = .yuasa } else if let b = BarrierKind(rawValue: name) { self = b } else { return nil }
    }

    /// Whether objects allocated during marking are black (marked, never scanned) or white.
    public var allocatesBlack: Bool {
        switch self {
        case .yuasa, .hybrid, .none: return true
        case .dijkstra, .steele: return false
        }
    }

    /// Whether mark termination must re-scan the roots with the world stopped.
    public var rescansRoots: Bool { !allocatesBlack }

    /// One line of description for `gclab list`.
    public var summary: String {
        switch self {
        case .dijkstra: return "insertion barrier: shade the new target; strong invariant; allocate white; roots re-scanned at termination"
        case .yuasa: return "deletion/SATB barrier (alias satb): shade the overwritten value; weak invariant; allocate black; no re-scan"
        case .hybrid: return "Go's hybrid: shade old, and new while this thread's roots are grey; allocate black; no re-scan"
        case .steele: return "re-grey a marked object that receives an unmarked reference; strong; allocate white; roots re-scanned"
        case .none: return "no barrier (unsafe, ablation only: needs --unsafe); allocate black; the verifier shows what it loses"
        }
    }
}

/// How the concurrent collector takes the mutators' roots.
public enum RootsMode: String, CaseIterable, Sendable {
    /// All stacks scanned in the mark-start pause.
    case stw
    /// Each mutator scans its own stack at its next safepoint after mark start (as Go does for goroutines).
    case handshake
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
    /// The concurrent collector's write barrier (--barrier).
    public var barrier: BarrierKind = .yuasa
    /// How the concurrent collector takes roots (--roots).
    public var roots: RootsMode = .stw
    /// Background mark threads of the concurrent collector; 0 makes it incremental (--mark-workers).
    /// Negative: as many as the pacer's worker plan asks for (Go's dedicated and fractional workers).
    public var markWorkers: Int = 1
    /// The treadmill collector's scan steps (grey cells blackened) per allocation: Baker's k (--treadmill-k).
    public var treadmillK: Int = 2
    /// Bytes of objects a mutator scans per byte it allocates while marking (--incremental-k).
    public var assistRatio: Double = 2.0
    /// Tests: check each treadmill ring's whole invariant after every operation on it (slow: O(ring)).
    public var debugCheckTreadmillRings: Bool = false
    /// Allow combinations that lose objects on purpose (--unsafe).
    public var allowUnsafe: Bool = false
    /// The pacer that sets the trigger, the goal, the assist ratio and (with `markWorkers` < 0) the
    /// background workers; nil: the plain GOGC trigger (live × (1 + GOGC/100)) and a fixed assist ratio.
    public var pacer: PacerKind? = nil
    /// The pacer's gains and constants (its `gogc` is kept equal to `gogc`).
    public var pacerConfig = PacerConfig()
    /// Processors the program may use (the pacer's GOMAXPROCS).
    public var processors: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    public init() {}

    /// Why this configuration may lose live objects, or nil when it is safe. Such a configuration needs
    /// `allowUnsafe`.
    public var unsafeReason: String? {
        guard collector != .stw else { return nil }
        if barrier == .none { return "--barrier none has no write barrier and loses objects" }
        guard collector == .concurrent else { return nil }  // the treadmill takes every stack in its flip pause
        if barrier == .yuasa && roots == .handshake {
            return "--barrier yuasa with --roots handshake is unsafe: a thread whose stack is not yet scanned can move a white reference into a black object and drop it from its stack (use hybrid, which shades the new value while the stack is grey)"
        }
        return nil
    }

    /// The largest --heap-max: the reservation (blocks plus large-object space, about twice the limit)
    /// must stay addressable by 32-bit granule references.
    public static let largestHeapMaxBytes = HeapGeometry.maxReservationBytes / 2 - 2 * HeapGeometry.blockBytes
}
