// The mark loop: tri-colour marking with an explicit grey stack, shared by the plans that mark with a
// marker of their own rather than the spaces' grey sets (stw and concurrent today; the treadmill scans
// through its rings instead: TreadmillSpace+Marking.swift).
//
// Invariant: an object is grey while its reference is on a grey stack (this marker's, the shared pool's or
// a mutator's shade buffer), black once popped and scanned. The policy's `attempt` marks an object
// atomically before it is pushed, so no object is pushed twice and a marked object is grey or black.
// Two tallies: bytes *marked* (counted when this marker marked an object: the live heap) and bytes
// *scanned* (the marking work, which counts an object again when Steele's barrier re-greys it).
// Fields are read with acquire loads: a mutator publishes a new object with a release store after writing
// its header, so the marker sees a complete header (free on x86).
// The loop copies everything it needs into locals: no class property access, no reference counting, and
// the policy is a generic parameter, so its calls are inlined (no dynamic dispatch).

import Synchronization

/// How a marker marks objects of the plan's spaces.
protocol MarkPolicy {
    /// Marks `raw` (a non-null reference); true when this call marked it (the caller greys it).
    func attempt(_ raw: UInt32) -> Bool
    /// `raw`, at byte `offset` and `bytes` long, is being scanned (Immix marks its lines here).
    func scanning(_ raw: UInt32, offset: Int, bytes: Int)
    /// The mark epoch the policy writes (Immix's line marks); a pool marker takes it with its work, so a
    /// marker made before one cycle ended never marks the next cycle's lines with a stale epoch.
    var epoch: UInt8 { get set }
}

/// A marker with a local grey stack, optionally connected to a shared pool of grey objects.
struct Marker<Policy: MarkPolicy> {
    let base: UnsafeMutableRawPointer
    private(set) var policy: Policy
    let pool: MarkWorkPool?
    private var stack: RawStack<UInt32>
    /// Whether this marker holds work it took from the pool (and must report `finished`).
    private var holdsPoolWork = false
    /// Bytes and objects this marker marked.
    private(set) var markedBytes = 0
    private(set) var markedObjects = 0
    /// Bytes and objects scanned (work done).
    private(set) var scannedBytes = 0
    private(set) var scannedObjects = 0

    /// Give surplus back to the pool when the local stack is at least this deep and a marker is idle.
    static var spillDepth: Int { 2 * MarkWorkPool.batch }

    init(base: UnsafeMutableRawPointer, policy: Policy, pool: MarkWorkPool? = nil) {
        self.base = base
        self.policy = policy
        self.pool = pool
        stack = RawStack(capacity: 4096)
    }

    /// Releases the grey stack. It must be empty when connected to a pool.
    func free() { stack.free() }

    /// True when the local stack is empty.
    var isEmpty: Bool { stack.isEmpty }

    /// Greys `raw` if it is a reference to an unmarked object.
    @inline(__always)
    mutating func markRoot(_ raw: UInt32) {
        if raw != 0 && policy.attempt(raw) {
            markedBytes &+= ObjectHeader(bits: (base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
            markedObjects &+= 1
            stack.push(raw)
        }
    }

    /// Marks `raw` without scanning it (the test hook that hides an object's fields).
    func markWithoutScanning(_ raw: UInt32) { _ = policy.attempt(raw) }

    /// Takes a batch from the pool if the local stack is empty. False when the pool had nothing.
    mutating func refill() -> Bool {
        guard stack.isEmpty, let pool else { return !stack.isEmpty }
        if MarkWorkPool.batch > stack.capacity { stack.grow(toAtLeast: MarkWorkPool.batch) }
        // If this marker already counts as active, its previous batch is done and the new one counts once.
        let (n, poolEpoch) = pool.take(into: stack.base, max: MarkWorkPool.batch, alreadyActive: holdsPoolWork)
        if n == 0 { return false }
        policy.epoch = poolEpoch
        holdsPoolWork = true
        stack.count = n
        return true
    }

    /// Gives all local work to the pool and reports this marker idle.
    mutating func returnWork() {
        guard let pool else { return }
        if !stack.isEmpty {
            pool.push(UnsafeBufferPointer(start: stack.base, count: stack.count))
            stack.count = 0
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
        let base = self.base, policy = self.policy
        var stack = self.stack
        defer { self.stack = stack }
        var bytes = 0, objects = 0, marked = 0, markedCount = 0
        var nextSpillCheck = pool == nil ? Int.max : 4096
        while stack.count > 0 && bytes < budget {
            let raw = stack.pop()
            let offset = Int(raw) &<< HeapGeometry.granuleShift
            let object = base + offset
            let header = ObjectHeader(bits: object.load(as: UInt64.self))
            let size = header.bytes
            policy.scanning(raw, offset: offset, bytes: size)
            bytes &+= size
            objects &+= 1
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            let n = header.referenceCount
            var i = 0
            while i < n {
                let child = fields[i].load(ordering: .acquiring)
                if child != 0 && policy.attempt(child) {
                    // Reading the child's header now also brings it in for its scan, which comes soon (LIFO).
                    marked &+= ObjectHeader(bits: (base + (Int(child) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
                    markedCount &+= 1
                    stack.push(child)
                }
                i &+= 1
            }
            if _slowPath(objects >= nextSpillCheck) {
                nextSpillCheck = objects &+ 4096
                spillIfHungry(&stack)
            }
        }
        scannedBytes &+= bytes
        scannedObjects &+= objects
        markedBytes &+= marked
        markedObjects &+= markedCount
        return bytes
    }

    @inline(never)
    private func spillIfHungry(_ stack: inout RawStack<UInt32>) {
        guard let pool, stack.count >= Self.spillDepth, pool.hungry else { return }
        let half = stack.count / 2
        pool.push(UnsafeBufferPointer(start: stack.base + (stack.count - half), count: half))
        stack.count -= half
    }
}
