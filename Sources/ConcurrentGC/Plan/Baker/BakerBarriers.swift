// The barriers of Baker's incremental copying collector, as slow paths the plan installs in each mutator's
// context (the fast paths, which test the condemned table or follow the forwarding word, are inline in
// Mutator.swift). Each reaches the mutator's own `BakerCopier` through its plan state: no lock, no
// reference counting; the copying protocol is at the top of BakerCopier.swift.
//
// - `--read-barrier baker`: a load that yields a reference into from-space (or, while copying, to a large
//   object, which the collector may not have reached yet) copies the object, or finds its copy, heals the
//   slot it was loaded from and returns the copy: the mutator never holds a from-space reference (the
//   to-space invariant). Stores need nothing: every value a mutator can store is already in to-space.
// - `--read-barrier brooks`: loads are plain, through the forwarding word. While the plan copies, a store
//   first copies its target out of from-space (so the write is not lost with the old copy) and forwards the
//   value it stores (so a scanned object never points into from-space); payload writes copy their target.
//   Mutators may still hold from-space references in their roots: the end of the cycle forwards them.

import Synchronization

enum BakerBarriers {
    /// The mutator's copier, inside its plan state.
    @inline(__always)
    static func copier(_ ctx: UnsafeMutableRawPointer) -> UnsafeMutablePointer<BakerCopier> {
        (UnsafeMutableRawPointer(ctx.assumingMemoryBound(to: MutatorContext.self).planState(BakerMutatorState.self))
            + MemoryLayout<BakerMutatorState>.offset(of: \.copier)!).assumingMemoryBound(to: BakerCopier.self)
    }

    /// Baker's read barrier, slow path: the loaded `value` is condemned.
    static let readSlowPath: ReadBarrierSlowPath = { ctx, slot, value in
        let copier = BakerBarriers.copier(ctx)
        let copy = copier.pointee.forward(value)
        if copy != value {
            _ = slot.assumingMemoryBound(to: Atomic<UInt32>.self).pointee
                .compareExchange(expected: value, desired: copy, ordering: .acquiringAndReleasing)
        }
        ctx.assumingMemoryBound(to: MutatorContext.self).pointee.barrierSlowCount &+= 1
        if copier.pointee.grey.count >= 256 { copier.pointee.flush() }  // let workers scan what it copied
        return copy
    }

    /// Brooks: the copy a payload write to `object` (already resolved through its word) goes to.
    static let brooksWritableSlowPath: ReadBarrierSlowPath = { ctx, _, object in
        let copier = BakerBarriers.copier(ctx)
        let copy = copier.pointee.forward(object)
        if copier.pointee.grey.count >= 256 { copier.pointee.flush() }
        return copy
    }

    /// Brooks: the write barrier while the plan copies. `source` is the object the store resolved through
    /// its word (0 for a global root); `slot` is the field in it.
    static let brooksWriteSlowPath: WriteBarrierSlowPath = { ctx, slot, source, value in
        let context = ctx.assumingMemoryBound(to: MutatorContext.self)
        let state = context.planState(BakerMutatorState.self)
        let copier = BakerBarriers.copier(ctx)
        var target = slot
        if source != 0 {
            let copy = copier.pointee.forward(source)
            if copy != source { target = slot + ((Int(copy) &- Int(source)) &<< HeapGeometry.granuleShift) }
        }
        let stored = _slowPath(state.pointee.debugSkipStoredValueForwarding) ? value : copier.pointee.forward(value)
        target.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.store(stored, ordering: .releasing)
        context.pointee.barrierSlowCount &+= 1
        if copier.pointee.grey.count >= 256 { copier.pointee.flush() }
    }
}
