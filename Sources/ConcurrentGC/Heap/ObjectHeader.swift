// The object header: one 64-bit word in front of every object.
//
//   bits  0..23  size in granules (objects up to 128 MiB)
//   bits 24..47  number of reference fields (up to 16 M)
//   bits 48..55  shape id: what the workload says the object is (a tree node, an array, ...)
//   bits 56..59  GC flags: bit 56 lives in the large-object space; bits 57..58 the forwarding state of a
//                moving collector (0 in place, 1 busy: a copier claimed it, 2 forwarded); bit 59 free
//   (forwarded:  bits 0..31 hold the reference of the copy, whose header has the size, fields and shape)
//   bits 60..63  tag 0b1010: a word without it is not a header (freed, poisoned or never allocated),
//                which is how verify mode catches a use of freed memory.
//
// Layout of an object: [header: 8 bytes][reference fields: 4 bytes each][payload: untraced bytes],
// rounded up to the 8-byte granule. The header is written once, by the allocating thread, before the
// object is reachable; a non-moving collector only reads it, a moving one replaces it by a forwarding
// header (with a compare-and-swap through busy when several threads may copy). Mark state is not in the header but in side tables
// (see SideTables.swift), so that marking never writes object memory.

/// A decoded object header.
@frozen
public struct ObjectHeader: Equatable {
    /// The raw header word.
    public var bits: UInt64

    @inlinable @inline(__always)
    public init(bits: UInt64) { self.bits = bits }

    @usableFromInline static let tag: UInt64 = 0xA << 60
    @usableFromInline static let tagMask: UInt64 = 0xF << 60
    @usableFromInline static let largeFlag: UInt64 = 1 << 56
    @usableFromInline static let forwardingMask: UInt64 = 3 << 57
    @usableFromInline static let busyState: UInt64 = 1 << 57
    @usableFromInline static let forwardedState: UInt64 = 2 << 57
    /// The largest object, in bytes, a header can describe.
    public static let maxObjectBytes = ((1 << 24) - 1) * HeapGeometry.granuleBytes
    /// The most reference fields an object can have.
    public static let maxReferenceFields = (1 << 24) - 1

    /// A header for an object of `granules` granules with `referenceCount` reference fields.
    @inlinable @inline(__always)
    public init(granules: Int, referenceCount: Int, shape: UInt8, large: Bool = false) {
        bits = ObjectHeader.tag
            | UInt64(truncatingIfNeeded: granules)
            | (UInt64(truncatingIfNeeded: referenceCount) &<< 24)
            | (UInt64(shape) &<< 48)
            | (large ? ObjectHeader.largeFlag : 0)
    }

    /// Size of the whole object in granules.
    @inlinable @inline(__always)
    public var granules: Int { Int(truncatingIfNeeded: bits & 0xFF_FFFF) }

    /// Size of the whole object in bytes.
    @inlinable @inline(__always)
    public var bytes: Int { granules &<< HeapGeometry.granuleShift }

    /// Number of reference fields.
    @inlinable @inline(__always)
    public var referenceCount: Int { Int(truncatingIfNeeded: (bits &>> 24) & 0xFF_FFFF) }

    /// The workload's shape id.
    @inlinable @inline(__always)
    public var shape: UInt8 { UInt8(truncatingIfNeeded: bits &>> 48) }

    /// True for objects in the large-object space.
    @inlinable @inline(__always)
    public var isLarge: Bool { bits & ObjectHeader.largeFlag != 0 }

    /// True when a moving collector copied the object: `forwardee` is its new reference.
    @inlinable @inline(__always)
    public var isForwarded: Bool { bits & ObjectHeader.forwardingMask == ObjectHeader.forwardedState }

    /// True while a copier holds the object (it is being copied; its fields are as before).
    @inlinable @inline(__always)
    public var isBusy: Bool { bits & ObjectHeader.forwardingMask == ObjectHeader.busyState }

    /// The copy's reference, for a forwarded header.
    @inlinable @inline(__always)
    public var forwardee: ObjectRef { ObjectRef(raw: UInt32(truncatingIfNeeded: bits)) }

    /// The header a moving collector leaves behind: the object now lives at `copy`.
    @inlinable @inline(__always)
    public static func forwarded(to copy: ObjectRef) -> ObjectHeader {
        ObjectHeader(bits: ObjectHeader.tag | ObjectHeader.forwardedState | UInt64(copy.raw))
    }

    /// This header with the busy state set (a copier's claim).
    @inlinable @inline(__always)
    public var claimed: ObjectHeader { ObjectHeader(bits: (bits & ~ObjectHeader.forwardingMask) | ObjectHeader.busyState) }

    /// True when the word carries the header tag (an allocated object, possibly forwarded).
    @inlinable @inline(__always)
    public var isValid: Bool { bits & ObjectHeader.tagMask == ObjectHeader.tag }

    /// The size in bytes, granule-rounded, of an object with this many fields and payload bytes.
    @inlinable @inline(__always)
    public static func objectBytes(referenceCount: Int, payloadBytes: Int) -> Int {
        (8 &+ referenceCount &* 4 &+ payloadBytes &+ 7) & ~7
    }

    /// Byte offset of the payload from the start of the object.
    @inlinable @inline(__always)
    public static func payloadOffset(referenceCount: Int) -> Int { 8 &+ referenceCount &* 4 }
}
