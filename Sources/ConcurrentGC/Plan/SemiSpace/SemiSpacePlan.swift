// The `semispace` plan: what the command line, the matrix and the results know of it.

import Pacer

extension CollectorKind {
    /// Cheney's stop-the-world semispace copying collector; large objects stay in the treadmill space.
    public static let semispace = CollectorKind(
        name: "semispace",
        summary: "Cheney's stop-the-world semispace copying (bump allocation in whole blocks, 2x space: the copy reserve)",
        traits: {
            var t = PlanTraits()
            t.pacers = PacerKind.allCases  // as stw: collections start at the pacer's trigger
            t.pauseKinds = [.copy]
            t.cycleColumns = ["copied_bytes", "copied_objects"]
            return t
        }(),
        make: { SemiSpaceCollector(heap: $0) })
}

extension PauseKind {
    /// A whole copying collection in one pause (`stw-copy` in pauses.csv).
    public static let copy = PauseKind(name: "stw-copy", role: .cycleEnd)
}
