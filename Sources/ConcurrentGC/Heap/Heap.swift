// The managed heap: one address-space reservation, its side tables, its spaces, its mutators and its
// collector.
//
// Reservation layout (all offsets from `base`; a reference is offset / 8):
//
//   [block 0: never used, keeps null free][blocks 1..n: Immix space][large-object space pages]
//   (with --collector treadmill the blocks hold the treadmill's small cells instead of Immix lines)
//   |<------------- heapMax rounded to blocks, + 1 block ------------>|<----- 2 x heapMax ----->|
//
// Both parts together may commit at most `heapMaxBytes` (`commit`); reserving more address space than the
// limit lets either part use all of it, and gives the large-object pages room against fragmentation
// (the large region is cut to what 32-bit references reach for the largest heaps).
//
// Heap-wide counters are atomics: mutators update them from allocation slow paths, the collector in its
// pauses. The trigger is GOGC-style: a collection starts when `heapInUse` (live bytes after the last mark
// plus bytes handed to allocation buffers and large objects since) reaches `trigger`.

import Synchronization

/// A garbage-collected heap.
public final class Heap: @unchecked Sendable {
    /// How the heap was set up.
    public let configuration: HeapConfiguration
    /// Everything recorded about pauses, cycles and the heap's size.
    public let stats = GCStats()

    let base: UnsafeMutableRawPointer
    let reservationBytes: Int
    /// Byte offset where the large-object space starts; below it lies the Immix space.
    let largeObjectStart: Int
    let markBitmap: MarkBitmap
    let lineMarks: LineMarkTable
    let space: ImmixSpace
    /// Baker's treadmill: the large-object space of every collector, and every object's space under the
    /// treadmill collector.
    let treadmill: TreadmillSpace
    /// References at or above this granule are large objects.
    let largeGranule: UInt32
    /// Whether every object lives in the treadmill space (`--collector treadmill`).
    let treadmillOwnsAll: Bool
    let world = World()
    let globals: GlobalRoots
    /// The collection plan; set once at the end of `init` (it keeps an unowned reference back).
    private(set) var collector: Collector!
    /// Non-zero while a concurrent mark runs (the write barrier's flag).
    let barrierFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// Grey objects shared between concurrent markers.
    let markPool = MarkWorkPool()
    /// Whether objects allocated during a concurrent mark are black.
    let allocatesBlack: Bool
    /// Bytes of objects allocated black in the current cycle (they are live without being scanned).
    let blackAllocatedBytes = Atomic<Int>(0)
    /// Bytes of objects the write barriers shaded this cycle (flushed from the mutators' contexts).
    let shadedBytes = Atomic<Int>(0)
    let shadedObjects = Atomic<Int>(0)
    /// The pacer, when one sets the trigger (nil: the plain GOGC trigger).
    let pacerDriver: PacerDriver?

    let committed = Atomic<Int>(0)
    let heapInUse = Atomic<Int>(0)
    let allocated = Atomic<Int>(0)
    let live = Atomic<Int>(0)
    let trigger: Atomic<Int>
    let peakInUse = Atomic<Int>(0)
    let peakCommitted = Atomic<Int>(0)
    let cycles = Atomic<Int>(0)
    let nextSampleNs = Atomic<UInt64>(0)
    private let failed = Atomic<Bool>(false)
    private let failureMonitor = Monitor()
    private var failure: HeapError?
    private let mutatorIDs = Atomic<Int>(0)

    /// Test hook: objects the marker treats as already marked, so it never traces their fields.
    /// Used to prove that the checkmark verifier catches a collector that misses objects.
    var debugObjectsHiddenFromMarker: [ObjectRef] = []
    /// Test hook: the treadmill's flip skips its second look at the roots (which dijkstra and steele need),
    /// to show that the verifier catches what that loses.
    var debugSkipFlipRescan = false

    /// Reserves the heap's address space and side tables.
    public init(configuration: HeapConfiguration) throws {
        guard configuration.heapMaxBytes >= 4 * HeapGeometry.blockBytes else {
            throw HeapError.invalidConfiguration("--heap-max \(configuration.heapMaxBytes) is below the minimum of \(4 * HeapGeometry.blockBytes) bytes")
        }
        guard configuration.heapMaxBytes <= HeapConfiguration.largestHeapMaxBytes else {
            throw HeapError.invalidConfiguration("--heap-max \(configuration.heapMaxBytes) is above the maximum of \(HeapConfiguration.largestHeapMaxBytes) bytes that 32-bit references can address")
        }
        guard configuration.collector != .treadmill || configuration.pacer == nil else {
            throw HeapError.invalidConfiguration("the treadmill collector is paced by Baker's k and the GOGC trigger: a pacer applies to the stw and concurrent collectors")
        }
        guard configuration.treadmillK >= 1 else {
            throw HeapError.invalidConfiguration("--treadmill-k must be at least 1, got \(configuration.treadmillK)")
        }
        guard configuration.gogc > 0 else {
            throw HeapError.invalidConfiguration("--gogc must be positive, got \(configuration.gogc)")
        }
        self.configuration = configuration
        let blockCount = (configuration.heapMaxBytes + HeapGeometry.blockBytes - 1) / HeapGeometry.blockBytes + 1
        largeObjectStart = blockCount * HeapGeometry.blockBytes
        // The large-object region gets twice the limit of address space where references can reach it:
        // the commit limit bounds the memory, and the slack keeps page fragmentation (cells of many
        // sizes, rounded to their class) from failing an allocation that the limit allows.
        let largeLimit = min(2 * configuration.heapMaxBytes, HeapGeometry.maxReservationBytes - largeObjectStart)
        let largeBytes = largeLimit / HeapGeometry.pageBytes * HeapGeometry.pageBytes
        reservationBytes = largeObjectStart + largeBytes
        guard let base = VirtualMemory.reserve(reservationBytes),
              let bitmap = MarkBitmap(granules: reservationBytes / HeapGeometry.granuleBytes),
              let lines = LineMarkTable(lines: largeObjectStart / HeapGeometry.lineBytes) else {
            throw HeapError.invalidConfiguration("could not reserve \(reservationBytes) bytes of address space")
        }
        self.base = base
        markBitmap = bitmap
        lineMarks = lines
        space = ImmixSpace(base: base, blockCount: blockCount, markBitmap: bitmap, lineMarks: lines,
                           poison: configuration.verify)
        treadmillOwnsAll = configuration.collector == .treadmill
        treadmill = TreadmillSpace(base: base, blockCount: blockCount, largeStart: largeObjectStart, largeBytes: largeBytes,
                                   holdsSmallObjects: treadmillOwnsAll, poison: configuration.verify,
                                   debugChecks: configuration.debugCheckTreadmillRings)
        largeGranule = treadmill.largeGranule
        globals = GlobalRoots()
        if let kind = configuration.pacer {
            var pacerConfig = configuration.pacerConfig
            pacerConfig.gogc = configuration.gogc
            if let problem = pacerConfig.validationError() { throw HeapError.invalidConfiguration(problem) }
            let driver = PacerDriver(kind: kind, config: pacerConfig, procs: configuration.processors)
            pacerDriver = driver
            trigger = Atomic(driver.decision.trigger)
        } else {
            pacerDriver = nil
            trigger = Atomic(configuration.minimumTriggerBytes)
        }
        barrierFlag = .allocate(capacity: 1)
        barrierFlag.initialize(to: Atomic(0))
        allocatesBlack = configuration.collector == .concurrent && configuration.barrier.allocatesBlack
        if let reason = configuration.unsafeReason, !configuration.allowUnsafe {
            throw HeapError.invalidConfiguration(reason + " (add --unsafe to run it anyway)")
        }
        switch configuration.collector {
        case .stw: collector = StopTheWorldCollector(heap: self)
        case .concurrent: collector = ConcurrentCollector(heap: self)
        case .treadmill: collector = TreadmillCollector(heap: self)
        }
    }

    deinit {
        collector?.shutdown()
        barrierFlag.deallocate()
        VirtualMemory.unmap(base, reservationBytes)
        markBitmap.free()
        lineMarks.free()
    }

    // MARK: Mutators

    /// Registers the calling thread as a mutator. Use the returned handle on this thread only, and
    /// `unregister` it before the thread ends.
    public func registerMutator() -> Mutator {
        let id = mutatorIDs.add(1, ordering: .relaxed).newValue
        let record = MutatorRecord(heap: self, id: id)
        world.register(record)
        return Mutator(ctx: record.ctx)
    }

    /// Unregisters a mutator: its allocation buffer is retired and its roots stop counting.
    public func unregister(_ mutator: Mutator) {
        let record = mutator.ctx.pointee.record.takeUnretainedValue()
        world.unregister(record) {
            retireBuffers(of: record)
            flushShadeBuffer(of: record.ctx)
            flushActivities(of: record.ctx)
            collector.mutatorLeaving(record.ctx)
        }
        record.destroy()
    }

    /// Runs a full collection now, from a thread that is not a mutator (or from a mutator via
    /// `Mutator.collect()`).
    /// With the concurrent collector, waits for a whole cycle that starts after this call.
    public func collect() {
        collector.collectFully(requester: nil, reason: "explicit", observedCycle: cycles.load(ordering: .relaxed))
    }

    /// Bytes of roots: every mutator's shadow-stack slots and the global slots (world stopped).
    var rootBytes: (stacks: Int, globals: Int) {
        (world.mutators.reduce(0) { $0 + $1.ctx.pointee.rootCount * 4 }, globals.count * 4)
    }

    /// Stops the collector's background threads, finishing a cycle in progress, so that the recorded
    /// statistics no longer change. Call after the last mutator unregistered; the heap is not usable after.
    public func finish() { collector.shutdown() }

    /// True while a concurrent mark runs.
    var isMarking: Bool { barrierFlag.pointee.load(ordering: .relaxed) != 0 }

    /// The collector as the treadmill collector (nil under the others).
    var treadmillCollector: TreadmillCollector? { treadmillOwnsAll ? (collector as! TreadmillCollector) : nil }

    // MARK: Marks (Immix objects: the mark bitmap; treadmill objects: their cell's colour)

    /// Marks a reached object for a marker or barrier of the stw or concurrent collector; true when this
    /// call marked it (the caller greys it).
    @inline(__always)
    func markReached(_ raw: UInt32) -> Bool {
        raw < largeGranule ? markBitmap.testAndSet(raw) : treadmill.markReached(raw)
    }

    /// Whether a marker or barrier reached the object in this cycle.
    func isReached(_ raw: UInt32) -> Bool {
        treadmill.contains(raw) ? treadmill.isReached(raw) : markBitmap.isMarked(raw)
    }

    // MARK: Accounting

    /// Takes `bytes` of the commit limit; false when the limit would be exceeded.
    func commit(_ bytes: Int) -> Bool {
        var current = committed.load(ordering: .relaxed)
        while true {
            if current + bytes > configuration.heapMaxBytes { return false }
            let (done, now) = committed.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if done {
                Heap.raiseMax(peakCommitted, current + bytes)
                return true
            }
            current = now
        }
    }

    /// Gives back commit budget (freed large objects).
    func uncommit(_ bytes: Int) { committed.subtract(bytes, ordering: .relaxed) }

    /// Counts bytes handed out for allocation; returns the new in-use size.
    @discardableResult
    func noteHandedOut(_ bytes: Int) -> Int {
        let now = heapInUse.add(bytes, ordering: .relaxed).newValue
        Heap.raiseMax(peakInUse, now)
        return now
    }

    static func raiseMax(_ atomic: borrowing Atomic<Int>, _ value: Int) {
        var current = atomic.load(ordering: .relaxed)
        while value > current {
            let (done, now) = atomic.compareExchange(expected: current, desired: value, ordering: .relaxed)
            if done { return }
            current = now
        }
    }

    /// Records a heap sample if at least a millisecond passed since the last one (or `force`).
    func sampleHeap(force: Bool = false) {
        let now = stats.elapsed()
        let due = nextSampleNs.load(ordering: .relaxed)
        guard force || now >= due else { return }
        guard force || nextSampleNs.compareExchange(expected: due, desired: now + 1_000_000, ordering: .relaxed).exchanged else { return }
        stats.record(HeapSample(timeNs: now, allocatedBytes: allocatedBytes, heapInUseBytes: heapInUse.load(ordering: .relaxed),
                                liveBytes: live.load(ordering: .relaxed), committedBytes: committed.load(ordering: .relaxed),
                                triggerBytes: trigger.load(ordering: .relaxed)))
    }

    /// The allocation slow path hit an error every mutator must see.
    func fail(_ error: HeapError) -> HeapError {
        failureMonitor.withLock {
            if failure == nil { failure = error }
            failed.store(true, ordering: .releasing)
            return failure!
        }
    }

    /// The error that stopped the heap, if any.
    public var failureError: HeapError? {
        guard failed.load(ordering: .acquiring) else { return nil }
        return failureMonitor.withLock { failure }
    }

    // MARK: Public figures

    /// Bytes in objects allocated so far (allocation buffers are counted when retired).
    public var allocatedBytes: Int { allocated.load(ordering: .relaxed) }
    /// Number of completed collections.
    public var collectionCount: Int { cycles.load(ordering: .relaxed) }
    /// Bytes marked live by the last collection.
    public var liveBytes: Int { live.load(ordering: .relaxed) }
    /// Largest in-use size seen (live plus handed out since the last collection).
    public var peakHeapBytes: Int { peakInUse.load(ordering: .relaxed) }
    /// Largest committed size seen.
    public var peakCommittedBytes: Int { peakCommitted.load(ordering: .relaxed) }
    /// Bytes committed now.
    public var committedBytes: Int { committed.load(ordering: .relaxed) }
    /// In-use size at which the next collection starts.
    public var triggerBytes: Int { trigger.load(ordering: .relaxed) }

    /// True when `ref` points at an intact object header: a freed object fails this in verify mode
    /// (its memory is poisoned or released).
    public func isValidObject(_ ref: ObjectRef) -> Bool {
        guard !ref.isNull, ref.offset < reservationBytes else { return false }
        return ObjectHeader(bits: (base + ref.offset).load(as: UInt64.self)).isValid
    }

    /// Test hook: make the marker skip tracing `ref` (it is treated as already marked).
    public func debugHideFromMarker(_ ref: ObjectRef) { debugObjectsHiddenFromMarker.append(ref) }

    /// Benchmark hook: turns the write barrier's slow path on or off without a collection running
    /// (`gclab bench barrier`). Shaded objects pile up in the mark pool; use on a throw-away heap only.
    public func debugSetBarrierActive(_ active: Bool) {
        barrierFlag.pointee.store(active ? 1 : 0, ordering: .relaxed)
    }

    // MARK: Roots

    /// Calls `body` with every root: each mutator's shadow-stack slots, then the global roots.
    /// Only with the world stopped.
    func forEachRoot(_ body: (UInt32, RootLocation) -> Void) {
        for record in world.mutators {
            let ctx = record.ctx
            for i in 0..<ctx.pointee.rootCount {
                body(ctx.pointee.roots[i], .stack(mutator: record.id, slot: i))
            }
        }
        globals.forEach { raw, index in body(raw, .global(index)) }
    }

    /// Retires every mutator's allocation buffers (world stopped).
    func retireAllBuffers() {
        for record in world.mutators { retireBuffers(of: record) }
    }

    private func retireBuffers(of record: MutatorRecord) {
        for offset in [MemoryLayout<MutatorContext>.offset(of: \.tlab)!, MemoryLayout<MutatorContext>.offset(of: \.overflow)!] {
            let region = (UnsafeMutableRawPointer(record.ctx) + offset).assumingMemoryBound(to: BumpRegion.self)
            leaveHole(region)
            region.pointee = BumpRegion()
        }
    }
}

/// Where a root lives, for the verifier's reports.
enum RootLocation: CustomStringConvertible {
    case stack(mutator: Int, slot: Int)
    case global(Int)

    var description: String {
        switch self {
        case let .stack(m, s): return "mutator \(m) stack slot \(s)"
        case let .global(i): return "global \(i)"
        }
    }
}
