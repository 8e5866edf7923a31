// Two semispaces over blocks of the heap's pool (block-structured, as MMTk's CopySpace): mutators
// bump-allocate whole blocks of to-space; a collection flips (to-space becomes from-space), copies what is
// reachable into fresh blocks of the new to-space, and gives the from-space blocks back to the pool.
//
// Invariant: a block of the block region belongs to semispace 1, semispace 2 or neither (`owner`, one
// byte per block in raw memory, read by the tracer's from-space test without a lock); between collections
// every object of this space is in to-space. The copy reserve: a collection may need as many blocks as
// to-space holds (if everything survives), so a mutator gets a new block only while the pool can still
// give at least that many more (`acquireMutatorBlock`). That is the semispace's 2x space cost. In verify
// mode from-space is poisoned and kept from reuse for one cycle (a third semispace's worth of memory).

import Synchronization

/// The semispaces of a copying plan.
final class CopySpace: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let blocks: BlockPool
    let accounting: UnsafeMutablePointer<HeapAccounting>
    /// Poison from-space before it goes back to the pool (verify mode): a stale reference then fails the
    /// header check at its next use.
    let poison: Bool
    /// The semispace of each block (0: none).
    let owner: UnsafeMutablePointer<UInt8>
    private let blockCount: Int
    private let monitor = Monitor()
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    /// The semispace allocation and copies go to (1 or 2).
    @exclusivity(unchecked) private(set) var toSpace: UInt8 = 1
    /// The blocks of to-space, and during a collection those of from-space.
    @exclusivity(unchecked) private var toBlocks: [Int32] = []
    @exclusivity(unchecked) private var fromBlocks: [Int32] = []
    /// Verify mode: the last from-space, poisoned and held back from the pool for one cycle, so that a
    /// stale reference used in that cycle reads poison (and fails the header check) rather than a new
    /// object that reused the block.
    @exclusivity(unchecked) private var quarantine: [Int32] = []
    /// Blocks taken for copies since the flip (an incremental collection's copies so far).
    @exclusivity(unchecked) private var copyBlocksTaken = 0
    /// Blocks of slack the reserve keeps while an incremental collection copies: each copying thread's
    /// partly filled copy block (`addCopiers`).
    @exclusivity(unchecked) private var copierSlack = 0

    /// The semispaces of a copying plan on `heap`'s block pool (poisoned in verify mode).
    convenience init(heap: Heap) {
        self.init(base: heap.base, blockCount: heap.reservation.blockCount, blocks: heap.blocks,
                  accounting: heap.accounting, poison: heap.configuration.verify)
    }

    init(base: UnsafeMutableRawPointer, blockCount: Int, blocks: BlockPool, accounting: UnsafeMutablePointer<HeapAccounting>, poison: Bool) {
        self.base = base
        self.blockCount = blockCount
        self.blocks = blocks
        self.accounting = accounting
        self.poison = poison
        owner = .allocate(capacity: blockCount)
        owner.initialize(repeating: 0, count: blockCount)
    }

    deinit { owner.deallocate() }

    /// True when `raw` (a small object) lives in from-space.
    @inline(__always)
    func isFromSpace(_ raw: UInt32) -> Bool {
        owner[Int(raw &>> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift))] == 3 &- toSpace
    }

    /// Bytes of to-space blocks (what a collection must be able to copy into).
    var toSpaceBytes: Int { monitor.withLock { toBlocks.count * HeapGeometry.blockBytes } }

    /// A block of to-space for a mutator, if the pool can give it and still hold the copy reserve (one
    /// block per to-space block, the new one included); nil otherwise: collect first.
    func acquireMutatorBlock() -> Int? {
        monitor.withLock {
            guard blocks.spareBlocks >= reserveBlocks + 2 else { return nil }  // the new block, and a copy of each
            defer { holdBackReserve() }
            return takeBlock(usingReserve: true)
        }
    }

    /// A block of to-space for the collector's copies (the reserve is for this).
    func acquireCopyBlock() -> Int? {
        monitor.withLock {
            copyBlocksTaken += 1
            return takeBlock(usingReserve: true)
        }
    }

    /// `n` more (or, negative, fewer) threads may copy while an incremental collection runs.
    func addCopiers(_ n: Int) { monitor.withLock { copierSlack += n } }

    /// The blocks the copy reserve must keep (plus each copier's partly filled block). Between collections:
    /// a copy of all of to-space. While an incremental collection copies (from-space not yet given back):
    /// what from-space may still need beyond the copies made so far (R), and enough that when the
    /// collection ends, with R more blocks copied and from-space given back, the pool still holds a copy of
    /// all of to-space (a full collection may flip at once): spare − R + from ≥ to + R.
    private var reserveBlocks: Int {
        if fromBlocks.isEmpty { return toBlocks.count + copierSlack }
        let remaining = max(0, fromBlocks.count - copyBlocksTaken) + copierSlack
        return max(remaining, toBlocks.count + 2 * remaining + 2 - fromBlocks.count)
    }

    /// Calls `body` with each block of from-space (an incremental collection marks them condemned).
    func forEachFromBlock(_ body: (Int) -> Void) {
        monitor.withLock { for b in fromBlocks { body(Int(b)) } }
    }

    /// Bytes of from-space blocks (an incremental collection's heap at its flip).
    var fromSpaceBytes: Int { monitor.withLock { fromBlocks.count * HeapGeometry.blockBytes } }

    private func takeBlock(usingReserve: Bool) -> Int? {
        guard let b = blocks.acquire(usingReserve: usingReserve) else { return nil }
        owner[b] = toSpace
        toBlocks.append(Int32(b))
        return b
    }

    /// Holds back the copy reserve from the pool. Under `monitor`.
    private func holdBackReserve() { blocks.holdBack(reserveBlocks: reserveBlocks, besides: 0) }

    /// The collection begins (world stopped, allocation regions retired): to-space becomes from-space and
    /// the new to-space is empty.
    func flip() {
        monitor.withLock {
            fromBlocks = toBlocks
            toBlocks = []
            copyBlocksTaken = 0
            toSpace = 3 - toSpace
            // Verify mode: the quarantined blocks go back now if the copies might need them.
            if !quarantine.isEmpty && blocks.spareBlocks < fromBlocks.count {
                for b in quarantine { blocks.release(Int(b)) }
                quarantine = []
            }
        }
    }

    /// The collection is over: from-space goes back to the pool. In verify mode it is poisoned and kept
    /// out of the pool until the next collection (the previous one's goes back now).
    func releaseFromSpace() {
        monitor.withLock {
            for b in fromBlocks { owner[Int(b)] = 0 }
            if poison {
                for b in quarantine { blocks.release(Int(b)) }
                for b in fromBlocks {
                    (base + (Int(b) << HeapGeometry.blockShift)).initializeMemory(as: UInt8.self, repeating: 0xFB, count: HeapGeometry.blockBytes)
                }
                quarantine = fromBlocks
            } else {
                for b in fromBlocks { blocks.release(Int(b)) }
            }
            fromBlocks = []
            holdBackReserve()
        }
    }
}
