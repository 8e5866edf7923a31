// Side tables: the collector's state about objects lives here, never in object memory.
//
// - MarkBitmap: one bit per granule of the whole reservation; bit g is set when the object starting at
//   granule g is marked. Words are `Atomic<UInt64>`: a concurrent marker and mutators race only on these
//   words, and `testAndSet` decides which thread greys an object, so no object is pushed twice.
//   The slice of one Immix block (4096 bits, 512 bytes) is "that block's mark bitmap"; it is cleared when
//   the block is swept. The checkmark verifier uses a second, private MarkBitmap.
// - LineMarkTable: one byte per 128-byte line of the block region. A line is live after a collection when
//   its byte equals that collection's mark epoch, so the table never needs clearing between cycles
//   (only when the 8-bit epoch wraps).

import Synchronization

/// A bitmap with one atomic bit per heap granule.
struct MarkBitmap {
    let words: UnsafeMutablePointer<Atomic<UInt64>>
    let wordCount: Int

    /// Maps a zeroed bitmap covering `granules` granules.
    init?(granules: Int) {
        wordCount = (granules + 63) / 64
        guard let raw = VirtualMemory.reserve(wordCount * 8) else { return nil }
        words = raw.assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Unmaps the bitmap.
    func free() { VirtualMemory.unmap(UnsafeMutableRawPointer(words), wordCount * 8) }

    /// True when granule `g` is marked.
    @inline(__always)
    func isMarked(_ g: UInt32) -> Bool {
        let bit: UInt64 = 1 &<< UInt64(g & 63)
        return words[Int(g &>> 6)].load(ordering: .relaxed) & bit != 0
    }

    /// Sets the bit of granule `g`; true when this call set it (the caller now owns greying the object).
    @inline(__always)
    func testAndSet(_ g: UInt32) -> Bool {
        let bit: UInt64 = 1 &<< UInt64(g & 63)
        let word = words + Int(g &>> 6)
        if word.pointee.load(ordering: .relaxed) & bit != 0 { return false }
        // Sequentially consistent (a plain `lock or` on x86): the marker's later reads of the object's
        // fields must not move above it, which Steele's barrier relies on (see WriteBarrier.swift).
        return word.pointee.bitwiseOr(bit, ordering: .sequentiallyConsistent).oldValue & bit == 0
    }

    /// Sets the bit of granule `g`.
    @inline(__always)
    func set(_ g: UInt32) { words[Int(g &>> 6)].bitwiseOr(1 &<< UInt64(g & 63), ordering: .relaxed) }

    /// Clears the bit of granule `g`.
    @inline(__always)
    func clear(_ g: UInt32) {
        let bit: UInt64 = 1 &<< UInt64(g & 63)
        words[Int(g &>> 6)].bitwiseAnd(~bit, ordering: .relaxed)
    }

    /// Sets the bit of granule `g`, publishing this thread's earlier stores to whoever clears it with
    /// `clearAcquiring`; true when this call set it.
    @inline(__always)
    func testAndSetReleasing(_ g: UInt32) -> Bool {
        let bit: UInt64 = 1 &<< UInt64(g & 63)
        return words[Int(g &>> 6)].bitwiseOr(bit, ordering: .acquiringAndReleasing).oldValue & bit == 0
    }

    /// Clears the bit of granule `g`; the caller's later reads see every store made before any
    /// `testAndSetReleasing` of it (a read-modify-write continues the release sequence).
    @inline(__always)
    func clearAcquiring(_ g: UInt32) {
        words[Int(g &>> 6)].bitwiseAnd(~(1 &<< UInt64(g & 63)), ordering: .acquiringAndReleasing)
    }

    /// Clears the bits of `count` granules from `firstGranule` (both multiples of 64).
    func clearRange(firstGranule: Int, count: Int) {
        let first = firstGranule / 64
        for w in first..<(first + count / 64) { words[w].store(0, ordering: .relaxed) }
    }
}

/// One mark byte per line of the block region.
struct LineMarkTable {
    let bytes: UnsafeMutablePointer<Atomic<UInt8>>
    let count: Int

    init?(lines: Int) {
        count = lines
        guard let raw = VirtualMemory.reserve(lines) else { return nil }
        bytes = raw.assumingMemoryBound(to: Atomic<UInt8>.self)
    }

    func free() { VirtualMemory.unmap(UnsafeMutableRawPointer(bytes), count) }

    /// Records that the object at byte `offset` of `size` bytes is live in collection `epoch`:
    /// every line it touches is marked (exact line marking, no conservative neighbour line).
    @inline(__always)
    func markObject(offset: Int, size: Int, epoch: UInt8) {
        var line = offset &>> HeapGeometry.lineShift
        let last = (offset &+ size &- 1) &>> HeapGeometry.lineShift
        while line <= last {
            // Small objects share lines: skip the store (and the cache-line write) when already marked.
            if bytes[line].load(ordering: .relaxed) != epoch { bytes[line].store(epoch, ordering: .relaxed) }
            line &+= 1
        }
    }

    /// The mark byte of global line index `line`.
    @inline(__always)
    func mark(_ line: Int) -> UInt8 { bytes[line].load(ordering: .relaxed) }
}
