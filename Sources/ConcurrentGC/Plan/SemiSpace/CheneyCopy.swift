// Cheney's copying collection (C. J. Cheney, "A nonrecursive list compacting algorithm", CACM 13(11),
// 1970), with the world stopped: every root's target is copied into to-space, then to-space is scanned
// from its first object to its last, each field's from-space target copied (or, if already copied,
// looked up through the forwarding header it left) and the field updated. To-space is the queue:
// copying appends at the copy cursor, scanning advances the scan pointer; copying is breadth-first and
// needs no stack. Done when the scan pointer meets the copy cursor.
//
// Invariant: an object behind the scan pointer has had every field updated, so it points only to
// to-space (or to large objects); an object between the scan pointer and the copy cursor is a copy whose
// fields still point to from-space; a from-space object is either not reached yet (original header) or
// copied (forwarding header naming its copy). Large objects stay in the large-object space: reaching one
// marks its treadmill cell black and queues it, and its fields are updated like a copy's.
// Work grows with the live bytes (copied and scanned once each), not with the heap: the garbage in
// from-space is never touched.

import Synchronization

/// One Cheney copy of a semispace heap.
struct CheneyCopy {
    let base: UnsafeMutableRawPointer
    unowned(unsafe) let space: CopySpace
    let los: Unmanaged<TreadmillSpace>
    let largeGranule: UInt32
    /// The copy region: the to-space block being filled.
    private var cursor = 0, limit = 0
    /// To-space blocks in the order they were filled, and where each filled block ends.
    private var blocks: RawStack<Int>
    private var ends: RawStack<Int>
    private var scanBlock = 0, scanOffset = 0
    /// Large objects reached and not yet scanned.
    private var largeGrey: RawStack<UInt32>
    /// Objects whose fields are not to be scanned (the test hook that hides an object from the collector).
    private var unscanned: Set<UInt32> = []
    /// Test hook: slot updates still to skip after the first copy (each leaves a stale reference).
    var slotUpdatesToSkip = 0

    private(set) var copiedBytes = 0
    private(set) var copiedObjects = 0
    private(set) var largeBytes = 0
    private(set) var largeObjects = 0

    init(base: UnsafeMutableRawPointer, space: CopySpace, los: TreadmillSpace, largeGranule: UInt32) {
        self.base = base
        self.space = space
        self.los = .passUnretained(los)
        self.largeGranule = largeGranule
        blocks = RawStack(capacity: 64)
        ends = RawStack(capacity: 64)
        largeGrey = RawStack(capacity: 64)
    }

    func free() {
        blocks.free()
        ends.free()
        largeGrey.free()
    }

    /// The new reference for `raw` (a root's or field's value): its copy, copying it first if needed; a
    /// large object's own reference (marked and queued the first time).
    @inline(__always)
    mutating func forward(_ raw: UInt32) -> UInt32 {
        if raw == 0 { return 0 }
        if raw >= largeGranule {
            if los._withUnsafeGuaranteedRef({ $0.markReached(raw) }) {
                largeBytes &+= ObjectHeader(bits: (base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
                largeObjects &+= 1
                largeGrey.push(raw)
            }
            return raw
        }
        let old = base + (Int(raw) &<< HeapGeometry.granuleShift)
        let header = ObjectHeader(bits: old.load(as: UInt64.self))
        if header.isForwarded { return header.forwardee.raw }
        return copy(raw, old, header)
    }

    @inline(never)
    private mutating func copy(_ raw: UInt32, _ old: UnsafeMutableRawPointer, _ header: ObjectHeader) -> UInt32 {
        let size = header.bytes
        if cursor + size > limit { nextBlock() }
        let offset = cursor
        cursor += size
        (base + offset).copyMemory(from: old, byteCount: size)
        let new = ObjectRef(offset: offset).raw
        old.storeBytes(of: ObjectHeader.forwarded(to: ObjectRef(raw: new)).bits, as: UInt64.self)
        copiedBytes &+= size
        copiedObjects &+= 1
        return new
    }

    /// The copy region is full: the next to-space block. The copy reserve guarantees one (a collection
    /// never copies more than to-space held), so running out is a bug, not an out-of-memory condition.
    private mutating func nextBlock() {
        if !blocks.isEmpty { ends.push(cursor) }
        guard let block = space.acquireCopyBlock() else {
            fatalError("gclab: semispace: no block left for copying (the copy reserve was not kept): copied \(copiedBytes) bytes into \(blocks.count) blocks, spare \(space.blocks.spareBlocks), committed \(space.accounting.pointee.committed.load(ordering: .relaxed))")
        }
        blocks.push(block)
        cursor = block << HeapGeometry.blockShift
        limit = cursor + HeapGeometry.blockBytes
        if blocks.count == 1 { scanOffset = cursor }
    }

    /// Marks `raw` (a root's target) as not to be scanned once copied: the verifier's test hook.
    mutating func hide(_ raw: UInt32) -> UInt32 {
        let new = forward(raw)
        unscanned.insert(new)
        return new
    }

    /// Scans until no copy and no large object is left unscanned.
    mutating func scanAll() {
        while true {
            var progress = false
            while let object = nextToScan() {
                scanFields(object)
                progress = true
            }
            while !largeGrey.isEmpty {
                scanFields(base + (Int(largeGrey.pop()) &<< HeapGeometry.granuleShift))
                progress = true
            }
            if !progress { return }
        }
    }

    /// The next copy behind the copy cursor, advancing the scan pointer over it; nil when caught up.
    private mutating func nextToScan() -> UnsafeMutableRawPointer? {
        while scanBlock < blocks.count {
            let end = scanBlock == blocks.count - 1 ? cursor : ends[scanBlock]
            if scanOffset < end {
                let object = base + scanOffset
                scanOffset &+= ObjectHeader(bits: object.load(as: UInt64.self)).bytes
                return object
            }
            guard scanBlock < blocks.count - 1 else { return nil }
            scanBlock += 1
            scanOffset = blocks[scanBlock] << HeapGeometry.blockShift
        }
        return nil
    }

    private mutating func scanFields(_ object: UnsafeMutableRawPointer) {
        if !unscanned.isEmpty && unscanned.contains(UInt32(truncatingIfNeeded: (object - base) >> HeapGeometry.granuleShift)) { return }
        let header = ObjectHeader(bits: object.load(as: UInt64.self))
        let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
        for i in 0..<header.referenceCount {
            let old = fields[i].load(ordering: .relaxed)
            let new = forward(old)
            if new != old {
                if _slowPath(slotUpdatesToSkip > 0) { slotUpdatesToSkip -= 1; continue }
                fields[i].store(new, ordering: .relaxed)
            }
        }
    }
}
