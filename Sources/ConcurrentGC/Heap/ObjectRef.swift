// Compressed references.
//
// A reference is the 32-bit index of an object's first granule counted from the heap base. Zero is null:
// block 0 of the reservation is never handed out, so no object lives at granule 0.

/// A compressed reference to a managed object, or null. Four bytes, as stored in reference fields.
@frozen
public struct ObjectRef: Hashable, Comparable, CustomStringConvertible {
    /// The granule index from the heap base; 0 is null.
    public var raw: UInt32

    @inlinable @inline(__always)
    public init(raw: UInt32) { self.raw = raw }

    /// The null reference. A computed constant, not a stored global: a stored one is initialized lazily
    /// (swift_once) on first use, a call on the fast paths and, under ThreadSanitizer, a place where every
    /// mutator thread was seen stuck at once.
    @inlinable
    public static var null: ObjectRef { @inline(__always) get { ObjectRef(raw: 0) } }

    /// True when this is the null reference.
    @inlinable @inline(__always)
    public var isNull: Bool { raw == 0 }

    /// The byte offset of the object from the heap base.
    @inlinable @inline(__always)
    public var offset: Int { Int(raw) &<< HeapGeometry.granuleShift }

    @inlinable @inline(__always)
    init(offset: Int) { self.raw = UInt32(truncatingIfNeeded: offset &>> HeapGeometry.granuleShift) }

    public static func < (a: ObjectRef, b: ObjectRef) -> Bool { a.raw < b.raw }

    public var description: String { isNull ? "null" : "@0x" + String(offset, radix: 16) }
}
