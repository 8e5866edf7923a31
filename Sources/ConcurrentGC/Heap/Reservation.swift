// The heap's address space: one reservation, cut into the block region and the large-object region.
//
// Layout (all offsets from `base`; a reference is offset / 8):
//
//   [block 0: never used, keeps null free][blocks 1 ..< blockCount][large-object pages]
//   |<------------ heapMax rounded to blocks, + 1 block ---------->|<---- 2 x heapMax ---->|
//
// Both regions together may commit at most --heap-max (HeapAccounting.commit); reserving more address
// space than the limit lets either region use all of it, and gives the large-object pages room against
// fragmentation (the large region is cut to what 32-bit references reach for the largest heaps). The
// block region is shared by the plan's spaces through the BlockPool; the large region belongs to the
// large-object space.

/// The reserved address space of a heap and where its regions lie.
struct Reservation {
    let base: UnsafeMutableRawPointer
    /// Bytes reserved in all.
    let bytes: Int
    /// Blocks of the block region, block 0 included (it is never handed out).
    let blockCount: Int
    /// Byte offset where the large-object region starts (the end of the block region).
    let largeStart: Int
    /// Bytes of the large-object region (whole pages).
    let largeBytes: Int

    /// References at or above this granule are in the large-object region.
    var largeGranule: UInt32 { UInt32(largeStart >> HeapGeometry.granuleShift) }

    /// Reserves the address space of a heap that may commit `heapMaxBytes`; nil if the kernel refuses.
    static func reserve(heapMaxBytes: Int) -> Reservation? {
        let blockCount = (heapMaxBytes + HeapGeometry.blockBytes - 1) / HeapGeometry.blockBytes + 1
        let largeStart = blockCount * HeapGeometry.blockBytes
        // Twice the limit of pages where references can reach them: the commit limit bounds the memory,
        // and the slack keeps page fragmentation (cells of many sizes, rounded to their class) from
        // failing an allocation that the limit allows.
        let largeLimit = min(2 * heapMaxBytes, HeapGeometry.maxReservationBytes - largeStart)
        let largeBytes = largeLimit / HeapGeometry.pageBytes * HeapGeometry.pageBytes
        let bytes = largeStart + largeBytes
        guard let base = VirtualMemory.reserve(bytes) else { return nil }
        return Reservation(base: base, bytes: bytes, blockCount: blockCount, largeStart: largeStart, largeBytes: largeBytes)
    }

    /// Returns the address space to the system.
    func unmap() { VirtualMemory.unmap(base, bytes) }
}
