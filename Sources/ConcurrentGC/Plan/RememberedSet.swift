// The remembered set of the generational plans (sticky, gencopy): where the remembered-set barriers
// (Barrier/RememberedSetBarrier.swift) record the old objects stored into, and how a minor collection
// reads them back. Shared by both plans, so that a card or an object costs the same in either.
//
// Invariant (between collections): every old object that may hold a reference to a young object is in
// the set — its header's card is dirty (`card`), or it is logged in a mutator's log or the orphaned log
// of mutators that left (`object`: its unlogged bit is clear). Old objects are the marked ones: the mark
// bitmap's bits stick between full collections (ImmixSpace.swift; a plan whose major collection marks
// while mutators run keeps a bitmap of old objects of its own, `oldObjects`), and large objects are born old. A
// minor collection drains the set (`drain`: each remembered old object once, the set empty after, the
// logged objects' bits set again); a full collection traces everything and forgets it (`forgetAll`).
//
// Card scanning covers the block region up to the pool's high-water mark (a dirty card's old objects are
// found through the mark bitmap: the bits of the granules the card covers) and the large-object pages in
// use (a large object starts on a page, so a dirty card there is the card of one large object's header).

import Synchronization

/// The remembered set of a generational plan.
final class RememberedSet {
    let mode: RememberedSetMode
    /// Bytes per card (`--card-bytes`, a power of two from 128 to 4096).
    let cardBytes: Int
    /// A reference's card is `raw >> cardShift` (granules to cards).
    let cardShift: UInt32
    private let cards: UnsafeMutablePointer<Atomic<UInt8>>
    private let cardCount: Int
    /// Object remembering: one bit per granule, set while an old object is unlogged.
    let unlogged: MarkBitmap?
    private let base: UnsafeMutableRawPointer
    /// The old objects: a granule's bit is set where an old object's header is.
    private let oldObjects: MarkBitmap
    private let largeStart: Int
    private let monitor = Monitor()
    /// The logs of mutators that left since the last minor collection. Under `monitor`.
    @exclusivity(unchecked) private var orphaned: [UInt32] = []
    /// Bytes of large objects allocated by mutators that left since they were last counted. Under `monitor`.
    @exclusivity(unchecked) private var orphanedBornOld = 0

    /// The set for `heap`, recording with `mode`; cards of `cardBytes`; `oldObjects` says which objects are
    /// old (the heap's mark bitmap, unless given).
    init(heap: Heap, mode: RememberedSetMode, cardBytes: Int, oldObjects: MarkBitmap? = nil) {
        self.mode = mode
        self.cardBytes = cardBytes
        cardShift = UInt32(cardBytes.trailingZeroBitCount - HeapGeometry.granuleShift)
        cardCount = mode == .card ? heap.reservationBytes / cardBytes : 1
        guard let memory = VirtualMemory.reserve(cardCount) else { fatalError("gclab: could not map the card table") }
        cards = memory.assumingMemoryBound(to: Atomic<UInt8>.self)
        unlogged = mode == .object ? MarkBitmap(granules: heap.reservationBytes / HeapGeometry.granuleBytes) : nil
        if mode == .object && unlogged == nil { fatalError("gclab: could not map the unlogged bits") }
        base = heap.base
        self.oldObjects = oldObjects ?? heap.markBitmap
        largeStart = heap.largeObjectStart
    }

    deinit {
        VirtualMemory.unmap(UnsafeMutableRawPointer(cards), cardCount)
        unlogged?.free()
    }

    /// A mutator arrives: its barrier records into this set.
    func install(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.remembering.mode = mode
        ctx.pointee.remembering.cards = cards
        ctx.pointee.remembering.cardShift = cardShift
        ctx.pointee.remembering.unlogged = unlogged?.words
    }

    /// A mutator leaves: what it logged stays in the set.
    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        let log = ctx.pointee.remembering.log
        let bornOld = ctx.pointee.remembering.bornOldBytes
        monitor.withLock {
            orphaned.append(contentsOf: UnsafeBufferPointer(start: log.base, count: log.count))
            orphanedBornOld += bornOld
        }
        ctx.pointee.remembering.log.count = 0
        ctx.pointee.remembering.bornOldBytes = 0
    }

    /// Bytes of large objects allocated since the last call (world stopped): they are old already.
    func takeBornOldBytes(mutators: [MutatorRecord]) -> Int {
        var bytes = monitor.withLock { () -> Int in
            defer { orphanedBornOld = 0 }
            return orphanedBornOld
        }
        for r in mutators {
            bytes += r.ctx.pointee.remembering.bornOldBytes
            r.ctx.pointee.remembering.bornOldBytes = 0
        }
        return bytes
    }

    /// Object remembering: `raw` became old (a survivor marked or promoted): it is unlogged.
    @inline(__always)
    func noteOld(_ raw: UInt32) {
        unlogged?.set(raw)
    }

    /// Object remembering, before a full mark sets them again: no object of `block` is unlogged.
    func clearUnlogged(block: Int) {
        unlogged?.clearRange(firstGranule: block &* HeapGeometry.granulesPerBlock, count: HeapGeometry.granulesPerBlock)
    }

    /// What draining found: entries (dirty cards, or logged objects) and the old objects scanned.
    struct Drained {
        var entries = 0
        var objects = 0
    }

    /// A minor collection (world stopped): calls `scan` with every old object the set holds, once per
    /// entry, and leaves the set empty (cards clean, logs empty, the logged objects unlogged again).
    /// `blockEnd` and `largePages` bound the card scan (the pool's high water, the large pages in use).
    func drain(mutators: [MutatorRecord], blockEnd: Int, largePages: Int, _ scan: (UInt32) -> Void) -> Drained {
        var drained = Drained()
        switch mode {
        case .none:
            break
        case .card:
            let (blockCards, largeCards) = cardRanges(blockEnd: blockEnd, largePages: largePages)
            drainCards(blockCards, large: false, &drained, scan)
            drainCards(largeCards, large: true, &drained, scan)
        case .object:
            func take(_ raw: UInt32) {
                drained.entries += 1
                drained.objects += 1
                scan(raw)
                noteOld(raw)
            }
            for r in mutators {
                let log = r.ctx.pointee.remembering.log
                for i in 0..<log.count { take(log[i]) }
                r.ctx.pointee.remembering.log.count = 0
            }
            let left = monitor.withLock { () -> [UInt32] in
                defer { orphaned = [] }
                return orphaned
            }
            for raw in left { take(raw) }
        }
        return drained
    }

    /// The cards the scans cover: the block region's up to block `blockEnd`, the large region's first
    /// `largePages` pages'.
    private func cardRanges(blockEnd: Int, largePages: Int) -> (blocks: Range<Int>, large: Range<Int>) {
        let perBlock = HeapGeometry.blockBytes / cardBytes, largeFirst = largeStart / cardBytes
        return (perBlock..<(blockEnd * perBlock), largeFirst..<(largeFirst + largePages * (HeapGeometry.pageBytes / cardBytes)))
    }

    /// Cards `range`: each dirty one is cleaned and its old objects scanned (in the block region the
    /// marked objects whose headers it holds, in the large region the one large object it starts).
    private func drainCards(_ range: Range<Int>, large: Bool, _ drained: inout Drained, _ scan: (UInt32) -> Void) {
        let end = range.upperBound
        let bytes = UnsafeRawPointer(cards)
        let granulesPerCard = cardBytes >> HeapGeometry.granuleShift
        var c = range.lowerBound
        while c < end {
            // Eight cards at a time: most are clean (the world is stopped: no store races with this read).
            if c & 7 == 0 && c + 8 <= end && bytes.load(fromByteOffset: c, as: UInt64.self) == 0 {
                c += 8
                continue
            }
            if cards[c].load(ordering: .relaxed) != 0 {
                cards[c].store(0, ordering: .relaxed)
                drained.entries += 1
                let firstGranule = c &* granulesPerCard
                if large {
                    drained.objects += 1
                    scan(UInt32(firstGranule))
                } else {
                    drained.objects += forEachMarked(firstGranule: firstGranule, count: granulesPerCard, scan)
                }
            }
            c += 1
        }
    }

    /// Calls `scan` with every marked granule of `count` from `firstGranule` (the old objects whose
    /// headers lie there). Returns how many.
    private func forEachMarked(firstGranule: Int, count: Int, _ scan: (UInt32) -> Void) -> Int {
        var found = 0
        var g = firstGranule
        let end = firstGranule + count
        while g < end {
            let inWord = g & 63
            let take = min(64 - inWord, end - g)
            var bits = oldObjects.words[g >> 6].load(ordering: .relaxed) >> UInt64(inWord)
            if take < 64 { bits &= (1 << UInt64(take)) - 1 }
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                scan(UInt32(g + bit))
                found += 1
                bits &= bits - 1
            }
            g += take
        }
        return found
    }

    /// A full collection traced everything (world stopped): the set forgets what it held (cards clean,
    /// logs empty). The unlogged bits are as the full mark set them.
    func forgetAll(mutators: [MutatorRecord], blockEnd: Int, largePages: Int) {
        switch mode {
        case .none:
            break
        case .card:
            let (blockCards, largeCards) = cardRanges(blockEnd: blockEnd, largePages: largePages)
            for range in [blockCards, largeCards] {
                for c in range where cards[c].load(ordering: .relaxed) != 0 { cards[c].store(0, ordering: .relaxed) }
            }
        case .object:
            for r in mutators { r.ctx.pointee.remembering.log.count = 0 }
            monitor.withLock { orphaned = [] }
        }
    }
}
