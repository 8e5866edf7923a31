// The mutator's out-of-line paths that are not allocation: the safepoint's slow path, and verify mode's
// checks of every access (a freed object, a stale reference to a moved one, a field or payload offset out
// of range, a safepoint reached while a raw payload address is held).

import Glibc
import Synchronization

extension Mutator {
    @usableFromInline @inline(never)
    func pollSlow() {
        if ctx.pointee.rawAccessDepth != 0 { rawAccessViolation("poll") }
        let flag = ctx.pointee.pollFlag.pointee.load(ordering: .relaxed)
        let record = ctx.pointee.record.takeUnretainedValue()
        ctx.pointee.heap._withUnsafeGuaranteedRef { heap in
            if flag & World.handshakeBit != 0 { heap.collector.handshake(ctx) }
            if flag & World.stopBit != 0 { heap.world.safepointSlow(record) }
        }
    }

    /// The read barrier's slow path: the plan's, for a loaded reference whose condemned byte is set.
    @usableFromInline @inline(never)
    func readBarrierSlow(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, _ value: UInt32) -> ObjectRef {
        ObjectRef(raw: ctx.pointee.readBarrierSlow(UnsafeMutableRawPointer(ctx), UnsafeMutableRawPointer(slot), value))
    }

    /// A load in verify mode: the access is checked, the load goes through the plan's read barrier, and
    /// the reference it returns is checked (`verifyHeld`).
    @usableFromInline @inline(never)
    func loadVerified(_ object: ObjectRef, _ index: Int) -> ObjectRef {
        verifyAccess(object, field: index)
        let loaded: ObjectRef
        switch ctx.pointee.readBarrier {
        case .none: loaded = ObjectRef(raw: field(object, index).pointee.load(ordering: .acquiring))
        case .conditional: loaded = loadConditional(object, index)
        case .brooks: loaded = ObjectRef(raw: field(brooksCurrent(object), index).pointee.load(ordering: .acquiring))
        }
        verifyHeld(loaded)
        return loaded
    }

    /// Verify mode, after every load: under a plan that keeps the to-space invariant (a condemned table
    /// and no Brooks indirection), the mutator never receives a reference into from-space.
    @usableFromInline @inline(never)
    func verifyHeld(_ ref: ObjectRef) {
        guard let condemned = ctx.pointee.condemned, ctx.pointee.readBarrier != .brooks else { return }
        if condemned[Int(ref.raw >> condemnedShift)] == condemnedFromSpace {
            verifyViolation("to-space invariant broken: a load returned \(ref), a from-space reference (the read barrier did not copy it)")
        }
    }

    /// Verify mode: the object must carry a valid header, not be forwarded (moved), and have the field.
    /// A failure is a collector bug (a freed object still reachable) or a workload bug (a stale reference
    /// kept across a safepoint); it stops the process loudly.
    @usableFromInline @inline(never)
    func verifyAccess(_ object: ObjectRef, field: Int) {
        let h = checkedHeader(object)
        if field >= h.referenceCount {
            verifyViolation("field \(field) out of range for \(object) with \(h.referenceCount) reference fields")
        }
    }

    /// Verify mode: `size` payload bytes at `offset` must lie inside the object's payload.
    @usableFromInline @inline(never)
    func verifyPayloadAccess(_ object: ObjectRef, referenceCount: Int, offset: Int, size: Int) {
        let h = checkedHeader(object)
        if referenceCount != h.referenceCount {
            verifyViolation("payload of \(object) read as if it had \(referenceCount) reference fields; it has \(h.referenceCount)")
        }
        let payloadBytes = h.bytes - ObjectHeader.payloadOffset(referenceCount: h.referenceCount)
        if offset < 0 || offset + size > payloadBytes {
            verifyViolation("payload bytes \(offset)..<\(offset + size) out of range for \(object) with \(payloadBytes) payload bytes")
        }
    }

    private func checkedHeader(_ object: ObjectRef) -> ObjectHeader {
        let heap = ctx.pointee.heap.takeUnretainedValue()
        guard !object.isNull, object.offset < heap.reservationBytes else { verifyFailure("access to invalid reference \(object)") }
        let h = ObjectHeader(bits: (ctx.pointee.base + object.offset).load(as: UInt64.self))
        guard h.isValid else {
            verifyFailure("access to freed or invalid object \(object) (header word 0x\(String(h.bits, radix: 16)))")
        }
        if h.isForwarded {
            verifyViolation("access to \(object), which was moved to \(h.forwardee): a stale reference kept across a safepoint")
        }
        if let condemned = ctx.pointee.condemned, ctx.pointee.readBarrier != .brooks,
           condemned[Int(object.raw >> condemnedShift)] == condemnedFromSpace {
            verifyViolation("to-space invariant broken: the mutator holds \(object), a from-space reference")
        }
        return h
    }

    /// Verify mode: a `withPayload` body begins. Allocation fast paths are closed until it ends, so an
    /// allocation inside it reaches the slow path's check.
    @usableFromInline @inline(never)
    func enterRawAccess() {
        if ctx.pointee.rawAccessDepth == 0 {
            ctx.pointee.rawAccessSavedLimit = ctx.pointee.bump.tlab.limit
            ctx.pointee.rawAccessSavedBlock = ctx.pointee.bump.tlab.block
            ctx.pointee.rawAccessSavedAllocator = ctx.pointee.allocator
            ctx.pointee.bump.tlab.limit = 0
            ctx.pointee.allocator = .bump
        }
        ctx.pointee.rawAccessDepth += 1
    }

    @usableFromInline @inline(never)
    func leaveRawAccess() {
        ctx.pointee.rawAccessDepth -= 1
        if ctx.pointee.rawAccessDepth == 0 {
            // A collection inside (a test's handler let it go ahead) may have retired the region: then it stays closed.
            if ctx.pointee.bump.tlab.block == ctx.pointee.rawAccessSavedBlock { ctx.pointee.bump.tlab.limit = ctx.pointee.rawAccessSavedLimit }
            ctx.pointee.allocator = ctx.pointee.rawAccessSavedAllocator
        }
    }

    /// Stops the process if a `withPayload` body is running (`what` is the safepoint it reached).
    @inline(__always)
    func checkNoRawAccess(_ what: String) {
        if _slowPath(ctx.pointee.rawAccessDepth != 0) { rawAccessViolation(what) }
    }

    @inline(never)
    func rawAccessViolation(_ what: String) {
        verifyViolation("\(what) inside withPayload: a raw payload address is held across a safepoint, where a moving collector may move the object")
    }
}

/// Tests: called instead of stopping the process when a workload breaks a verify-mode rule
/// (`verifyViolation`); the access then goes ahead.
nonisolated(unsafe) var verifyViolationHandler: ((String) -> Void)? = nil

/// A workload broke a rule of the mutator API (a stale reference, a raw address held across a safepoint,
/// an access out of range): the process stops (exit code 3) unless a test handles it.
func verifyViolation(_ message: String) {
    if let handler = verifyViolationHandler { return handler(message) }
    verifyFailure(message)
}

/// Prints a verify-mode failure and stops the process (exit code 3).
func verifyFailure(_ message: String) -> Never {
    fputs("gclab: verify: \(message)\n", stderr)
    exit(3)
}
