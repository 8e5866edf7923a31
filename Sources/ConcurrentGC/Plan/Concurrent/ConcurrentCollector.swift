// The concurrent collector: tri-colour marking while the mutators run.
//
// A cycle (run by the controller thread; ConcurrentCollector+Cycle.swift):
//   idle -> sweep termination (concurrent: finish sweeping the last cycle's blocks)
//        -> mark start (pause: retire TLABs, new epoch, barrier on, shade globals and, with --roots stw,
//           every stack; with --roots handshake each mutator shades its own stack at its next safepoint)
//        -> concurrent mark (background workers, mutator assists, barrier shading; +Marking.swift)
//        -> mark termination (pause: flush shade buffers, scan stacks still unscanned, re-scan roots for
//           the insertion barriers; if grey objects remain, go back to concurrent mark (twice at most),
//           else finish in the pause (also when the heap outgrew the hard limit); then barrier off,
//           black-allocated objects marked, verify, sweep large objects, hand blocks to the lazy
//           sweeper, next trigger from the pacer or GOGC)
//        -> concurrent lazy sweep by the allocators -> idle.
//
// Invariant: from mark start to the end of termination every reference store goes through the barrier,
// every grey object is in the mark pool, a marker's local stack or a mutator's shade buffer, and (with
// black allocation) every object allocated is in a hole whose lines are marked live. So when the world is
// stopped, the shade buffers are flushed and the pool is quiescent, no grey object remains and every
// reachable object is marked (the checkmark verifier checks exactly this).

import Dispatch
import Glibc
import Pacer
import Synchronization

/// The `concurrent` collector.
final class ConcurrentCollector: Collector {
    /// The heap outlives this object's threads: its deinit joins them (`shutdown`).
    unowned(unsafe) let heap: Heap
    let spaces: MarkRegion
    /// Grey objects shared between markers.
    let markPool = MarkWorkPool()
    let barrier: BarrierKind
    let roots: RootsMode
    /// The assist ratio with the plain GOGC trigger (--incremental-k).
    let assistRatio: Double
    let monitor = Monitor()
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    @exclusivity(unchecked) var requested = false
    @exclusivity(unchecked) var running = false
    @exclusivity(unchecked) var shuttingDown = false
    @exclusivity(unchecked) var requestReason = CycleReason.trigger
    @exclusivity(unchecked) var requestNs: UInt64 = 0
    /// The running cycle has taken its mark-start snapshot (until it ends).
    @exclusivity(unchecked) var marking = false

    let stopping = Atomic<Bool>(false)
    let threads = DispatchGroup()
    /// Stacks not yet scanned in this cycle's handshake.
    let pendingHandshakes = Atomic<Int>(0)
    // Per-cycle counters, reset at mark start.
    let scanBackground = Atomic<Int>(0)
    let scanAssist = Atomic<Int>(0)
    let scanPause = Atomic<Int>(0)
    /// Bytes and objects whose mark bit a marker set this cycle (the live heap, but for what the
    /// barriers shaded and what was allocated black).
    let markedBytes = Atomic<Int>(0)
    let markedObjects = Atomic<Int>(0)
    /// Bytes and objects the barriers shaded this cycle (flushed from the mutators' states).
    let shadedBytes = Atomic<Int>(0)
    let shadedObjects = Atomic<Int>(0)
    /// Bytes of objects allocated black this cycle (live without being scanned); raw memory, counted by
    /// the allocators (AllocationWhileMarking.blackBytes).
    let blackAllocatedBytes: UnsafeMutablePointer<Atomic<Int>>
    let workerCPU = Atomic<UInt64>(0)
    /// CPU time the controller thread spent marking (at shutdown), for the utilization.
    let controllerMarkCPU = Atomic<UInt64>(0)
    /// CPU time of the fractional worker while a processor was idle (Go's idle marking).
    let idleCPU = Atomic<UInt64>(0)
    let handshakes = Atomic<Int>(0)

    /// Background mark workers, each with the share of a processor it marks for (1: dedicated; less: Go's
    /// fractional worker, which marks in slices and sleeps between them).
    let workerDuties: [Double]
    /// Background scan work not yet claimed by assists (Go's bgScanCredit), with a pacer.
    let backgroundCredit = Atomic<Int>(0)
    let creditUsed = Atomic<Int>(0)

    init(heap: Heap) {
        self.heap = heap
        spaces = MarkRegion(heap: heap, regreying: heap.configuration.barrier == .steele)
        barrier = heap.configuration.barrier
        roots = heap.configuration.roots
        assistRatio = heap.configuration.assistRatio
        blackAllocatedBytes = .allocate(capacity: 1)
        blackAllocatedBytes.initialize(to: Atomic(0))
        let configured = heap.configuration.markWorkers
        if configured >= 0 {
            workerDuties = Array(repeating: 1.0, count: configured)
        } else if let driver = heap.pacerDriver {
            workerDuties = PacerDriver.workerDuties(heap.configuration.pacerConfig, procs: driver.procs)
        } else {
            workerDuties = [1.0]
        }
        DispatchQueue(label: "gclab.gc.controller").async(group: threads) { self.controllerLoop() }
        for (i, duty) in workerDuties.enumerated() {
            DispatchQueue(label: "gclab.gc.markworker.\(i)").async(group: threads) { self.workerLoop(index: i, duty: duty) }
        }
    }

    deinit {
        blackAllocatedBytes.deinitialize(count: 1)
        blackAllocatedBytes.deallocate()
    }

    var largeObjectSpace: TreadmillSpace { spaces.los }

    // MARK: Mutators

    func decommitFreeBlocks() -> Int { spaces.decommitFreeBlocks() }

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        spaces.installAllocators(ctx)
        let state = UnsafeMutablePointer<ConcurrentMutatorState>.allocate(capacity: 1)
        state.initialize(to: ConcurrentMutatorState(barrier: barrier.id, policy: spaces.markPolicy(epoch: 0), base: heap.base,
                                                    collector: .passUnretained(self),
                                                    shadeBuffer: RawStack(capacity: ConcurrentMutatorState.shadeCapacity)))
        ctx.pointee.planState = UnsafeMutableRawPointer(state)
        ctx.pointee.writeBarrierSlow = ConcurrentBarrier.slowPath
        ctx.pointee.whileMarking = AllocationWhileMarking(black: barrier.allocatesBlack, blackBytes: blackAllocatedBytes,
                                                          assist: ConcurrentBarrier.assist)
    }

    /// A mutator leaves: its buffers are retired, its shade buffer and records handed over, and its stack
    /// no longer needs a handshake.
    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        BumpAllocator.retire(ctx)
        let state = ctx.concurrent
        flushShadeBuffer(state)
        flushActivities(state)
        markStackScanned(state)
        state.pointee.shadeBuffer.free()
        state.deinitialize(count: 1)
        state.deallocate()
        ctx.pointee.planState = nil
    }

    /// Moves a mutator's shade buffer into the mark pool (its owner, or the collector with the world
    /// stopped).
    func flushShadeBuffer(_ state: UnsafeMutablePointer<ConcurrentMutatorState>) {
        if state.pointee.shadedObjects > 0 {
            shadedBytes.add(state.pointee.shadedBytes, ordering: .relaxed)
            shadedObjects.add(state.pointee.shadedObjects, ordering: .relaxed)
            state.pointee.shadedBytes = 0
            state.pointee.shadedObjects = 0
        }
        let n = state.pointee.shadeBuffer.count
        guard n > 0 else { return }
        markPool.push(UnsafeBufferPointer(start: state.pointee.shadeBuffer.base, count: n))
        state.pointee.shadeBuffer.count = 0
    }

    /// Moves a mutator's buffered activity records into the statistics.
    func flushActivities(_ state: UnsafeMutablePointer<ConcurrentMutatorState>) {
        guard !state.pointee.activities.isEmpty else { return }
        heap.stats.record(activities: state.pointee.activities)
        state.pointee.activities.removeAll(keepingCapacity: true)
    }

    /// The mutator's stack counts as scanned for this cycle's handshake (scanned, or its owner left).
    func markStackScanned(_ state: UnsafeMutablePointer<ConcurrentMutatorState>) {
        guard !state.pointee.stackScanned else { return }
        state.pointee.stackScanned = true
        if pendingHandshakes.subtract(1, ordering: .relaxed).newValue == 0 {
            heap.world.pollFlag.pointee.bitwiseAnd(~World.handshakeBit, ordering: .relaxed)
        }
    }

    // MARK: Requests

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        monitor.withLock {
            guard !running, heap.completedCycles == observedCycle else { return }
            request(.trigger)
        }
    }

    /// Starts a cycle; the monitor must be held and no cycle running.
    func request(_ reason: CycleReason) {
        running = true
        requested = true
        requestReason = reason
        requestNs = heap.stats.elapsed()
        monitor.broadcast()
    }

    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        // A cycle already marking took its snapshot before this call: wait for the one after it too.
        let target = monitor.withLock { () -> Int in
            let done = heap.completedCycles
            if running { return marking ? done + 2 : done + 1 }
            request(reason)
            return done + 1
        }
        while heap.completedCycles < target && !stopping.load(ordering: .relaxed) {
            monitor.withLock { if !running { request(reason) } }
            if let r = requester {
                markOrSleep(r)
            } else if !(workerDuties.isEmpty && heap.barrierOn && helpMark(budget: 1 << 20, counter: .assist) > 0) {
                usleep(50)  // a thread that is not a mutator marks only when no background worker would
            }
        }
    }

    /// The heap size past which an allocating thread waits for the running cycle to end: with a pacer,
    /// the cycle's goal (before mark start, the goal the last cycle set for it); with the plain GOGC
    /// trigger, the hard limit. Go's assists do the same: one that cannot pay its debt parks until the
    /// background workers earn credit or the cycle ends, so that allocation during a cycle stays within
    /// the runway (and the floating garbage the next goal is computed from, with it).
    private func allocationLimit(marking: Bool) -> Int {
        guard let driver = heap.pacerDriver else { return hardLimit }
        if marking, let plan = driver.plan { return plan.heapGoal }
        return max(driver.decision.heapGoal, heap.triggerBytes)
    }

    /// Past the allocation limit while a cycle runs, the allocating thread waits for the cycle to end: it
    /// marks while there is marking to do, and otherwise sleeps in a safe region (where the controller
    /// scans its stack for it and the mark-termination pause need not wait for it). Measured with 256
    /// threads allocating large objects on 2 cores: without this wait the heap reached 27× the cycle's
    /// goal while the collector stopped them all for its pauses, and each cycle's floating garbage
    /// inflated the next cycle's goal.
    func waitPastAllocationLimit(requester: MutatorRecord, bytes: Int) {
        guard let (cycle, isMarking) = monitor.withLock({ running ? (heap.completedCycles, marking) : nil }) else { return }
        let limit = allocationLimit(marking: isMarking)
        guard heap.heapInUseBytes &+ bytes > limit else { return }
        // `running` too: a cycle that has just published its end may not have reset it yet, and the
        // count then names a cycle that nobody has requested (seen: a lone mutator waiting for ever).
        while monitor.withLock({ running && heap.completedCycles == cycle }) && !stopping.load(ordering: .relaxed) {
            markOrSleep(requester)
        }
    }

    /// One step of a mutator waiting for a cycle (for memory, or past the allocation limit): it marks if
    /// there is marking to do, else sleeps briefly in a safe region; then it answers its safepoint.
    private func markOrSleep(_ r: MutatorRecord) {
        if !(heap.barrierOn && helpMark(budget: 1 << 20, counter: .assist) > 0) {
            heap.world.enterSafeRegion(r)
            usleep(50)
            heap.world.leaveSafeRegion(r)
        }
        Mutator(ctx: r.ctx).poll()
    }

    // MARK: Teardown

    func shutdown() {
        monitor.withLock {
            shuttingDown = true
            monitor.broadcast()
        }
        stopping.store(true, ordering: .relaxed)
        markPool.wakeAll()
        threads.wait()
    }
}
