// The `gencopy` plan: what the command line, the matrix and the results know of it.

extension CollectorKind {
    /// A copying nursery in front of a non-moving mature space (Appel 1989; MMTk's GenImmix): minor
    /// collections promote the nursery's survivors into Immix blocks; majors mark-sweep the mature space.
    public static let gencopy = CollectorKind(
        name: "gencopy",
        summary: "generational: a bump-allocated nursery (--nursery) whose survivors a minor collection copies into a mark-region mature space (promotion after one survival); remembered set --remset card | object",
        traits: {
            var t = PlanTraits()
            t.pacerNote = "minor collections come every --nursery bytes and majors at the GOGC trigger (docs/GENERATIONAL.md)"
            t.options = GenerationalOptions.all
            t.pauseKinds = [.minor, .major]
            t.cycleColumns = GenerationalOptions.cycleColumns
            t.refusal = { GenerationalOptions.refusal($0) }
            t.hasUnsafeOption = true
            t.unsafeReason = { GenerationalOptions.unsafeReason($0) }
            return t
        }(),
        make: { GenCopyCollector(heap: $0) })
}
