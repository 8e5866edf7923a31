// `gclab stress`'s configuration space: one random `gclab run --verify` per index, drawn only from what the
// plans declare in their traits (barriers, mark workers, pacers, their own options) and the workload
// registry, so a collector, barrier or option added to a registry is stressed with no change here.
//
// Draw i depends on the seed and i alone (its own SplitMix64 stream), so the same seed gives the same
// draws whatever --jobs, --time or the order in which runs finish, and the draws of --runs 5 are the first
// five of --runs 50. Each candidate is checked by `RunCommand.parse`, the very code `gclab run` runs: a
// combination gclab refuses is drawn again, and gclab's own `unsafeReason` decides whether it is unsafe
// (it then runs with --unsafe). Unsafe draws come at `unsafeRate`: the draw first decides which kind it
// wants, then draws until a candidate is of that kind.

import ConcurrentGC
import Foundation
import Pacer
import Workloads

/// One drawn configuration.
struct StressDraw {
    /// Its index in the draw sequence (0-based).
    var index: Int
    var collector: CollectorKind
    var workload: String
    /// The arguments after `gclab run`, --verify (and --unsafe where needed) included, without --out/--quiet.
    var arguments: [String]
    /// `collector/barrier/choice options`, e.g. `concurrent/yuasa/handshake`.
    var className: String
    /// Why gclab calls it unsafe, or nil for a safe configuration.
    var unsafeReason: String?

    var safe: Bool { unsafeReason == nil }
    /// The command that reproduces the run.
    var command: String { (["gclab", "run"] + arguments).joined(separator: " ") }
}

/// The space draws come from.
struct StressSpace {
    var collectors: [CollectorKind]
    var workloads: [String]
    var scale: String
    /// Mutator threads are drawn in 1...maxThreads.
    var maxThreads: Int
    /// The fraction of draws (of collectors that have unsafe configurations) that are unsafe.
    var unsafeRate: Double
    var seed: UInt64

    /// Heap minima (`--heap-minimum`): small, so that collections come often.
    static let heapMinima = ["64K", "128K", "256K", "512K", "1M"]
    static let gogcs = [25, 50, 100, 200]
    /// Candidates drawn for one configuration before giving up the wanted kind (safe or unsafe).
    static let attempts = 500

    /// The options that decide the draws, as a command: with it, draw i is the same on any machine.
    var command: String {
        var words = ["gclab stress --seed \(seed)"]
        if collectors != CollectorKind.allCases { words.append("--collectors " + collectors.map(\.name).joined(separator: ",")) }
        if workloads != WorkloadRegistry.all.map({ $0.name }) { words.append("--workloads " + workloads.joined(separator: ",")) }
        words += ["--scale \(scale)", "--max-threads \(maxThreads)", "--unsafe-rate \(unsafeRate)"]
        return words.joined(separator: " ")
    }

    /// Draw `index`.
    func draw(_ index: Int) -> StressDraw {
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(index) &+ 0x5EED)))
        let collector = collectors[rng.below(collectors.count)]
        let wantUnsafe = collector.traits.takesUnsafe && rng.nextUnit() < unsafeRate
        var fallback: StressDraw?
        for _ in 0..<Self.attempts {
            guard let d = candidate(index: index, collector: collector, &rng) else { continue }
            if d.safe != wantUnsafe { return d }
            fallback = fallback ?? d
        }
        // Every plan in the registry has both kinds within a few candidates; a new plan whose unsafe
        // configurations are all refused gets the first valid one it drew.
        guard let d = fallback else { fatalError("stress: no configuration of \(collector) passes `gclab run`'s checks") }
        return d
    }

    /// One random configuration of `collector`, or nil when `gclab run` would refuse it.
    func candidate(index: Int, collector: CollectorKind, _ rng: inout SplitMix64) -> StressDraw? {
        let traits = collector.traits
        let workload = workloads[rng.below(workloads.count)]
        var args = ["--collector", collector.name, "--workload", workload, "--scale", scale,
                    "--threads", String(1 + rng.below(maxThreads)), "--seed", String(1 + rng.below(1 << 30)),
                    "--heap-minimum", Self.heapMinima[rng.below(Self.heapMinima.count)],
                    "--gogc", String(Self.gogcs[rng.below(Self.gogcs.count)])]
        if !traits.barriers.isEmpty { args += ["--barrier", traits.barriers[rng.below(traits.barriers.count)].name] }
        if traits.markWorkers != nil && rng.below(2) == 0 { args += ["--mark-workers", String(rng.below(5))] }
        if !traits.pacers.isEmpty {
            // nil: the plan's default pacer.
            let pacers: [String?] = [nil, "gogc"] + traits.pacers.map(\.rawValue)
            if let p = pacers[rng.below(pacers.count)] { args += ["--pacer", p] }
        }
        for option in traits.options where rng.below(10) >= 3 {  // 30 %: the option's default
            args += ["--" + option.name, Self.value(of: option, &rng)]
        }
        args.append("--verify")
        if traits.takesUnsafe { args.append("--unsafe") }
        let request: RunCommand.Request
        do {
            let o = try OptionParser(args + ["--out", "stress-validation"], valueOptions: RunCommand.valueOptions,
                                     flagOptions: RunCommand.flagOptions)
            request = try RunCommand.parse(o)
        } catch {
            return nil
        }
        let reason = request.heap.unsafeReason
        if reason == nil { args.removeAll { $0 == "--unsafe" } }
        return StressDraw(index: index, collector: collector, workload: workload, arguments: args,
                          className: Self.className(request.heap), unsafeReason: reason)
    }

    /// The configuration class: the collector, its barrier where it takes one, and the value of each of its
    /// choice options (`--roots`, `--read-barrier`, `--remset`, `--major`: what decides how it keeps objects;
    /// numeric options are tuning and stay inside a class).
    static func className(_ c: HeapConfiguration) -> String {
        let traits = c.collector.traits
        var parts = [c.collector.name]
        if !traits.barriers.isEmpty { parts.append(c.barrier.name) }
        for option in traits.options {
            if case .choice = option.domain { parts.append(c.value(of: option).description) }
        }
        return parts.joined(separator: "/")
    }

    /// A random value of `option`, as typed: a choice uniformly; a number or integer its default times
    /// 2^-3 ... 2^3 (and the domain's lower bound 0 where it has one), kept in the domain; a size its default
    /// times 2^-6 ... 1 (sizes are budgets, a nursery: smaller means more collections).
    static func value(of option: PlanOption, _ rng: inout SplitMix64) -> String {
        let scale = Double(1 << 6)
        switch (option.domain, option.defaultValue) {
        case (.choice(let names), _):
            return names[rng.below(names.count)]
        case (.integer(let r), .integer(let d)):
            let n = Int(Double(d) * Double(1 << rng.below(7)) / 8)
            return String(min(max(n, r.lowerBound), r.upperBound))
        case (.size(let r), .integer(let d)):
            let n = Int(Double(d) * Double(1 << rng.below(7)) / scale)
            return String(min(max(n, r.lowerBound), r.upperBound))
        case (.number(let r), .number(let d)):
            let k = rng.below(r.lowerBound == 0 ? 8 : 7)
            let x = k == 7 ? 0 : d * Double(1 << k) / 8
            return PlanOption.Value.number(min(max(x, r.lowerBound), r.upperBound)).description
        default:
            return option.defaultValue.description
        }
    }
}

/// The seed of a stress run without --seed.
enum StressSeed {
    /// A seed from the clock and the process id, for a run without --seed (it is printed).
    static func fresh() -> UInt64 {
        SplitMix64.mix(UInt64(Date().timeIntervalSince1970 * 1e6) ^ UInt64(getpid()) << 40) % 1_000_000_000
    }
}
