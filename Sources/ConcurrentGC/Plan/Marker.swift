// The mark loop: tri-colour marking with an explicit grey stack, shared by the stw and concurrent
// collectors (the treadmill collector scans through its rings instead: TreadmillSpace+Marking.swift).
//
// Invariant: an object is grey while its reference is on a grey stack (this marker's, the shared pool's or
// a mutator's shade buffer), black once popped and scanned; its mark bit is set (atomic test-and-set)
// before it is pushed, so no object is pushed twice and a set bit means grey or black. Scanning an object
// marks the lines it covers with the current epoch (Immix objects). A large object has no mark bit: it is
// marked by moving its treadmill cell from ecru to black (`markLarge`, out of line), with the same meaning.
// Two tallies: bytes *marked* (counted when this marker sets a mark bit: the live heap) and bytes
// *scanned* (the marking work, which counts an object again when Steele's barrier re-greys it).
// Fields are read with acquire loads: a mutator publishes a new object with a release store after writing
// its header, so the marker sees a complete header (free on x86).
// The loop copies everything it needs into locals: no class property access, no reference counting.

import Synchronization

/// A marker over the heap's mark bitmap, with a local grey stack; optionally connected to the shared
/// pool of the concurrent collector.
struct Marker {
    let base: UnsafeMutableRawPointer
    let bitmap: MarkBitmap
    let lineMarks: LineMarkTable
    /// The mark epoch written into line marks; a pool marker takes it from the pool with its work.
    private(set) var epoch: UInt8
    /// References at or above this granule are large objects (no line marks, no mark bit).
    let largeObjectGranule: UInt32
    /// The space of the large objects.
    unowned(unsafe) let treadmill: TreadmillSpace
    let pool: MarkWorkPool?
    private var stack: UnsafeMutablePointer<UInt32>
    private var count = 0
    private var capacity: Int
    /// Whether this marker holds work it took from the pool (and must report `finished`).
    private var holdsPoolWork = false
    /// Bytes and objects whose mark bit this marker set.
    private(set) var markedBytes = 0
    private(set) var markedObjects = 0
    /// Bytes and objects scanned (work done).
    private(set) var scannedBytes = 0
    private(set) var scannedObjects = 0

    /// Give surplus back to the pool when the local stack is at least this deep and a marker is idle.
    static let spillDepth = 2 * MarkWorkPool.batch

    init(heap: Heap, epoch: UInt8, pool: MarkWorkPool? = nil) {
        base = heap.base
        bitmap = heap.markBitmap
        lineMarks = heap.lineMarks
        self.epoch = epoch
        largeObjectGranule = heap.largeGranule
        treadmill = heap.treadmill
        self.pool = pool
        capacity = 4096
        stack = .allocate(capacity: capacity)
    }

    /// Releases the grey stack. It must be empty when connected to a pool.
    func free() { stack.deallocate() }

    /// True when the local stack is empty.
    var isEmpty: Bool { count == 0 }

    /// Greys `raw` if it is a reference to an unmarked object.
    @inline(__always)
    mutating func markRoot(_ raw: UInt32) {
        if raw != 0 && mark(raw) {
            markedBytes &+= ObjectHeader(bits: (base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
            markedObjects &+= 1
            push(raw)
        }
    }

    /// Sets the mark bit of `raw` without scanning it (the test hook that hides an object's fields).
    func markWithoutScanning(_ raw: UInt32) { _ = mark(raw) }

    /// Marks `raw` (its mark bit, or a large object's cell); true when this call did. The mark loop
    /// (`drain`) does the same with its local copies.
    @inline(__always)
    private func mark(_ raw: UInt32) -> Bool { raw < largeObjectGranule ? bitmap.testAndSet(raw) : markLarge(raw) }

    /// Marks a large object (its treadmill cell goes from ecru to black); true when this call did.
    @inline(never)
    func markLarge(_ raw: UInt32) -> Bool { treadmill.markReached(raw) }

    @inline(__always)
    private mutating func push(_ raw: UInt32) {
        if _slowPath(count == capacity) { grow() }
        stack[count] = raw
        count &+= 1
    }

    @inline(never)
    private mutating func grow() {
        let bigger = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity * 2)
        bigger.update(from: stack, count: count)
        stack.deallocate()
        stack = bigger
        capacity *= 2
    }

    /// Takes a batch from the pool if the local stack is empty. False when the pool had nothing.
    mutating func refill() -> Bool {
        guard count == 0, let pool else { return count > 0 }
        if count + MarkWorkPool.batch > capacity { grow() }
        // If this marker already counts as active, its previous batch is done and the new one counts once.
        let (n, poolEpoch) = pool.take(into: stack, max: MarkWorkPool.batch, alreadyActive: holdsPoolWork)
        if n == 0 { return false }
        epoch = poolEpoch
        holdsPoolWork = true
        count = n
        return true
    }

    /// Gives all local work to the pool and reports this marker idle.
    mutating func returnWork() {
        guard let pool else { return }
        if count > 0 {
            pool.push(UnsafeBufferPointer(start: stack, count: count))
            count = 0
        }
        if holdsPoolWork {
            holdsPoolWork = false
            pool.finished()
        }
    }

    /// Scans grey objects until none is left locally or about `budget` bytes were scanned. Returns the
    /// bytes scanned. With a pool, surplus goes back to the pool while other markers are idle.
    @discardableResult
    mutating func drain(budget: Int = .max) -> Int {
        let base = self.base, bitmap = self.bitmap, lineMarks = self.lineMarks
        let epoch = self.epoch, largeObjectGranule = self.largeObjectGranule
        var bytes = 0, objects = 0, marked = 0, markedCount = 0
        var nextSpillCheck = pool == nil ? Int.max : 4096
        while count > 0 && bytes < budget {
            count &-= 1
            let raw = stack[count]
            let offset = Int(raw) &<< HeapGeometry.granuleShift
            let object = base + offset
            let header = ObjectHeader(bits: object.load(as: UInt64.self))
            let size = header.bytes
            if raw < largeObjectGranule { lineMarks.markObject(offset: offset, size: size, epoch: epoch) }
            bytes &+= size
            objects &+= 1
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            let n = header.referenceCount
            var i = 0
            while i < n {
                let child = fields[i].load(ordering: .acquiring)
                if child != 0 && (child < largeObjectGranule ? bitmap.testAndSet(child) : markLarge(child)) {
                    // Reading the child's header now also brings it in for its scan, which comes soon (LIFO).
                    marked &+= ObjectHeader(bits: (base + (Int(child) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
                    markedCount &+= 1
                    push(child)
                }
                i &+= 1
            }
            if _slowPath(objects >= nextSpillCheck) {
                nextSpillCheck = objects &+ 4096
                spillIfHungry()
            }
        }
        scannedBytes &+= bytes
        scannedObjects &+= objects
        markedBytes &+= marked
        markedObjects &+= markedCount
        return bytes
    }

    @inline(never)
    private mutating func spillIfHungry() {
        guard let pool, count >= Marker.spillDepth, pool.hungry else { return }
        let half = count / 2
        pool.push(UnsafeBufferPointer(start: stack + (count - half), count: half))
        count -= half
    }
}
