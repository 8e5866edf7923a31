// Go's hybrid barrier (golang/proposal design 17503, "Eliminate STW stack re-scanning"): shade the old
// value, and the new one too while this thread's own stack is still grey. A stack is scanned once, by its
// own thread at a handshake, and never re-scanned; objects allocated during marking are black. The new
// value's shade covers the window in which an unscanned stack can hand a white object to the heap.

import Synchronization

enum HybridBarrier: MarkingBarrierSequence {
    static let id: UInt8 = 2
    static let kind = BarrierKind(
        name: "hybrid", id: id,
        summary: "Go's hybrid: shade old, and new while this thread's roots are grey; allocate black; no re-scan",
        invariant: "weak", allocatesBlack: true, rescansRoots: false)

    @inline(__always)
    static func store<S: MarkingShading>(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                         _ shading: inout S) {
        shading.shade(slot.pointee.exchange(value, ordering: .acquiringAndReleasing))
        if shading.stackIsGrey { shading.shade(value) }
    }
}

extension BarrierKind {
    /// Go's hybrid deletion/insertion barrier.
    public static let hybrid = HybridBarrier.kind
}
