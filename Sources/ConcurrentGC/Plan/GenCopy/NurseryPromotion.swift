// A minor collection of the copying nursery (Appel 1989; MMTk's GenImmix), with the world stopped: every
// reachable nursery object is copied into the mature Immix space — promoted after one survival — and
// every slot that led to it (a root, a field of an old object the remembered set holds, a field of a
// promoted object) is given the copy.
//
// Invariant: an object in nursery from-space is either not reached yet (its own header) or promoted (a
// forwarding header naming its copy). A copy is pushed once, when it is made, and scanned once; its fields
// still point into the nursery until then. A promoted copy is old at once: its bit in the bitmap of old
// objects is set, and its mark bit (the mature space's marks stick between majors, ImmixSpace.swift; while
// a concurrent major marks, the copy is black), its lines carry the mature space's mark epoch, and under
// object remembering it is unlogged. Objects outside from-space (mature, large) are not traced.
//
// Copies go into the holes of the mature space's blocks as a mutator's bump allocator finds them (recyclable
// blocks first, swept on the way), then into free blocks, then into the pool's copy reserve, which the
// nursery keeps as large as itself (CopySpace), so a minor collection cannot run out of room.

import Synchronization

/// One promotion pass of a nursery collection.
struct NurseryPromotion {
    let base: UnsafeMutableRawPointer
    /// The nursery's owner bytes (one per block) and from-space's id: the from-space test without a class.
    let owner: UnsafeMutablePointer<UInt8>
    let fromSpace: UInt8
    unowned(unsafe) let mature: ImmixSpace
    let bitmap: MarkBitmap
    /// The bitmap of old objects the card scan reads (gencopy's own).
    let oldObjects: MarkBitmap
    let lineMarks: LineMarkTable
    /// A concurrent major marks the mature space: blocks are not swept meanwhile.
    let marking: Bool
    let epoch: UInt8
    let unlogged: MarkBitmap?
    let largeGranule: UInt32
    /// The promotion region: the current hole of the current mature block.
    private var cursor = 0, limit = 0, block = -1
    private var grey: RawStack<UInt32>
    /// Test hook: objects whose fields are not scanned once copied.
    private var unscanned: Set<UInt32> = []
    private(set) var promotedBytes = 0
    private(set) var promotedObjects = 0
    private(set) var scannedBytes = 0

    /// A pass over `nursery`, after its flip, promoting into `mature` with its mark epoch (the live epoch,
    /// unless a concurrent major marks: then copies are black).
    init(heap: Heap, nursery: CopySpace, mature: ImmixSpace, oldObjects: MarkBitmap, unlogged: MarkBitmap?,
         marking: Bool) {
        base = heap.base
        owner = nursery.owner
        fromSpace = 3 &- nursery.toSpace
        self.mature = mature
        bitmap = heap.markBitmap
        self.oldObjects = oldObjects
        lineMarks = heap.lineMarks
        self.marking = marking
        epoch = mature.markEpoch
        self.unlogged = unlogged
        largeGranule = heap.reservation.largeGranule
        grey = RawStack(capacity: 1024)
    }

    /// True when `raw` (non-null) is a small object in nursery from-space.
    @inline(__always)
    func isYoung(_ raw: UInt32) -> Bool {
        raw < largeGranule && owner[Int(raw &>> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift))] == fromSpace
    }

    /// The value a slot holding `raw` gets: `raw` itself unless it is young, else its copy (made now if needed).
    @inline(__always)
    mutating func forward(_ raw: UInt32) -> UInt32 {
        guard raw != 0 && isYoung(raw) else { return raw }
        let old = base + (Int(raw) &<< HeapGeometry.granuleShift)
        let header = ObjectHeader(bits: old.load(as: UInt64.self))
        if header.isForwarded { return header.forwardee.raw }
        return promote(old, header)
    }

    /// The test hook: `raw`'s copy is not scanned (its fields keep pointing into the nursery).
    mutating func hide(_ raw: UInt32) -> UInt32 {
        let new = forward(raw)
        unscanned.insert(new)
        return new
    }

    @inline(never)
    private mutating func promote(_ old: UnsafeMutableRawPointer, _ header: ObjectHeader) -> UInt32 {
        let size = header.bytes
        if cursor &+ size > limit { nextRegion(size) }
        let offset = cursor
        cursor &+= size
        (base + offset).copyMemory(from: old, byteCount: size)
        let new = ObjectRef(offset: offset).raw
        old.storeBytes(of: ObjectHeader.forwarded(to: ObjectRef(raw: new)).bits, as: UInt64.self)
        _ = bitmap.testAndSet(new)
        oldObjects.set(new)
        unlogged?.set(new)
        lineMarks.markObject(offset: offset, size: size, epoch: epoch)
        promotedBytes &+= size
        promotedObjects &+= 1
        grey.push(new)
        return new
    }

    /// The next hole that fits `size` bytes: after the current one in the current block, else in another
    /// mature block.
    private mutating func nextRegion(_ size: Int) {
        while true {
            if block >= 0 {
                let blockStart = block << HeapGeometry.blockShift
                var line = (limit &- blockStart) >> HeapGeometry.lineShift
                while let hole = mature.nextHole(in: block, fromLine: line) {
                    if hole.end &- hole.start >= size {
                        cursor = hole.start
                        limit = hole.end
                        return
                    }
                    line = (hole.end &- blockStart) >> HeapGeometry.lineShift
                }
                mature.retire(block)
            }
            guard let next = mature.acquireBlock(marking: marking) ?? mature.acquireCopyBlock() else {
                fatalError("gclab: gencopy: no block left to promote into (the nursery's copy reserve was not kept): promoted \(promotedBytes) bytes")
            }
            block = next
            cursor = next << HeapGeometry.blockShift
            limit = cursor
        }
    }

    /// Scans the fields of `raw` (an old object the remembered set holds, or a copy), forwarding each.
    @inline(__always)
    mutating func scan(_ raw: UInt32) {
        let object = base + (Int(raw) &<< HeapGeometry.granuleShift)
        let header = ObjectHeader(bits: object.load(as: UInt64.self))
        scannedBytes &+= header.bytes
        let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
        var i = 0
        let n = header.referenceCount
        while i < n {
            let child = fields[i].load(ordering: .relaxed)
            let new = forward(child)
            if new != child { fields[i].store(new, ordering: .relaxed) }
            i &+= 1
        }
    }

    /// Scans copies until none is left unscanned.
    mutating func drain() {
        while !grey.isEmpty {
            let raw = grey.pop()
            if !unscanned.isEmpty && unscanned.contains(raw) { continue }
            scan(raw)
        }
    }

    /// The pass is over: the current block waits, retired, for the next major collection.
    mutating func finish() {
        if block >= 0 { mature.retire(block) }
        block = -1
        grey.free()
    }
}
