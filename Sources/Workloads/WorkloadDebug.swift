// Test hooks for the workloads' self-checks.
//
// A self-check that never fails proves nothing. With `corruptOnePayload` set, every workload damages one
// word or one edge of its live data through the mutator API just before its final self-check, which must
// then throw `WorkloadError.selfCheckFailed` (WorkloadSuiteTests checks each). The flag is process-wide: tests set it around
// one run and reset it in a `defer`.

import Synchronization

/// Switches that make workloads misbehave on purpose, for testing their self-checks.
public enum WorkloadDebug {
    private static let corrupt = Atomic<Bool>(false)

    /// When true, every workload overwrites one payload word (or breaks one link) of its live data just
    /// before its final self-check, so the check must fail. Off by default.
    public static var corruptOnePayload: Bool {
        get { corrupt.load(ordering: .relaxed) }
        set { corrupt.store(newValue, ordering: .relaxed) }
    }
}
