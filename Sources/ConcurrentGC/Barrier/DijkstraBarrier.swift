// Dijkstra's insertion barrier (Dijkstra, Lamport et al., "On-the-fly garbage collection", CACM 1978):
// shade the new target, then store. Keeps the strong invariant (no black object points to a white one)
// for heap objects. Stacks have no barrier, so they are grey at the end of marking: the plan must look at
// every root again with the world stopped (`rescansRoots`). Objects allocated during marking may be white.

import Synchronization

enum DijkstraBarrier: MarkingBarrierSequence {
    static let id: UInt8 = 0
    static let kind = BarrierKind(
        name: "dijkstra", id: id,
        summary: "insertion barrier: shade the new target; strong invariant; allocate white; roots re-scanned at termination",
        invariant: "strong: no black-to-white edge", allocatesBlack: false, rescansRoots: true)

    @inline(__always)
    static func store<S: MarkingShading>(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                         _ shading: inout S) {
        shading.shade(value)
        slot.pointee.store(value, ordering: .releasing)
    }
}

extension BarrierKind {
    /// Dijkstra's insertion barrier.
    public static let dijkstra = DijkstraBarrier.kind
}
