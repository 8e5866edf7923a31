// The `sticky` plan: what the command line, the matrix and the results know of it.

extension CollectorKind {
    /// Sticky mark bits on Immix (Demers et al. 1990; MMTk's StickyImmix): a minor collection marks the
    /// young survivors in place, from the roots and the remembered set; their marks stick, so they are old.
    public static let sticky = CollectorKind(
        name: "sticky",
        summary: "generational, non-moving: sticky mark bits on Immix; minor collections mark young survivors in place from the roots and the remembered set (--remset card | object), majors mark everything",
        traits: GenerationalOptions.traits,
        make: { StickyCollector(heap: $0) })
}
