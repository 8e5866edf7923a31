// The concurrent collector: tri-colour marking while the mutators run.
//
// A cycle (run by the controller thread):
//   idle -> sweep termination (concurrent: finish sweeping the last cycle's blocks)
//        -> mark start (pause: retire TLABs, new epoch, barrier on, shade globals and, with --roots stw,
//           every stack; with --roots handshake each mutator shades its own stack at its next safepoint)
//        -> concurrent mark (background workers, mutator assists, barrier shading)
//        -> mark termination (pause: flush shade buffers, scan stacks still unscanned, re-scan roots for
//           dijkstra/steele; if grey objects remain, go back to concurrent mark (twice at most), else
//           finish in the pause (also when the heap outgrew the hard limit); then barrier off,
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
    private let monitor = Monitor()
    // Under `monitor`:
    private var requested = false
    private var running = false
    private var shuttingDown = false
    private var requestReason = "trigger"
    private var requestNs: UInt64 = 0
    /// The running cycle has taken its mark-start snapshot (until it ends).
    private var marking = false

    private let stopping = Atomic<Bool>(false)
    private let threads = DispatchGroup()
    /// Stacks not yet scanned in this cycle's handshake.
    private let pendingHandshakes = Atomic<Int>(0)
    // Per-cycle counters, reset at mark start.
    private let scanBackground = Atomic<Int>(0)
    private let scanAssist = Atomic<Int>(0)
    private let scanPause = Atomic<Int>(0)
    /// Bytes and objects whose mark bit was set this cycle (the live heap, but for black allocation).
    private let markedBytes = Atomic<Int>(0)
    private let markedObjects = Atomic<Int>(0)
    private let workerCPU = Atomic<UInt64>(0)
    /// CPU time the controller thread spent marking (at shutdown), for the utilization.
    private let controllerMarkCPU = Atomic<UInt64>(0)
    /// CPU time of the fractional worker while a processor was idle (Go's idle marking).
    private let idleCPU = Atomic<UInt64>(0)
    private let handshakes = Atomic<Int>(0)

    /// Background mark workers, each with the share of a processor it marks for (1: dedicated; less: Go's
    /// fractional worker, which marks in slices and sleeps between them).
    let workerDuties: [Double]
    /// Background scan work not yet claimed by assists (Go's bgScanCredit), with a pacer.
    private let backgroundCredit = Atomic<Int>(0)
    private let creditUsed = Atomic<Int>(0)

    init(heap: Heap) {
        self.heap = heap
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
            if running { return marking ? done + 2 : done + 1 }
            request(reason)
            return done + 1
        }
        while heap.cycles.load(ordering: .relaxed) < target && !stopping.load(ordering: .relaxed) {
            monitor.withLock { if !running { request(reason) } }
            // A mutator waiting for memory helps mark; a thread that is not a mutator only when no
            // background worker would.
            let helps = requester != nil || workerDuties.isEmpty
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
        while scanned < budget && marker.refill() {
            scanned += marker.drain(budget: min(budget - scanned, 64 << 10))
            if heap.world.pollFlag.pointee.load(ordering: .relaxed) & World.stopBit != 0 { break }  // let the pause begin
        }
        count(marker, in: counter)
        marker.returnWork()
        marker.free()
        return scanned
    }

    enum Counter { case background, assist, pause }

    /// Adds a marker's work to the cycle's counters. Must come before the marker's `returnWork`: once the
    /// pool is quiescent, the controller may read the counters for the cycle record.
    private func count(_ marker: Marker, in counter: Counter) {
        switch counter {
        case .background: scanBackground.add(marker.scannedBytes, ordering: .relaxed)
        case .assist: scanAssist.add(marker.scannedBytes, ordering: .relaxed)
        case .pause: scanPause.add(marker.scannedBytes, ordering: .relaxed)
        }
        markedBytes.add(marker.markedBytes, ordering: .relaxed)
        markedObjects.add(marker.markedObjects, ordering: .relaxed)
    }

    func assist(_ ctx: UnsafeMutablePointer<MutatorContext>, allocatedBytes: Int) {
        let ratio: Double
        if let driver = heap.pacerDriver {
            if driver.assistsLimited { return }  // the GC CPU limiter is full
            let done = scanBackground.load(ordering: .relaxed) + scanAssist.load(ordering: .relaxed)
            ratio = driver.assistWorkPerByte(heapLive: heap.heapInUse.load(ordering: .relaxed), scanWorkDone: done)
        } else {
            ratio = heap.configuration.assistRatio
        }
        guard ratio > 0 else { return }
        ctx.pointee.assistDebtBytes += Int(Double(allocatedBytes) * ratio)
        if heap.pacerDriver != nil { payWithCredit(ctx) }
        guard ctx.pointee.assistDebtBytes > 0 else { return }
        let t0 = heap.stats.elapsed()
        var scanned = 0
        while true {
            let done = helpMark(budget: ctx.pointee.assistDebtBytes, counter: .assist)
            scanned += done
            ctx.pointee.assistDebtBytes -= done
            if ctx.pointee.assistDebtBytes <= 0 || !heap.isMarking { break }
            if heap.pacerDriver != nil { payWithCredit(ctx) }
            if ctx.pointee.assistDebtBytes <= 0 { break }
            // Nothing to scan now: other markers hold the grey objects. Past the goal, wait for work or
            // credit, as Go parks an assist that cannot pay: that throttles allocation to the marking
            // rate. Before the goal, carry the debt to the next hole.
            guard let goal = heap.pacerDriver?.plan?.heapGoal, heap.heapInUse.load(ordering: .relaxed) >= goal,
                  !heap.markPool.quiescent else { break }
            let record = ctx.pointee.record.takeUnretainedValue()
            heap.world.enterSafeRegion(record)
            usleep(20)
            heap.world.leaveSafeRegion(record)
        }
        // Debt left when marking is over (or without a pacer) is forgiven.
        if !heap.isMarking || heap.pacerDriver == nil || heap.markPool.quiescent { ctx.pointee.assistDebtBytes = 0 }
        let t1 = heap.stats.elapsed()
        ctx.pointee.assistNs &+= t1 &- t0
        ctx.pointee.assistScannedBytes += scanned
        if scanned > 0 {
            ctx.pointee.activities.append(ActivityRecord(kind: "assist", thread: ctx.pointee.record.takeUnretainedValue().id,
                                                         startNs: t0, durationNs: t1 &- t0, scannedBytes: scanned))
        }
    }

    /// Takes as much of a mutator's assist debt as possible from the background workers' credit.
    private func payWithCredit(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        var credit = backgroundCredit.load(ordering: .relaxed)
        while credit > 0 {
            let take = min(credit, ctx.pointee.assistDebtBytes)
            let (done, now) = backgroundCredit.compareExchange(expected: credit, desired: credit - take, ordering: .relaxed)
            if done {
                ctx.pointee.assistDebtBytes -= take
                creditUsed.add(take, ordering: .relaxed)
                return
            }
            credit = now
        }
    }

    /// A background mark worker. With `duty` below 1 it is Go's fractional worker: it marks in slices of
    /// about 200 µs and sleeps after each so that it uses `duty` of one processor, unless a processor is
    /// idle (fewer running mutators and dedicated workers than processors): then it marks on, as Go's
    /// idle-priority worker, and that time counts as idle utilization.
    private func workerLoop(index: Int, duty: Double) {
        let dedicated = workerDuties.filter { $0 >= 1 }.count
        let procs = heap.pacerDriver?.procs ?? heap.configuration.processors
        while true {
            let hasWork = heap.markPool.waitForWork(until: { self.stopping.load(ordering: .relaxed) })
            if !hasWork { return }
            let cpu0 = Clock.threadCPU(), wall0 = Clock.now(), start = heap.stats.elapsed()
            let idle = duty < 1 && heap.world.runningMutators + dedicated < procs
            var marker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
            let sliceEnd = duty >= 1 ? UInt64.max : wall0 + 200_000
            while Clock.now() < sliceEnd && marker.refill() {
                marker.drain(budget: 64 << 10)
                while heap.world.waitingForSafepoint { usleep(20) }  // sleep, don't spin: the mutators need the processor
            }
            count(marker, in: .background)
            if heap.pacerDriver != nil { backgroundCredit.add(marker.scannedBytes, ordering: .relaxed) }
            if marker.scannedBytes > 0 {
                heap.stats.record(ActivityRecord(kind: "mark-worker", thread: index, startNs: start,
                                                 durationNs: heap.stats.elapsed() &- start, scannedBytes: marker.scannedBytes))
            }
            if idle { idleCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed) } else { workerCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed) }
            marker.returnWork()
            marker.free()
            if duty < 1 && duty > 0 && !idle && heap.world.pollFlag.pointee.load(ordering: .relaxed) & World.stopBit == 0 {
                let busy = Double(Clock.now() - wall0)
                usleep(UInt32(min(busy * (1 - duty) / duty / 1000, 100_000)))
            }
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
        count(marker, in: .assist)
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
        count(marker, in: .background)
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
        monitor.withLock { marking = true }
        var cycle = CycleRecord(cycle: heap.cycles.load(ordering: .relaxed) + 1, collector: "concurrent", reason: reason,
                                startNs: requestedAt, endNs: 0, heapAtTriggerBytes: 0, markedBytes: 0, markedObjects: 0,
                                largeObjectBytesFreed: 0, nextTriggerBytes: 0, gcCPUNs: 0, lostObjects: 0)
        markStart(&cycle)
        var attempt = 0
        while true {
            let overdue = !awaitQuiescence()
            attempt += 1
            if markTermination(&cycle, attempt: attempt, finishInPause: overdue, cpu0: cpu0) { break }
        }
    }

    /// The heap size past which a mark that has not converged is finished in a pause: twice the cycle's
    /// goal (with the plain GOGC trigger, twice the trigger). A last resort, not the pacing: past the
    /// goal, assists already wait for marking work (and the pacer's hard goal of 1.1× steepens their
    /// ratio). Measured on GCBench with 2 mutators on 2 cores, finishing at 1.1× the goal instead made the
    /// p99 pause 1.1 ms instead of 0.3 ms for the same peak heap.
    private var hardLimit: Int {
        if let plan = heap.pacerDriver?.plan { return 2 * plan.heapGoal }
        return 2 * heap.trigger.load(ordering: .relaxed)
    }

    /// Waits until no grey object is left outside the mutators' shade buffers, and stacks blocked in
    /// safe regions are scanned. Gives running mutators up to about a millisecond to do their handshake.
    /// Returns false when it gave up instead: the heap grew past the hard limit while marking had not
    /// converged (mutators can re-grey faster than assists scan, e.g. Steele's barrier with no workers).
    private func awaitQuiescence() -> Bool {
        var waitedForHandshakes = 0
        while true {
            let quiescent = heap.markPool.waitForQuiescence(until: { self.stopping.load(ordering: .relaxed) }, timeoutNs: 1_000_000)
            if stopping.load(ordering: .relaxed) {
                // Shutting down: no mutator is left to help. This thread's marking counts in the cycle's
                // utilization (its CPU is already in the controller's share of gc_cpu_ns).
                let cpu0 = Clock.threadCPU()
                _ = helpMark(budget: .max, counter: .background)
                controllerMarkCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed)
            } else if !quiescent {
                if heap.heapInUse.load(ordering: .relaxed) >= hardLimit { return false }
                continue
            }
            scanBlockedStacks()
            if !heap.markPool.quiescent { continue }
            if pendingHandshakes.load(ordering: .relaxed) == 0 || waitedForHandshakes >= 20 { return true }
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
        heap.markPool.setEpoch(epoch)
        heap.blackAllocatedBytes.store(0, ordering: .relaxed)
        resetCounters()
        for r in heap.world.mutators {
            r.ctx.pointee.barrierSlowCount = 0
            r.ctx.pointee.assistNs = 0
            r.ctx.pointee.assistScannedBytes = 0
            r.ctx.pointee.assistDebtBytes = 0
        }
        if let driver = heap.pacerDriver {
            let roots = heap.rootBytes
            _ = driver.startCycle(heapLive: cycle.heapAtTriggerBytes, stackBytes: roots.stacks, globalsBytes: roots.globals)
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
        count(marker, in: .pause)
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
        scanPause.store(0, ordering: .relaxed)
        heap.shadedBytes.store(0, ordering: .relaxed)
        heap.shadedObjects.store(0, ordering: .relaxed)
        markedBytes.store(0, ordering: .relaxed)
        markedObjects.store(0, ordering: .relaxed)
        workerCPU.store(0, ordering: .relaxed)
        controllerMarkCPU.store(0, ordering: .relaxed)
        idleCPU.store(0, ordering: .relaxed)
        handshakes.store(0, ordering: .relaxed)
        backgroundCredit.store(0, ordering: .relaxed)
        creditUsed.store(0, ordering: .relaxed)
    }

    /// One mark-termination pause. Returns false when grey objects remained and marking went on.
    private func markTermination(_ cycle: inout CycleRecord, attempt: Int, finishInPause: Bool, cpu0: UInt64) -> Bool {
        let requestNs = heap.stats.elapsed()
        let timeToSafepoint = heap.world.stop(requester: nil) ?? 0
        cycle.markTerminationStartNs = requestNs  // the last attempt's is the final one
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
        count(marker, in: .pause)
        heap.markPool.withoutWaking { marker.returnWork() }
        if !heap.markPool.quiescent {
            if attempt < 3 && !heap.configuration.barrier.rescansRoots && !finishInPause {
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
                var pauseMarker = Marker(heap: heap, epoch: heap.space.markEpoch, pool: heap.markPool)
                while pauseMarker.refill() { pauseMarker.drain() }
                count(pauseMarker, in: .pause)
                pauseMarker.returnWork()
                pauseMarker.free()
                heap.markPool.waitForWorkOrQuiescence()  // take back work a worker hands in, don't wait on it
            } while !heap.markPool.quiescent
        }
        marker.free()
        cycle.terminationAttempts = attempt

        // Marking is complete.
        heap.barrierFlag.pointee.store(0, ordering: .relaxed)
        heap.retireAllBuffers()  // marks the objects of black holes still open
        for r in heap.world.mutators {
            cycle.barrierSlowPaths += r.ctx.pointee.barrierSlowCount
            cycle.assistNs += r.ctx.pointee.assistNs
            heap.flushActivities(of: r.ctx)
        }
        cycle.scanBackgroundBytes = scanBackground.load(ordering: .relaxed)
        cycle.scanAssistBytes = scanAssist.load(ordering: .relaxed)
        cycle.scanPauseBytes = scanPause.load(ordering: .relaxed)
        cycle.blackAllocatedBytes = heap.blackAllocatedBytes.load(ordering: .relaxed)
        cycle.markedObjects = markedObjects.load(ordering: .relaxed) + heap.shadedObjects.load(ordering: .relaxed)
        cycle.handshakes = handshakes.load(ordering: .relaxed)
        if heap.configuration.verify {
            let check = Checkmark.verify(heap: heap, cycle: cycle.cycle)
            cycle.lostObjects = check.lostCount
            heap.stats.record(lost: check.lost, count: check.lostCount)
        }
        cycle.record(heap.treadmill.flip())  // the large objects: unreached ones are freed, O(1) per ring
        heap.space.releaseAfterMark()
        if heap.configuration.verify { heap.space.sweepAllNow() }

        // Live: what markers and barriers marked, plus what was allocated black.
        let live = markedBytes.load(ordering: .relaxed) + heap.shadedBytes.load(ordering: .relaxed) + cycle.blackAllocatedBytes
        cycle.markedBytes = live
        cycle.heapAtMarkEndBytes = heap.heapInUse.load(ordering: .relaxed)
        cycle.assistCreditBytes = creditUsed.load(ordering: .relaxed)
        let markNs = Double(max(1, Int(cycle.markTerminationStartNs) - Int(cycle.concurrentMarkStartNs)))
        let capacity = markNs * Double(heap.pacerDriver?.procs ?? heap.configuration.processors)
        let markCPU = workerCPU.load(ordering: .relaxed) &+ controllerMarkCPU.load(ordering: .relaxed) &+ cycle.assistNs
        cycle.utilization = min(0.99, Double(markCPU) / capacity)
        cycle.idleUtilization = min(0.99, Double(idleCPU.load(ordering: .relaxed)) / capacity)
        let roots = heap.rootBytes
        cycle.stackBytes = roots.stacks
        cycle.globalsBytes = roots.globals
        if let driver = heap.pacerDriver {
            let m = CycleMeasurement(heapMarked: live, heapAtTrigger: cycle.heapAtTriggerBytes, heapPeak: cycle.heapAtMarkEndBytes,
                                     heapScanWork: cycle.scanBackgroundBytes + cycle.scanAssistBytes + cycle.scanPauseBytes,
                                     stackScanWork: roots.stacks, globalsScanWork: roots.globals,
                                     utilization: cycle.utilization, idleUtilization: cycle.idleUtilization,
                                     userForced: cycle.reason != "trigger")
            let next = driver.endCycle(m)
            driver.record(into: &cycle, measurement: m, next: next)
            cycle.nextTriggerBytes = next.trigger
        } else {
            cycle.pacer = "gogc"
            cycle.nextTriggerBytes = heap.gogcTrigger(liveBytes: live)
        }
        heap.live.store(live, ordering: .relaxed)
        heap.heapInUse.store(live, ordering: .relaxed)
        heap.trigger.store(cycle.nextTriggerBytes, ordering: .relaxed)
        heap.sampleHeap(force: true)
        let end = heap.stats.elapsed()
        heap.world.start(requester: nil)
        cycle.endNs = end
        cycle.gcCPUNs = (Clock.threadCPU() &- cpu0) &+ workerCPU.load(ordering: .relaxed) &+ idleCPU.load(ordering: .relaxed)
        heap.pacerDriver?.updateLimiter(gcCPUNs: cycle.gcCPUNs &+ cycle.assistNs, nowNs: end)
        heap.stats.record(PauseRecord(cycle: cycle.cycle, kind: "mark-termination", startNs: requestNs,
                                      timeToSafepointNs: timeToSafepoint, durationNs: end - requestNs))
        heap.stats.record(cycle)
        // Published last: whoever waits for this cycle (collectFully) finds its records complete.
        monitor.withLock {
            marking = false
            heap.cycles.store(cycle.cycle, ordering: .releasing)
        }
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
