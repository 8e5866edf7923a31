// The `baker` plan: what the command line, the matrix and the results know of it.

extension CollectorKind {
    /// Baker's incremental semispace copying (1978) with a read barrier (Baker's conditional one, or
    /// Brooks' forwarding indirection): the flip evacuates the roots, then every allocation pays k bytes of
    /// copying and scanning per byte, helped by background workers; large objects stay in the treadmill space.
    public static let baker = CollectorKind(
        name: "baker",
        summary: "Baker's incremental copying: read barrier (--read-barrier baker | brooks), k copy/scan bytes per byte allocated (--baker-k), flip ∝ roots",
        traits: {
            var t = PlanTraits()
            t.markWorkers = MarkWorkerDefaults(withPacer: 0, withoutPacer: 0)
            t.pacerNote = "Baker's k paces its copying, and the GOGC trigger decides its flips"
            t.options = [BakerPlan.k, BakerPlan.readBarrier]
            t.pauseKinds = [.bakerFlip, .bakerEnd]
            // A cycle: the flip pause, copying while mutators run, the pause that ends it.
            t.phases = CyclePhaseNames(opening: "flip", marking: "incremental copy", closing: "copy end")
            t.cycleColumns = ["baker_k", "read_barrier", "copied_bytes", "copied_objects", "flip_roots",
                              "lost_copy_races", "end_pause_scan_bytes"]
            t.hasUnsafeOption = true
            t.unsafeReason = { c in
                c.bakerReadBarrier == "none" ? "--read-barrier none lets mutators use and write from-space objects" : nil
            }
            return t
        }(),
        make: { BakerCollector(heap: $0) })
}

extension PauseKind {
    /// Baker's flip: the semispaces swap and the roots' targets are copied (its length grows with the roots).
    public static let bakerFlip = PauseKind(name: "baker-flip", role: .cycleStart)
    /// The end of a Baker cycle: what copiers still hold is scanned, from-space is given back.
    public static let bakerEnd = PauseKind(name: "baker-end", role: .cycleEnd)
}

/// The baker plan's options.
public enum BakerPlan {
    /// `--baker-k K`: bytes copied or scanned per byte allocated while a cycle copies.
    public static let k = PlanOption(
        name: "baker-k", domain: .integer(1...1_000_000), defaultValue: .integer(2),
        summary: "Baker's k: bytes scanned (copying what they reach) per byte allocated while copying", matrixAliases: ["baker-ks"])
    /// `--read-barrier baker|brooks|none`.
    public static let readBarrier = PlanOption(
        name: "read-barrier", domain: .choice(["baker", "brooks", "none"]), defaultValue: .choice("baker"),
        summary: "baker: a load of a from-space reference copies first; brooks: every access goes through a forwarding word; none: unsafe",
        matrixAliases: ["read-barriers"])
}

extension HeapConfiguration {
    /// Baker's k for the baker collector (`--baker-k`).
    public var bakerK: Int {
        get { integer(BakerPlan.k) }
        set { set(BakerPlan.k, .integer(newValue)) }
    }

    /// The baker collector's read barrier (`--read-barrier`).
    public var bakerReadBarrier: String {
        get { choice(BakerPlan.readBarrier) }
        set { set(BakerPlan.readBarrier, .choice(newValue)) }
    }
}
