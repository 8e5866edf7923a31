// The heap's size figures, in one place: memory committed against the limit, the heap in use against the
// trigger, bytes allocated, the live heap, the peaks, and the heap samples of heap.csv.
//
// Every plan reads and writes the same figures with the same meaning:
//   committed  bytes of blocks and large-object pages taken from the reservation (never above the limit)
//   inUse      live bytes after the last collection plus bytes handed to allocation buffers and large
//              objects since; a collection starts when it reaches `trigger`
//   allocated  bytes of objects allocated (buffers count when they are retired)
//   live       bytes the last collection found reachable
// All are atomics: mutators update them from allocation slow paths, plans at the end of a cycle with the
// world stopped. The value lives in raw memory behind one pointer that spaces and allocators keep, so no
// slow path touches a class (and no reference count) to update it.

import Synchronization

/// The heap's size counters (see the top of the file). Lives in raw memory; use through its pointer.
struct HeapAccounting: ~Copyable {
    /// Most bytes that may be committed (--heap-max).
    let limit: Int
    let committed = Atomic<Int>(0)
    let inUse = Atomic<Int>(0)
    let allocated = Atomic<Int>(0)
    let live = Atomic<Int>(0)
    let trigger: Atomic<Int>
    let peakInUse = Atomic<Int>(0)
    let peakCommitted = Atomic<Int>(0)
    /// Heap clock time of the next heap sample that `sample` takes without being forced.
    let nextSampleNs = Atomic<UInt64>(0)
    /// Bytes of the limit held back from ordinary commits: a copying plan's copy reserve, which only its
    /// collector may take (`commit(_:usingReserve:)`), so that large objects cannot eat into it.
    let heldBack = Atomic<Int>(0)
    /// Bytes of free lines in partly used blocks at the end of the last mark (mark-region plans; 0 for
    /// the others): heap.csv's fragmentation.
    let fragmented = Atomic<Int>(0)

    init(limit: Int, trigger: Int) {
        self.limit = limit
        self.trigger = Atomic(trigger)
    }

    /// A new accounting in raw memory (freed by `destroy`).
    static func make(limit: Int, trigger: Int) -> UnsafeMutablePointer<HeapAccounting> {
        let p = UnsafeMutablePointer<HeapAccounting>.allocate(capacity: 1)
        p.initialize(to: HeapAccounting(limit: limit, trigger: trigger))
        return p
    }

    static func destroy(_ p: UnsafeMutablePointer<HeapAccounting>) {
        p.deinitialize(count: 1)
        p.deallocate()
    }

    /// Takes `bytes` of the commit limit; false when the limit (less what is held back, unless
    /// `usingReserve`) would be exceeded.
    func commit(_ bytes: Int, usingReserve: Bool = false) -> Bool {
        var current = committed.load(ordering: .relaxed)
        let ceiling = limit - (usingReserve ? 0 : heldBack.load(ordering: .relaxed))
        while true {
            if current + bytes > ceiling { return false }
            let (done, now) = committed.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if done {
                HeapAccounting.raiseMax(peakCommitted, current + bytes)
                return true
            }
            current = now
        }
    }

    /// Gives back commit budget (pages released to the system).
    func uncommit(_ bytes: Int) { committed.subtract(bytes, ordering: .relaxed) }

    /// Counts bytes handed out for allocation; returns the new in-use size.
    @discardableResult
    func noteHandedOut(_ bytes: Int) -> Int {
        let now = inUse.add(bytes, ordering: .relaxed).newValue
        HeapAccounting.raiseMax(peakInUse, now)
        return now
    }

    /// Counts bytes of objects allocated.
    @inline(__always)
    func noteAllocated(_ bytes: Int) { if bytes > 0 { allocated.add(bytes, ordering: .relaxed) } }

    /// True when the heap in use has reached the trigger (a bump allocator asks before taking a block).
    @inline(__always)
    func reachedTrigger() -> Bool { inUse.load(ordering: .relaxed) >= trigger.load(ordering: .relaxed) }

    /// True when the heap in use, with `extra` more bytes, is past the trigger.
    @inline(__always)
    func pastTrigger(adding extra: Int = 0) -> Bool {
        inUse.load(ordering: .relaxed) &+ extra > trigger.load(ordering: .relaxed)
    }

    /// The end of a collection (world stopped): the live heap it found, what is in use now (the live heap
    /// plus anything a plan keeps without having reached it, such as the treadmill's floating cells), and
    /// the trigger of the next collection.
    func publishCycleEnd(live liveBytes: Int, inUse inUseBytes: Int, trigger next: Int) {
        live.store(liveBytes, ordering: .relaxed)
        inUse.store(inUseBytes, ordering: .relaxed)
        trigger.store(next, ordering: .relaxed)
    }

    /// Records a heap sample in `stats` if at least a millisecond passed since the last one (or `force`).
    func sample(_ stats: GCStats, force: Bool = false) {
        let now = stats.elapsed()
        let due = nextSampleNs.load(ordering: .relaxed)
        guard force || now >= due else { return }
        guard force || nextSampleNs.compareExchange(expected: due, desired: now + 1_000_000, ordering: .relaxed).exchanged else { return }
        stats.record(HeapSample(timeNs: now, allocatedBytes: allocated.load(ordering: .relaxed),
                                heapInUseBytes: inUse.load(ordering: .relaxed), liveBytes: live.load(ordering: .relaxed),
                                committedBytes: committed.load(ordering: .relaxed), triggerBytes: trigger.load(ordering: .relaxed),
                                fragmentedBytes: fragmented.load(ordering: .relaxed)))
    }

    /// Raises `atomic` to `value` if it is below.
    static func raiseMax(_ atomic: borrowing Atomic<Int>, _ value: Int) {
        var current = atomic.load(ordering: .relaxed)
        while value > current {
            let (done, now) = atomic.compareExchange(expected: current, desired: value, ordering: .relaxed)
            if done { return }
            current = now
        }
    }
}
