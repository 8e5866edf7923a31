// What the concurrent plan keeps per mutator, and its write barrier: shading sets an object's mark bit
// (or blackens a large object's cell) and puts it in the thread's shade buffer, which goes to the shared
// mark pool when full and at mark termination.
//
// The barrier's slow path and the assist are C functions installed in the mutator context: they reach
// this state, the mark bitmap and the large-object space through raw pointers and unmanaged references
// copied in when the mutator arrived, so a barrier with marking on costs no reference counting, no class
// property access and no dynamic dispatch beyond the one call into the slow path.

import Synchronization

/// The concurrent plan's per-mutator state (behind `MutatorContext.planState`).
struct ConcurrentMutatorState {
    /// The barrier (`BarrierKind.id`).
    let barrier: UInt8
    /// How shading marks objects (the mark bitmap, the large-object space).
    let policy: ImmixMarkPolicy
    let base: UnsafeMutableRawPointer
    let collector: Unmanaged<ConcurrentCollector>
    /// Objects this thread greyed, not yet handed to the mark pool.
    var shadeBuffer: RawStack<UInt32>
    static var shadeCapacity: Int { 256 }
    /// Bytes and objects this thread shaded, not yet added to the collector's counts.
    var shadedBytes = 0
    var shadedObjects = 0
    /// Whether this thread's roots were scanned in the current cycle (hybrid barrier, handshakes).
    var stackScanned = true
    /// Scan work (bytes) this thread owes the marker, and the assist time it spent, this cycle.
    var assistDebtBytes = 0
    var assistNs: UInt64 = 0
    var assistScannedBytes = 0
    /// Assists not yet handed to the heap's statistics (flushed at mark termination and when the thread
    /// leaves, so assists take no shared lock).
    var activities: [ActivityRecord] = []
}

extension UnsafeMutablePointer where Pointee == MutatorContext {
    /// The concurrent plan's state of this mutator.
    @inline(__always)
    var concurrent: UnsafeMutablePointer<ConcurrentMutatorState> { planState(ConcurrentMutatorState.self) }
}

/// Greying for the marking barriers under the concurrent plan.
struct ImmixShading: MarkingShading {
    let state: UnsafeMutablePointer<ConcurrentMutatorState>

    @inline(__always)
    func shade(_ raw: UInt32) {
        if raw != 0 && state.pointee.policy.attempt(raw) {
            state.pointee.shadedBytes &+= ObjectHeader(bits: (state.pointee.base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
            state.pointee.shadedObjects &+= 1
            push(raw)
        }
    }

    /// Steele: the full fence orders "store the field, then read the source's mark bit" against the
    /// marker's "set the mark bit (a locked read-modify-write), then read the fields" (a Dekker pattern):
    /// either the marker sees the new value, or this thread sees the source marked and re-greys it.
    @inline(__always)
    func regreyIfStoringWhite(source: UInt32, value: UInt32) {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if state.pointee.policy.isReached(source) && !state.pointee.policy.isReached(value)
            && state.pointee.policy.queueForRescan(source) { push(source) }
    }

    var stackIsGrey: Bool { !state.pointee.stackScanned }

    /// Puts a grey object in the shade buffer, handing a full buffer to the mark pool.
    @inline(__always)
    func push(_ raw: UInt32) {
        if _slowPath(state.pointee.shadeBuffer.count == ConcurrentMutatorState.shadeCapacity) { flush() }
        state.pointee.shadeBuffer.push(raw)
    }

    @inline(never)
    func flush() { state.pointee.collector._withUnsafeGuaranteedRef { $0.flushShadeBuffer(state) } }
}

enum ConcurrentBarrier {
    /// The write barrier's slow path (marking on): the mutator's barrier with `ImmixShading`.
    static let slowPath: WriteBarrierSlowPath = { rawContext, slot, source, value in
        let ctx = rawContext.assumingMemoryBound(to: MutatorContext.self)
        ctx.pointee.barrierSlowCount &+= 1
        var shading = ImmixShading(state: ctx.concurrent)
        markingStore(barrier: ctx.concurrent.pointee.barrier, slot.assumingMemoryBound(to: Atomic<UInt32>.self),
                     source: source, value: value, &shading)
    }

    /// The assist paid for a hole or large object handed out while marking.
    static let assist: AssistHook = { rawContext, bytes in
        let ctx = rawContext.assumingMemoryBound(to: MutatorContext.self)
        ctx.concurrent.pointee.collector._withUnsafeGuaranteedRef { $0.assist(ctx, allocatedBytes: bytes) }
    }
}
