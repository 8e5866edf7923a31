// The mutator API: the only way workloads touch the heap.
//
// A `Mutator` is a handle (one pointer) to a thread's context; copying it is free and involves no
// reference counting. Use it only on the thread that registered it.
//
// Rules for workloads:
// - Every reference held across an allocation (or a `poll()`) must be reachable from a root: a shadow
//   stack slot (`pushRoot`), a global root, or a field of a rooted object. References in Swift locals are
//   not roots.
// - Reference fields are read and written only with `load` and `store`, so barriers can be added here
//   without touching workloads. Payload bytes are untraced and accessed through `payload(_:)`.
// - A loop that runs long without allocating calls `poll()`; a thread about to block wraps the wait in
//   `withSafeRegion`.

import Synchronization

/// A mutator thread's handle on the heap.
@frozen
public struct Mutator {
    @usableFromInline let ctx: UnsafeMutablePointer<MutatorContext>

    @usableFromInline
    init(ctx: UnsafeMutablePointer<MutatorContext>) { self.ctx = ctx }

    /// The heap this mutator belongs to.
    public var heap: Heap { ctx.pointee.heap.takeUnretainedValue() }

    /// This mutator's id (1-based, in registration order).
    public var id: Int { ctx.pointee.record.takeUnretainedValue().id }

    // MARK: Allocation

    /// Allocates an object with `referenceCount` reference fields (all null) and `payloadBytes` of zeroed
    /// untraced payload, tagged with `shape`. The fast path bumps a thread-local cursor, writes the header
    /// and zeroes the body; everything else (next hole, new block, large object, collection, safepoint)
    /// is in `allocateSlow`.
    @inlinable @inline(__always)
    public func allocate(shape: UInt8, referenceCount: Int, payloadBytes: Int) throws(HeapError) -> ObjectRef {
        let bytes = ObjectHeader.objectBytes(referenceCount: referenceCount, payloadBytes: payloadBytes)
        let header = ObjectHeader(granules: bytes &>> HeapGeometry.granuleShift, referenceCount: referenceCount, shape: shape)
        let cursor = ctx.pointee.tlab.cursor
        let end = cursor &+ bytes
        if _fastPath(end <= ctx.pointee.tlab.limit && bytes <= HeapGeometry.largeObjectThreshold
                        && (referenceCount | payloadBytes) >= 0) {
            ctx.pointee.tlab.cursor = end
            let object = ctx.pointee.base + cursor
            object.storeBytes(of: header.bits, as: UInt64.self)
            // Zero the fields and payload here, where the header store brings the line into the cache
            // anyway (as HotSpot's inline TLAB path does), instead of a separate pass over each hole.
            var word = 8
            while word < bytes {
                object.storeBytes(of: 0, toByteOffset: word, as: UInt64.self)
                word &+= 8
            }
            return ObjectRef(offset: cursor)
        }
        return try allocateSlow(bytes: bytes, referenceCount: referenceCount, payloadBytes: payloadBytes, shape: shape)
    }

    // MARK: Reference fields

    @inlinable @inline(__always)
    func field(_ object: ObjectRef, _ index: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (ctx.pointee.base + (object.offset &+ 8 &+ index &* 4)).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    /// Reads reference field `index` of `object`.
    @inlinable @inline(__always)
    public func load(_ object: ObjectRef, _ index: Int) -> ObjectRef {
        if ctx.pointee.verify { verifyAccess(object, field: index) }
        return ObjectRef(raw: field(object, index).pointee.load(ordering: .acquiring))
    }

    /// Writes reference field `index` of `object`, through the write barrier while marking.
    @inlinable @inline(__always)
    public func store(_ object: ObjectRef, _ index: Int, _ value: ObjectRef) {
        if ctx.pointee.verify { verifyAccess(object, field: index) }
        let slot = field(object, index)
        if _slowPath(ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0) {
            barrierSlow(slot, source: object, value: value)
            return
        }
        slot.pointee.store(value.raw, ordering: .releasing)
    }

    // MARK: Header and payload

    /// The header of `object`.
    @inlinable @inline(__always)
    public func header(_ object: ObjectRef) -> ObjectHeader {
        if ctx.pointee.verify { verifyAccess(object, field: -1) }
        return ObjectHeader(bits: (ctx.pointee.base + object.offset).load(as: UInt64.self))
    }

    /// The untraced payload bytes of `object` (after its reference fields). Valid until the object dies.
    /// The payload is 8-byte aligned when the object has an even number of reference fields, else only
    /// 4-byte aligned (use `loadUnaligned` for 8-byte values then).
    @inlinable @inline(__always)
    public func payload(_ object: ObjectRef) -> UnsafeMutableRawPointer {
        ctx.pointee.base + (object.offset &+ ObjectHeader.payloadOffset(referenceCount: header(object).referenceCount))
    }

    /// The payload of an object known to have `referenceCount` reference fields (saves a header read).
    @inlinable @inline(__always)
    public func payload(_ object: ObjectRef, referenceCount: Int) -> UnsafeMutableRawPointer {
        if ctx.pointee.verify { verifyAccess(object, field: -1) }
        return ctx.pointee.base + (object.offset &+ ObjectHeader.payloadOffset(referenceCount: referenceCount))
    }

    // MARK: Roots

    /// Pushes a root slot holding `value`; it stays a root until the frame it belongs to is popped.
    @inlinable @inline(__always)
    @discardableResult
    public func pushRoot(_ value: ObjectRef = .null) -> RootSlot {
        let i = ctx.pointee.rootCount
        if _slowPath(i == ctx.pointee.rootCapacity) { growRoots() }
        ctx.pointee.roots[i] = value.raw
        ctx.pointee.rootCount = i &+ 1
        return RootSlot(index: i)
    }

    /// The value of a root slot.
    @inlinable @inline(__always)
    public subscript(slot: RootSlot) -> ObjectRef {
        get { ObjectRef(raw: ctx.pointee.roots[slot.index]) }
        nonmutating set { ctx.pointee.roots[slot.index] = newValue.raw }
    }

    /// Marks the current shadow-stack depth; `popFrame` returns to it.
    @inlinable @inline(__always)
    public func frame() -> RootFrame { RootFrame(depth: ctx.pointee.rootCount) }

    /// Drops every root slot pushed since `frame`.
    @inlinable @inline(__always)
    public func popFrame(_ frame: RootFrame) { ctx.pointee.rootCount = frame.depth }

    /// Number of root slots in use.
    public var rootDepth: Int { ctx.pointee.rootCount }

    /// Reads a global root.
    public func global(_ root: GlobalRoot) -> ObjectRef {
        ObjectRef(raw: ctx.pointee.heap.takeUnretainedValue().globals.slots[root.index].load(ordering: .acquiring))
    }

    /// Writes a global root (through the write barrier while marking: globals are shared like the heap).
    public func setGlobal(_ root: GlobalRoot, _ value: ObjectRef) {
        let slot = ctx.pointee.heap.takeUnretainedValue().globals.slots + root.index
        if ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0 {
            barrierSlow(slot, source: .null, value: value)
        } else {
            slot.pointee.store(value.raw, ordering: .releasing)
        }
    }

    // MARK: Safepoints

    /// A safepoint: parks here if a collector asked the world to stop. One relaxed load when not.
    @inlinable @inline(__always)
    public func poll() {
        if _slowPath(ctx.pointee.pollFlag.pointee.load(ordering: .relaxed) != 0) { pollSlow() }
    }

    /// Runs `body` (which must not touch the heap) as a safe region: collections go ahead without
    /// waiting for this thread. Use around blocking waits.
    public func withSafeRegion<T>(_ body: () throws -> T) rethrows -> T {
        let record = ctx.pointee.record.takeUnretainedValue()
        let world = ctx.pointee.heap.takeUnretainedValue().world
        world.enterSafeRegion(record)
        defer { world.leaveSafeRegion(record) }
        return try body()
    }

    /// Runs a full collection now (with the concurrent collector: waits, assisting, for a whole cycle
    /// that starts after this call).
    public func collect() {
        let heap = ctx.pointee.heap.takeUnretainedValue()
        heap.collector.collectFully(requester: ctx.pointee.record.takeUnretainedValue(), reason: "explicit",
                                    observedCycle: heap.cycles.load(ordering: .relaxed))
    }
}

/// A shadow-stack slot of one mutator.
@frozen
public struct RootSlot: Hashable {
    /// Slot index in the shadow stack.
    public let index: Int
    @inlinable init(index: Int) { self.index = index }
}

/// A saved shadow-stack depth.
@frozen
public struct RootFrame {
    @usableFromInline let depth: Int
    @inlinable init(depth: Int) { self.depth = depth }
}
