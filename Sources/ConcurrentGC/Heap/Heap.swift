// The managed heap: what every collector plan needs and shares. One address-space reservation
// (Reservation.swift) with its side tables (the mark bitmap and line marks over it) and the pool of its
// blocks; the size counters (HeapAccounting); the mutators and the safepoint protocol (World); the global
// roots; the statistics; the pacer, when one drives the plan; and the plan's collector, which owns its
// spaces, its threads and its per-mutator state (Plan/<Name>/).

import Pacer
import Synchronization

/// A garbage-collected heap.
public final class Heap: @unchecked Sendable {
    /// How the heap was set up.
    public let configuration: HeapConfiguration
    /// Everything recorded about pauses, cycles and the heap's size.
    public let stats = GCStats()

    let reservation: Reservation
    /// The mark bitmap (one bit per granule) and line marks (one byte per line of the block region), for
    /// the plans that mark with them; the checkmark verifier has its own bitmap.
    let markBitmap: MarkBitmap
    let lineMarks: LineMarkTable
    /// The block region's blocks, shared by the plan's spaces.
    let blocks: BlockPool
    /// The heap's size counters (raw memory: allocators update them without touching this object).
    let accounting: UnsafeMutablePointer<HeapAccounting>
    let world = World()
    let globals = GlobalRoots()
    /// Non-zero while the plan's barrier is on (the flag `Mutator.store` tests).
    let barrierFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// The pacer, when one sets the trigger (nil: the plain GOGC trigger).
    let pacerDriver: PacerDriver?
    /// The plan's collector; set once at the end of `init` (it keeps an unowned reference back).
    @exclusivity(unchecked) private(set) var collector: (any Collector)!

    private let cycles = Atomic<Int>(0)
    private let failed = Atomic<Bool>(false)
    private let failureMonitor = Monitor()
    @exclusivity(unchecked) private var failure: HeapError?
    private let mutatorIDs = Atomic<Int>(0)

    /// Test hook: objects the marker treats as already marked, so it never traces their fields.
    /// Used to prove that the checkmark verifier catches a collector that misses objects.
    var debugObjectsHiddenFromMarker: [ObjectRef] = []

    /// Reserves the heap's address space and side tables and builds the plan's collector.
    public init(configuration: HeapConfiguration) throws {
        guard configuration.heapMaxBytes >= 4 * HeapGeometry.blockBytes else {
            throw HeapError.invalidConfiguration("--heap-max \(configuration.heapMaxBytes) is below the minimum of \(4 * HeapGeometry.blockBytes) bytes")
        }
        guard configuration.heapMaxBytes <= HeapConfiguration.largestHeapMaxBytes else {
            throw HeapError.invalidConfiguration("--heap-max \(configuration.heapMaxBytes) is above the maximum of \(HeapConfiguration.largestHeapMaxBytes) bytes that 32-bit references can address")
        }
        guard configuration.gogc > 0 else {
            throw HeapError.invalidConfiguration("--gogc must be positive, got \(configuration.gogc)")
        }
        if let refusal = configuration.collector.refusal(configuration) {
            throw HeapError.invalidConfiguration(refusal)
        }
        if let reason = configuration.unsafeReason, !configuration.allowUnsafe {
            throw HeapError.invalidConfiguration(reason + " (add --unsafe to run it anyway)")
        }
        self.configuration = configuration
        guard let reservation = Reservation.reserve(heapMaxBytes: configuration.heapMaxBytes),
              let bitmap = MarkBitmap(granules: reservation.bytes / HeapGeometry.granuleBytes),
              let lines = LineMarkTable(lines: reservation.largeStart / HeapGeometry.lineBytes) else {
            throw HeapError.invalidConfiguration("could not reserve the address space of a \(configuration.heapMaxBytes)-byte heap")
        }
        self.reservation = reservation
        markBitmap = bitmap
        lineMarks = lines
        if let kind = configuration.pacer {
            var pacerConfig = configuration.pacerConfig
            pacerConfig.gogc = configuration.gogc
            if let problem = pacerConfig.validationError() { throw HeapError.invalidConfiguration(problem) }
            let driver = PacerDriver(kind: kind, config: pacerConfig, procs: configuration.processors)
            pacerDriver = driver
            accounting = HeapAccounting.make(limit: configuration.heapMaxBytes, trigger: driver.decision.trigger)
        } else {
            pacerDriver = nil
            accounting = HeapAccounting.make(limit: configuration.heapMaxBytes, trigger: configuration.minimumTriggerBytes)
        }
        blocks = BlockPool(end: reservation.blockCount, accounting: accounting)
        barrierFlag = .allocate(capacity: 1)
        barrierFlag.initialize(to: Atomic(0))
        collector = configuration.collector.make(self)
    }

    deinit {
        collector?.shutdown()
        collector = nil  // its spaces use the accounting and the reservation freed below
        barrierFlag.deallocate()
        HeapAccounting.destroy(accounting)
        reservation.unmap()
        markBitmap.free()
        lineMarks.free()
    }

    /// The reservation's base address.
    var base: UnsafeMutableRawPointer { reservation.base }
    /// Bytes of address space reserved.
    var reservationBytes: Int { reservation.bytes }
    /// Byte offset where the large-object region starts; below it lies the block region.
    var largeObjectStart: Int { reservation.largeStart }
    /// The plan's large-object space (every plan keeps large objects in a treadmill space).
    var largeObjectSpace: TreadmillSpace { collector.largeObjectSpace }

    // MARK: Mutators

    /// Registers the calling thread as a mutator. Use the returned handle on this thread only, and
    /// `unregister` it before the thread ends.
    public func registerMutator() -> Mutator {
        let id = mutatorIDs.add(1, ordering: .relaxed).newValue
        let record = MutatorRecord(heap: self, id: id)
        collector.mutatorArriving(record.ctx)
        world.register(record)
        return Mutator(ctx: record.ctx)
    }

    /// Unregisters a mutator: the plan retires its buffers and drops its state; its roots stop counting.
    public func unregister(_ mutator: Mutator) {
        let record = mutator.ctx.pointee.record.takeUnretainedValue()
        world.unregister(record) { collector.mutatorLeaving(record.ctx) }
        record.destroy()
    }

    /// Runs a full collection now, from a thread that is not a mutator (or from a mutator via
    /// `Mutator.collect()`). With a concurrent plan, waits for a whole cycle that starts after this call.
    public func collect() {
        collector.collectFully(requester: nil, reason: .explicit, observedCycle: completedCycles)
    }

    /// Stops the collector's background threads, finishing a cycle in progress, so that the recorded
    /// statistics no longer change. Call after the last mutator unregistered; the heap is not usable after.
    public func finish() { collector.shutdown() }

    /// True while the plan's barrier is on.
    var barrierOn: Bool { barrierFlag.pointee.load(ordering: .relaxed) != 0 }

    /// Cycles completed (published by the plan when a cycle's records are complete).
    var completedCycles: Int { cycles.load(ordering: .acquiring) }

    /// Publishes that cycle `n` is complete: whoever waits for it finds its records.
    func publishCompletedCycle(_ n: Int) { cycles.store(n, ordering: .releasing) }

    // MARK: Roots

    /// Bytes of roots: every mutator's shadow-stack slots and the global slots (world stopped).
    var rootBytes: (stacks: Int, globals: Int) {
        (world.mutators.reduce(0) { $0 + $1.ctx.pointee.roots.count * 4 }, globals.count * 4)
    }

    /// Calls `body` with every root: each mutator's shadow-stack slots, then the global roots.
    /// Only with the world stopped.
    func forEachRoot(_ body: (UInt32, RootLocation) -> Void) {
        updateRoots { raw, location in
            body(raw, location)
            return raw
        }
    }

    /// Calls `body` with every root, in `forEachRoot`'s order, and stores what it returns in the root's
    /// slot when it differs (a moving collector updates the roots). Only with the world stopped.
    func updateRoots(_ body: (UInt32, RootLocation) -> UInt32) {
        for record in world.mutators {
            let roots = record.ctx.pointee.roots
            for i in 0..<roots.count {
                let new = body(roots[i], .stack(mutator: record.id, slot: i))
                if new != roots[i] { roots[i] = new }
            }
        }
        for i in 0..<globals.count {
            let old = globals.slots[i].load(ordering: .acquiring)
            let new = body(old, .global(i))
            if new != old { globals.slots[i].store(new, ordering: .releasing) }
        }
    }

    // MARK: Failure

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
    public var allocatedBytes: Int { accounting.pointee.allocated.load(ordering: .relaxed) }
    /// Number of completed collections.
    public var collectionCount: Int { completedCycles }
    /// Bytes marked live by the last collection.
    public var liveBytes: Int { accounting.pointee.live.load(ordering: .relaxed) }
    /// Largest in-use size seen (live plus handed out since the last collection).
    public var peakHeapBytes: Int { accounting.pointee.peakInUse.load(ordering: .relaxed) }
    /// Largest committed size seen.
    public var peakCommittedBytes: Int { accounting.pointee.peakCommitted.load(ordering: .relaxed) }
    /// Bytes committed now.
    public var committedBytes: Int { accounting.pointee.committed.load(ordering: .relaxed) }
    /// In-use size at which the next collection starts.
    public var triggerBytes: Int { accounting.pointee.trigger.load(ordering: .relaxed) }
    /// In-use size now: live after the last collection plus what was handed out since.
    public var heapInUseBytes: Int { accounting.pointee.inUse.load(ordering: .relaxed) }

    /// True when `ref` points at an intact object header: a freed object fails this in verify mode
    /// (its memory is poisoned or released).
    public func isValidObject(_ ref: ObjectRef) -> Bool {
        guard !ref.isNull, ref.offset < reservationBytes else { return false }
        return ObjectHeader(bits: (base + ref.offset).load(as: UInt64.self)).isValid
    }

    /// Test hook: make the marker skip tracing `ref` (it is treated as already marked).
    public func debugHideFromMarker(_ ref: ObjectRef) { debugObjectsHiddenFromMarker.append(ref) }

    /// Benchmark hook: starts a collection cycle from mutator `m`, as reaching the trigger would (a plan
    /// that collects incrementally then runs it while `m` goes on; `gclab bench barrier` measures loads
    /// while a copying plan's cycle runs).
    public func debugStartCycle(_ m: Mutator) {
        collector.triggered(requester: m.record, observedCycle: completedCycles)
    }

    /// Benchmark hook: turns the barrier's slow path on or off without a collection running
    /// (`gclab bench barrier`). What it shades piles up; use on a throw-away heap only.
    public func debugSetBarrierActive(_ active: Bool) {
        barrierFlag.pointee.store(active ? 1 : 0, ordering: .relaxed)
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
