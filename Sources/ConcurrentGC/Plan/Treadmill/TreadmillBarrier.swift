// The treadmill plan's per-mutator state and write barrier. Its grey set is its rings' GREY segments:
// shading greys the cell in its ring, Steele's re-grey moves the black source back to GREY (the colours are
// read under the rings' locks, which orders them against a scan that blackens the source before reading
// its fields: no fence needed). Its flip pause takes every stack, so the hybrid barrier's "stack still
// grey" case never arises (hybrid behaves as yuasa).
//
// A snapshot barrier (yuasa, hybrid) in flight counts as grey work. Once `greyTotal` reads zero, a
// mutator turns such a barrier off for the rest of the cycle (CellAllocator.payWork). That is sound only
// if zero means that every object of the snapshot is black. But between the barrier's exchange (the old
// value X has left the heap) and its shade of X, X may be white and held by this thread alone: a zero
// read then, and the barrier off, would let another thread delete X's children unshaded (and keep one),
// so X is scanned too late and the child is freed while reachable (the stress found this: treadmill,
// yuasa or hybrid, 4 mark workers, k = 1, about 1 graph-mutation run in 200). So the slow path adds one to
// `greyTotal` before the exchange and takes it off after the shade (which counted X if it greyed it),
// with sequentially consistent RMWs: a zero read means no removal is under way, and every one before it
// has been shaded and scanned. Insertion barriers never go off, so they need no count.

import Synchronization

/// The treadmill plan's per-mutator state (behind `MutatorContext.planState`).
struct TreadmillMutatorState {
    /// The barrier (`BarrierKind.id`).
    let barrier: UInt8
    let space: Unmanaged<TreadmillSpace>
    /// The barrier can go off once marking is done, so a running one counts as grey work (see above).
    let countsInFlight: Bool
    /// Test hook installed (`TreadmillBarrier.debugBeforeShade`).
    let hooked: Bool
}

/// Greying for the marking barriers under the treadmill plan.
struct TreadmillShading: MarkingShading {
    let space: Unmanaged<TreadmillSpace>
    let hooked: Bool

    @inline(__always)
    func shade(_ raw: UInt32) {
        if _slowPath(hooked) { TreadmillBarrier.runDebugHook(raw) }
        if raw != 0 { space._withUnsafeGuaranteedRef { _ = $0.shade(raw) } }
    }

    @inline(__always)
    func regreyIfStoringWhite(source: UInt32, value: UInt32) {
        space._withUnsafeGuaranteedRef { _ = $0.regreyIfStoringWhite(source: source, value: value) }
    }

    var stackIsGrey: Bool { false }
}

enum TreadmillBarrier {
    /// The write barrier's slow path (barrier on): the mutator's barrier with `TreadmillShading`.
    static let slowPath: WriteBarrierSlowPath = { rawContext, slot, source, value in
        let ctx = rawContext.assumingMemoryBound(to: MutatorContext.self)
        ctx.pointee.barrierSlowCount &+= 1
        let state = ctx.planState(TreadmillMutatorState.self)
        var shading = TreadmillShading(space: state.pointee.space, hooked: state.pointee.hooked)
        let slot = slot.assumingMemoryBound(to: Atomic<UInt32>.self)
        guard state.pointee.countsInFlight else {
            return markingStore(barrier: state.pointee.barrier, slot, source: source, value: value, &shading)
        }
        let greyTotal = state.pointee.space._withUnsafeGuaranteedRef { $0.greyTotal }
        greyTotal.pointee.add(1, ordering: .sequentiallyConsistent)
        markingStore(barrier: state.pointee.barrier, slot, source: source, value: value, &shading)
        greyTotal.pointee.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Test hook: called by the barrier with each value it shades, before shading it (for a snapshot
    /// barrier, after the exchange: the window the in-flight count covers). Set before mutators arrive.
    nonisolated(unsafe) static var debugBeforeShade: ((UInt32) -> Void)?

    @inline(never)
    static func runDebugHook(_ raw: UInt32) { debugBeforeShade?(raw) }
}
