// Write barriers for concurrent tri-colour marking. Every reference store a workload makes goes through
// `Mutator.store` (and `setGlobal`); while marking is off its fast path is one relaxed load of the
// heap's barrier flag and a predictable branch. While marking is on, `barrierSlow` applies the heap's
// barrier (golang/proposal design 17503; the GC Handbook, ch. 15):
//
//   barrier   invariant                 store sequence                          allocation  termination
//   dijkstra  strong (no black->white)  shade(new); store                       white       re-scan roots
//   yuasa     weak (snapshot)           old = exchange(new); shade(old)         black       no re-scan
//   hybrid    weak                      old = exchange(new); shade(old);        black       no re-scan
//                                       if my roots are grey: shade(new)
//   steele    strong                    store; fence; if source marked and      white       re-scan roots
//                                       new unmarked: re-grey the source
//   none      none (loses objects)      store                                   black       no re-scan
//
// "Shade" sets the target's mark bit (atomic test-and-set) and, when this thread set it, puts the object
// in the thread's shade buffer; a full buffer is handed to the shared mark pool, and mark termination
// flushes what is left. Re-greying (Steele) puts an already marked object in the buffer again so it is
// scanned again. Yuasa and hybrid read the old value with an atomic exchange, so two threads storing to
// one slot at once cannot both miss the value between them. Steele's fence orders its store before its
// read of the source's mark bit against the marker's test-and-set before its scan (a Dekker pattern).

import Synchronization

extension Mutator {
    /// The store barrier's slow path: marking is on.
    @usableFromInline @inline(never)
    func barrierSlow(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: ObjectRef, value: ObjectRef) {
        ctx.pointee.barrierSlowCount &+= 1
        if let space = ctx.pointee.treadmillSpace {
            space._withUnsafeGuaranteedRef { treadmillBarrier($0, slot, source: source, value: value) }
            return
        }
        switch ctx.pointee.barrier {
        case .dijkstra:
            shade(value.raw)
            slot.pointee.store(value.raw, ordering: .releasing)
        case .yuasa:
            shade(slot.pointee.exchange(value.raw, ordering: .acquiringAndReleasing))
        case .hybrid:
            shade(slot.pointee.exchange(value.raw, ordering: .acquiringAndReleasing))
            if !ctx.pointee.stackScanned { shade(value.raw) }
        case .steele:
            slot.pointee.store(value.raw, ordering: .releasing)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if !source.isNull && value.raw != 0 {
                let heap = ctx.pointee.heap.takeUnretainedValue()
                if heap.isReached(source.raw) && !heap.isReached(value.raw) { pushShaded(source.raw) }
            }
        case .none:
            slot.pointee.store(value.raw, ordering: .releasing)
        }
    }

    /// The barriers under the treadmill collector, whose grey set is its rings' GREY segments: shading
    /// greys the cell in its ring, and Steele's re-grey moves the black source back to GREY. Its flip
    /// pause takes every stack, so the hybrid barrier's "stack still grey" case never arises (hybrid
    /// behaves as yuasa).
    private func treadmillBarrier(_ space: TreadmillSpace, _ slot: UnsafeMutablePointer<Atomic<UInt32>>,
                                  source: ObjectRef, value: ObjectRef) {
        switch ctx.pointee.barrier {
        case .dijkstra:
            if value.raw != 0 { space.shade(value.raw) }
            slot.pointee.store(value.raw, ordering: .releasing)
        case .yuasa, .hybrid:
            let old = slot.pointee.exchange(value.raw, ordering: .acquiringAndReleasing)
            if old != 0 { space.shade(old) }
        case .steele:
            slot.pointee.store(value.raw, ordering: .releasing)
            if !source.isNull { space.regreyIfStoringWhite(source: source.raw, value: value.raw) }
        case .none:
            slot.pointee.store(value.raw, ordering: .releasing)
        }
    }

    /// Greys `raw` if it is an unmarked object.
    func shade(_ raw: UInt32) {
        if raw != 0 && ctx.pointee.heap.takeUnretainedValue().markReached(raw) {
            ctx.pointee.shadedBytes &+= ObjectHeader(bits: (ctx.pointee.base + (Int(raw) << HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
            ctx.pointee.shadedObjects &+= 1
            pushShaded(raw)
        }
    }

    /// Puts a grey object in this thread's shade buffer, handing a full buffer to the mark pool.
    func pushShaded(_ raw: UInt32) {
        if ctx.pointee.shadeCount == MutatorContext.shadeCapacity { flushShadeBuffer() }
        ctx.pointee.shadeBuffer[ctx.pointee.shadeCount] = raw
        ctx.pointee.shadeCount &+= 1
    }

    /// Hands the shade buffer's objects to the shared mark pool.
    func flushShadeBuffer() {
        ctx.pointee.heap.takeUnretainedValue().flushShadeBuffer(of: ctx)
    }
}

extension Heap {
    /// Moves a mutator's buffered activity records into the statistics (its owner or the collector with
    /// the world stopped).
    func flushActivities(of ctx: UnsafeMutablePointer<MutatorContext>) {
        guard !ctx.pointee.activities.isEmpty else { return }
        stats.record(activities: ctx.pointee.activities)
        ctx.pointee.activities.removeAll(keepingCapacity: true)
    }

    /// Moves a mutator's shade buffer into the mark pool. By its owner, or by the collector with the
    /// world stopped.
    func flushShadeBuffer(of ctx: UnsafeMutablePointer<MutatorContext>) {
        if ctx.pointee.shadedObjects > 0 {
            shadedBytes.add(ctx.pointee.shadedBytes, ordering: .relaxed)
            shadedObjects.add(ctx.pointee.shadedObjects, ordering: .relaxed)
            ctx.pointee.shadedBytes = 0
            ctx.pointee.shadedObjects = 0
        }
        let n = ctx.pointee.shadeCount
        guard n > 0 else { return }
        markPool.push(UnsafeBufferPointer(start: ctx.pointee.shadeBuffer, count: n))
        ctx.pointee.shadeCount = 0
    }
}
