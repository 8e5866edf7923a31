// Copying and scanning for Baker's incremental collector, done by many threads at once: mutators in their
// read (or Brooks write) barrier and in the work each allocation pays, background workers, and the
// collector in its pauses. Each thread has a `BakerCopier`: a copy region in to-space and a stack of grey
// objects (copies whose fields may still point to from-space, and large objects reached); grey objects are
// shared through a `MarkWorkPool`.
//
// The protocol (invariant: an object is copied at most once per cycle, every reference a mutator or a
// scanned object ends up with names the one copy, and no write is lost):
// - Baker's read barrier (header forwarding): a copier claims a from-space object by a compare-and-swap of
//   its header from the original to busy; the winner copies the bytes into its own copy region, then
//   publishes the forwarding header (release). A thread that finds the header busy waits for the forward
//   (the copy is a few hundred bytes at most: a spin); one that finds it forwarded uses the copy. Nobody
//   writes a from-space object: under the to-space invariant a mutator holds only to-space references
//   (its read barrier copies before it returns one), so the copy cannot miss a write.
// - Brooks (forwarding word): every object has a word in front of its header naming its current copy
//   (itself until copied). A copier copies word and object into its region, points the copy's word at
//   itself, then installs the copy with a compare-and-swap on the original's word; the loser gives its copy
//   back (the region's cursor steps back) and uses the winner's. Mutators may hold from-space references,
//   but every access goes through the word, and while the plan copies every write first copies its target
//   (writes go to the copy only), so the bytes a copier reads are never written.
// - Scanning a grey object: each field is read, its target forwarded (copied if needed), and the field
//   updated by a compare-and-swap from the value read: if a mutator stored in between, its store stands
//   (a stored value is already a to-space reference: the read barrier, or Brooks' write barrier, saw to it).
// Large objects never move: reaching one marks its treadmill cell and queues it grey.

import Glibc
import Synchronization

/// One thread's copying state. Lives in raw memory for mutators (their plan state), on the stack elsewhere.
struct BakerCopier {
    let base: UnsafeMutableRawPointer
    /// One byte per block: 1 from-space, 2 a large-object page, 0 otherwise (while a cycle copies).
    let condemned: UnsafeMutablePointer<UInt8>
    /// Objects carry a Brooks forwarding word.
    let brooks: Bool
    let space: Unmanaged<CopySpace>
    let los: Unmanaged<TreadmillSpace>
    let pool: Unmanaged<MarkWorkPool>
    /// The world's poll flag: a copier waiting for work gives up when a pause is requested.
    let pollFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// The to-space block copies go to.
    var region = BumpRegion()
    /// Grey objects this thread holds.
    var grey: RawStack<UInt32>
    // Counters since the collector last took them.
    var copiedBytes = 0
    var copiedObjects = 0
    var scannedBytes = 0
    var largeBytes = 0
    var largeObjects = 0
    var lostRaces = 0
    /// Bytes of copy blocks left unused (a block's tail an object did not fit, a region retired).
    var wastedBytes = 0

    init(base: UnsafeMutableRawPointer, condemned: UnsafeMutablePointer<UInt8>, brooks: Bool,
         space: CopySpace, los: TreadmillSpace, pool: MarkWorkPool, pollFlag: UnsafeMutablePointer<Atomic<UInt32>>) {
        self.pollFlag = pollFlag
        self.base = base
        self.condemned = condemned
        self.brooks = brooks
        self.space = .passUnretained(space)
        self.los = .passUnretained(los)
        self.pool = .passUnretained(pool)
        grey = RawStack(capacity: 256)
    }

    func free() { grey.free() }

    // MARK: Forwarding

    /// The reference to keep for `raw`: itself unless it is in from-space, else its one copy (made now if
    /// needed). A large object reached for the first time is queued grey.
    @inline(__always)
    mutating func forward(_ raw: UInt32) -> UInt32 {
        let c = condemned[Int(truncatingIfNeeded: raw &>> condemnedShift)]
        if _fastPath(c == 0) { return raw }
        if c == 2 {
            shadeLarge(raw)
            return raw
        }
        return brooks ? evacuateBrooks(raw) : evacuate(raw)
    }

    @inline(never)
    private mutating func shadeLarge(_ raw: UInt32) {
        if los._withUnsafeGuaranteedRef({ $0.markReached(raw) }) {
            largeBytes &+= ObjectHeader(bits: (base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
            largeObjects &+= 1
            grey.push(raw)
        }
    }

    /// Baker: claim the header, copy, publish the forward (see the top of the file).
    @inline(never)
    private mutating func evacuate(_ raw: UInt32) -> UInt32 {
        let old = Int(raw) &<< HeapGeometry.granuleShift
        let word = (base + old).assumingMemoryBound(to: Atomic<UInt64>.self)
        var h = ObjectHeader(bits: word.pointee.load(ordering: .acquiring))
        var spins = 0
        while true {
            if h.isForwarded { return h.forwardee.raw }
            if h.isBusy {
                spins &+= 1
                if spins & 63 == 0 { sched_yield() }
                h = ObjectHeader(bits: word.pointee.load(ordering: .acquiring))
                continue
            }
            let (won, seen) = word.pointee.compareExchange(expected: h.bits, desired: h.claimed.bits, ordering: .acquiring)
            if won { break }
            h = ObjectHeader(bits: seen)
        }
        let size = h.bytes
        let to = take(size)
        (base + to).storeBytes(of: h.bits, as: UInt64.self)
        (base + (to &+ 8)).copyMemory(from: base + (old &+ 8), byteCount: size &- 8)
        let copy = ObjectRef(offset: to)
        word.pointee.store(ObjectHeader.forwarded(to: copy).bits, ordering: .releasing)
        copiedBytes &+= size
        copiedObjects &+= 1
        grey.push(copy.raw)
        return copy.raw
    }

    /// Brooks: copy word and object, install the copy in the original's word (see the top of the file).
    @inline(never)
    private mutating func evacuateBrooks(_ raw: UInt32) -> UInt32 {
        let old = Int(raw) &<< HeapGeometry.granuleShift
        let word = (base + (old &- 8)).assumingMemoryBound(to: Atomic<UInt32>.self)
        let current = word.pointee.load(ordering: .acquiring)
        if current != raw { return current }
        let size = ObjectHeader(bits: (base + old).load(as: UInt64.self)).bytes &+ 8
        let to = take(size)
        let copy = ObjectRef(offset: to &+ 8)
        (base + to).storeBytes(of: UInt64(copy.raw), as: UInt64.self)
        (base + (to &+ 8)).copyMemory(from: base + old, byteCount: size &- 8)
        let (won, winner) = word.pointee.compareExchange(expected: raw, desired: copy.raw, ordering: .acquiringAndReleasing)
        if won {
            copiedBytes &+= size
            copiedObjects &+= 1
            grey.push(copy.raw)
            return copy.raw
        }
        lostRaces &+= 1
        if region.cursor == to &+ size { region.cursor = to } else { wastedBytes &+= size }
        return winner
    }

    /// `size` bytes of this thread's copy region (a new to-space block when it is full).
    @inline(__always)
    private mutating func take(_ size: Int) -> Int {
        if _slowPath(region.cursor &+ size > region.limit) { nextBlock() }
        let at = region.cursor
        region.cursor = at &+ size
        return at
    }

    /// The copy reserve holds a block for each copier's region and for every from-space block not yet
    /// copied, so running out is a bug, not an out-of-memory condition.
    @inline(never)
    private mutating func nextBlock() {
        wastedBytes &+= region.limit &- region.cursor
        guard let block = space._withUnsafeGuaranteedRef({ $0.acquireCopyBlock() }) else {
            fatalError("gclab: baker: no block left for copying (the copy reserve was not kept): copied \(copiedBytes) bytes on this thread")
        }
        let start = block << HeapGeometry.blockShift
        region = BumpRegion(cursor: start, limit: start + HeapGeometry.blockBytes, holeStart: start, block: block)
    }

    /// The copy region is given up (the cycle ends, or its thread leaves): its unused tail is waste.
    mutating func retireRegion() {
        wastedBytes &+= region.limit &- region.cursor
        region = BumpRegion()
    }

    // MARK: Scanning

    /// Forwards every field of the grey object `raw` (a copy in to-space, or a large object).
    @inline(__always)
    mutating func scan(_ raw: UInt32) {
        let object = base + (Int(raw) &<< HeapGeometry.granuleShift)
        let header = ObjectHeader(bits: object.load(as: UInt64.self))
        let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
        for i in 0..<header.referenceCount {
            let value = fields[i].load(ordering: .acquiring)
            let new = forward(value)
            if new != value { _ = fields[i].compareExchange(expected: value, desired: new, ordering: .acquiringAndReleasing) }
        }
        scannedBytes &+= header.bytes
    }

    /// Scans grey objects, its own first, then batches from the pool, until about `budget` bytes were
    /// scanned or none is left. What it still holds afterwards goes back to the pool (so that idle threads
    /// can take it and the pool's quiescence means no grey object is left but in mutators' barriers' stacks).
    /// With `waitForShare`, finding the pool empty while another copier holds work, it waits (yielding,
    /// until a pause is requested) for that copier to share (every 64 objects a busy copier gives half its
    /// stack to a hungry pool) or finish:
    /// a mutator owes its work before it allocates (Baker), and another thread holding the grey objects
    /// does not excuse it. Returns the bytes scanned.
    mutating func work(budget: Int, waitForShare: Bool = false) -> Int {
        let start = scannedBytes
        var holdsPoolWork = false
        var sinceShareCheck = 0
        while scannedBytes &- start < budget {
            sinceShareCheck &+= 1
            if sinceShareCheck == 64 {  // another copier found the pool empty: give it half of this stack
                sinceShareCheck = 0
                if grey.count >= 64 && pool._withUnsafeGuaranteedRef({ $0.hungry }) { shareHalf() }
            }
            if grey.isEmpty {
                if holdsPoolWork {
                    pool._withUnsafeGuaranteedRef { $0.finished() }
                    holdsPoolWork = false
                }
                if grey.capacity < MarkWorkPool.batch { grey.grow(toAtLeast: MarkWorkPool.batch) }
                let n = pool._withUnsafeGuaranteedRef { $0.take(into: grey.base, max: MarkWorkPool.batch, alreadyActive: false).count }
                if n == 0 {
                    // Wait (yielding the processor) unless nobody holds work or a pause waits for this thread.
                    guard waitForShare, !pool._withUnsafeGuaranteedRef({ $0.quiescent }),
                          pollFlag.pointee.load(ordering: .relaxed) & World.stopBit == 0 else { break }
                    sched_yield()
                    continue
                }
                grey.count = n
                holdsPoolWork = true
            }
            scan(grey.pop())
        }
        flush()
        if holdsPoolWork { pool._withUnsafeGuaranteedRef { $0.finished() } }
        return scannedBytes &- start
    }

    /// Removes `objects` from this thread's grey stack (the verifier's test hook: never scanned).
    mutating func dropGrey(_ objects: Set<UInt32>) {
        var kept = 0
        for i in 0..<grey.count where !objects.contains(grey[i]) {
            grey[kept] = grey[i]
            kept += 1
        }
        grey.count = kept
    }

    /// Hands the older half of this thread's grey stack to the pool.
    private mutating func shareHalf() {
        let half = grey.count / 2
        pool._withUnsafeGuaranteedRef { $0.push(UnsafeBufferPointer(start: grey.base, count: half)) }
        (grey.base).update(from: grey.base + half, count: grey.count - half)
        grey.count -= half
    }

    /// Hands every grey object this thread holds to the pool.
    mutating func flush() {
        guard !grey.isEmpty else { return }
        let items = UnsafeBufferPointer(start: grey.base, count: grey.count)
        pool._withUnsafeGuaranteedRef { $0.push(items) }
        grey.count = 0
    }

    /// Scans until nothing is grey here or in the pool (a pause: nobody else works meanwhile).
    mutating func drain() {
        while work(budget: .max) > 0 {}
    }
}
