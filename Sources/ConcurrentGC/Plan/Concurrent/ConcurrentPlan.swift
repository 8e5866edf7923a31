// The `concurrent` plan: what the command line, the matrix and the results know of it.

import Pacer

extension CollectorKind {
    /// Concurrent tri-colour mark-region: background workers and assists mark while mutators run.
    public static let concurrent = CollectorKind(
        name: "concurrent",
        summary: "concurrent tri-colour mark (background workers + assists; --mark-workers 0: incremental), lazy sweep",
        traits: {
            var t = PlanTraits()
            t.barriers = BarrierKind.allCases
            t.markWorkers = MarkWorkerDefaults(withPacer: -1, withoutPacer: 1)
            t.pacers = PacerKind.allCases
            t.defaultPacer = .go121
            t.options = [ConcurrentPlan.roots, ConcurrentPlan.incrementalK]
            t.pauseKinds = [.markStart, .markTermination, .handshake]
            t.refusal = ConcurrentPlan.refusal
            t.unsafeReason = ConcurrentPlan.unsafeReason
            return t
        }(),
        make: { ConcurrentCollector(heap: $0) })
}

extension PauseKind {
    /// Mark start: TLABs retired, barrier on, roots shaded (`--roots stw`: every stack).
    public static let markStart = PauseKind(name: "mark-start", role: .cycleStart)
    /// Mark termination: shade buffers flushed, marking finished or resumed.
    public static let markTermination = PauseKind(name: "mark-termination", role: .cycleEnd)
    /// One mutator scanning its own stack at its safepoint (`--roots handshake`), the others running.
    public static let handshake = PauseKind(name: "handshake", role: .thread)
}

/// How the concurrent collector takes the mutators' roots (`--roots`).
public enum RootsMode: String, CaseIterable, Sendable {
    /// All stacks scanned in the mark-start pause.
    case stw
    /// Each mutator scans its own stack at its next safepoint after mark start (as Go does for goroutines).
    case handshake
}

/// The concurrent plan's options and rules.
public enum ConcurrentPlan {
    /// `--roots stw|handshake`.
    public static let roots = PlanOption(
        name: "roots", domain: .choice(RootsMode.allCases.map(\.rawValue)), defaultValue: .choice(RootsMode.stw.rawValue),
        summary: "stw: every stack scanned in the mark-start pause; handshake: each thread scans its own at its next safepoint")
    /// `--incremental-k K`: bytes a mutator scans per byte it allocates while marking (with --pacer gogc).
    public static let incrementalK = PlanOption(
        name: "incremental-k", domain: .number(0...1_000_000), defaultValue: .number(2),
        summary: "bytes a mutator scans per byte it allocates while marking, with --pacer gogc (the other pacers set the assist ratio)")

    @Sendable static func refusal(_ c: HeapConfiguration) -> String? {
        if c.pacer != nil && c.isGiven(incrementalK) {
            return "--incremental-k applies to --pacer gogc only: the other pacers set the assist ratio themselves"
        }
        if c.markWorkers == 0 && c.pacer == nil && c.assistRatio == 0 {
            return "--mark-workers 0 needs --incremental-k above 0: nobody else would mark"
        }
        return nil
    }

    @Sendable static func unsafeReason(_ c: HeapConfiguration) -> String? {
        if c.barrier.needsEveryRootAtMarkStart && c.roots == .handshake {
            return "--barrier \(c.barrier) with --roots handshake is unsafe: a thread whose stack is not yet scanned can move a white reference into a black object and drop it from its stack (use hybrid, which shades the new value while the stack is grey)"
        }
        return nil
    }
}

extension HeapConfiguration {
    /// How the concurrent collector takes roots (`--roots`).
    public var roots: RootsMode {
        get { RootsMode(rawValue: choice(ConcurrentPlan.roots)) ?? .stw }
        set { set(ConcurrentPlan.roots, .choice(newValue.rawValue)) }
    }

    /// Bytes of objects a mutator scans per byte it allocates while marking, with --pacer gogc
    /// (`--incremental-k`).
    public var assistRatio: Double {
        get { number(ConcurrentPlan.incrementalK) }
        set { set(ConcurrentPlan.incrementalK, .number(newValue)) }
    }
}
