// The concurrent collector's marking work between the pauses: background workers, mutator assists (paced
// by the pacer's assist ratio, or --incremental-k with the GOGC trigger), and the roots taken at
// handshakes. Every marker takes its work from the shared pool and counts what it did in the cycle's
// counters before it gives its work back (once the pool is quiescent the controller reads them).

import Glibc
import Pacer
import Synchronization

extension ConcurrentCollector {
    /// A marker for this cycle, connected to the pool (its epoch comes with the pool's work).
    func poolMarker() -> Marker<ImmixMarkPolicy> {
        Marker(base: heap.base, policy: spaces.markPolicy(epoch: spaces.immix.currentMarkEpoch), pool: markPool)
    }

    /// Scans up to `budget` bytes of grey objects from the pool, counting them in `counter`. Returns the
    /// bytes scanned.
    func helpMark(budget: Int, counter: Counter) -> Int {
        var marker = poolMarker()
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
    func count(_ marker: Marker<ImmixMarkPolicy>, in counter: Counter) {
        switch counter {
        case .background: scanBackground.add(marker.scannedBytes, ordering: .relaxed)
        case .assist: scanAssist.add(marker.scannedBytes, ordering: .relaxed)
        case .pause: scanPause.add(marker.scannedBytes, ordering: .relaxed)
        }
        markedBytes.add(marker.markedBytes, ordering: .relaxed)
        markedObjects.add(marker.markedObjects, ordering: .relaxed)
    }

    /// `ctx`'s mutator allocated `allocatedBytes` while marking: it marks its share first.
    func assist(_ ctx: UnsafeMutablePointer<MutatorContext>, allocatedBytes: Int) {
        let state = ctx.concurrent
        let ratio: Double
        if let driver = heap.pacerDriver {
            if driver.assistsLimited { return }  // the GC CPU limiter is full
            let done = scanBackground.load(ordering: .relaxed) + scanAssist.load(ordering: .relaxed)
            ratio = driver.assistWorkPerByte(heapLive: heap.heapInUseBytes, scanWorkDone: done)
        } else {
            ratio = assistRatio
        }
        guard ratio > 0 else { return }
        state.pointee.assistDebtBytes += Int(Double(allocatedBytes) * ratio)
        if heap.pacerDriver != nil { payWithCredit(state) }
        guard state.pointee.assistDebtBytes > 0 else { return }
        let t0 = heap.stats.elapsed()
        var scanned = 0
        while true {
            let done = helpMark(budget: state.pointee.assistDebtBytes, counter: .assist)
            scanned += done
            state.pointee.assistDebtBytes -= done
            if state.pointee.assistDebtBytes <= 0 || !heap.barrierOn { break }
            if heap.pacerDriver != nil { payWithCredit(state) }
            if state.pointee.assistDebtBytes <= 0 { break }
            // Nothing to scan now: other markers hold the grey objects. Past the goal, wait for work or
            // credit, as Go parks an assist that cannot pay: that throttles allocation to the marking
            // rate. Before the goal, carry the debt to the next hole.
            guard let goal = heap.pacerDriver?.plan?.heapGoal, heap.heapInUseBytes >= goal, !markPool.quiescent else { break }
            let record = ctx.pointee.record.takeUnretainedValue()
            heap.world.enterSafeRegion(record)
            usleep(20)
            heap.world.leaveSafeRegion(record)
        }
        // Debt left when marking is over (or without a pacer) is forgiven.
        if !heap.barrierOn || heap.pacerDriver == nil || markPool.quiescent { state.pointee.assistDebtBytes = 0 }
        let t1 = heap.stats.elapsed()
        state.pointee.assistNs &+= t1 &- t0
        state.pointee.assistScannedBytes += scanned
        if scanned > 0 {
            state.pointee.activities.append(ActivityRecord(kind: .assist, thread: ctx.pointee.record.takeUnretainedValue().id,
                                                           startNs: t0, durationNs: t1 &- t0, scannedBytes: scanned))
        }
    }

    /// Takes as much of a mutator's assist debt as possible from the background workers' credit.
    private func payWithCredit(_ state: UnsafeMutablePointer<ConcurrentMutatorState>) {
        var credit = backgroundCredit.load(ordering: .relaxed)
        while credit > 0 {
            let take = min(credit, state.pointee.assistDebtBytes)
            let (done, now) = backgroundCredit.compareExchange(expected: credit, desired: credit - take, ordering: .relaxed)
            if done {
                state.pointee.assistDebtBytes -= take
                creditUsed.add(take, ordering: .relaxed)
                return
            }
            credit = now
        }
    }

    /// A background mark worker. With `duty` below 1 it is Go's fractional worker: it marks in slices of
    /// about 200 µs and sleeps after each so that it uses `duty` of one processor, unless a processor is
    /// idle (fewer running mutators and dedicated workers than processors): then it marks on, as Go's
    /// idle-priority worker: its `duty` share of the slice still counts as fractional (background)
    /// utilization, and only the time beyond it as idle utilization, as Go splits the two.
    func workerLoop(index: Int, duty: Double) {
        let dedicated = workerDuties.filter { $0 >= 1 }.count
        let procs = heap.pacerDriver?.procs ?? heap.configuration.processors
        while true {
            let hasWork = markPool.waitForWork(until: { self.stopping.load(ordering: .relaxed) })
            if !hasWork { return }
            let cpu0 = Clock.threadCPU(), wall0 = Clock.now(), start = heap.stats.elapsed()
            let idle = duty < 1 && heap.world.runningMutators + dedicated < procs
            var marker = poolMarker()
            let sliceEnd = duty >= 1 ? UInt64.max : wall0 + 200_000
            while Clock.now() < sliceEnd && marker.refill() {
                marker.drain(budget: 64 << 10)
                while heap.world.waitingForSafepoint { usleep(20) }  // sleep, don't spin: the mutators need the processor
            }
            count(marker, in: .background)
            if heap.pacerDriver != nil { backgroundCredit.add(marker.scannedBytes, ordering: .relaxed) }
            if marker.scannedBytes > 0 {
                heap.stats.record(ActivityRecord(kind: .markWorker, thread: index, startNs: start,
                                                 durationNs: heap.stats.elapsed() &- start, scannedBytes: marker.scannedBytes))
            }
            let cpu = Clock.threadCPU() &- cpu0
            if idle {
                // Go's split: the fractional worker is owed `duty` of its processor over this slice's wall
                // time; only what it marked beyond that is idle-priority work. Counting all of it as idle
                // left the cycle's utilization near 0 whenever a processor was idle (issue 17).
                let owed = min(cpu, UInt64(duty * Double(Clock.now() &- wall0)))
                workerCPU.add(owed, ordering: .relaxed)
                idleCPU.add(cpu &- owed, ordering: .relaxed)
            } else {
                workerCPU.add(cpu, ordering: .relaxed)
            }
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
    func scanStack(_ ctx: UnsafeMutablePointer<MutatorContext>, into marker: inout Marker<ImmixMarkPolicy>) {
        let roots = ctx.pointee.roots
        for i in 0..<roots.count { marker.markRoot(roots[i]) }
        markStackScanned(ctx.concurrent)
    }

    /// A mutator's own root scan at its first safepoint after mark start (--roots handshake).
    func handshake(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        guard !ctx.concurrent.pointee.stackScanned else { return }
        let start = heap.stats.elapsed()
        var marker = poolMarker()
        scanStack(ctx, into: &marker)
        count(marker, in: .assist)
        marker.returnWork()
        marker.free()
        handshakes.add(1, ordering: .relaxed)
        heap.stats.record(PauseRecord(cycle: heap.completedCycles + 1, kind: .handshake,
                                      startNs: start, timeToSafepointNs: 0, durationNs: heap.stats.elapsed() - start,
                                      mutator: ctx.pointee.record.takeUnretainedValue().id))
    }

    /// Scans, on their behalf, the stacks of mutators blocked in a safe region with a handshake pending.
    func scanBlockedStacks() {
        guard pendingHandshakes.load(ordering: .relaxed) > 0 else { return }
        var marker = poolMarker()
        heap.world.withMutatorsInSafeRegion { r in
            if !r.ctx.concurrent.pointee.stackScanned { scanStack(r.ctx, into: &marker) }
        }
        count(marker, in: .background)
        marker.returnWork()
        marker.free()
    }
}
