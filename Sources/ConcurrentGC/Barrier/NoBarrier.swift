// No barrier: the store alone, while marking runs. An ablation that loses objects (a white object moved
// behind the wavefront is never found); plans refuse it without --unsafe, and the checkmark verifier
// counts what it loses. Objects allocated during marking are black, as with the snapshot barriers.

import Synchronization

enum NoBarrier: MarkingBarrierSequence {
    static let id: UInt8 = 4
    static let kind = BarrierKind(
        name: "none", id: id,
        summary: "no barrier (unsafe, ablation only: needs --unsafe); allocate black; the verifier shows what it loses",
        invariant: "none", allocatesBlack: true, rescansRoots: false, losesObjects: true)

    @inline(__always)
    static func store<S: MarkingShading>(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                         _ shading: inout S) {
        slot.pointee.store(value, ordering: .releasing)
    }
}

extension BarrierKind {
    /// No barrier at all (ablation).
    public static let none = NoBarrier.kind
}
