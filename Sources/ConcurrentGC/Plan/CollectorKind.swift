// A collector plan as the rest of gclab sees it: a name, a line of description and its traits — which
// barriers, pacers and options it takes, what its pauses and cycles look like, which combinations it
// refuses or calls unsafe. The command line, `gclab list`, the matrix and the result writers read only
// these; none of them names a collector. Each plan defines its `CollectorKind` as a static constant in its
// folder (Plan/<Name>/), and Plan/PlanRegistry.swift lists them.

import Pacer

/// A collector: the unit of extension (see docs/ARCHITECTURE.md, "Adding a collector").
public struct CollectorKind: Hashable, Sendable, CustomStringConvertible {
    /// The name on the command line and in the results.
    public let name: String
    /// One line for `gclab list`.
    public let summary: String
    /// What the plan accepts and how its records look.
    public let traits: PlanTraits
    /// Builds the plan's collector for a heap (at the end of `Heap.init`).
    let make: @Sendable (Heap) -> any Collector

    init(name: String, summary: String, traits: PlanTraits, make: @escaping @Sendable (Heap) -> any Collector) {
        self.name = name
        self.summary = summary
        self.traits = traits
        self.make = make
    }

    public static func == (a: CollectorKind, b: CollectorKind) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }
    public var description: String { name }

    /// Why `configuration` cannot run on this plan (a barrier, pacer or option it does not take, or a
    /// combination it refuses), or nil. Unsafe combinations are `unsafeReason`'s.
    public func refusal(_ c: HeapConfiguration) -> String? {
        if !traits.barriers.isEmpty && !traits.barriers.contains(c.barrier) {
            return "--barrier \(c.barrier) does not apply to --collector \(name) (it takes: \(traits.barriers.map(\.name).joined(separator: ", ")))"
        }
        if let pacer = c.pacer, !traits.pacers.contains(pacer) {
            return "--pacer \(pacer.rawValue) does not apply to --collector \(name)"
                + (traits.pacerNote.map { ": " + $0 } ?? " (it takes: \((["gogc"] + traits.pacers.map(\.rawValue)).joined(separator: ", ")))")
        }
        for given in c.planOptions.keys.sorted() where !traits.options.contains(where: { $0.name == given }) {
            return "--\(given) does not apply to --collector \(name)"
        }
        for option in traits.options {
            if let value = c.planOptions[option.name], !option.accepts(value) {
                return "--\(option.name) \(value) is out of range \(option.valuesDescription)"
            }
        }
        return traits.refusal(c)
    }

    /// Why `configuration` may lose live objects on this plan (it then needs `allowUnsafe`), or nil.
    public func unsafeReason(_ c: HeapConfiguration) -> String? {
        if !traits.barriers.isEmpty && c.barrier.losesObjects && traits.barrierRuns(c) {
            return "--barrier \(c.barrier) has no write barrier and loses objects"
        }
        return traits.unsafeReason(c)
    }

    /// The background mark workers a run gets when `--mark-workers` is not given, or nil when the plan
    /// has none; -1 means the pacer's worker plan (Go's dedicated and fractional workers).
    public func defaultMarkWorkers(pacer: PacerKind?) -> Int? {
        traits.markWorkers.map { pacer == nil ? $0.withoutPacer : $0.withPacer }
    }
}

/// What a plan accepts and how its records look.
public struct PlanTraits: Sendable {
    /// The marking barriers it runs (`--barrier`); empty: it marks with the world stopped and takes none.
    public var barriers: [BarrierKind] = []
    /// Background mark workers (`--mark-workers`) and their defaults; nil: the plan has none.
    public var markWorkers: MarkWorkerDefaults? = nil
    /// The pacers it can be driven by, beside the plain GOGC trigger (`--pacer gogc`, always accepted).
    public var pacers: [PacerKind] = []
    /// The pacer a run gets when `--pacer` is not given; nil: the GOGC trigger.
    public var defaultPacer: PacerKind? = nil
    /// Why the plan takes no pacer, when it takes none (for the error message).
    public var pacerNote: String? = nil
    /// The plan's own options.
    public var options: [PlanOption] = []
    /// The pauses it records (pauses.csv `kind`).
    public var pauseKinds: [PauseKind] = []
    /// How its cycles appear in the trace.
    public var phases = CyclePhaseNames()
    /// Its extra cycles.csv columns, filled in `CycleRecord.planColumns`.
    public var cycleColumns: [String] = []
    /// A combination it refuses beyond the above (one line), or nil.
    public var refusal: @Sendable (HeapConfiguration) -> String? = { _ in nil }
    /// A combination known to lose objects (it needs --unsafe), or nil.
    public var unsafeReason: @Sendable (HeapConfiguration) -> String? = { _ in nil }
    /// Whether the configuration runs the plan's barrier at all (gencopy's only with `--major
    /// concurrent`): a barrier that never runs cannot lose an object.
    public var barrierRuns: @Sendable (HeapConfiguration) -> Bool = { _ in true }
    /// One of its own options has a value that loses objects (a plan with barriers always has one).
    public var hasUnsafeOption = false
    /// `--unsafe` applies: a barrier or an option of the plan can lose objects.
    public var takesUnsafe: Bool { !barriers.isEmpty || hasUnsafeOption }

    public init() {}
}

/// The default number of background mark workers, with and without a pacer (-1: the pacer's plan).
public struct MarkWorkerDefaults: Sendable {
    public var withPacer: Int
    public var withoutPacer: Int
    public init(withPacer: Int, withoutPacer: Int) {
        self.withPacer = withPacer
        self.withoutPacer = withoutPacer
    }
}

/// The names of a cycle's phases in the trace. A cycle record's times mark them: `startNs` to
/// `concurrentMarkStartNs` (the opening pause), to `markTerminationStartNs` (marking while mutators run),
/// to `endNs` (the closing pause). A plan whose cycle is one pause (`concurrentMarkStartNs` 0) shows one
/// slice named after the cycle.
public struct CyclePhaseNames: Sendable {
    public var opening = "mark start"
    public var marking = "concurrent mark"
    public var closing = "mark termination"
    public init() {}
    public init(opening: String, marking: String, closing: String) {
        self.opening = opening
        self.marking = marking
        self.closing = closing
    }
}
