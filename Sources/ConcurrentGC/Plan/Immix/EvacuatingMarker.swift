// Immix's defragmenting mark (Blackburn & McKinley, PLDI 2008, §3.3), with the world stopped: the stw
// mark, except that reaching an object in a candidate block (DefragCandidates.swift) evacuates it — copies
// it into a block of the copy reserve, leaves a forwarding header in the old copy, and gives the slot that
// led to it the new reference — while there is room and the object is not pinned; otherwise the object is
// marked in place, as every object outside the candidates is.
//
// Invariant: the marker visits every slot (root or field) that holds a reference to a candidate object
// and rewrites it: the first visit copies (or marks in place), every later one finds the forwarding
// header (or the mark bit) and follows it. An object is pushed once, at its final address (the copy, or
// its place), and scanned there: its lines are marked with the epoch and its fields visited. An old copy
// is never marked and never scanned; its lines are free after the mark unless an object marked in place
// shares them, and the sweeper reclaims (in verify mode: poisons) them.
//
// Outside the candidates the loop is the stw marker's (Marker.swift) plus one byte load per reference (is
// its block a candidate?); everything about candidates is out of line in `Evacuation`.

import Synchronization

/// The defragmenting marker of one immix collection.
struct EvacuatingMarker {
    let base: UnsafeMutableRawPointer
    let policy: ImmixMarkPolicy
    let isCandidate: UnsafeMutablePointer<UInt8>
    private var evacuation: Evacuation
    private var stack: RawStack<UInt32>
    /// Objects marked in place outside the candidates, and the bytes scanned (work done).
    private var markedOutside = 0, markedOutsideObjects = 0
    private(set) var scannedBytes = 0
    /// Test hook: field updates still to skip (each leaves a stale reference the verifier must catch).
    var slotUpdatesToSkip = 0

    init(base: UnsafeMutableRawPointer, policy: ImmixMarkPolicy, candidates: DefragCandidates, space: ImmixSpace,
         pins: PinTable, copyBlocks: Int) {
        self.base = base
        self.policy = policy
        isCandidate = candidates.isCandidate
        evacuation = Evacuation(base: base, bitmap: policy.bitmap, space: space, pins: pins, blocksLeft: copyBlocks)
        stack = RawStack(capacity: 4096)
    }

    func free() { stack.free() }

    /// Bytes and objects marked (live), wherever they ended up.
    var markedBytes: Int { markedOutside + evacuation.copiedBytes + evacuation.inPlaceBytes }
    var markedObjects: Int { markedOutsideObjects + evacuation.copiedObjects + evacuation.inPlaceObjects }
    /// What evacuation did: bytes and objects copied, bytes marked in place in candidate blocks.
    var copiedBytes: Int { evacuation.copiedBytes }
    var copiedObjects: Int { evacuation.copiedObjects }
    var inPlaceBytes: Int { evacuation.inPlaceBytes }

    /// Marks `raw` in place without scanning it (the test hook that hides an object's fields).
    func markWithoutScanning(_ raw: UInt32) { _ = policy.attempt(raw) }

    /// A root's new value: `raw`, or its copy (evacuated now or before), marked and queued.
    @inline(__always)
    mutating func visitRoot(_ raw: UInt32) -> UInt32 {
        var s = stack
        defer { stack = s }
        return Self.visit(raw, base, policy, isCandidate, &evacuation, &s, &markedOutside, &markedOutsideObjects)
    }

    /// The new value of a slot that holds `raw` (non-null).
    @inline(__always)
    private static func visit(_ raw: UInt32, _ base: UnsafeMutableRawPointer, _ policy: ImmixMarkPolicy,
                              _ isCandidate: UnsafeMutablePointer<UInt8>, _ evacuation: inout Evacuation,
                              _ stack: inout RawStack<UInt32>, _ marked: inout Int, _ markedCount: inout Int) -> UInt32 {
        if raw < policy.largeGranule
            && isCandidate[Int(raw &>> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift))] != 0 {
            return evacuation.visitCandidate(raw, &stack)
        }
        if policy.attempt(raw) {
            marked &+= ObjectHeader(bits: (base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
            markedCount &+= 1
            stack.push(raw)
        }
        return raw
    }

    /// Scans queued objects until none is left, rewriting every field that led to an evacuated object.
    mutating func drain() {
        let base = self.base, policy = self.policy, isCandidate = self.isCandidate
        var stack = self.stack
        defer { self.stack = stack }
        var bytes = 0, marked = 0, markedCount = 0
        while stack.count > 0 {
            let raw = stack.pop()
            let offset = Int(raw) &<< HeapGeometry.granuleShift
            let object = base + offset
            let header = ObjectHeader(bits: object.load(as: UInt64.self))
            let size = header.bytes
            policy.scanning(raw, offset: offset, bytes: size)
            bytes &+= size
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            let n = header.referenceCount
            var i = 0
            while i < n {
                let child = fields[i].load(ordering: .relaxed)
                if child != 0 {
                    let new = Self.visit(child, base, policy, isCandidate, &evacuation, &stack, &marked, &markedCount)
                    if _slowPath(new != child) { update(fields + i, new) }
                }
                i &+= 1
            }
        }
        scannedBytes &+= bytes
        markedOutside &+= marked
        markedOutsideObjects &+= markedCount
    }

    private mutating func update(_ field: UnsafeMutablePointer<Atomic<UInt32>>, _ new: UInt32) {
        if _slowPath(slotUpdatesToSkip > 0) {
            slotUpdatesToSkip -= 1
            return
        }
        field.pointee.store(new, ordering: .relaxed)
    }
}

/// The evacuation side of the marker: the copy region in the reserve and what was moved or kept.
struct Evacuation {
    let base: UnsafeMutableRawPointer
    let bitmap: MarkBitmap
    unowned(unsafe) let space: ImmixSpace
    unowned(unsafe) let pins: PinTable
    /// The pin table's count per block, read without touching the table (no reference counting).
    let pinsPerBlock: UnsafeMutablePointer<UInt32>
    /// Copy-reserve blocks this collection may still take.
    private var blocksLeft: Int
    private var cursor = 0, limit = 0
    private(set) var copiedBytes = 0, copiedObjects = 0
    private(set) var inPlaceBytes = 0, inPlaceObjects = 0

    init(base: UnsafeMutableRawPointer, bitmap: MarkBitmap, space: ImmixSpace, pins: PinTable, blocksLeft: Int) {
        self.base = base
        self.bitmap = bitmap
        self.space = space
        self.pins = pins
        pinsPerBlock = pins.pinsPerBlock
        self.blocksLeft = blocksLeft
    }

    /// A slot holds `raw`, in a candidate block: the reference it should hold now.
    @inline(never)
    mutating func visitCandidate(_ raw: UInt32, _ stack: inout RawStack<UInt32>) -> UInt32 {
        let old = base + (Int(raw) &<< HeapGeometry.granuleShift)
        let header = ObjectHeader(bits: old.load(as: UInt64.self))
        if header.isForwarded { return header.forwardee.raw }  // evacuated at an earlier visit
        if bitmap.isMarked(raw) { return raw }                 // marked in place at an earlier visit
        let size = header.bytes
        if pinsPerBlock[PinTable.block(of: raw)] == 0 || !isPinned(raw), let new = copy(old, bytes: size) {
            old.storeBytes(of: ObjectHeader.forwarded(to: ObjectRef(raw: new)).bits, as: UInt64.self)
            _ = bitmap.testAndSet(new)
            copiedBytes &+= size
            copiedObjects &+= 1
            stack.push(new)
            return new
        }
        _ = bitmap.testAndSet(raw)  // pinned, or no room left: it stays
        inPlaceBytes &+= size
        inPlaceObjects &+= 1
        stack.push(raw)
        return raw
    }

    /// Whether `raw`, in a block with pins, is one of them (the table's lock).
    @inline(never)
    private func isPinned(_ raw: UInt32) -> Bool { pins.isPinned(raw) }

    /// Copies `bytes` from `old` into the copy region; nil when the reserve has no room left.
    private mutating func copy(_ old: UnsafeMutableRawPointer, bytes: Int) -> UInt32? {
        if cursor &+ bytes > limit {
            guard blocksLeft > 0, let block = space.acquireCopyBlock() else {
                blocksLeft = 0
                return nil
            }
            blocksLeft -= 1
            cursor = block << HeapGeometry.blockShift  // the rest of the last block stays free
            limit = cursor + HeapGeometry.blockBytes
        }
        let offset = cursor
        cursor &+= bytes
        (base + offset).copyMemory(from: old, byteCount: bytes)
        return ObjectRef(offset: offset).raw
    }
}
