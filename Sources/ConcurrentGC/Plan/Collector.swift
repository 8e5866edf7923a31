// A collector plan: decides when and how the heap is collected. The heap calls `collect` from an
// allocation slow path (trigger reached, or no block left) or on explicit request; the plan stops the
// world as it needs, marks with `Marker`, lets the spaces sweep, and sets the next trigger.
//
// To add a collector: add a case to `CollectorKind`, write a `Collector` in Plan/, create it in
// `Heap.init`, and run it under the checkmark verifier in the tests (see docs/ARCHITECTURE.md).

/// A collection policy.
protocol Collector: AnyObject {
    /// The heap in use reached the trigger (from `requester`'s allocation slow path). `observedCycle` is
    /// the cycle count it saw: if a collection completed since, there is nothing to do.
    func triggered(requester: MutatorRecord, observedCycle: Int)
    /// Returns once a whole collection has completed after `observedCycle` (explicit request, or no
    /// memory left). `requester` is nil for a thread that is not a mutator.
    func collectFully(requester: MutatorRecord?, reason: String, observedCycle: Int)
    /// `ctx`'s mutator allocated `allocatedBytes` while a concurrent mark runs: do its share of marking.
    func assist(_ ctx: UnsafeMutablePointer<MutatorContext>, allocatedBytes: Int)
    /// `ctx`'s mutator reached a safepoint while a root handshake is pending: scan its own roots.
    func handshake(_ ctx: UnsafeMutablePointer<MutatorContext>)
    /// `ctx`'s mutator is unregistering (its buffers are already retired and flushed).
    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>)
    /// Stops the collector's threads (heap teardown; no mutator is registered).
    func shutdown()
}

extension Collector {
    func assist(_ ctx: UnsafeMutablePointer<MutatorContext>, allocatedBytes: Int) {}
    func handshake(_ ctx: UnsafeMutablePointer<MutatorContext>) {}
    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {}
    func shutdown() {}
}

extension Heap {
    /// GOGC-style trigger: the next collection starts when the heap in use reaches the live heap grown
    /// by GOGC percent (never below the minimum).
    func gogcTrigger(liveBytes: Int) -> Int {
        max(configuration.minimumTriggerBytes, liveBytes + liveBytes * configuration.gogc / 100)
    }
}
