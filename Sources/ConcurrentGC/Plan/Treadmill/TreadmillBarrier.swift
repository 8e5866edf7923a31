// The treadmill plan's per-mutator state and write barrier. Its grey set is its rings' GREY segments:
// shading greys the cell in its ring, Steele's re-grey moves the black source back to GREY (the colours are
// read under the rings' locks, which orders them against a scan that blackens the source before reading
// its fields: no fence needed). Its flip pause takes every stack, so the hybrid barrier's "stack still
// grey" case never arises (hybrid behaves as yuasa).

import Synchronization

/// The treadmill plan's per-mutator state (behind `MutatorContext.planState`).
struct TreadmillMutatorState {
    /// The barrier (`BarrierKind.id`).
    let barrier: UInt8
    let space: Unmanaged<TreadmillSpace>
}

/// Greying for the marking barriers under the treadmill plan.
struct TreadmillShading: MarkingShading {
    let space: Unmanaged<TreadmillSpace>

    @inline(__always)
    func shade(_ raw: UInt32) {
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
        var shading = TreadmillShading(space: state.pointee.space)
        markingStore(barrier: state.pointee.barrier, slot.assumingMemoryBound(to: Atomic<UInt32>.self),
                     source: source, value: value, &shading)
    }
}
