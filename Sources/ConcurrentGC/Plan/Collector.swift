// What a collector plan implements. The heap calls it when a mutator arrives or leaves, when the heap in
// use reaches the trigger, when memory runs out or a collection is asked for, at a pending handshake, and
// at teardown. A plan owns its spaces (how it shares the reservation), its threads, and the state it keeps
// per mutator (installed in `mutatorArriving`, a value of its own type behind `MutatorContext.planState`).
// It marks with the shared `Marker` or its own tracer, and ends every cycle through `Heap.finishCycle`
// (CycleEnd.swift). Its traits (what the command line may ask of it) are in its `CollectorKind`.
//
// Calls come from slow paths and pauses only; fast paths reach the plan through the context it set up
// (the allocators it selected, its barrier slow path), never through this protocol.

/// A collector plan's runtime side.
protocol Collector: AnyObject {
    /// The plan's large-object space (every plan keeps objects over 8 KiB in a treadmill space).
    var largeObjectSpace: TreadmillSpace { get }
    /// A mutator is being registered (not yet running): select its allocators, install the barrier's
    /// slow path and the plan's per-mutator state.
    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>)
    /// A mutator is unregistering (under the world's monitor, no pause running): retire its buffers,
    /// take its counts and free the plan's state.
    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>)
    /// The heap in use reached the trigger (from `requester`'s allocation slow path). `observedCycle` is
    /// the cycle count it saw: if a collection completed since, there is nothing to do.
    func triggered(requester: MutatorRecord, observedCycle: Int)
    /// Returns once a whole collection has completed after `observedCycle` (explicit request, or no
    /// memory left). `requester` is nil for a thread that is not a mutator.
    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int)
    /// `requester` is past the trigger and about to take `bytes` more (a block, or a large object) after
    /// its request for a collection: a plan whose collection runs beside the mutators makes it wait here
    /// for that collection while the heap is past the plan's hard limit, so that allocation cannot outrun
    /// marking without bound (as Go parks its assists). Called at a safepoint, before the object exists.
    func waitPastAllocationLimit(requester: MutatorRecord, bytes: Int)
    /// `ctx`'s mutator reached a safepoint while a handshake is pending.
    func handshake(_ ctx: UnsafeMutablePointer<MutatorContext>)
    /// Stops the collector's threads, finishing a cycle in progress (heap teardown or `Heap.finish`).
    func shutdown()
    /// Bytes of the limit a copying plan holds back so that a collection can copy the survivors (named
    /// in the exhaustion error); 0 for a plan that does not copy.
    var copyReserveBytes: Int { get }
    /// Pins the object `raw` (a mutator's request): true when no collection moves it until it is unpinned,
    /// false when the plan cannot leave an object in place (it copies every object).
    func pin(_ raw: UInt32) -> Bool
    /// Removes one pin of `raw` (nothing if it was not pinned).
    func unpin(_ raw: UInt32)
    /// Memory runs short for a large object: gives the plan's free blocks back to the pool decommitted
    /// (from a mutator's slow path, mutators running). Returns the bytes uncommitted.
    func decommitFreeBlocks() -> Int
}

extension Collector {
    var copyReserveBytes: Int { 0 }
    /// A plan that never moves objects keeps every object in place: pinning has nothing to do.
    func pin(_ raw: UInt32) -> Bool { true }
    func unpin(_ raw: UInt32) {}
    /// A plan whose spaces keep no free blocks of their own (they release them to the pool).
    func decommitFreeBlocks() -> Int { 0 }
    func handshake(_ ctx: UnsafeMutablePointer<MutatorContext>) {}
    /// A plan that stops the world to collect has the requester wait in its trigger already.
    func waitPastAllocationLimit(requester: MutatorRecord, bytes: Int) {}
    func shutdown() {}
}
