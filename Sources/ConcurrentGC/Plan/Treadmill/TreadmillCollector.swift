// Baker's treadmill as a collector (`--collector treadmill`): every object in a size-class ring of the
// treadmill space, collected incrementally, without a sweep and without moving anything.
//
// A cycle runs from one flip to the next, and the collector is always in one (Baker's is always
// collecting):
//   flip pause (world stopped, background workers held at their gates):
//     dijkstra/steele only: grey every root again (a stack may hold the only reference to a white object);
//     finish marking: scan steps until no grey cell is left (normally none: Baker's k saw to it);
//     verify (checkmark); flip every ring: white cells are free, black ones white, O(number of classes);
//     grey every root: the next cycle's marking starts; barrier on; next trigger = the surviving cells
//     plus GOGC percent of the reached ones (cells allocated in a cycle survive it unreached).
//   between flips: each allocation first does k scan steps while grey cells remain (Baker's rule, paid
//     by the cell allocator `CellAllocator.workBatch` at a time); the background workers
//     (--mark-workers) do scan steps too; every store
//     goes through the barrier until marking is done, and after that too for dijkstra and steele.
// The flip comes when the heap in use reaches the trigger, or when memory runs out (a full collection:
// two flips in one pause, the second after marking a whole cycle in it).
//
// Invariant: between flips every allocated cell is black, every store goes through the barrier while a
// grey cell remains (always, for the insertion barriers) and every object reached in the cycle is grey
// (on its ring's GREY segment) or black. With the roots greyed at the
// flip, the snapshot barriers (yuasa, hybrid) keep every object reachable at the flip or allocated since
// out of the white segment; the insertion barriers (dijkstra, steele) keep black objects from pointing at
// white ones, and the flip's second look at the roots catches what only a stack holds. So every object
// reachable at the flip pause is black when the rings flip; `--barrier none` is refused unless --unsafe,
// and the verifier shows what it loses.
//
// Baker's space bound: with R reachable cells and k steps per allocation, marking a cycle takes R/k
// allocations, and cells allocated black float for one cycle, so a ring needs R·(1 + 2/k) cells (see the
// TreadmillRing tests; R·(1 + 1/k) is the bound for a semispace of Baker's copying collector).

import Dispatch
import Glibc
import Synchronization

/// The `treadmill` collector.
final class TreadmillCollector: Collector {
    unowned(unsafe) let heap: Heap
    /// Every object's space: small cells in blocks of the heap's pool, large cells in its large region.
    let space: TreadmillSpace
    /// Scan steps per allocation (Baker's k).
    let k: Int
    let barrier: BarrierKind
    /// The barrier can be off from the end of marking to the flip: true for the snapshot barriers
    /// (yuasa, hybrid, and none, which does nothing). The insertion barriers must stay on: a white
    /// object held only by a stack is still to be caught by the flip's second look at the roots.
    private let barrierOffWhenMarked: Bool
    /// One gate per background worker: held while it scans, taken by the flip pause.
    private let gates: [Monitor]
    private let wake = Monitor()
    private let threads = DispatchGroup()
    private let stopping = Atomic<Bool>(false)
    // Per-cycle counters, reset at each flip.
    private let scanWorkerBytes = Atomic<Int>(0)
    private let scanMutatorBytes = Atomic<Int>(0)
    private let workerCPU = Atomic<UInt64>(0)
    private let barrierSlowPaths = Atomic<Int>(0)
    private let allocatedCells = Atomic<Int>(0)
    private let allocatedCellBytes = Atomic<Int>(0)
    /// When the running cycle began (the end of the last flip pause); written in pauses only.
    @exclusivity(unchecked) private var cycleStartNs: UInt64 = 0
    /// Test hook: the flip skips its second look at the roots (which dijkstra and steele need), to show
    /// that the verifier catches what that loses.
    var debugSkipFlipRescan = false
    /// Test hook: snapshot barriers do not count themselves as grey work while they run (set before
    /// mutators arrive), to show that the verifier catches what that loses (TreadmillBarrier.swift).
    var debugSkipInFlightCount = false

    init(heap: Heap) {
        self.heap = heap
        space = TreadmillSpace(reservation: heap.reservation, smallCellBlocks: heap.blocks, accounting: heap.accounting,
                               poison: heap.configuration.verify, debugChecks: heap.configuration.debugCheckTreadmillRings)
        k = heap.configuration.treadmillK
        barrier = heap.configuration.barrier
        barrierOffWhenMarked = !barrier.rescansRoots
        gates = (0..<max(0, heap.configuration.markWorkers)).map { _ in Monitor() }
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)  // always collecting: the first cycle starts now
        for i in gates.indices {
            DispatchQueue(label: "gclab.gc.treadmill.worker.\(i)").async(group: threads) { self.workerLoop(i) }
        }
    }

    var largeObjectSpace: TreadmillSpace { space }

    // MARK: Mutators

    /// A new mutator allocates cells (Baker's k steps owed per allocation) and runs this plan's barrier.
    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.allocator = .cells
        ctx.pointee.cells = CellAllocator(space: space, workPerAllocation: k, stopBarrierWhenMarked: barrierOffWhenMarked)
        let state = UnsafeMutablePointer<TreadmillMutatorState>.allocate(capacity: 1)
        state.initialize(to: TreadmillMutatorState(barrier: barrier.id, space: .passUnretained(space),
                                                   countsInFlight: barrierOffWhenMarked && !debugSkipInFlightCount,
                                                   hooked: TreadmillBarrier.debugBeforeShade != nil))
        ctx.pointee.planState = UnsafeMutableRawPointer(state)
        ctx.pointee.writeBarrierSlow = TreadmillBarrier.slowPath
    }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        collectCounters(of: ctx)
        ctx.pointee.cells.free()
        ctx.pointee.cells = CellAllocator()
        let state = ctx.planState(TreadmillMutatorState.self)
        state.deinitialize(count: 1)
        state.deallocate()
        ctx.pointee.planState = nil
    }

    /// Moves a mutator's per-cycle counters into the collector's and gives back the cells of its cache
    /// (its owner leaving, or a pause before the flip: cached cells are black and would otherwise survive).
    private func collectCounters(of ctx: UnsafeMutablePointer<MutatorContext>) {
        let allocated = CellAllocator.giveBack(ctx, accounting: heap.accounting)
        allocatedCells.add(allocated.cells, ordering: .relaxed)
        allocatedCellBytes.add(allocated.bytes, ordering: .relaxed)
        scanMutatorBytes.add(ctx.pointee.cells.scannedBytes, ordering: .relaxed)
        barrierSlowPaths.add(ctx.pointee.barrierSlowCount, ordering: .relaxed)
        ctx.pointee.cells.scannedBytes = 0
        ctx.pointee.barrierSlowCount = 0
    }

    // MARK: Requests

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        collect(requester: requester, reason: .trigger, observedCycle: observedCycle, full: false)
    }

    /// A full collection frees everything unreachable now: the running cycle's flip may keep objects that
    /// died after it began (floating garbage), so a second cycle is marked and flipped in the same pause.
    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        collect(requester: requester, reason: reason, observedCycle: observedCycle, full: true)
    }

    func shutdown() {
        stopping.store(true, ordering: .relaxed)
        wake.withLock { wake.broadcast() }
        threads.wait()
    }

    // MARK: Background workers

    /// Scans in batches while grey cells remain; sleeps (up to a millisecond, or until a flip greys the
    /// roots) when none do.
    private func workerLoop(_ index: Int) {
        var hint = index
        while !stopping.load(ordering: .relaxed) {
            if space.greyTotal.pointee.load(ordering: .relaxed) <= 0 {
                wake.withLock { wake.wait(nanoseconds: 1_000_000) }
                continue
            }
            let cpu0 = Clock.threadCPU(), start = heap.stats.elapsed()
            var scanned = 0
            gates[index].withLock {
                scanned = space.scan(steps: 512, hint: &hint).bytes
            }
            scanWorkerBytes.add(scanned, ordering: .relaxed)
            workerCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed)
            if scanned > 0 {
                heap.stats.record(ActivityRecord(kind: .markWorker, thread: index, startNs: start,
                                                 durationNs: heap.stats.elapsed() &- start, scannedBytes: scanned))
            }
            while heap.world.waitingForSafepoint { usleep(20) }  // let a flip pause take the gate
        }
    }

    // MARK: The flip

    private func collect(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int, full: Bool) {
        let requestNs = heap.stats.elapsed()
        guard let timeToSafepoint = heap.world.stop(requester: requester) else { return }
        guard heap.completedCycles == observedCycle else {  // someone else flipped since
            heap.world.start(requester: requester)
            return
        }
        for gate in gates { gate.lock() }
        let cpu0 = Clock.threadCPU()
        var records: [CycleRecord] = []
        for round in 0..<(full ? 2 : 1) {
            records.append(flip(cycle: observedCycle + 1 + round, reason: round == 0 ? reason : reason.second,
                                requestNs: requestNs))
        }
        let end = heap.stats.elapsed()
        cycleStartNs = end  // the next cycle begins when this pause ends (and this cycle with it)
        for gate in gates { gate.unlock() }
        heap.world.start(requester: requester)
        wake.withLock { wake.broadcast() }
        records[records.count - 1].gcCPUNs &+= Clock.threadCPU() &- cpu0  // the pause's CPU (workers' is in each record)
        for (i, var record) in records.enumerated() {
            record.endNs = end
            // The pause first: a cycle observer (--gctrace) reads it when the cycle is recorded.
            let pause = PauseRecord(cycle: record.cycle, kind: .flip, startNs: requestNs,
                                    timeToSafepointNs: timeToSafepoint, durationNs: end &- requestNs)
            heap.recordCycle(record, pauses: i == records.count - 1 ? [pause] : [])
        }
        // Published last: whoever waits for these cycles finds their records complete.
        heap.publishCompletedCycle(records.last!.cycle)
    }

    /// Ends the running cycle (world stopped, workers held) and starts the next. Returns its record.
    private func flip(cycle: Int, reason: CycleReason, requestNs: UInt64) -> CycleRecord {
        // The cycle began when the last flip pause ended (the first, when the heap was created).
        var record = CycleRecord(cycle: cycle, collector: .treadmill, reason: reason, startNs: cycleStartNs)
        record.heapAtTriggerBytes = heap.heapInUseBytes
        record.concurrentMarkStartNs = cycleStartNs
        // The second cycle of a full collection began inside this pause, after the request.
        record.markTerminationStartNs = max(requestNs, cycleStartNs)
        record.planColumns["treadmill_k"] = String(k)
        heap.accounting.pointee.sample(heap.stats, force: true)
        if barrier.rescansRoots && !debugSkipFlipRescan {
            let t0 = Clock.now()
            greyRoots()
            record.rescanNs = Clock.now() &- t0
        }
        var hint = 0
        record.scanPauseBytes = space.scan(steps: .max, hint: &hint).bytes
        for r in heap.world.mutators { collectCounters(of: r.ctx) }
        record.scanAssistBytes = scanMutatorBytes.exchange(0, ordering: .relaxed)
        record.scanBackgroundBytes = scanWorkerBytes.exchange(0, ordering: .relaxed)
        record.barrierSlowPaths = barrierSlowPaths.exchange(0, ordering: .relaxed)
        record.gcCPUNs = workerCPU.exchange(0, ordering: .relaxed)
        record.heapAtMarkEndBytes = heap.heapInUseBytes
        heap.verifyMarks(&record, TreadmillMarks(space: space))
        let flip = space.flip()
        record.recordFlip(flip)
        // The surviving (black) cells are the ones reached from the roots plus the ones allocated in the
        // cycle, which survive it unreached (floating garbage, by Baker's design). Only the first are the
        // live heap: the next cycle may allocate GOGC percent of them, on top of all the survivors.
        let allocatedBytes = allocatedCellBytes.exchange(0, ordering: .relaxed)
        let allocatedCount = allocatedCells.exchange(0, ordering: .relaxed)
        let reached = max(0, flip.survivingBytes - allocatedBytes)
        record.markedObjects = max(0, flip.before.black - allocatedCount)
        record.blackAllocatedBytes = allocatedBytes
        heap.finishCycle(&record, live: reached, inUse: flip.survivingBytes, utilization: 0)
        greyRoots()  // the next cycle begins
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)  // seen by every mutator when the world restarts
        cycleStartNs = heap.stats.elapsed()
        return record
    }

    /// Greys every root (world stopped). The test hook's hidden objects are blackened without a scan
    /// first, so the verifier can be shown to catch what a scan never reached.
    private func greyRoots() {
        for hidden in heap.debugObjectsHiddenFromMarker { _ = space.markReached(hidden.raw) }
        heap.forEachRoot { raw, _ in if raw != 0 { space.shade(raw) } }
    }
}

/// The treadmill's marks for the verifier: an object survives the flip if its cell is not white.
struct TreadmillMarks: MarkedObjects {
    let space: TreadmillSpace

    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool { !space.markReached(raw) }
}
