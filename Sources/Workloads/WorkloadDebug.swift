// Test hooks for the workloads' self-checks.
//
// A self-check that never fails proves nothing. With `corruptOnePayload` set, the workloads that honour
// it (binary-trees, mt-gcbench, quads, lru-cache, alloc-phases, producer-consumer, large-objects) damage
// one word or one edge of their live data through the mutator API just before their final self-check,
// which must then throw `WorkloadError.selfCheckFailed`. The flag is process-wide: tests set it around
// one run and reset it in a `defer`.

import Synchronization

/// Switches that make workloads misbehave on purpose, for testing their self-checks.
public enum WorkloadDebug {
    private static let corrupt = Atomic<Bool>(false)

    /// When true, the workloads that support it overwrite one payload word (or break one link) of their
    /// live data just before the final self-check, so the check must fail. Off by default.
    public static var corruptOnePayload: Bool {
        get { corrupt.load(ordering: .relaxed) }
        set { corrupt.store(newValue, ordering: .relaxed) }
    }
}
