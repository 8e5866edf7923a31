// The `gencopy` plan: what the command line, the matrix and the results know of it.

extension CollectorKind {
    /// A copying nursery in front of a non-moving mature space (Appel 1989; MMTk's GenImmix): minor
    /// collections promote the nursery's survivors into Immix blocks; majors mark-sweep the mature space.
    public static let gencopy = CollectorKind(
        name: "gencopy",
        summary: "generational: a bump-allocated nursery (--nursery) whose survivors a minor collection copies into a mark-region mature space (promotion after one survival); remembered set --remset card | object",
        traits: {
            var t = GenerationalOptions.traits
            t.options += [GenCopyPlan.major]
            // The marking barriers of `--major concurrent` (steele re-greys black sources, and a nursery
            // object is never black: GenCopyConcurrentMajor.swift).
            t.barriers = [.yuasa, .hybrid, .dijkstra, .none]
            t.barrierRuns = { $0.genCopyMajor == "concurrent" }  // a stop-the-world major needs none
            // A concurrent major: its mark starts in a minor's pause and ends in the major pause.
            t.phases = CyclePhaseNames(opening: "major mark start", marking: "concurrent major mark", closing: "major termination")
            t.cycleColumns += ["major_phase"]
            return t
        }(),
        make: { GenCopyCollector(heap: $0) })
}

/// The gencopy plan's own option.
public enum GenCopyPlan {
    /// `--major stw|concurrent`: how the mature space is collected.
    public static let major = PlanOption(
        name: "major", domain: .choice(["stw", "concurrent"]), defaultValue: .choice("stw"),
        summary: "stw: major collections in one pause; concurrent: the mature space marked by a background thread (with --barrier) while minors go on",
        matrixAliases: ["majors"])
}

extension HeapConfiguration {
    /// gencopy's major collection (`--major`).
    public var genCopyMajor: String {
        get { choice(GenCopyPlan.major) }
        set { set(GenCopyPlan.major, .choice(newValue)) }
    }
}
