// Baker's incremental copying collector (H. G. Baker, "List processing in real time on a serial computer",
// CACM 21(4), 1978) over the block-structured semispaces of CopySpace, with Baker's read barrier or Brooks'
// forwarding word (BakerBarriers.swift) and the multi-threaded copying protocol of BakerCopier.swift.
//
// A cycle:
//   flip pause (world stopped, workers held at their gates): retire every allocation block (to-space
//     becomes from-space with them); mark from-space blocks and the large-object pages condemned; copy the
//     roots' targets (Baker's flip is proportional to the roots, not the heap); barrier on.
//   copying, mutators running: each allocation pays k bytes of scanning per byte (a block is handed out
//     4 KiB at a time, each step paying first); background workers scan too; a barrier that meets a
//     from-space reference copies its object. New objects are allocated in to-space, black (never scanned:
//     they can only point to to-space). Large objects are marked in their treadmill cells, never moved.
//   end pause, when a thread found nothing left to scan: under Brooks forward the roots (a mutator may
//     hold a from-space reference); scan what the barriers' stacks still hold; in verify mode check that
//     every reachable reference is in to-space (and the checkmark); free the unreached large objects;
//     give from-space back (poisoned in verify mode); clear the condemned table; barrier off; next trigger
//     GOGC over the copied bytes, on top of what was allocated during the cycle.
// A full collection (explicit, or memory short) ends a running cycle, then runs a whole cycle in one pause.
//
// Invariant (Baker's): while copying, every object a mutator can reach is in to-space or a large object, or
// (Brooks only) is reached through a forwarding word naming its copy; grey objects are in some copier's
// stack or the pool; black objects (scanned or allocated in the cycle) point only to to-space. Space: with
// R bytes reachable at the flip, copying ends after about R/k bytes are allocated, so to-space needs about
// R·(1 + 1/k) bytes, and from-space is held until the end: the plan holds back a copy reserve for what
// from-space may still need (CopySpace).

import Dispatch
import Glibc
import Synchronization

/// The `baker` collector.
final class BakerCollector: Collector {
    unowned(unsafe) let heap: Heap
    let space: CopySpace
    let los: TreadmillSpace
    let pool = MarkWorkPool()
    /// Baker's k: bytes scanned per byte allocated while copying.
    let k: Int
    let readBarrier: String
    let brooks: Bool
    /// One byte per block of the reservation (see BakerCopier.condemned); written in pauses only.
    let condemned: UnsafeMutablePointer<UInt8>
    let condemnedCount: Int
    let largeFirstBlock: Int
    /// The collector's copier (pauses) and each background worker's.
    let pauseCopier: UnsafeMutablePointer<BakerCopier>
    let workerCopiers: UnsafeMutablePointer<BakerCopier>
    let gates: [Monitor]
    let wake = Monitor()
    let threads = DispatchGroup()
    let stopping = Atomic<Bool>(false)
    /// Flips so far (a full collection is done once a cycle that flipped after its request has ended).
    let flipsStarted = Atomic<Int>(0)
    /// True from a flip to the end of its cycle.
    let copying = Atomic<Bool>(false)
    /// 1 from a flip to the end of its cycle, for the allocators (AllocationWhileMarking.collecting): the
    /// heap's barrier flag is on only under Brooks, whose stores need their barrier; Baker's do not.
    let collectingFlag = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 1)
    let workerCPU = Atomic<UInt64>(0)
    /// Counters of copiers that left (mutators unregistering), under `retiredLock`.
    let retiredLock = Monitor()
    @exclusivity(unchecked) var retired = CopyCounters()
    // The running cycle, written in pauses only.
    @exclusivity(unchecked) var running: CycleRecord? = nil
    @exclusivity(unchecked) var flipPause: PauseRecord? = nil
    @exclusivity(unchecked) var inUseAtFlip = 0

    /// Bytes of a block handed out per step while copying (each step pays k times its size first).
    static let stepBytes = 4096
    /// Most steps' worth of scanning a mutator may owe (see `assist`).
    static let maxDebtSteps = 4
    /// Test hook (set before mutators register): Brooks' write barrier stores values without forwarding
    /// them, to show that the verifier catches the from-space reference a black object is left with.
    var debugSkipStoredValueForwarding = false

    init(heap: Heap) {
        self.heap = heap
        space = CopySpace(heap: heap)
        los = TreadmillSpace(largeObjectsOf: heap)
        k = heap.configuration.bakerK
        readBarrier = heap.configuration.bakerReadBarrier
        brooks = readBarrier == "brooks"
        condemnedCount = (heap.reservationBytes >> HeapGeometry.blockShift) + 1
        largeFirstBlock = heap.reservation.largeStart >> HeapGeometry.blockShift
        condemned = .allocate(capacity: condemnedCount)
        condemned.initialize(repeating: 0, count: condemnedCount)
        collectingFlag.initialize(to: Atomic(0))
        let workers = max(0, heap.configuration.markWorkers)
        gates = (0..<workers).map { _ in Monitor() }
        pauseCopier = .allocate(capacity: 1)
        workerCopiers = .allocate(capacity: max(1, workers))
        pauseCopier.initialize(to: makeCopier())
        for i in 0..<workers { (workerCopiers + i).initialize(to: makeCopier()) }
        space.addCopiers(1 + workers)
        for i in 0..<workers {
            DispatchQueue(label: "gclab.gc.baker.worker.\(i)").async(group: threads) { self.workerLoop(i) }
        }
    }

    deinit {
        pauseCopier.pointee.free()
        pauseCopier.deallocate()
        for i in gates.indices { workerCopiers[i].free() }
        workerCopiers.deallocate()
        condemned.deallocate()
        collectingFlag.deallocate()
    }

    func makeCopier() -> BakerCopier {
        BakerCopier(base: heap.base, condemned: condemned, brooks: brooks, space: space, los: los, pool: pool,
                    pollFlag: heap.world.pollFlag)
    }

    var largeObjectSpace: TreadmillSpace { los }

    /// The reserve: a copy of all of to-space (while copying, what from-space may still need).
    var copyReserveBytes: Int { space.toSpaceBytes }

    /// Every small object is copied at every collection: none can stay in place.
    func pin(_ raw: UInt32) -> Bool { raw >= heap.reservation.largeGranule }

    // MARK: Mutators

    func mutatorArriving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        ctx.pointee.allocator = brooks ? .prefixed : .blocks
        ctx.pointee.bump.copySpace = .passUnretained(space)
        ctx.pointee.bump.largeObjects = .passUnretained(los)
        ctx.pointee.bump.stepWhileCopying = BakerCollector.stepBytes
        ctx.pointee.whileMarking = AllocationWhileMarking(black: true, assist: BakerCollector.assist,
                                                          collecting: collectingFlag)
        let state = UnsafeMutablePointer<BakerMutatorState>.allocate(capacity: 1)
        state.initialize(to: BakerMutatorState(copier: makeCopier(), collector: .passUnretained(self), k: k,
                                               debugSkipStoredValueForwarding: debugSkipStoredValueForwarding))
        ctx.pointee.planState = UnsafeMutableRawPointer(state)
        switch readBarrier {
        case "brooks":
            ctx.pointee.setReadBarrier(.brooks)
            ctx.pointee.readBarrierSlow = BakerBarriers.brooksWritableSlowPath
            ctx.pointee.writeBarrierSlow = BakerBarriers.brooksWriteSlowPath
        case "baker":
            ctx.pointee.setReadBarrier(.conditional)
            ctx.pointee.condemned = condemned
            ctx.pointee.readBarrierSlow = BakerBarriers.readSlowPath
        default:  // none: plain loads; verify mode still checks the to-space invariant (and catches its loss)
            ctx.pointee.condemned = condemned
        }
        space.addCopiers(1)
    }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        let state = ctx.planState(BakerMutatorState.self)
        state.pointee.copier.flush()
        state.pointee.copier.retireRegion()
        let counters = state.pointee.copier.takeCounters()
        retiredLock.withLock { retired.add(counters, asAssist: true) }
        state.pointee.copier.free()
        state.deinitialize(count: 1)
        state.deallocate()
        ctx.pointee.planState = nil
        BumpAllocator.retire(ctx)
        space.addCopiers(-1)
    }

    /// A mutator's allocation step while copying: k bytes of scanning per byte (waiting, if another
    /// copier holds every grey object, for it to share). What it could not scan is owed at its next steps,
    /// up to `maxDebtSteps` steps' worth. When nothing is left to scan anywhere, the cycle ends.
    static let assist: AssistHook = { ctx, bytes in
        let state = ctx.assumingMemoryBound(to: MutatorContext.self).planState(BakerMutatorState.self)
        let owed = state.pointee.k &* bytes &+ state.pointee.debt
        let scanned = state.pointee.copier.work(budget: owed, waitForShare: true)
        state.pointee.debt = min(max(0, owed &- scanned), BakerCollector.maxDebtSteps &* state.pointee.k &* BakerCollector.stepBytes)
        if scanned == 0 {
            let collector = state.pointee.collector.takeUnretainedValue()
            if collector.pool.quiescent {
                collector.endCycle(requester: ctx.assumingMemoryBound(to: MutatorContext.self).pointee.record.takeUnretainedValue())
            }
        }
    }

    // MARK: Requests

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        let requestNs = heap.stats.elapsed()
        guard let timeToSafepoint = heap.world.stop(requester: requester) else { return }
        guard heap.completedCycles == observedCycle && !copying.load(ordering: .relaxed) else {
            heap.world.start(requester: requester)
            return
        }
        for gate in gates { gate.lock() }
        let cpu0 = Clock.threadCPU()
        var record = CycleRecord(cycle: observedCycle + 1, collector: .baker, reason: .trigger, startNs: requestNs)
        flip(&record)
        record.gcCPUNs = Clock.threadCPU() &- cpu0
        let end = heap.stats.elapsed()
        record.concurrentMarkStartNs = end
        running = record
        flipPause = PauseRecord(cycle: record.cycle, kind: .bakerFlip, startNs: requestNs,
                                timeToSafepointNs: timeToSafepoint, durationNs: end &- requestNs)
        for gate in gates { gate.unlock() }
        heap.world.start(requester: requester)
        wake.withLock { wake.broadcast() }
    }

    /// Ends a running cycle, then collects the whole heap in one pause (flip, copy, end).
    /// Done early if a cycle that flipped after the request has ended meanwhile (someone else collected).
    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        let flipsBefore = flipsStarted.load(ordering: .acquiring)
        var requestNs = heap.stats.elapsed()
        var stopped = heap.world.stop(requester: requester)
        while stopped == nil {  // another thread stopped the world (and this one waited): look again
            requestNs = heap.stats.elapsed()
            stopped = heap.world.stop(requester: requester)
        }
        let timeToSafepoint = stopped!
        if flipsStarted.load(ordering: .relaxed) > flipsBefore && !copying.load(ordering: .relaxed) {
            heap.world.start(requester: requester)
            return
        }
        for gate in gates { gate.lock() }
        let cpu0 = Clock.threadCPU()
        var records: [(CycleRecord, [PauseRecord])] = []
        if copying.load(ordering: .relaxed), var record = running {
            record.markTerminationStartNs = requestNs
            finish(&record, digestBefore: nil)
            records.append((record, [flipPause!]))
        }
        let digestBefore = heap.configuration.verify ? GraphDigest.compute(heap: heap) : 0
        var record = CycleRecord(cycle: heap.completedCycles + 1, collector: .baker, reason: reason, startNs: requestNs)
        flip(&record)
        record.markTerminationStartNs = heap.stats.elapsed()
        finish(&record, digestBefore: digestBefore)
        let end = heap.stats.elapsed()
        record.gcCPUNs &+= Clock.threadCPU() &- cpu0
        records.append((record, []))
        for gate in gates { gate.unlock() }
        heap.world.start(requester: requester)
        for (i, (var record, pauses)) in records.enumerated() {
            record.endNs = end
            let last = i == records.count - 1
            let pause = PauseRecord(cycle: record.cycle, kind: .bakerEnd, startNs: requestNs,
                                    timeToSafepointNs: timeToSafepoint, durationNs: end &- requestNs)
            heap.recordCycle(record, pauses: pauses + (last ? [pause] : []))
        }
        heap.publishCompletedCycle(records.last!.0.cycle)
    }

    /// Ends the running cycle in a pause, if it still runs (a thread found nothing left to scan).
    func endCycle(requester: MutatorRecord?) {
        let requestNs = heap.stats.elapsed()
        guard let timeToSafepoint = heap.world.stop(requester: requester) else { return }
        guard copying.load(ordering: .relaxed), var record = running else {
            heap.world.start(requester: requester)
            return
        }
        for gate in gates { gate.lock() }
        let cpu0 = Clock.threadCPU()
        record.markTerminationStartNs = requestNs
        finish(&record, digestBefore: nil)
        record.gcCPUNs &+= Clock.threadCPU() &- cpu0
        let end = heap.stats.elapsed()
        for gate in gates { gate.unlock() }
        heap.world.start(requester: requester)
        record.endNs = end
        heap.recordCycle(record, pauses: [flipPause!, PauseRecord(cycle: record.cycle, kind: .bakerEnd, startNs: requestNs,
                                                                   timeToSafepointNs: timeToSafepoint, durationNs: end &- requestNs)])
        heap.publishCompletedCycle(record.cycle)
    }

    func shutdown() {
        stopping.store(true, ordering: .relaxed)
        wake.withLock { wake.broadcast() }
        threads.wait()
        guard copying.load(ordering: .relaxed) else { return }
        // The last mutator has left: finish the copying first, outside the pause (nobody is paused by
        // it), then end the cycle.
        if heap.world.mutators.isEmpty {
            pauseCopier.pointee.drain()
            let counters = pauseCopier.pointee.takeCounters()
            retiredLock.withLock { retired.add(counters, asAssist: false) }  // filed as background work
        }
        endCycle(requester: nil)
    }

    // MARK: Background workers

    /// Scans in slices while a cycle copies; ends the cycle when nothing is left; sleeps (up to a
    /// millisecond, or until a flip) between cycles.
    private func workerLoop(_ index: Int) {
        let copier = workerCopiers + index
        while !stopping.load(ordering: .relaxed) {
            if !copying.load(ordering: .relaxed) {
                wake.withLock { wake.wait(nanoseconds: 1_000_000) }
                continue
            }
            let cpu0 = Clock.threadCPU(), start = heap.stats.elapsed()
            var scanned = 0
            gates[index].withLock { scanned = copier.pointee.work(budget: 256 * 1024) }
            workerCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed)
            if scanned > 0 {
                heap.stats.record(ActivityRecord(kind: .markWorker, thread: index, startNs: start,
                                                 durationNs: heap.stats.elapsed() &- start, scannedBytes: scanned))
            } else if pool.quiescent {
                endCycle(requester: nil)
            } else {
                usleep(50)
            }
            while heap.world.waitingForSafepoint { usleep(20) }  // let a pause take the gate
        }
    }
}
