// Steele's barrier (Steele, "Multiprocessing compactifying garbage collection", CACM 1975): store, then if
// the source is black and the new target white, re-grey the source so it is scanned again. Keeps the strong
// invariant by retreating the wavefront instead of advancing it (less floating garbage than Dijkstra's),
// at the price of scanning some objects twice. Stacks are unbarriered: roots are re-scanned at the end.
// The plan's shading orders the store before its read of the source's colour against the marker.

import Synchronization

enum SteeleBarrier: MarkingBarrierSequence {
    static let id: UInt8 = 3
    static let kind = BarrierKind(
        name: "steele", id: id,
        summary: "re-grey a marked object that receives an unmarked reference; strong; allocate white; roots re-scanned",
        invariant: "strong: re-grey the black source", allocatesBlack: false, rescansRoots: true)

    @inline(__always)
    static func store<S: MarkingShading>(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                         _ shading: inout S) {
        slot.pointee.store(value, ordering: .releasing)
        if source != 0 && value != 0 { shading.regreyIfStoringWhite(source: source, value: value) }
    }
}

extension BarrierKind {
    /// Steele's re-greying barrier.
    public static let steele = SteeleBarrier.kind
}
