// Yuasa's deletion barrier, snapshot at the beginning (Yuasa, "Real-time garbage collection on
// general-purpose machines", 1990): before a reference is overwritten, shade the old value. Every object
// reachable when marking started stays reachable from a grey object (the weak invariant), so objects
// allocated during marking are black and nothing is re-scanned — provided every stack was taken before any
// mutator ran the barrier (`needsEveryRootAtMarkStart`). The old value is read with an atomic exchange:
// two threads storing to one slot at once cannot both miss the value between them.

import Synchronization

enum YuasaBarrier: MarkingBarrierSequence {
    static let id: UInt8 = 1
    static let kind = BarrierKind(
        name: "yuasa", aliases: ["satb"], id: id,
        summary: "deletion/SATB barrier (alias satb): shade the overwritten value; weak invariant; allocate black; no re-scan",
        invariant: "weak: snapshot at the beginning", allocatesBlack: true, rescansRoots: false,
        needsEveryRootAtMarkStart: true)

    @inline(__always)
    static func store<S: MarkingShading>(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                         _ shading: inout S) {
        shading.shade(slot.pointee.exchange(value, ordering: .acquiringAndReleasing))
    }
}

extension BarrierKind {
    /// Yuasa's deletion (snapshot-at-the-beginning) barrier; `satb` on the command line too.
    public static let yuasa = YuasaBarrier.kind
}
