// The `immix` plan: what the command line, the matrix and the results know of it.

import Pacer

extension CollectorKind {
    /// Stop-the-world Immix with opportunistic defragmentation (Blackburn & McKinley, PLDI 2008): `stw`
    /// plus evacuation of the most fragmented blocks into a small copy reserve.
    public static let immix = CollectorKind(
        name: "immix",
        summary: "stop-the-world Immix with opportunistic defragmentation: stw, plus evacuation of the most fragmented blocks into a copy reserve (--defrag-reserve)",
        traits: {
            var t = PlanTraits()
            t.pacers = PacerKind.allCases  // as stw: collections start at the pacer's trigger
            t.options = [ImmixPlan.defragReserve]
            t.pauseKinds = [.stopTheWorld]
            t.cycleColumns = ["defrag_candidates", "evacuated_blocks", "copied_bytes", "copied_objects", "in_place_bytes"]
            return t
        }(),
        make: { ImmixCollector(heap: $0) })
}

/// The immix plan's options.
public enum ImmixPlan {
    /// `--defrag-reserve F`: the copy reserve, as a fraction of `--heap-max`: spare blocks mutators may
    /// not take, which a collection copies the candidates' objects into. MMTk's Immix keeps 2 %
    /// (`DEFRAG_HEADROOM_PERCENT`); 0 turns evacuation off (then immix marks exactly as stw does).
    public static let defragReserve = PlanOption(
        name: "defrag-reserve", domain: .number(0...0.5), defaultValue: .number(0.02),
        summary: "copy reserve for defragmentation, as a fraction of --heap-max (0 = never evacuate)",
        matrixAliases: ["defrag-reserves"])
}

extension HeapConfiguration {
    /// The immix collector's copy reserve as a fraction of the heap (`--defrag-reserve`).
    public var defragReserve: Double {
        get { number(ImmixPlan.defragReserve) }
        set { set(ImmixPlan.defragReserve, .number(newValue)) }
    }

    /// The copy reserve in blocks: the fraction of the heap's blocks, at least one when evacuation is on.
    var defragReserveBlocks: Int {
        let fraction = defragReserve
        guard fraction > 0 else { return 0 }
        return max(1, Int((Double(heapMaxBytes) * fraction / Double(HeapGeometry.blockBytes)).rounded(.up)))
    }
}
