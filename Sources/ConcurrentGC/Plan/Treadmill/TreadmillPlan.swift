// The `treadmill` plan: what the command line, the matrix and the results know of it.

extension CollectorKind {
    /// Baker's treadmill: every object in size-class rings, collected incrementally (k scan steps per
    /// allocation), optionally with background workers; O(1) flip, no sweep.
    public static let treadmill = CollectorKind(
        name: "treadmill",
        summary: "Baker's treadmill: size-class rings, k scan steps per allocation (--treadmill-k), O(1) flip, no sweep",
        traits: {
            var t = PlanTraits()
            t.barriers = BarrierKind.allCases
            t.markWorkers = MarkWorkerDefaults(withPacer: 0, withoutPacer: 0)
            t.pacerNote = "Baker's k paces it, and the GOGC trigger decides its flips"
            t.options = [TreadmillPlan.k]
            t.pauseKinds = [.flip]
            // A cycle runs from one flip pause to the next: marking while mutators run, then the flip.
            t.phases = CyclePhaseNames(opening: "", marking: "incremental mark", closing: "flip")
            t.cycleColumns = ["treadmill_k"]
            return t
        }(),
        make: { TreadmillCollector(heap: $0) })
}

extension PauseKind {
    /// The treadmill's flip: the cycle's marking finished, the rings flipped, the roots greyed again.
    public static let flip = PauseKind(name: "flip", role: .cycleEnd)
}

/// The treadmill plan's options.
public enum TreadmillPlan {
    /// `--treadmill-k K`: Baker's scan steps (grey cells blackened) per allocation.
    public static let k = PlanOption(
        name: "treadmill-k", domain: .integer(1...1_000_000), defaultValue: .integer(2),
        summary: "Baker's k: scan steps (grey cells blackened) per allocation", matrixAliases: ["treadmill-ks"])
}

extension HeapConfiguration {
    /// The treadmill collector's scan steps per allocation: Baker's k (`--treadmill-k`).
    public var treadmillK: Int {
        get { integer(TreadmillPlan.k) }
        set { set(TreadmillPlan.k, .integer(newValue)) }
    }
}
