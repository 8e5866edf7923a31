// The concurrent collector: tri-colour marking while the mutators run.
//
// A cycle (run by the controller thread):
//   idle -> sweep termination (concurrent: finish sweeping the last cycle's blocks)
//        -> mark start (pause: retire TLABs, new epoch, barrier on, shade globals and, with --roots stw,
//           every stack; with --roots handshake each mutator shades its own stack at its next safepoint)
//        -> concurrent mark (background workers, mutator assists, barrier shading)
//        -> mark termination (pause: flush shade buffers, scan stacks still unscanned, re-scan roots for
//           dijkstra/steele; if grey objects remain, go back to concurrent mark (twice at most), else
//           finish in the pause; then barrier off, black-allocated objects marked, verify, sweep large
//           objects, hand blocks to the lazy sweeper, next trigger)
//        -> concurrent lazy sweep by the allocators -> idle.
//
// Invariant: from mark start to the end of termination every reference store goes through the barrier,
// every grey object is in the mark pool, a marker's local stack or a mutator's shade buffer, and (with
// black allocation) every object allocated is in a hole whose lines are marked live. So when the world is
// stopped, the shade buffers are flushed and the pool is quiescent, no grey object remains and every
// reachable object is marked (the checkmark verifier checks exactly this).

import Dispatch
import Glibc
import Synchronization

/// The `concurrent` collector.
final class ConcurrentCollector: Collector {
    /// The heap outlives this object's threads: its deinit joins them (`shutdown`).
    unowned(unsafe) let heap: Heap
    private let monitor = Monitor()
    // Under `monitor`:
    private var requested = false
    private var running = false
    private var shuttingDown = false
    private var requestReason = "trigger"
    private var requestNs: UInt64 = 0

    private let stopping = Atomic<Bool>(false)
    private let threads = DispatchGroup()
    /// Stacks not yet scanned in this cycle's handshake.
    private let pendingHandshakes = Atomic<Int>(0)
    // Per-cycle counters, reset at mark start.
    private let scanBackground = Atomic<Int>(0)
    private let scanAssist = Atomic<Int>(0)
    private let scanObjects = Atomic<Int>(0)
    private let workerCPU = Atomic<UInt64>(0)
    private let handshakes = Atomic<Int>(0)

    init(heap: Heap) {
        self.heap = heap
        DispatchQueue(label: "gclab.gc.controller").async(group: threads) { self.controllerLoop() }
        for i in 0..<heap.configuration.markWorkers {
            DispatchQueue(label: "gclab.gc.markworker.\(i)").async(group: threads) { self.workerLoop() }
        }
    }

    // MARK: Requests

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        monitor.withLock {
            guard !running, heap.cycles.load(ordering: .relaxed) == observedCycle else { return }
            request("trigger")
        }
    }

    /// Starts a cycle; the monitor must be held and no cycle running.
    private func request(_ reason: String) {
        running = true
        requested = true
        requestReason = reason
        requestNs = heap.stats.elapsed()
        monitor.broadcast()
    }

    func collectFully(requester: MutatorRecord?, reason: String, observedCycle: Int) {
        // A cycle already marking took its snapshot before this call: wait for the one after it too.
        let target = monitor.withLock { () -> Int in
            let done = heap.cycles.load(ordering: .relaxed)
            if running { return done + 2 }
            request(reason)
            return done + 1
        }
        while heap.cycles.load(ordering: .relaxed) < target && !stopping.load(ordering: .relaxed) {
            monitor.withLock { if !running { request(reason) } }
            // A mutator waiting for memory helps mark; a thread that is not a mutator only when no
            // background worker would.
            let helps = requester != nil || heap.configuration.markWorkers == 0
            let scanned = helps && heap.isMarking ? helpMark(budget: 1 << 20, counter: .assist) : 0
            if let r = requester {
                if scanned > 0 {
                    Mutator(ctx: r.ctx).poll()
                } else {
                    heap.world.enterSafeRegion(r)
                    usleep(50)
                    heap.world.leaveSafeRegion(r)
                    Mutator(ctx: r.ctx).poll()
                }
            } else if scanned == 0 {
                usleep(50)
            }
        }
    }

    // MARK: Marking work

    /// Scans up to `budget` bytes of grey objects from the pool, counting them in `counter`. Returns the
    /// bytes scanned.
    private func helpMark(budget: Int, counter: Counter) -> Int {
        var marker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
        var scanned = 0
        while scanned < budget && marker.refill() { scanned += marker.drain(budget: budget - scanned) }
        count(marker, in: counter)
        marker.returnWork()
        marker.free()
        return scanned
    }

    enum Counter { case background, assist }

    /// Adds a marker's work to the cycle's counters. Must come before the marker's `returnWork`: once the
    /// pool is quiescent, the controller may read the counters for the cycle record.
    private func count(_ marker: Marker, in counter: Counter) {
        switch counter {
        case .background: scanBackground.add(marker.markedBytes, ordering: .relaxed)
        case .assist: scanAssist.add(marker.markedBytes, ordering: .relaxed)
        }
        scanObjects.add(marker.markedObjects, ordering: .relaxed)
    }

    func assist(_ ctx: UnsafeMutablePointer<MutatorContext>, allocatedBytes: Int) {
        let ratio = heap.configuration.assistRatio
        guard ratio > 0 else { return }
        ctx.pointee.assistDebtBytes += Int(Double(allocatedBytes) * ratio)
        let t0 = Clock.now()
        let scanned = helpMark(budget: ctx.pointee.assistDebtBytes, counter: .assist)
        // Debt the pool could not absorb is forgiven: there was nothing left to scan.
        ctx.pointee.assistDebtBytes = 0
        ctx.pointee.assistNs &+= Clock.now() &- t0
        ctx.pointee.assistScannedBytes += scanned
    }

    private func workerLoop() {
        while true {
            let hasWork = heap.markPool.waitForWork(until: { self.stopping.load(ordering: .relaxed) })
            if !hasWork { return }
            let cpu0 = Clock.threadCPU()
            var marker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
            while marker.refill() { marker.drain() }
            count(marker, in: .background)
            workerCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed)
            marker.returnWork()
            marker.free()
        }
    }

    // MARK: Roots

    /// Shades every root slot of one mutator into `marker`; the stack is then black.
    private func scanStack(_ ctx: UnsafeMutablePointer<MutatorContext>, into marker: inout Marker) {
        for i in 0..<ctx.pointee.rootCount { marker.markRoot(ctx.pointee.roots[i]) }
        if !ctx.pointee.stackScanned {
            ctx.pointee.stackScanned = true
            if pendingHandshakes.subtract(1, ordering: .relaxed).newValue == 0 {
                heap.world.pollFlag.pointee.bitwiseAnd(~World.handshakeBit, ordering: .relaxed)
            }
        }
    }

    /// A mutator's own root scan at its first safepoint after mark start (--roots handshake).
    func handshake(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        let start = heap.stats.elapsed()
        var marker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
        scanStack(ctx, into: &marker)
        marker.returnWork()
        marker.free()
        handshakes.add(1, ordering: .relaxed)
        heap.stats.record(PauseRecord(cycle: heap.cycles.load(ordering: .relaxed) + 1, kind: "handshake",
                                      startNs: start, timeToSafepointNs: 0, durationNs: heap.stats.elapsed() - start,
                                      mutator: ctx.pointee.record.takeUnretainedValue().id))
    }

    /// Scans, on their behalf, the stacks of mutators blocked in a safe region with a handshake pending.
    private func scanBlockedStacks() {
        guard pendingHandshakes.load(ordering: .relaxed) > 0 else { return }
        var marker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
        heap.world.withMutatorsInSafeRegion { r in
            if !r.ctx.pointee.stackScanned { scanStack(r.ctx, into: &marker) }
        }
        marker.returnWork()
        marker.free()
    }

    // MARK: The cycle

    private func controllerLoop() {
        while true {
            monitor.lock()
            while !requested && !shuttingDown { monitor.wait() }
            if shuttingDown {
                running = false
                monitor.broadcast()
                monitor.unlock()
                return
            }
            requested = false
            let reason = requestReason, requestedAt = requestNs
            monitor.unlock()
            runCycle(reason: reason, requestedAt: requestedAt)
            monitor.withLock {
                running = false
                monitor.broadcast()
            }
        }
    }

    private func runCycle(reason: String, requestedAt: UInt64) {
        let cpu0 = Clock.threadCPU()
        while heap.space.sweepOne() {}  // sweep termination, concurrently with the mutators
        var cycle = CycleRecord(cycle: heap.cycles.load(ordering: .relaxed) + 1, collector: "concurrent", reason: reason,
                                startNs: requestedAt, endNs: 0, heapAtTriggerBytes: 0, markedBytes: 0, markedObjects: 0,
                                largeObjectBytesFreed: 0, nextTriggerBytes: 0, gcCPUNs: 0, lostObjects: 0)
        markStart(&cycle)
        var attempt = 0
        while true {
            awaitQuiescence()
            attempt += 1
            if markTermination(&cycle, attempt: attempt, cpu0: cpu0) { break }
        }
    }

    /// Waits until no grey object is left outside the mutators' shade buffers, and stacks blocked in
    /// safe regions are scanned. Gives running mutators up to about a millisecond to do their handshake.
    private func awaitQuiescence() {
        var waitedForHandshakes = 0
        while true {
            heap.markPool.waitForQuiescence(until: { self.stopping.load(ordering: .relaxed) })
            if stopping.load(ordering: .relaxed) {
                _ = helpMark(budget: .max, counter: .background)  // shutting down: no mutator is left to help
            }
            scanBlockedStacks()
            if !heap.markPool.quiescent { continue }
            if pendingHandshakes.load(ordering: .relaxed) == 0 || waitedForHandshakes >= 20 { return }
            waitedForHandshakes += 1
            usleep(50)
        }
    }

    private func markStart(_ cycle: inout CycleRecord) {
        let requestNs = heap.stats.elapsed()
        let timeToSafepoint = heap.world.stop(requester: nil) ?? 0
        cycle.heapAtTriggerBytes = heap.heapInUse.load(ordering: .relaxed)
        heap.sampleHeap(force: true)
        heap.retireAllBuffers()
        let epoch = heap.space.prepareForMark()
        heap.blackAllocatedBytes.store(0, ordering: .relaxed)
        resetCounters()
        for r in heap.world.mutators {
            r.ctx.pointee.barrierSlowCount = 0
            r.ctx.pointee.assistNs = 0
            r.ctx.pointee.assistScannedBytes = 0
            r.ctx.pointee.assistDebtBytes = 0
        }
        heap.barrierFlag.pointee.store(1, ordering: .relaxed)
        var marker = Marker(heap: heap, epoch: epoch, pool: heap.markPool)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.globals.forEach { raw, _ in marker.markRoot(raw) }
        switch heap.configuration.roots {
        case .stw:
            for r in heap.world.mutators { scanStack(r.ctx, into: &marker) }
        case .handshake:
            let mutators = heap.world.mutators
            for r in mutators { r.ctx.pointee.stackScanned = false }
            pendingHandshakes.store(mutators.count, ordering: .relaxed)
            if !mutators.isEmpty { heap.world.pollFlag.pointee.bitwiseOr(World.handshakeBit, ordering: .relaxed) }
        }
        // Hand the roots to the pool without waking the workers: a woken worker can preempt this thread
        // in the middle of the pause (seen: milliseconds). They are woken once the world runs again.
        heap.markPool.withoutWaking { marker.returnWork() }
        marker.free()
        let end = heap.stats.elapsed()
        heap.world.start(requester: nil)
        heap.markPool.wakeAll()
        cycle.concurrentMarkStartNs = end
        heap.stats.record(PauseRecord(cycle: cycle.cycle, kind: "mark-start", startNs: requestNs,
                                      timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs))
        scanBlockedStacks()
    }

    private func resetCounters() {
        scanBackground.store(0, ordering: .relaxed)
        scanAssist.store(0, ordering: .relaxed)
        scanObjects.store(0, ordering: .relaxed)
        workerCPU.store(0, ordering: .relaxed)
        handshakes.store(0, ordering: .relaxed)
    }

    /// One mark-termination pause. Returns false when grey objects remained and marking went on.
    private func markTermination(_ cycle: inout CycleRecord, attempt: Int, cpu0: UInt64) -> Bool {
        let requestNs = heap.stats.elapsed()
        let timeToSafepoint = heap.world.stop(requester: nil) ?? 0
        if attempt == 1 || cycle.markTerminationStartNs == 0 { cycle.markTerminationStartNs = requestNs }
        var marker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
        for r in heap.world.mutators {
            heap.flushShadeBuffer(of: r.ctx)
            if !r.ctx.pointee.stackScanned { scanStack(r.ctx, into: &marker) }
        }
        if heap.configuration.barrier.rescansRoots {
            let t0 = Clock.now()
            heap.globals.forEach { raw, _ in marker.markRoot(raw) }
            for r in heap.world.mutators {
                for i in 0..<r.ctx.pointee.rootCount { marker.markRoot(r.ctx.pointee.roots[i]) }
            }
            cycle.rescanNs += Clock.now() - t0
        }
        heap.markPool.withoutWaking { marker.returnWork() }
        var pauseScanned = 0, pauseObjects = 0
        if !heap.markPool.quiescent {
            if attempt < 3 && !heap.configuration.barrier.rescansRoots {
                marker.free()
                let end = heap.stats.elapsed()
                heap.world.start(requester: nil)
                heap.markPool.wakeAll()
                heap.stats.record(PauseRecord(cycle: cycle.cycle, kind: "mark-termination", startNs: requestNs,
                                              timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs))
                return false
            }
            // Finish in the pause, with the workers' help.
            heap.markPool.wakeAll()
            repeat {
                while marker.refill() { pauseScanned += marker.drain() }
                marker.returnWork()
                heap.markPool.waitForQuiescence(until: { self.stopping.load(ordering: .relaxed) })
            } while !heap.markPool.quiescent
            pauseObjects = marker.markedObjects
        }
        marker.free()
        cycle.terminationAttempts = attempt

        // Marking is complete.
        heap.barrierFlag.pointee.store(0, ordering: .relaxed)
        heap.retireAllBuffers()  // marks the objects of black holes still open
        for r in heap.world.mutators {
            cycle.barrierSlowPaths += r.ctx.pointee.barrierSlowCount
            cycle.assistNs += r.ctx.pointee.assistNs
        }
        cycle.scanBackgroundBytes = scanBackground.load(ordering: .relaxed)
        cycle.scanAssistBytes = scanAssist.load(ordering: .relaxed)
        cycle.scanPauseBytes = pauseScanned
        cycle.blackAllocatedBytes = heap.blackAllocatedBytes.load(ordering: .relaxed)
        cycle.markedObjects = scanObjects.load(ordering: .relaxed) + pauseObjects
        cycle.handshakes = handshakes.load(ordering: .relaxed)
        if heap.configuration.verify {
            let check = Checkmark.verify(heap: heap, cycle: cycle.cycle)
            cycle.lostObjects = check.lostCount
            heap.stats.record(lost: check.lost, count: check.lostCount)
        }
        cycle.largeObjectBytesFreed = heap.largeObjects.sweep(markBitmap: heap.markBitmap)
        heap.uncommit(cycle.largeObjectBytesFreed)
        heap.space.releaseAfterMark()
        if heap.configuration.verify { heap.space.sweepAllNow() }

        let live = cycle.scanBackgroundBytes + cycle.scanAssistBytes + cycle.scanPauseBytes + cycle.blackAllocatedBytes
        cycle.markedBytes = live
        cycle.nextTriggerBytes = heap.gogcTrigger(liveBytes: live)
        cycle.heapAtMarkEndBytes = heap.heapInUse.load(ordering: .relaxed)
        heap.live.store(live, ordering: .relaxed)
        heap.heapInUse.store(live, ordering: .relaxed)
        heap.trigger.store(cycle.nextTriggerBytes, ordering: .relaxed)
        heap.cycles.store(cycle.cycle, ordering: .relaxed)
        heap.sampleHeap(force: true)
        let end = heap.stats.elapsed()
        heap.world.start(requester: nil)
        cycle.endNs = end
        cycle.gcCPUNs = (Clock.threadCPU() &- cpu0) &+ workerCPU.load(ordering: .relaxed)
        heap.stats.record(PauseRecord(cycle: cycle.cycle, kind: "mark-termination", startNs: requestNs,
                                      timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs))
        heap.stats.record(cycle)
        return true
    }

    // MARK: Teardown

    /// A mutator leaves: its stack no longer needs a handshake.
    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        if !ctx.pointee.stackScanned {
            ctx.pointee.stackScanned = true
            if pendingHandshakes.subtract(1, ordering: .relaxed).newValue == 0 {
                heap.world.pollFlag.pointee.bitwiseAnd(~World.handshakeBit, ordering: .relaxed)
            }
        }
    }

    func shutdown() {
        monitor.withLock {
            shuttingDown = true
            monitor.broadcast()
        }
        stopping.store(true, ordering: .relaxed)
        heap.markPool.wakeAll()
        threads.wait()
    }
}
