// The workload protocol: a self-checking program that talks to the heap only through the mutator API.

import ConcurrentGC

/// Why a workload could not run or failed its own check.
public enum WorkloadError: Error, CustomStringConvertible {
    /// The workload's data was wrong at the end: a collector (or workload) bug.
    case selfCheckFailed(workload: String, detail: String)
    /// A parameter is out of range.
    case invalidParameter(String)

    public var description: String {
        switch self {
        case let .selfCheckFailed(w, d): return "\(w): self-check failed: \(d)"
        case let .invalidParameter(why): return why
        }
    }
}

/// Size presets every workload understands.
public enum WorkloadScale: String, CaseIterable, Sendable {
    case small, `default`, large

    /// The heap minimum (the first trigger, and the pacers' minimum heap) a run at this scale gets unless
    /// `--heap-minimum` is given. A small preset allocates one to a few megabytes: with the 4 MiB of the
    /// other scales most small runs never collected (250 of 340 graph-mutation runs, issue 19), and a
    /// verified run that never collects proves nothing; at 64 KiB each collects several times under
    /// every collector (WorkloadSuiteTests asserts it).
    public var heapMinimumBytes: Int { self == .small ? 64 << 10 : 4 << 20 }

    /// Plan options scaled with the preset when not given: a small run's nursery is as small as its
    /// heap minimum, so the generational plans collect several times too.
    public var scaledPlanOptions: [(option: PlanOption, value: PlanOption.Value)] {
        self == .small ? [(GenerationalOptions.nursery, .integer(heapMinimumBytes))] : []
    }

    /// Sets `config`'s heap minimum to `bytes`, the pacer's with it: Go's minimum heap distance for
    /// sweeping (1 MiB beside a 4 MiB minimum heap) is scaled down with a smaller minimum, else it alone
    /// would keep a small heap from collecting.
    public static func setHeapMinimum(_ bytes: Int, in config: inout HeapConfiguration) {
        config.minimumTriggerBytes = bytes
        config.pacerConfig.heapMinimum = bytes
        config.pacerConfig.sweepMinHeapDistance = min(1 << 20, bytes / 4)
    }
}

/// What a workload reports after passing its self-check.
public struct WorkloadReport: Sendable {
    /// Human-readable result lines (e.g. the check values the program prints).
    public var lines: [String] = []
    public init(lines: [String] = []) { self.lines = lines }
}

/// A benchmark program run on a heap by one or more mutator threads.
public protocol Workload {
    /// The name used on the command line.
    static var name: String { get }
    /// One line of description for `gclab list`.
    static var summary: String { get }
    /// Parameter names with their defaults, for `gclab list`.
    static var parameterSummary: String { get }
    /// A workload at `scale`.
    init(scale: WorkloadScale) throws
    /// Runs on `threads` mutators of `heap`, checks its own data, and reports; throws
    /// `WorkloadError.selfCheckFailed` when the check fails and `HeapError` when the heap runs out.
    func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport
}

/// Every workload gclab knows.
public enum WorkloadRegistry {
    /// All workload types, in the order `gclab list` shows them.
    public static let all: [any Workload.Type] = [GCBench.self, GraphMutation.self, BinaryTrees.self, MTGCBench.self, Quads.self, LRUCache.self, AllocPhases.self, ProducerConsumer.self, LargeObjects.self]

    /// The workload type called `name`, if any.
    public static func named(_ name: String) -> (any Workload.Type)? {
        all.first { $0.name == name }
    }
}
