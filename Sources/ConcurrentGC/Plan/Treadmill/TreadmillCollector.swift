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
//     `stepBatch` at a time); the background workers (--mark-workers) do scan steps too; every store
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
    /// Scan steps per allocation (Baker's k).
    let k: Int
    /// Steps a mutator owes before it pays them at once (at most this many allocations late).
    static let stepBatch = 16
    /// The barrier can be off from the end of marking to the flip: true for the snapshot barriers
    /// (yuasa, hybrid, and none, which does nothing). The insertion barriers must stay on: a white
    /// object held only by a stack is still to be caught by the flip's second look at the roots.
    private let barrierOffWhenMarked: Bool
    private unowned(unsafe) let space: TreadmillSpace
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
    private var cycleStartNs: UInt64 = 0

    init(heap: Heap) {
        self.heap = heap
        k = heap.configuration.treadmillK
        barrierOffWhenMarked = !heap.configuration.barrier.rescansRoots
        space = heap.treadmill
        gates = (0..<max(0, heap.configuration.markWorkers)).map { _ in Monitor() }
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)  // always collecting: the first cycle starts now
        for i in gates.indices {
            DispatchQueue(label: "gclab.gc.treadmill.worker.\(i)").async(group: threads) { self.workerLoop(i) }
        }
    }

    // MARK: Allocation

    /// Allocates a cell for `bytes` for `mutator`: Baker's k scan steps first, then the trigger, then a
    /// black cell. Returns the cell's offset and whether its memory is fresh (zero); it is not zeroed. `heap` is this collector's heap, passed as a
    /// guaranteed reference (no reference counting in this path).
    func allocate(bytes: Int, mutator: Mutator, heap: Heap) throws(HeapError) -> (offset: Int, fresh: Bool) {
        let ctx = mutator.ctx
        let space = heap.treadmill
        if let error = heap.failureError { throw error }  // another mutator exhausted the heap
        // Baker's rule, k steps per allocation, paid in batches of `stepBatch` steps: the cells of a batch
        // are taken under one lock and their headers loaded together (the misses overlap).
        if space.greyTotal.load(ordering: .relaxed) > 0 {
            ctx.pointee.scanStepsOwed &+= k
            if ctx.pointee.scanStepsOwed >= TreadmillCollector.stepBatch {
                let scanned = space.scan(steps: ctx.pointee.scanStepsOwed, hint: &ctx.pointee.scanHint)
                ctx.pointee.assistScannedBytes &+= scanned.bytes
                ctx.pointee.scanStepsOwed = 0
            }
        } else if barrierOffWhenMarked && heap.barrierFlag.pointee.load(ordering: .relaxed) != 0 {
            // Marking is done: every object reachable at the flip is black and every new one is black,
            // so no reachable white object is left for a snapshot barrier to save. Off until the flip.
            heap.barrierFlag.pointee.store(0, ordering: .relaxed)
        }
        let startCycle = heap.cycles.load(ordering: .relaxed)
        if heap.heapInUse.load(ordering: .relaxed) &+ bytes > heap.trigger.load(ordering: .relaxed) {
            collect(requester: mutator.record, reason: "trigger", observedCycle: startCycle, full: false)
        }
        let c = space.sizeClass(bytes: bytes)
        var fullCollections = 0
        while true {
            var offset = -1, cellBytes = 0, fresh = false
            if c < TreadmillSizeClasses.smallCount {
                // Small cells come from this thread's cache, refilled a batch at a time under one lock.
                // The shared counters are updated once per batch: the cells count as in use from the
                // moment they are taken (as a bump allocator's buffer does).
                let cache = ctx.pointee.cellCache!
                cellBytes = space.info[c].cellBytes
                if cache.count(c) == 0 {
                    let n = space.allocateBlack(sizeClass: c, max: CellCache.batch, into: cache.slots(c), commit: heap.commit)
                    cache.setCount(c, n)
                    if n > 0 {
                        heap.noteHandedOut(n * cellBytes)
                        heap.allocated.add(ctx.pointee.pendingAllocatedBytes, ordering: .relaxed)
                        ctx.pointee.pendingAllocatedBytes = 0
                    }
                }
                if cache.count(c) > 0 {
                    offset = cache.pop(c)
                    ctx.pointee.pendingAllocatedBytes &+= bytes
                }
            } else if let cell = space.allocate(bytes: bytes, black: true, commit: heap.commit) {
                offset = cell.offset
                cellBytes = cell.cellBytes
                fresh = cell.fresh
                heap.noteHandedOut(cellBytes)
                heap.allocated.add(bytes, ordering: .relaxed)
            }
            if offset >= 0 {
                let allocatedCells = ctx.pointee.cycleAllocatedCells &+ 1
                ctx.pointee.cycleAllocatedCells = allocatedCells
                ctx.pointee.cycleAllocatedCellBytes &+= cellBytes
                if allocatedCells & 255 == 0 { heap.sampleHeap() }  // a clock read every 256 allocations
                return (offset, fresh)
            }
            let released = space.trimFreeLargeCells()
            if released > 0 {
                heap.uncommit(released)
                continue
            }
            try mutator.collectOrFail(bytes, heap, &fullCollections)
        }
    }

    // MARK: Requests

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        collect(requester: requester, reason: "trigger", observedCycle: observedCycle, full: false)
    }

    /// A full collection frees everything unreachable now: the running cycle's flip may keep objects that
    /// died after it began (floating garbage), so a second cycle is marked and flipped in the same pause.
    func collectFully(requester: MutatorRecord?, reason: String, observedCycle: Int) {
        collect(requester: requester, reason: reason, observedCycle: observedCycle, full: true)
    }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        collectCounters(of: ctx)
    }

    /// Moves a mutator's per-cycle counters into the collector's and gives back the cells of its cache
    /// (its owner leaving, or a pause before the flip: cached cells are black and would otherwise survive).
    private func collectCounters(of ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.cellCache?.giveBack(to: space)
        heap.allocated.add(ctx.pointee.pendingAllocatedBytes, ordering: .relaxed)
        ctx.pointee.pendingAllocatedBytes = 0
        scanMutatorBytes.add(ctx.pointee.assistScannedBytes, ordering: .relaxed)
        barrierSlowPaths.add(ctx.pointee.barrierSlowCount, ordering: .relaxed)
        allocatedCells.add(ctx.pointee.cycleAllocatedCells, ordering: .relaxed)
        allocatedCellBytes.add(ctx.pointee.cycleAllocatedCellBytes, ordering: .relaxed)
        ctx.pointee.assistScannedBytes = 0
        ctx.pointee.barrierSlowCount = 0
        ctx.pointee.cycleAllocatedCells = 0
        ctx.pointee.cycleAllocatedCellBytes = 0
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
            if space.greyTotal.load(ordering: .relaxed) <= 0 {
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
                heap.stats.record(ActivityRecord(kind: "mark-worker", thread: index, startNs: start,
                                                 durationNs: heap.stats.elapsed() &- start, scannedBytes: scanned))
            }
            while heap.world.waitingForSafepoint { usleep(20) }  // let a flip pause take the gate
        }
    }

    // MARK: The flip

    private func collect(requester: MutatorRecord?, reason: String, observedCycle: Int, full: Bool) {
        let requestNs = heap.stats.elapsed()
        guard let timeToSafepoint = heap.world.stop(requester: requester) else { return }
        guard heap.cycles.load(ordering: .relaxed) == observedCycle else {  // someone else flipped since
            heap.world.start(requester: requester)
            return
        }
        for gate in gates { gate.lock() }
        let cpu0 = Clock.threadCPU()
        var records: [CycleRecord] = []
        for round in 0..<(full ? 2 : 1) {
            records.append(flip(cycle: observedCycle + 1 + round, reason: round == 0 ? reason : reason + "-second",
                                requestNs: requestNs))
        }
        let end = heap.stats.elapsed()
        for gate in gates { gate.unlock() }
        heap.world.start(requester: requester)
        wake.withLock { wake.broadcast() }
        let cpu = Clock.threadCPU() &- cpu0
        records[records.count - 1].gcCPUNs &+= cpu  // the pause's CPU (workers' is in each record)
        // The pause first: a cycle observer (--gctrace) reads it when the cycle is recorded.
        heap.stats.record(PauseRecord(cycle: records.last!.cycle, kind: "flip", startNs: requestNs,
                                      timeToSafepointNs: timeToSafepoint, durationNs: end &- requestNs))
        for var record in records {
            record.endNs = end
            heap.stats.record(record)
        }
        // Published last: whoever waits for these cycles finds their records complete.
        heap.cycles.store(records.last!.cycle, ordering: .releasing)
    }

    /// Ends the running cycle (world stopped, workers held) and starts the next. Returns its record.
    private func flip(cycle: Int, reason: String, requestNs: UInt64) -> CycleRecord {
        // The cycle began when the last flip pause ended (the first, when the heap was created).
        var record = CycleRecord(cycle: cycle, collector: "treadmill", reason: reason, startNs: cycleStartNs, endNs: 0,
                                 heapAtTriggerBytes: heap.heapInUse.load(ordering: .relaxed), markedBytes: 0, markedObjects: 0,
                                 largeObjectBytesFreed: 0, nextTriggerBytes: 0, gcCPUNs: 0, lostObjects: 0)
        record.concurrentMarkStartNs = cycleStartNs
        record.markTerminationStartNs = requestNs
        record.treadmillK = k
        heap.sampleHeap(force: true)
        if heap.configuration.barrier.rescansRoots && !heap.debugSkipFlipRescan {
            let t0 = Clock.now()
            greyRoots()
            record.rescanNs = Clock.now() &- t0
        }
        var hint = 0
        record.scanPauseBytes = space.scan(steps: .max, hint: &hint).bytes
        for r in heap.world.mutators {
            collectCounters(of: r.ctx)
            heap.flushActivities(of: r.ctx)
        }
        record.scanAssistBytes = scanMutatorBytes.exchange(0, ordering: .relaxed)
        record.scanBackgroundBytes = scanWorkerBytes.exchange(0, ordering: .relaxed)
        record.barrierSlowPaths = barrierSlowPaths.exchange(0, ordering: .relaxed)
        record.gcCPUNs = workerCPU.exchange(0, ordering: .relaxed)
        record.heapAtMarkEndBytes = heap.heapInUse.load(ordering: .relaxed)
        if heap.configuration.verify {
            let check = Checkmark.verify(heap: heap, cycle: record.cycle)
            record.lostObjects = check.lostCount
            heap.stats.record(lost: check.lost, count: check.lostCount)
        }
        let flip = space.flip()
        record.record(flip)
        // The surviving (black) cells are the ones reached from the roots plus the ones allocated in the
        // cycle, which survive it unreached (floating garbage, by Baker's design). Only the first are the
        // live heap: the next cycle may allocate GOGC percent of them, on top of all the survivors.
        let allocatedBytes = allocatedCellBytes.exchange(0, ordering: .relaxed)
        let allocatedCount = allocatedCells.exchange(0, ordering: .relaxed)
        let reached = max(0, flip.survivingBytes - allocatedBytes)
        record.markedBytes = reached
        record.markedObjects = max(0, flip.before.black - allocatedCount)
        record.blackAllocatedBytes = allocatedBytes
        let roots = heap.rootBytes
        record.stackBytes = roots.stacks
        record.globalsBytes = roots.globals
        record.pacer = "gogc"
        record.nextTriggerBytes = flip.survivingBytes + heap.gogcTrigger(liveBytes: reached) - reached
        heap.live.store(reached, ordering: .relaxed)
        heap.heapInUse.store(flip.survivingBytes, ordering: .relaxed)
        heap.trigger.store(record.nextTriggerBytes, ordering: .relaxed)
        greyRoots()  // the next cycle begins
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)  // seen by every mutator when the world restarts
        heap.sampleHeap(force: true)
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
