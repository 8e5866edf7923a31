// A collector plan: decides when and how the heap is collected. The heap calls `collect` from an
// allocation slow path (trigger reached, or no block left) or on explicit request; the plan stops the
// world as it needs, marks with `Marker`, lets the spaces sweep, and sets the next trigger.
//
// To add a collector: add a case to `CollectorKind`, write a `Collector` in Plan/, create it in
// `Heap.init`, and run it under the checkmark verifier in the tests (see docs/ARCHITECTURE.md).

/// A collection policy.
protocol Collector: AnyObject {
    /// Runs a collection for `requester` (nil when not a mutator). `observedCycle` is the cycle count the
    /// caller saw when it decided to collect: if a collection completed since, this call does nothing.
    func collect(heap: Heap, requester: MutatorRecord?, reason: String, observedCycle: Int)
}

extension Heap {
    /// GOGC-style trigger: the next collection starts when the heap in use reaches the live heap grown
    /// by GOGC percent (never below the minimum).
    func gogcTrigger(liveBytes: Int) -> Int {
        max(configuration.minimumTriggerBytes, liveBytes + liveBytes * configuration.gogc / 100)
    }
}
