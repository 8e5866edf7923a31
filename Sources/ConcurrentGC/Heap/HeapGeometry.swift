// The fixed sizes of gclab's heap, in one place.
//
// Immix geometry (Blackburn & McKinley, PLDI 2008): 32 KiB blocks of 128-byte lines. We keep the paper's
// 128-byte line rather than MMTk's 256 because gclab's objects are small (a GCBench node is 24 bytes with
// compressed references), so a finer line wastes less space around a live object and finds more holes;
// the price is a line-mark table twice as large (1/128 of the heap), which is still small.
// Objects are aligned to 8-byte granules; a reference is the 32-bit granule index from the heap base,
// so one reservation can span 32 GiB.

/// Sizes and shifts of the heap's units. All are powers of two.
public enum HeapGeometry {
    /// Bytes per granule: object alignment and the unit of a compressed reference.
    public static let granuleBytes = 8
    public static let granuleShift = 3
    /// Bytes per Immix line: the unit of reclamation inside a block.
    public static let lineBytes = 128
    public static let lineShift = 7
    /// Bytes per Immix block: the unit handed from the global space to a thread.
    public static let blockBytes = 32 * 1024
    public static let blockShift = 15
    public static let linesPerBlock = blockBytes / lineBytes
    public static let granulesPerBlock = blockBytes / granuleBytes
    /// Objects strictly larger than this go to the large-object space.
    public static let largeObjectThreshold = 8 * 1024
    /// Page size used by the large-object space.
    public static let pageBytes = 4096
    /// The largest reservation compressed 32-bit granule references can address.
    public static let maxReservationBytes = (1 << 32) * granuleBytes
}
