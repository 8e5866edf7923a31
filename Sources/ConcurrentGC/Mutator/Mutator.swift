// The mutator API: the only way workloads touch the heap.
//
// A `Mutator` is a handle (one pointer) to a thread's context; copying it is free and involves no
// reference counting. Use it only on the thread that registered it.
//
// Rules for workloads (what lets every plan, moving ones included, find and update every reference):
// - A safepoint is any allocation, `poll()`, `collect()` or `withSafeRegion`: a collection may run there,
//   and a moving collector may move any object. Every reference held across a safepoint must be in a root
//   slot (`pushRoot`), a global root, or a field of a rooted object, and must be read from there again
//   after it: a reference kept in a Swift local is not a root, and after a safepoint it may be stale.
//   Mind the order of evaluation: in `m.store(m[slot], 0, try m.allocate(...))` the slot is read before the
//   allocation; allocate into a local first, then read the slot.
// - No raw address of an object is held across a safepoint. Payload bytes are read and written with
//   `loadPayload`/`storePayload`, or inside `withPayload`, whose body may not reach a safepoint (verify
//   mode stops the process if it does, exit code 3).
// - Reference fields are read and written only with `load` and `store`, so barriers apply without the
//   workload knowing which plan runs.
// - A loop that runs long without allocating calls `poll()`; a thread about to block wraps the wait in
//   `withSafeRegion`.
// - An object whose address must stay put (a buffer handed to code outside the heap) is pinned with
//   `pin`, which says whether the plan can promise it. Object identity (a hash key) is never the address:
//   a workload keeps its own key in the payload (lru-cache keys its table by a stored integer).
// - Two references are compared with `same`, not `==`: under Brooks' indirection a reference to an old
//   copy and one to the new copy name the same object (Shenandoah's comparison barrier).

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
    /// untraced payload, tagged with `shape`. A safepoint. The fast path bumps a thread-local cursor (or,
    /// under a plan of size-class cells, pops a cached cell), writes the header and zeroes the body;
    /// everything else is the allocator's slow path (Alloc/).
    @inlinable @inline(__always)
    public func allocate(shape: UInt8, referenceCount: Int, payloadBytes: Int) throws(HeapError) -> ObjectRef {
        let bytes = ObjectHeader.objectBytes(referenceCount: referenceCount, payloadBytes: payloadBytes)
        let header = ObjectHeader(granules: bytes &>> HeapGeometry.granuleShift, referenceCount: referenceCount, shape: shape)
        if _fastPath(bytes <= HeapGeometry.largeObjectThreshold && (referenceCount | payloadBytes) >= 0) {
            if let object = BumpAllocator.allocateFast(ctx, bytes: bytes, header: header) { return object }
            switch ctx.pointee.allocator {
            case .cells: if let object = CellAllocator.allocateFast(ctx, bytes: bytes, header: header) { return object }
            case .prefixed: if let object = BumpAllocator.allocateFastPrefixed(ctx, bytes: bytes, header: header) { return object }
            case .bump, .blocks: break
            }
        }
        return try allocateSlow(bytes: bytes, referenceCount: referenceCount, payloadBytes: payloadBytes, shape: shape)
    }

    // MARK: Reference fields

    @inlinable @inline(__always)
    func field(_ object: ObjectRef, _ index: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (ctx.pointee.base + (object.offset &+ 8 &+ index &* 4)).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    /// The object an access to `object` goes to under Brooks' indirection: the copy its forwarding word
    /// names (one load, no test: Brooks' point). Only when `accessMode` says brooks.
    @inlinable @inline(__always)
    func brooksCurrent(_ object: ObjectRef) -> ObjectRef {
        ObjectRef(raw: (ctx.pointee.base + (object.offset &- 8)).assumingMemoryBound(to: Atomic<UInt32>.self)
                    .pointee.load(ordering: .acquiring))
    }

    /// The object an access to `object` goes to: itself, or under Brooks the copy its word names.
    @inlinable @inline(__always)
    func current(_ object: ObjectRef) -> ObjectRef {
        ctx.pointee.accessMode & ~MutatorContext.verifyBit == ReadBarrierMode.brooks.rawValue ? brooksCurrent(object) : object
    }

    /// Reads reference field `index` of `object`, through the plan's read barrier if it has one. The one
    /// byte `accessMode` is tested first: a plan without a read barrier, outside verify mode, pays that
    /// test only; Baker's check and Brooks' indirection are inline; verify mode is out of line.
    @inlinable @inline(__always)
    public func load(_ object: ObjectRef, _ index: Int) -> ObjectRef {
        let mode = ctx.pointee.accessMode
        if _fastPath(mode == 0) { return ObjectRef(raw: field(object, index).pointee.load(ordering: .acquiring)) }
        if mode == ReadBarrierMode.conditional.rawValue { return loadConditional(object, index) }
        if mode == ReadBarrierMode.brooks.rawValue {
            return ObjectRef(raw: field(brooksCurrent(object), index).pointee.load(ordering: .acquiring))
        }
        return loadVerified(object, index)
    }

    /// Baker's read barrier: a loaded reference whose condemned byte is set takes the plan's slow path.
    @inlinable @inline(__always)
    func loadConditional(_ object: ObjectRef, _ index: Int) -> ObjectRef {
        let slot = field(object, index)
        let value = slot.pointee.load(ordering: .acquiring)
        if _slowPath(ctx.pointee.condemned.unsafelyUnwrapped[Int(truncatingIfNeeded: value &>> condemnedShift)] != 0) {
            return readBarrierSlow(slot, value)
        }
        return ObjectRef(raw: value)
    }

    /// True when `a` and `b` name the same object (or are both null). Use instead of `==`: under Brooks'
    /// indirection a mutator may hold a reference to an object's old copy and one to its new copy.
    @inlinable @inline(__always)
    public func same(_ a: ObjectRef, _ b: ObjectRef) -> Bool {
        if a == b { return true }
        if _fastPath(ctx.pointee.readBarrier != .brooks) || a.isNull || b.isNull { return false }
        return brooksCurrent(a) == brooksCurrent(b)
    }

    /// Writes reference field `index` of `object`: a generational plan's remembered-set barrier records it
    /// (inline), and the plan's marking barrier takes it while it is on (which gets the object the store
    /// goes to: `object`, or under Brooks its current copy).
    @inlinable @inline(__always)
    public func store(_ object: ObjectRef, _ index: Int, _ value: ObjectRef) {
        var target = object
        if _slowPath(ctx.pointee.accessMode != 0) {
            if ctx.pointee.verify { verifyAccess(object, field: index) }
            target = current(object)
        }
        let slot = field(target, index)
        if ctx.pointee.remembering.mode != .none && value.raw != 0 { remember(target) }
        if _slowPath(ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0) {
            ctx.pointee.writeBarrierSlow(UnsafeMutableRawPointer(ctx), UnsafeMutableRawPointer(slot), target.raw, value.raw)
            return
        }
        slot.pointee.store(value.raw, ordering: .releasing)
    }

    // MARK: Header and payload

    /// The header of `object`.
    @inlinable @inline(__always)
    public func header(_ object: ObjectRef) -> ObjectHeader {
        var target = object
        if _slowPath(ctx.pointee.accessMode != 0) {
            if ctx.pointee.verify { verifyAccess(object, field: -1) }
            target = current(object)
        }
        return ObjectHeader(bits: (ctx.pointee.base + target.offset).load(as: UInt64.self))
    }

    @inlinable @inline(__always)
    func payloadAddress(_ object: ObjectRef, referenceCount: Int, offset: Int, size: Int, writing: Bool) -> UnsafeMutableRawPointer {
        var target = object
        if _slowPath(ctx.pointee.accessMode != 0) {
            if ctx.pointee.verify { verifyPayloadAccess(object, referenceCount: referenceCount, offset: offset, size: size) }
            target = writing ? writableCurrent(object) : current(object)
        }
        return ctx.pointee.base + (target.offset &+ ObjectHeader.payloadOffset(referenceCount: referenceCount) &+ offset)
    }

    /// The object a write to `object`'s payload goes to: `current(object)`, which under Brooks while the
    /// plan copies is first copied out of from-space (writes go to the copy only, so none is lost).
    @inlinable @inline(__always)
    func writableCurrent(_ object: ObjectRef) -> ObjectRef {
        if _fastPath(ctx.pointee.readBarrier != .brooks) { return object }
        let target = brooksCurrent(object)
        if ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) == 0 { return target }
        return ObjectRef(raw: ctx.pointee.readBarrierSlow(UnsafeMutableRawPointer(ctx), UnsafeMutableRawPointer(ctx), target.raw))
    }

    /// Reads a `T` at byte `offset` of the payload (the untraced bytes after the reference fields) of
    /// `object`, which has `referenceCount` reference fields. Any alignment.
    @inlinable @inline(__always)
    public func loadPayload<T: BitwiseCopyable>(_ object: ObjectRef, referenceCount: Int, at offset: Int = 0,
                                                as type: T.Type = T.self) -> T {
        payloadAddress(object, referenceCount: referenceCount, offset: offset, size: MemoryLayout<T>.size, writing: false).loadUnaligned(as: T.self)
    }

    /// Writes `value` at byte `offset` of the payload of `object` (with `referenceCount` fields).
    @inlinable @inline(__always)
    public func storePayload<T: BitwiseCopyable>(_ object: ObjectRef, referenceCount: Int, at offset: Int = 0, _ value: T) {
        payloadAddress(object, referenceCount: referenceCount, offset: offset, size: MemoryLayout<T>.size, writing: true)
            .storeBytes(of: value, as: T.self)
    }

    /// Runs `body` with the payload of `object` as raw bytes, for bulk access (an array's elements). The
    /// address is valid only inside `body`, which must not reach a safepoint (allocate, poll, collect,
    /// enter a safe region): a moving collector could move the object there. Verify mode stops the
    /// process when it does. Split long loops into several calls with a `poll()` between them.
    @inlinable @inline(__always)
    public func withPayload<R>(_ object: ObjectRef, _ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let h = header(object)
        let offset = ObjectHeader.payloadOffset(referenceCount: h.referenceCount)
        let target = writableCurrent(object)  // the body may write
        let bytes = UnsafeMutableRawBufferPointer(start: ctx.pointee.base + (target.offset &+ offset), count: h.bytes &- offset)
        if !ctx.pointee.verify { return try body(bytes) }
        enterRawAccess()
        defer { leaveRawAccess() }
        return try body(bytes)
    }

    // MARK: Roots

    /// Pushes a root slot holding `value`; it stays a root until the frame it belongs to is popped.
    @inlinable @inline(__always)
    @discardableResult
    public func pushRoot(_ value: ObjectRef = .null) -> RootSlot {
        let i = ctx.pointee.roots.count
        ctx.pointee.roots.push(value.raw)
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
    public func frame() -> RootFrame { RootFrame(depth: ctx.pointee.roots.count) }

    /// Drops every root slot pushed since `frame`.
    @inlinable @inline(__always)
    public func popFrame(_ frame: RootFrame) { ctx.pointee.roots.count = frame.depth }

    /// Number of root slots in use.
    public var rootDepth: Int { ctx.pointee.roots.count }

    /// Reads a global root.
    public func global(_ root: GlobalRoot) -> ObjectRef {
        ObjectRef(raw: ctx.pointee.heap._withUnsafeGuaranteedRef { $0.globals.slots[root.index].load(ordering: .acquiring) })
    }

    /// Writes a global root (through the barrier while it is on: globals are shared like the heap).
    public func setGlobal(_ root: GlobalRoot, _ value: ObjectRef) {
        let slot = ctx.pointee.heap._withUnsafeGuaranteedRef { $0.globals.slots + root.index }
        if ctx.pointee.barrierFlag.pointee.load(ordering: .relaxed) != 0 {
            ctx.pointee.writeBarrierSlow(UnsafeMutableRawPointer(ctx), UnsafeMutableRawPointer(slot), 0, value.raw)
        } else {
            slot.pointee.store(value.raw, ordering: .releasing)
        }
    }

    // MARK: Safepoints

    /// A safepoint: parks here if a collector asked the world to stop. One relaxed load when not (two in
    /// verify mode, which also checks that no `withPayload` is open).
    @inlinable @inline(__always)
    public func poll() {
        if _slowPath(ctx.pointee.pollFlag.pointee.load(ordering: .relaxed) | UInt32(truncatingIfNeeded: ctx.pointee.rawAccessDepth) != 0) {
            pollSlow()
        }
    }

    /// Runs `body` (which must not touch the heap) as a safe region: collections go ahead without
    /// waiting for this thread. Use around blocking waits.
    public func withSafeRegion<T>(_ body: () throws -> T) rethrows -> T {
        checkNoRawAccess("withSafeRegion")
        let record = ctx.pointee.record.takeUnretainedValue()
        let world = ctx.pointee.heap._withUnsafeGuaranteedRef { $0.world }
        world.enterSafeRegion(record)
        defer { world.leaveSafeRegion(record) }
        return try body()
    }

    /// Pins `object`: no collection moves it until `unpin` (pins nest; a pin does not keep the object
    /// alive). Returns false when the plan cannot leave an object in place (semispace copies every small
    /// object), and then the object may still move. Non-moving plans never move any object: true.
    @discardableResult
    public func pin(_ object: ObjectRef) -> Bool {
        precondition(!object.isNull, "gclab: pin of a null reference")
        if ctx.pointee.verify { verifyAccess(object, field: -1) }
        return ctx.pointee.heap._withUnsafeGuaranteedRef { $0.collector.pin(object.raw) }
    }

    /// Removes one pin of `object` (nothing if it was not pinned).
    public func unpin(_ object: ObjectRef) {
        ctx.pointee.heap._withUnsafeGuaranteedRef { $0.collector.unpin(object.raw) }
    }

    /// Runs a full collection now (with a concurrent plan: waits, assisting, for a whole cycle that starts
    /// after this call). A safepoint.
    public func collect() {
        checkNoRawAccess("collect")
        let heap = ctx.pointee.heap.takeUnretainedValue()
        heap.collector.collectFully(requester: ctx.pointee.record.takeUnretainedValue(), reason: .explicit,
                                    observedCycle: heap.completedCycles)
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
