// The mark loop: tri-colour marking with an explicit grey stack.
//
// Invariant: an object is grey while its reference is on the stack, black once popped and scanned; its
// mark bit is set (atomically, by `testAndSet`) before it is pushed, so no object is pushed twice and a
// set bit means grey or black. Scanning an object marks the lines it covers with the current epoch
// (Immix objects) and counts its bytes as live. The loop copies everything it needs into locals: no
// class property access, no reference counting, no bounds checks inside it.

/// A single-threaded marker over the heap's mark bitmap.
struct Marker {
    let base: UnsafeMutableRawPointer
    let bitmap: MarkBitmap
    let lineMarks: LineMarkTable
    let epoch: UInt8
    /// References at or above this granule are large objects (no line marks).
    let largeObjectGranule: UInt32
    private var stack: UnsafeMutablePointer<UInt32>
    private var count = 0
    private var capacity: Int
    /// Bytes and objects scanned so far.
    private(set) var markedBytes = 0
    private(set) var markedObjects = 0

    init(heap: Heap, epoch: UInt8) {
        base = heap.base
        bitmap = heap.markBitmap
        lineMarks = heap.lineMarks
        self.epoch = epoch
        largeObjectGranule = UInt32(heap.largeObjectStart >> HeapGeometry.granuleShift)
        capacity = 4096
        stack = .allocate(capacity: capacity)
    }

    /// Releases the grey stack.
    func free() { stack.deallocate() }

    /// Greys `raw` if it is a reference to an unmarked object.
    @inline(__always)
    mutating func markRoot(_ raw: UInt32) {
        if raw != 0 && bitmap.testAndSet(raw) { push(raw) }
    }

    /// Sets the mark bit of `raw` without scanning it (the test hook that hides an object's fields).
    func markWithoutScanning(_ raw: UInt32) { _ = bitmap.testAndSet(raw) }

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

    /// Scans grey objects until none is left.
    mutating func drain() {
        let base = self.base, bitmap = self.bitmap, lineMarks = self.lineMarks
        let epoch = self.epoch, largeObjectGranule = self.largeObjectGranule
        var bytes = 0, objects = 0
        while count > 0 {
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
                let child = fields[i].load(ordering: .relaxed)
                if child != 0 && bitmap.testAndSet(child) { push(child) }
                i &+= 1
            }
        }
        markedBytes &+= bytes
        markedObjects &+= objects
    }
}

import Synchronization
