// Grid search over pacer gains on the simulator.
//
// Every combination of the given ranges is simulated for each seed; a point's metrics average over seeds
// (worst overshoot is the worst over seeds). Points are ranked by one documented score, lower is better:
//     score = mean|peak/goal − 1| + mean|u − u_g| + 0.002·(cycles to settle after the step)
// i.e. 1 % of goal error, 1 % of utilization error and 5 cycles of settling weigh the same (scenarios
// without a step have no settle term). The defaults
// (the base configuration, Go's gains) are scored the same way so the best point can be compared with them.
// Points whose configuration is invalid (e.g. trigger-min > trigger-max) are reported but never ranked.
// Invariant: the result depends only on the inputs (points may run in parallel but are stored by index).


/// Metrics of one configuration, averaged over seeds.
public struct TuneMetrics: Equatable, Sendable {
    /// Mean over seeds of mean |peak/goal − 1| after the warm-up.
    public var meanGoalError: Double
    /// Mean over seeds of mean |u − u_g| after the warm-up.
    public var meanUtilizationError: Double
    /// Mean over seeds of the cycles to settle after the scenario's step (nil without a step).
    public var settleCycles: Double?
    /// Worst over seeds of max(peak/goal) − 1 after the warm-up.
    public var worstOvershoot: Double
    /// Mean utilization after the warm-up.
    public var meanUtilization: Double
    /// Mean peak/goal after the warm-up.
    public var meanPeakOverGoal: Double
    /// Mean peak heap in bytes after the warm-up (for memory/GC-time curves such as membalancer's c).
    public var meanPeakBytes: Double = 0
    /// The GC's share of all CPU time after the warm-up.
    public var gcCPUShare: Double = 0

    /// Weight of one settling cycle in the score.
    public static let settleWeight = 0.002

    /// The ranking score (lower is better).
    public var score: Double { meanGoalError + meanUtilizationError + TuneMetrics.settleWeight * (settleCycles ?? 0) }
}

/// One grid point.
public struct TunePoint: Sendable {
    /// Parameter values, in the order of `GainSearch.ranges`.
    public var values: [Double]
    /// The configuration simulated.
    public var config: PacerConfig
    /// Metrics, or nil if the configuration is invalid.
    public var metrics: TuneMetrics?
    /// Why the point is invalid, if it is.
    public var invalidReason: String?
}

/// The outcome of a gain search.
public struct GainSearchResult: Sendable {
    /// Swept parameter names, in column order.
    public var parameterNames: [String]
    /// Every point, in grid order (last parameter varies fastest).
    public var points: [TunePoint]
    /// The best valid point, or nil if none is valid.
    public var best: TunePoint?
    /// Metrics of the base configuration (the defaults).
    public var defaults: TuneMetrics

    /// The search as a tune.csv table.
    public var csvTable: CSVTable {
        var table = CSVTable(header: parameterNames + [
            "mean_abs_goal_error", "mean_abs_util_error", "settle_cycles", "worst_overshoot", "mean_utilization",
            "mean_peak_over_goal", "mean_peak_bytes", "gc_cpu_share", "score", "note",
        ])
        for p in points {
            let m = p.metrics
            table.append(p.values.map(ParameterRange.format) + [
                CSVTable.number(m?.meanGoalError), CSVTable.number(m?.meanUtilizationError),
                CSVTable.number(m?.settleCycles, digits: 2), CSVTable.number(m?.worstOvershoot),
                CSVTable.number(m?.meanUtilization), CSVTable.number(m?.meanPeakOverGoal),
                m.map { String(Int($0.meanPeakBytes.rounded())) } ?? "", CSVTable.number(m?.gcCPUShare), CSVTable.number(m?.score),
                p.invalidReason ?? "",
            ])
        }
        return table
    }
}

/// A grid search over pacer parameters on one scenario.
public struct GainSearch: Sendable {
    /// The simulated program.
    public var scenario: Scenario
    /// The pacer tuned.
    public var kind: PacerKind
    /// Configuration for everything not swept (already carrying the scenario's GOGC and limit).
    public var base: PacerConfig
    /// The swept parameters.
    public var ranges: [ParameterRange]
    /// Seeds each point is simulated with.
    public var seeds: [UInt64]
    /// Simulation options (the seed field is replaced by each of `seeds`).
    public var options: SimulationOptions
    /// Cycles excluded from the means.
    public var warmup: Int

    /// Creates a search; throws if a range names an unknown parameter or one `kind` does not use.
    public init(scenario: Scenario, kind: PacerKind, base: PacerConfig, ranges: [ParameterRange],
                seeds: [UInt64], options: SimulationOptions = SimulationOptions(), warmup: Int = 25) throws {
        for r in ranges {
            guard let p = PacerParameter.named(r.name) else { throw PacerInputError("unknown parameter --\(r.name)") }
            guard p.applies(to: kind) else { throw PacerInputError("--\(r.name) does not apply to pacer \(kind.rawValue)") }
        }
        guard !seeds.isEmpty else { throw PacerInputError("at least one seed is needed") }
        self.scenario = scenario
        self.kind = kind
        self.base = base
        self.ranges = ranges
        self.seeds = seeds
        self.options = options
        self.warmup = warmup
    }

    /// Number of grid points.
    public var pointCount: Int { ranges.reduce(1) { $0 * $1.values.count } }

    /// The values and configuration of grid point `index` (last range varies fastest).
    public func point(_ index: Int) -> (values: [Double], config: PacerConfig) {
        var rest = index
        var values = [Double](repeating: 0, count: ranges.count)
        for k in stride(from: ranges.count - 1, through: 0, by: -1) {
            let n = ranges[k].values.count
            values[k] = ranges[k].values[rest % n]
            rest /= n
        }
        var config = base
        for (r, v) in zip(ranges, values) { PacerParameter.named(r.name)!.set(&config, v) }
        return (values, config)
    }

    /// Simulates `config` on every seed and aggregates.
    public func evaluate(_ config: PacerConfig) throws -> TuneMetrics {
        var goal = 0.0, util = 0.0, settle: Double? = nil, worst = -Double.infinity, meanU = 0.0, meanP = 0.0
        var peak = 0.0, share = 0.0
        for seed in seeds {
            var opts = options
            opts.seed = seed
            let result = try Simulator.run(scenario: scenario, kind: kind, config: config, options: opts)
            let s = SimulationSummary(result, warmup: warmup)
            goal += s.meanGoalError
            util += s.meanUtilizationError
            if let cycles = s.settleCycles { settle = (settle ?? 0) + Double(cycles) }
            worst = max(worst, s.worstOvershoot)
            meanU += s.meanUtilization
            meanP += s.meanPeakOverGoal
            peak += s.meanPeakBytes
            share += s.gcCPUShare
        }
        let n = Double(seeds.count)
        return TuneMetrics(meanGoalError: goal / n, meanUtilizationError: util / n, settleCycles: settle.map { $0 / n },
                           worstOvershoot: worst, meanUtilization: meanU / n, meanPeakOverGoal: meanP / n,
                           meanPeakBytes: peak / n, gcCPUShare: share / n)
    }

    /// Runs the whole grid and the defaults. `forEach(n, body)` must call `body(i)` once for every i in
    /// 0..<n, in any order and on any threads: the command line runs the points in parallel, this module
    /// starts no thread. Each call writes only its own point's slot, so the slots need no lock.
    public func run(forEach: (Int, (Int) -> Void) -> Void = { n, body in for i in 0..<n { body(i) } }) throws -> GainSearchResult {
        let count = pointCount
        let slots = UnsafeMutableBufferPointer<Result<TunePoint, Error>?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            _ = slots.deinitialize()
            slots.deallocate()
        }
        let search = self
        forEach(count) { i in
            let (values, config) = search.point(i)
            if let reason = config.validationError() {
                slots[i] = .success(TunePoint(values: values, config: config, metrics: nil, invalidReason: reason))
                return
            }
            do {
                let metrics = try search.evaluate(config)
                slots[i] = .success(TunePoint(values: values, config: config, metrics: metrics, invalidReason: nil))
            } catch {
                slots[i] = .failure(error)
            }
        }
        let points = try slots.map { slot -> TunePoint in
            guard let slot else { preconditionFailure("forEach skipped a point") }
            return try slot.get()
        }
        var best: TunePoint? = nil
        for p in points {
            guard let m = p.metrics else { continue }
            if best == nil || m.score < best!.metrics!.score { best = p }
        }
        return GainSearchResult(parameterNames: ranges.map(\.name), points: points, best: best,
                                defaults: try evaluate(base))
    }
}
