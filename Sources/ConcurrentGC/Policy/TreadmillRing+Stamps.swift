// The stamp table of a treadmill ring: one 32-bit stamp per cell, read against the ring's epoch to give
// the cell's colour (see TreadmillRing.swift). Atomic words so that the treadmill space may read a stamp
// without the ring's lock.

import Synchronization

/// The stamps of a ring's cells: 32-bit words read and written with relaxed atomics (plain moves on
/// x86), always under the ring's lock except the treadmill space's colour hint.
struct StampTable {
    let words: UnsafeMutablePointer<Atomic<UInt32>>

    init(words: UnsafeMutablePointer<Atomic<UInt32>>) { self.words = words }

    /// `capacity` stamps, all 0 (never used).
    init(capacity: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity) * 4, alignment: 4)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, capacity) * 4)
        words = raw.bindMemory(to: Atomic<UInt32>.self, capacity: max(1, capacity))
    }

    subscript(i: Int) -> UInt32 {
        @inline(__always) get { words[i].load(ordering: .relaxed) }
        @inline(__always) nonmutating set { words[i].store(newValue, ordering: .relaxed) }
    }

    /// A table of `capacity` stamps holding the first `count` of this one; this one is freed.
    func grown(to capacity: Int, copying count: Int) -> StampTable {
        let bigger = StampTable(capacity: capacity)
        UnsafeMutableRawPointer(bigger.words).copyMemory(from: UnsafeRawPointer(words), byteCount: count * 4)
        words.deallocate()
        return bigger
    }
}
