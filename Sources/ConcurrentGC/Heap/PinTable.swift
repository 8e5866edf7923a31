// Pinned objects: the side table of a plan that moves some objects and may leave any in place (immix).
// A mutator pins an object it hands to code outside the heap (a buffer given to foreign code, an address
// kept for identity) and the collector never moves it while pinned. Pins nest: an object pinned twice is
// unpinned by the second unpin.
//
// Pinning does not keep an object alive: a pinned object that becomes unreachable is freed, and its pin is
// dropped at the collection that frees it (so the table never names freed memory). The table is small and
// locked; the collector reads it only for objects in the blocks it evacuates, and keeps a per-block count
// so that blocks without pins never touch the lock.

/// The pinned objects of a heap.
final class PinTable: @unchecked Sendable {
    private let monitor = Monitor()
    /// Pinned objects per block (written under `monitor`, read by the collector with the world stopped).
    let pinsPerBlock: UnsafeMutablePointer<UInt32>
    private let blockCount: Int
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    @exclusivity(unchecked) private var counts: [UInt32: Int] = [:]

    init(blockCount: Int) {
        self.blockCount = blockCount
        pinsPerBlock = .allocate(capacity: blockCount)
        pinsPerBlock.initialize(repeating: 0, count: blockCount)
    }

    deinit { pinsPerBlock.deallocate() }

    @inline(__always)
    static func block(of raw: UInt32) -> Int { Int(raw &>> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift)) }

    /// Pins the object `raw` (once more, if already pinned).
    func pin(_ raw: UInt32) {
        monitor.withLock {
            counts[raw, default: 0] += 1
            let b = Self.block(of: raw)
            if b < blockCount { pinsPerBlock[b] += 1 }  // large objects never move: no block count
        }
    }

    /// Removes one pin of `raw`; false when it was not pinned.
    func unpin(_ raw: UInt32) -> Bool {
        monitor.withLock {
            guard let n = counts[raw] else { return false }
            counts[raw] = n > 1 ? n - 1 : nil
            let b = Self.block(of: raw)
            if b < blockCount { pinsPerBlock[b] -= 1 }
            return true
        }
    }

    /// Whether the small object `raw` is pinned. Cheap for an object in a block without pins.
    @inline(__always)
    func isPinned(_ raw: UInt32) -> Bool {
        pinsPerBlock[Self.block(of: raw)] != 0 && monitor.withLock { counts[raw] != nil }
    }

    /// Pinned objects (distinct).
    var count: Int { monitor.withLock { counts.count } }

    /// Drops the pins of every object `isLive` says the collection did not keep (world stopped, after
    /// marking, before the objects are freed).
    func dropPins(unless isLive: (UInt32) -> Bool) {
        monitor.withLock {
            for (raw, n) in counts where !isLive(raw) {
                counts[raw] = nil
                let b = Self.block(of: raw)
                if b < blockCount { pinsPerBlock[b] -= UInt32(n) }
            }
        }
    }
}
