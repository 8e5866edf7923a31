// Stop-the-world mark-sweep: the baseline collector.
//
// One pause per cycle: stop every mutator, retire their allocation buffers, start a new mark epoch, mark
// from the roots, (verify), sweep the large objects, hand every used block to the lazy sweeper, set the
// next trigger (GOGC, or the pacer's), restart the world. Immix blocks are swept later by the allocators, outside the pause.

import Pacer

/// The `stw` collector.
final class StopTheWorldCollector: Collector {
    unowned let heap: Heap

    init(heap: Heap) { self.heap = heap }

    func triggered(requester: MutatorRecord, observedCycle: Int) {
        collect(requester: requester, reason: "trigger", observedCycle: observedCycle)
    }

    func collectFully(requester: MutatorRecord?, reason: String, observedCycle: Int) {
        collect(requester: requester, reason: reason, observedCycle: observedCycle)
    }

    private func collect(requester: MutatorRecord?, reason: String, observedCycle: Int) {
        let requestNs = heap.stats.elapsed()
        guard let timeToSafepoint = heap.world.stop(requester: requester) else { return }
        let cycle = heap.cycles.load(ordering: .relaxed)
        guard cycle == observedCycle else {  // someone else collected since the caller looked
            heap.world.start(requester: requester)
            return
        }
        let cpuStart = Clock.threadCPU()
        let heapAtTrigger = heap.heapInUse.load(ordering: .relaxed)
        heap.sampleHeap(force: true)

        heap.retireAllBuffers()
        let roots = heap.rootBytes
        _ = heap.pacerDriver?.startCycle(heapLive: heapAtTrigger, stackBytes: roots.stacks, globalsBytes: roots.globals)
        let epoch = heap.space.prepareForMark()
        var marker = Marker(heap: heap, epoch: epoch)
        for hidden in heap.debugObjectsHiddenFromMarker { marker.markWithoutScanning(hidden.raw) }
        heap.forEachRoot { raw, _ in marker.markRoot(raw) }
        marker.drain()
        marker.free()

        var lostCount = 0
        if heap.configuration.verify {
            let check = Checkmark.verify(heap: heap, cycle: cycle + 1)
            lostCount = check.lostCount
            heap.stats.record(lost: check.lost, count: check.lostCount)
        }
        let flip = heap.treadmill.flip()  // the large objects: unreached ones are freed, O(1) per ring
        heap.space.releaseAfterMark()
        if heap.configuration.verify { heap.space.sweepAllNow() }

        let live = marker.markedBytes
        var record = CycleRecord(cycle: cycle + 1, collector: "stw", reason: reason, startNs: requestNs, endNs: 0,
                                 heapAtTriggerBytes: heapAtTrigger, markedBytes: live, markedObjects: marker.markedObjects,
                                 largeObjectBytesFreed: 0, nextTriggerBytes: 0, gcCPUNs: 0, lostObjects: lostCount)
        record.record(flip)
        record.heapAtMarkEndBytes = heapAtTrigger
        record.scanPauseBytes = marker.scannedBytes
        record.stackBytes = roots.stacks
        record.globalsBytes = roots.globals
        let nextTrigger: Int
        if let driver = heap.pacerDriver {
            // The whole mark is in the pause: nothing is allocated while marking, the utilization is the
            // collecting thread's share of the processors.
            let m = CycleMeasurement(heapMarked: live, heapAtTrigger: heapAtTrigger, heapPeak: heapAtTrigger, heapScanWork: marker.scannedBytes,
                                     stackScanWork: roots.stacks, globalsScanWork: roots.globals,
                                     utilization: min(0.99, 1 / Double(driver.procs)), userForced: reason != "trigger")
            let next = driver.endCycle(m)
            driver.record(into: &record, measurement: m, next: next)
            nextTrigger = next.trigger
        } else {
            record.pacer = "gogc"
            nextTrigger = heap.gogcTrigger(liveBytes: live)
        }
        heap.live.store(live, ordering: .relaxed)
        heap.heapInUse.store(live, ordering: .relaxed)
        heap.trigger.store(nextTrigger, ordering: .relaxed)
        heap.cycles.store(cycle + 1, ordering: .relaxed)
        heap.sampleHeap(force: true)
        let cpu = Clock.threadCPU() &- cpuStart
        let endNs = heap.stats.elapsed()
        heap.world.start(requester: requester)

        heap.stats.record(PauseRecord(cycle: cycle + 1, kind: "stw-gc", startNs: requestNs,
                                      timeToSafepointNs: timeToSafepoint, durationNs: endNs &- requestNs))
        record.endNs = endNs
        record.nextTriggerBytes = nextTrigger
        record.gcCPUNs = cpu
        heap.pacerDriver?.updateLimiter(gcCPUNs: cpu, nowNs: endNs)
        heap.stats.record(record)
    }
}
