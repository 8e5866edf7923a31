// From a MatrixSpec to the list of runs: the cross product of the dimensions, a stable run id per run,
// and each run's `gclab run` arguments, validated in-process by RunCommand.parse before anything runs
// (a bad combination is refused with exit code 2 and nothing written). What applies to which collector
// comes from the plans' traits: barriers, --unsafe, mark workers, pacers and each plan's own options apply
// only to the plans that take them, pacer gains only to the pacers that read them, so those dimensions
// collapse where they do not apply instead of producing duplicate runs.

import ConcurrentGC
import Foundation
import Pacer

/// One configuration of the matrix; its repeats share it.
struct MatrixConfig {
    /// The options this configuration sets, in expansion order; `heap` holds the value as given (64M, 2.5x).
    var settings: [(key: String, value: String)]
    /// First 12 hex digits of the FNV-1a 64 hash of the sorted `key=value` lines of `settings`.
    var id: String
    /// What `--heap-max` gets: the size given, or a multiple resolved against the min-heap cache.
    var heapMaxArgument: String?
    /// The run's configuration columns as `gclab run` will record them, filled in by validation.
    var run: RunConfiguration?
    var unsafe = false
    var heapMinimumBytes = 0

    init(settings: [(key: String, value: String)]) {
        self.settings = settings
        let canonical = settings.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonical.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        id = String(String(hash, radix: 16).leftPadded(to: 16).prefix(12))
        if let heap = value("heap"), MatrixSpec.heapMultiple(heap) == nil { heapMaxArgument = heap }
    }

    func value(_ key: String) -> String? { settings.first { $0.key == key }?.value }

    /// `2.5` for `--heap 2.5x`.
    var heapMultiple: Double? { value("heap").flatMap(MatrixSpec.heapMultiple) }

    /// `workload=gcbench collector=concurrent barrier=none`, for messages.
    var description: String { settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }

    /// The `gclab run` arguments, without the subcommand.
    func arguments(out: String) -> [String] {
        var args: [String] = []
        for (key, value) in settings {
            if MatrixSpec.runFlags.contains(key) { args.append("--" + key); continue }
            if key == "heap" {
                if let h = heapMaxArgument { args += ["--heap-max", h] }
                continue
            }
            args += ["--" + key, value]
        }
        return args + ["--quiet", "--out", out]
    }
}

/// One run: a configuration and a repeat.
struct MatrixRun {
    /// 0-based position in the full (unsharded) list.
    var index: Int
    /// 1-based.
    var repeatIndex: Int
    var config: MatrixConfig
    var runId: String { "\(config.id)-\(repeatIndex)" }
}

/// The expanded, validated matrix.
struct MatrixPlan {
    var configs: [MatrixConfig] = []
    /// Every run in the matrix order: all configurations once, then all again for each repeat.
    var runs: [MatrixRun] {
        (1...repeats).flatMap { r in configs.enumerated().map { MatrixRun(index: (r - 1) * configs.count + $0.offset, repeatIndex: r, config: $0.element) } }
    }
    var repeats: Int
    /// Pacer gains given as dimensions: extra summary columns.
    var gainColumns: [String]
    /// Setting keys with more than one value across the matrix (shown in progress lines).
    var varyingKeys: [String]

    /// Expands `spec` and validates every configuration (with `--heap Nx` left at the default heap size
    /// until `resolveHeaps`).
    init(_ spec: MatrixSpec) throws {
        let count = MatrixPlan.countRuns(spec, limit: MatrixPlan.maxRuns)
        guard count <= MatrixPlan.maxRuns else {
            throw UsageError("this matrix has more than \(MatrixPlan.maxRuns) runs (the most one matrix may have): give fewer values or --repeat, or split it into several matrices")
        }
        repeats = spec.repeats
        gainColumns = MatrixSpec.gainNames.filter { spec.lists[$0] != nil }
        var seen = Set<String>()
        var list: [MatrixConfig] = []
        for settings in MatrixPlan.expand(spec) {
            let config = MatrixConfig(settings: settings)
            if seen.insert(config.id).inserted { list.append(config) }
        }
        var keys: [String] = []
        for key in list.flatMap({ $0.settings.map(\.key) }) where !keys.contains(key) { keys.append(key) }
        varyingKeys = keys.filter { key in Set(list.map { $0.value(key) ?? "" }).count > 1 }
        configs = list
        try checkEveryValueIsUsed(spec)
        for i in configs.indices { try MatrixPlan.validate(&configs[i]) }
    }

    /// The most runs a matrix may have (configurations x repeats): 100,000 runs of even a second each
    /// are more than a day on one machine, and expanding them takes seconds and hundreds of MB.
    static let maxRuns = 100_000

    /// The number of runs `spec` expands to (configurations x repeats), counted without expanding it and
    /// saturating at `limit + 1`: which dimensions apply depends only on the collector and the pacer
    /// chosen so far, so the count is kept per (collector, pacer) pair, a handful of states, whatever the
    /// product of the other dimensions.
    static func countRuns(_ spec: MatrixSpec, limit: Int) -> Int {
        func times(_ a: Int, _ b: Int) -> Int {
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow || p > limit ? limit + 1 : p
        }
        var states: [(collector: String?, pacer: String?, count: Int)] = [(nil, nil, 1)]
        for (name, option) in MatrixSpec.dimensions {
            let given = spec.lists[name] ?? (name == "workloads" ? ["gcbench"] : name == "collectors" ? [CollectorKind.runDefault.name] : [])
            let key = name == "heap" ? "heap" : option
            states = states.flatMap { state -> [(collector: String?, pacer: String?, count: Int)] in
                let settings = [state.collector.map { (key: "collector", value: $0) }, state.pacer.map { (key: "pacer", value: $0) }].compactMap { $0 }
                guard !given.isEmpty, applies(key, to: settings) else { return [state] }
                switch key {
                case "collector": return given.map { (Optional($0), state.pacer, state.count) }
                case "pacer": return given.map { (state.collector, Optional($0), state.count) }
                default: return [(state.collector, state.pacer, times(state.count, given.count))]
                }
            }
        }
        let configurations = states.reduce(0) { min(limit + 1, $0 + $1.count) }
        return times(configurations, spec.repeats)
    }

    /// The cross product, as ordered settings per configuration (may contain duplicates).
    private static func expand(_ spec: MatrixSpec) -> [[(key: String, value: String)]] {
        var result: [[(key: String, value: String)]] = [[]]
        for (name, option) in MatrixSpec.dimensions {
            let given = spec.lists[name] ?? (name == "workloads" ? ["gcbench"] : name == "collectors" ? [CollectorKind.runDefault.name] : [])
            let key = name == "heap" ? "heap" : option
            result = result.flatMap { settings -> [[(key: String, value: String)]] in
                guard !given.isEmpty, applies(key, to: settings) else { return [settings] }
                return given.map { settings + [(key, $0)] }
            }
        }
        return result.map { settings in
            var s = settings
            for name in MatrixSpec.passThrough { if let v = spec.singles[name], applies(name, to: s) { s.append((name, v)) } }
            for flag in MatrixSpec.runFlags where spec.runFlags.contains(flag) && applies(flag, to: s) { s.append((flag, "1")) }
            return s
        }
    }

    /// Whether option `key` means anything for a run with `settings` so far (the collector's traits say).
    private static func applies(_ key: String, to settings: [(key: String, value: String)]) -> Bool {
        guard let name = settings.first(where: { $0.key == "collector" })?.value else { return true }
        guard let kind = CollectorKind(name: name) else { return true }  // an unknown collector: refused by validation
        let traits = kind.traits
        switch key {
        case "barrier": return !traits.barriers.isEmpty
        case "unsafe": return traits.takesUnsafe
        case "mark-workers": return traits.markWorkers != nil
        case "pacer": return !traits.pacers.isEmpty
        default: break
        }
        if CollectorKind.allPlanOptions.contains(where: { $0.name == key }) { return traits.options.contains { $0.name == key } }
        guard let parameter = PacerParameter.named(key), MatrixSpec.gainNames.contains(key) else { return true }
        let pacer = settings.first { $0.key == "pacer" }?.value ?? traits.defaultPacer?.rawValue ?? "gogc"
        guard let pacerKind = PacerKind(rawValue: pacer) else { return pacer != "gogc" }  // an unknown pacer: refused later
        return traits.pacers.contains(pacerKind) && parameter.applies(to: pacerKind)
    }

    /// A value given in the spec that no run uses is a mistake (e.g. `--barriers` with only stw).
    private func checkEveryValueIsUsed(_ spec: MatrixSpec) throws {
        for (name, option) in MatrixSpec.dimensions {
            let key = name == "heap" ? "heap" : option
            for value in spec.lists[name] ?? [] where !configs.contains(where: { $0.value(key) == value }) {
                let why: String
                if name == "barriers" {
                    why = "barriers apply to --collectors \(CollectorKind.names { !$0.traits.barriers.isEmpty }) only"
                } else if name == "pacers" {
                    why = "pacers apply to --collectors \(CollectorKind.names { !$0.traits.pacers.isEmpty }) only"
                } else if let o = CollectorKind.allPlanOptions.first(where: { $0.name == name }) {
                    why = "it applies to --collectors \(CollectorKind.names { $0.traits.options.contains(o) }) only"
                } else {
                    why = "it is read by pacers \(PacerKind.allCases.filter { PacerParameter.named(key)!.applies(to: $0) }.map(\.rawValue).joined(separator: ", ")) only"
                }
                throw UsageError("--\(name) \(value) applies to no run in this matrix: \(why)")
            }
        }
        for name in MatrixSpec.passThrough + MatrixSpec.runFlags
        where (spec.singles[name] != nil || spec.runFlags.contains(name)) && !configs.contains(where: { $0.value(name) != nil }) {
            let takers = name == "mark-workers" ? CollectorKind.names { $0.traits.markWorkers != nil }
                : CollectorKind.names { !$0.traits.barriers.isEmpty }
            throw UsageError("--\(name) applies to no collector of this matrix (it applies to \(takers))")
        }
    }

    /// A path that does not exist: validation must not create or touch anything.
    static let validationOut = "/nonexistent/gclab-matrix-validation"

    /// Validates a configuration exactly as `gclab run` would, recording its configuration columns.
    static func validate(_ config: inout MatrixConfig) throws {
        do {
            let o = try OptionParser(config.arguments(out: validationOut), valueOptions: RunCommand.valueOptions, flagOptions: RunCommand.flagOptions)
            let request = try RunCommand.parse(o)
            config.run = request.run
            config.unsafe = request.heap.allowUnsafe
            config.heapMinimumBytes = request.heap.minimumTriggerBytes
        } catch let error as UsageError {
            throw UsageError("\(config.description): \(error.message)")
        }
    }

    /// Turns every `--heap Nx` into bytes: N × the workload's minimum heap from the min-heap cache,
    /// searched for first if missing, rounded up to 4 KiB. Then validates those runs again.
    mutating func resolveHeaps(cache: URL, timeout: Double, quiet: Bool) throws {
        for i in configs.indices {
            guard let multiple = configs[i].heapMultiple, let run = configs[i].run else { continue }
            let key = MinHeapKey(workload: run.workload, scale: run.scale, threads: run.threads, collector: run.collector.name)
            let minimum = try MinHeapSearch.cachedOrSearch(key, cache: cache, timeout: timeout, quiet: quiet)
            let bytes = (Int((Double(minimum) * multiple).rounded(.up)) + 4095) / 4096 * 4096
            configs[i].heapMaxArgument = String(bytes)
            try MatrixPlan.validate(&configs[i])
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
