// The `stw` plan: what the command line, the matrix and the results know of it.

extension CollectorKind {
    /// Stop-the-world mark-region (Immix lines, lazy sweep): the baseline.
    public static let stw = CollectorKind(
        name: "stw",
        summary: "stop-the-world mark-sweep (Immix line marking, lazy sweep); the baseline",
        traits: {
            var t = PlanTraits()
            t.pacers = PacerKind.allCases  // collections start at the pacer's trigger; the mark is in the pause
            t.pauseKinds = [.stopTheWorld]
            return t
        }(),
        make: { StopTheWorldCollector(heap: $0) })
}

extension PauseKind {
    /// A whole collection in one pause (`stw-gc` in pauses.csv).
    public static let stopTheWorld = PauseKind(name: "stw-gc", role: .cycleEnd)
}

import Pacer
