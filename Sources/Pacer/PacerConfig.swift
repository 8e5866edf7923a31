// Every gain and constant of every pacer, with Go's defaults.
//
// Rationale: pacers are compared and tuned on the simulator, so nothing that shapes a decision may be a
// hidden literal. Each field documents where its default comes from (Go runtime source, design docs).
// `PacerParameter` exposes the numeric fields by their command-line names so that the CLI and the gain
// search share one table and cannot drift apart.

/// Configuration shared by all pacers. A pacer reads only the fields that apply to it
/// (see `PacerParameter.appliesTo`).
public struct PacerConfig: Equatable, Sendable {
    /// GOGC: heap growth allowed over the marked (live) heap, in percent. Negative means off (no
    /// GOGC-based goal; only a memory limit, if any, bounds the heap).
    public var gogc: Int = 100
    /// Soft memory limit in bytes (GOMEMLIMIT), or nil for none.
    public var memoryLimit: Int? = nil
    /// u_g: the GC CPU utilization the pacers aim for during marking, and the background workers'
    /// share of the processors (Go: gcGoalUtilization = gcBackgroundUtilization = 0.25).
    public var utilizationTarget: Double = 0.25
    /// Minimum heap goal at GOGC=100, scaled by GOGC/100 (Go: defaultHeapMinimum = 4 MiB). Also the
    /// "large heap" margin below the goal that the go118 maximum trigger may use.
    public var heapMinimum: Int = 4 << 20
    /// The trigger is at least this far above the marked heap, leaving room for concurrent sweeping
    /// (Go: sweepMinHeapDistance = 1 MiB).
    public var sweepMinHeapDistance: Int = 1 << 20
    /// At cycle start the goal is at least this far above the heap (Go: 64 KiB), unless a memory limit binds.
    public var minRunway: Int = 64 << 10
    /// Hard goal: once the heap is past the (extrapolated) goal, assists aim at goal × this (Go: 1.1).
    public var maxOvershoot: Double = 1.1

    /// `fixed` pacer: trigger = marked + f·(goal − marked).
    public var triggerFraction: Double = 0.7

    /// `go15` pacer: proportional gain K_T of the trigger-ratio controller (Go 1.5: triggerGain = 0.5).
    public var triggerGain: Double = 0.5
    /// `go15` pacer: initial trigger ratio h_T(0) (Go 1.5: 7/8).
    public var initialTriggerRatio: Double = 7.0 / 8.0

    /// go118/go121: lowest trigger as a fraction of the runway goal − marked (Go: 45/64 ≈ 0.7).
    public var triggerMin: Double = 0.7
    /// go15/go118/go121: highest trigger as a fraction of goal − marked (Go: 61/64 ≈ 0.95).
    public var triggerMax: Double = 0.95

    /// go118: PI controller proportional gain (Go 1.18: 0.9).
    public var kp: Double = 0.9
    /// go118: PI controller integral time in cycles (Go 1.18: 4.0).
    public var ti: Double = 4.0
    /// go118: PI controller anti-windup reset time in cycles (Go 1.18: 1000).
    public var tt: Double = 1000
    /// go118: lowest PI controller output (Go 1.18: −1000).
    public var piMin: Double = -1000
    /// go118: highest PI controller output (Go 1.18: 1000).
    public var piMax: Double = 1000

    /// go121: the cons/mark estimate is the maximum of the current and this many previous measurements
    /// (Go 1.21: 4).
    public var consMarkHistory: Int = 4

    /// membalancer: the tuning constant c of E = sqrt(L·g/(c·s)), per MiB (see MemBalancer.swift). Smaller
    /// gives more memory and less GC time. The default puts the simulator's steady scenario near the
    /// go121 heap at GOGC=100.
    public var memBalancerC: Double = 0.01
    /// membalancer: weight of the previous value in the per-cycle exponential smoothing of g and s.
    public var memBalancerSmoothing: Double = 0.5

    /// Memory-limit goal headroom, percent of the limit-derived goal (Go 1.21: 3).
    public var memoryLimitHeadroomPercent: Int = 3
    /// Minimum memory-limit goal headroom in bytes (Go 1.21: 1 MiB).
    public var memoryLimitMinHeadroom: Int = 1 << 20

    /// Whether drivers should run the GC CPU limiter (Go: always on since 1.19).
    public var cpuLimiterEnabled: Bool = true
    /// GC CPU limiter bucket capacity per processor, in CPU-seconds (Go: capacityPerProc = 1 s).
    public var cpuLimiterCapacityPerProc: Double = 1.0

    /// Go's defaults.
    public init() {}

    /// Whether GOGC is off.
    public var gogcOff: Bool { gogc < 0 }

    /// The heap minimum scaled by GOGC/100, as Go does (0 when GOGC is off).
    public var scaledHeapMinimum: Int {
        gogcOff ? 0 : Int((Double(heapMinimum) * Double(gogc) / 100).rounded(.down))
    }

    /// h_g: the goal growth ratio GOGC/100 (a very large number when GOGC is off, as Go's revise uses).
    public var goalGrowthRatio: Double { gogcOff ? 1000 : Double(gogc) / 100 }

    /// A one-line problem with this configuration, or nil when it is usable.
    public func validationError() -> String? {
        if let limit = memoryLimit, limit <= 0 { return "memory limit must be positive" }
        if gogcOff && memoryLimit == nil { return "GOGC off needs a memory limit (otherwise nothing paces the heap)" }
        for p in PacerParameter.all {
            // "Off" is spelled outside the numeric ranges: negative GOGC, nil memory limit.
            if (p.name == "gogc" && gogcOff) || (p.name == "memory-limit" && memoryLimit == nil) { continue }
            let v = p.get(self)
            if !v.isFinite || !p.range.contains(v) {
                return "--\(p.name) \(v) is out of range \(p.range.lowerBound)...\(p.range.upperBound)"
            }
        }
        if triggerMin > triggerMax { return "--trigger-min \(triggerMin) exceeds --trigger-max \(triggerMax)" }
        if piMin >= piMax { return "--pi-min \(piMin) must be below --pi-max \(piMax)" }
        return nil
    }
}

/// One numeric, tunable field of `PacerConfig`, named as on the command line (`--kp`).
public struct PacerParameter: @unchecked Sendable {
    /// Command-line name without dashes, e.g. "kp".
    public let name: String
    /// One line for `--help`.
    public let summary: String
    /// Values accepted.
    public let range: ClosedRange<Double>
    /// Whether only whole numbers make sense (GOGC, byte counts, history length).
    public let isInteger: Bool
    /// Pacers that read this parameter; empty means all of them.
    public let appliesTo: Set<PacerKind>
    /// Reads the parameter from a configuration.
    public let get: (PacerConfig) -> Double
    /// Writes the parameter into a configuration (whole-number parameters are rounded).
    public let set: (inout PacerConfig, Double) -> Void

    /// Whether `kind` reads this parameter.
    public func applies(to kind: PacerKind) -> Bool { appliesTo.isEmpty || appliesTo.contains(kind) }

    /// The parameter called `name`, if any.
    public static func named(_ name: String) -> PacerParameter? { all.first { $0.name == name } }

    /// Every tunable parameter, in help order. GOGC and the memory limit are included so that they too can
    /// be swept; "off" for either is handled by the command line, not here.
    public static let all: [PacerParameter] = [
        PacerParameter(name: "gogc", summary: "GOGC percent (default 100)", range: 0...1_000_000, isInteger: true,
                       appliesTo: [], get: { Double($0.gogc) }, set: { $0.gogc = Int($1.rounded()) }),
        PacerParameter(name: "memory-limit", summary: "soft memory limit in bytes (default off)",
                       range: 1...9.0e18, isInteger: true, appliesTo: [],
                       get: { Double($0.memoryLimit ?? Int(9.0e18)) }, set: { $0.memoryLimit = Int($1.rounded()) }),
        PacerParameter(name: "util", summary: "GC CPU utilization target u_g (default 0.25)", range: 0.01...0.99,
                       isInteger: false, appliesTo: [], get: { $0.utilizationTarget }, set: { $0.utilizationTarget = $1 }),
        PacerParameter(name: "heap-minimum", summary: "minimum heap goal at GOGC=100, bytes (default 4 MiB; at least 64 KiB, as for gclab run)",
                       range: 65536...9.0e18, isInteger: true, appliesTo: [],
                       get: { Double($0.heapMinimum) }, set: { $0.heapMinimum = Int($1.rounded()) }),
        PacerParameter(name: "hard-goal", summary: "overshoot factor once past the goal (default 1.1)",
                       range: 1.0...10.0, isInteger: false, appliesTo: [],
                       get: { $0.maxOvershoot }, set: { $0.maxOvershoot = $1 }),
        PacerParameter(name: "trigger-fraction", summary: "fixed: trigger at this fraction of the runway (default 0.7)",
                       range: 0...1, isInteger: false, appliesTo: [.fixed],
                       get: { $0.triggerFraction }, set: { $0.triggerFraction = $1 }),
        PacerParameter(name: "kt", summary: "go15: trigger controller gain K_T (default 0.5)", range: 0...2,
                       isInteger: false, appliesTo: [.go15], get: { $0.triggerGain }, set: { $0.triggerGain = $1 }),
        PacerParameter(name: "initial-trigger", summary: "go15: initial trigger ratio h_T(0) (default 0.875)",
                       range: 0...100, isInteger: false, appliesTo: [.go15],
                       get: { $0.initialTriggerRatio }, set: { $0.initialTriggerRatio = $1 }),
        PacerParameter(name: "trigger-min", summary: "go118/go121/membalancer: lowest trigger, fraction of runway (default 0.7)",
                       range: 0...1, isInteger: false, appliesTo: [.go118, .go121, .membalancer],
                       get: { $0.triggerMin }, set: { $0.triggerMin = $1 }),
        PacerParameter(name: "trigger-max", summary: "go15/go118/go121/membalancer: highest trigger, fraction of runway (default 0.95)",
                       range: 0...1, isInteger: false, appliesTo: [.go15, .go118, .go121, .membalancer],
                       get: { $0.triggerMax }, set: { $0.triggerMax = $1 }),
        PacerParameter(name: "kp", summary: "go118: PI proportional gain (default 0.9)", range: 0...100,
                       isInteger: false, appliesTo: [.go118], get: { $0.kp }, set: { $0.kp = $1 }),
        PacerParameter(name: "ti", summary: "go118: PI integral time, cycles (default 4.0; 0 disables the integral)",
                       range: 0...1e9, isInteger: false, appliesTo: [.go118], get: { $0.ti }, set: { $0.ti = $1 }),
        PacerParameter(name: "tt", summary: "go118: PI anti-windup reset time, cycles (default 1000; 0 disables the integral)",
                       range: 0...1e9, isInteger: false, appliesTo: [.go118], get: { $0.tt }, set: { $0.tt = $1 }),
        PacerParameter(name: "pi-min", summary: "go118: lowest PI output (default -1000)", range: -1e12...1e12,
                       isInteger: false, appliesTo: [.go118], get: { $0.piMin }, set: { $0.piMin = $1 }),
        PacerParameter(name: "pi-max", summary: "go118: highest PI output (default 1000)", range: -1e12...1e12,
                       isInteger: false, appliesTo: [.go118], get: { $0.piMax }, set: { $0.piMax = $1 }),
        PacerParameter(name: "consmark-history", summary: "go121/membalancer: previous cons/mark measurements to max over (default 4)",
                       range: 0...64, isInteger: true, appliesTo: [.go121, .membalancer],
                       get: { Double($0.consMarkHistory) }, set: { $0.consMarkHistory = Int($1.rounded()) }),
        PacerParameter(name: "membalancer-c", summary: "membalancer: c in E = sqrt(L*g/(c*s)), per MiB (default 0.01; smaller = bigger heap)",
                       range: 0.000001...1e9, isInteger: false, appliesTo: [.membalancer],
                       get: { $0.memBalancerC }, set: { $0.memBalancerC = $1 }),
        PacerParameter(name: "membalancer-smoothing", summary: "membalancer: weight of the old g and s per cycle (default 0.5)",
                       range: 0...0.99, isInteger: false, appliesTo: [.membalancer],
                       get: { $0.memBalancerSmoothing }, set: { $0.memBalancerSmoothing = $1 }),
        PacerParameter(name: "limit-headroom", summary: "memory-limit goal headroom percent (default 3)",
                       range: 0...99, isInteger: true, appliesTo: [],
                       get: { Double($0.memoryLimitHeadroomPercent) }, set: { $0.memoryLimitHeadroomPercent = Int($1.rounded()) }),
        PacerParameter(name: "limiter-capacity", summary: "GC CPU limiter bucket, CPU-seconds per processor (default 1.0)",
                       range: 0...1e6, isInteger: false, appliesTo: [],
                       get: { $0.cpuLimiterCapacityPerProc }, set: { $0.cpuLimiterCapacityPerProc = $1 }),
    ]
}
