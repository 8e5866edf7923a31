// Runs a pacer cycle by cycle against a simulated program (no heap, no threads).
//
// Each cycle (Go's TestGcPacer model, extended with time between cycles and the GC CPU limiter):
//  1. Between cycles the mutator alone allocates from the marked heap up to the trigger, on all P cores.
//  2. Marking proceeds in revise periods of 500 µs. In each period the assist ratio a (scan work owed per
//     byte allocated) fixes the split of CPU between GC and mutator: scanned/allocated must equal a, so
//         u = a·alloc / (a·alloc + scan),   at least the background share u_bg (dedicated workers),
//     and the period scans scan·u and allocates alloc·(1 − u) per core. While the limiter's bucket is full,
//     assists stop and u = u_bg. Globals, then stacks, then heap are scanned; the cycle ends when all the
//     live heap (last cycle's survivors × growth, times the scannable fraction) is scanned, the final period
//     cut short in proportion.
//  3. Everything allocated during marking is allocated black: it survives this cycle and counts as marked.
// Invariant: the simulation is a pure function of (scenario, pacer kind, config, options): same inputs,
// same CSV, byte for byte.

/// Run options.
public struct SimulationOptions: Equatable, Sendable {
    /// Cycles to run.
    public var cycles: Int
    /// Seed for every random signal.
    public var seed: UInt64
    /// Extra relative jitter on the allocation rate per cycle (0 = the scenario as defined).
    public var noise: Double
    /// Revise period in milliseconds (Go's test: 0.5).
    public var revisePeriodMillis: Double

    /// Creates options.
    public init(cycles: Int = 100, seed: UInt64 = 1, noise: Double = 0, revisePeriodMillis: Double = 0.5) {
        self.cycles = cycles
        self.seed = seed
        self.noise = noise
        self.revisePeriodMillis = revisePeriodMillis
    }
}

/// One simulated cycle, as written to cycles.csv.
public struct SimulatedCycle: Equatable, Sendable {
    /// 1-based cycle number.
    public var cycle: Int
    /// Marked heap the cycle's goal was computed from (the previous cycle's result).
    public var heapMarked: Int
    /// Heap at which marking began.
    public var trigger: Int
    /// The cycle's heap goal.
    public var heapGoal: Int
    /// Heap at mark termination.
    public var heapPeak: Int
    /// The memory-limit goal in force, if any.
    public var memoryLimitGoal: Int?
    /// GC CPU utilization during marking.
    public var utilization: Double
    /// Background utilization provisioned (dedicated + fractional workers).
    public var backgroundUtilization: Double
    /// Measured cons/mark ratio of this cycle.
    public var measuredConsMark: Double?
    /// The pacer's estimate after this cycle (go118/go121).
    public var consMarkEstimate: Double?
    /// The program's true cons/mark ratio: allocation rate / scan rate.
    public var trueConsMark: Double
    /// Assist ratio when marking began.
    public var assistRatioAtStart: Double
    /// Scan work done.
    public var scanWork: Int
    /// Scan work the pacer expected.
    public var expectedScanWork: Int
    /// Bytes allocated during marking.
    public var allocatedDuringMark: Int
    /// Bytes marked by this cycle.
    public var markedAfter: Int
    /// Length of the mark phase, ms.
    public var markMillis: Double
    /// Length of the whole cycle (mutator-only time before the trigger + marking), ms.
    public var cycleMillis: Double
    /// Limiter bucket fill at the end of marking (fraction of capacity).
    public var limiterFill: Double
    /// Fraction of the mark phase during which the limiter stopped assists.
    public var limitedFraction: Double
    /// go15's h_T after this cycle.
    public var controllerTriggerRatio: Double?
    /// go118's PI integral after this cycle.
    public var controllerIntegral: Double?
    /// The controller reset on NaN/Inf this cycle.
    public var controllerReset: Bool
    /// The goal decided for the next cycle.
    public var nextHeapGoal: Int
    /// The trigger decided for the next cycle.
    public var nextTrigger: Int

    /// Peak heap / goal.
    public var peakOverGoal: Double { heapGoal > 0 ? Double(heapPeak) / Double(heapGoal) : 0 }
    /// Where the trigger sat in the runway: (trigger − marked)/(goal − marked).
    public var triggerRatio: Double {
        heapGoal > heapMarked ? Double(trigger - heapMarked) / Double(heapGoal - heapMarked) : 0
    }
}

/// The outcome of one simulation.
public struct SimulationResult: Sendable {
    /// The scenario run.
    public var scenario: Scenario
    /// The pacer's name.
    public var pacerName: String
    /// The configuration the pacer used.
    public var config: PacerConfig
    /// The run options.
    public var options: SimulationOptions
    /// One record per cycle.
    public var records: [SimulatedCycle]
}

/// The simulation failed to stay within sane sizes (e.g. a heap growing without bound).
public struct SimulationError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}

/// The cycle-by-cycle simulator.
public enum Simulator {
    /// Largest heap the simulator will model (1 PiB); beyond it the scenario is nonsense.
    public static let maxHeapBytes = 1 << 50
    /// Most revise periods in one mark phase before giving up.
    public static let maxPeriodsPerCycle = 20_000_000

    /// Runs `kind` configured by `config` (which should already carry the scenario's GOGC and limit).
    public static func run(scenario: Scenario, kind: PacerKind, config: PacerConfig,
                           options: SimulationOptions = SimulationOptions()) throws -> SimulationResult {
        var pacer = kind.make(config: config)
        return try run(scenario: scenario, pacer: &pacer, options: options)
    }

    /// Runs an existing pacer (mutated in place, so callers can inspect its final state).
    public static func run(scenario: Scenario, pacer: inout any Pacer,
                           options: SimulationOptions = SimulationOptions()) throws -> SimulationResult {
        let config = pacer.config
        var limiter = GCCPULimiter(procs: scenario.procs, capacityPerProc: config.cpuLimiterCapacityPerProc)
        var records: [SimulatedCycle] = []
        records.reserveCapacity(options.cycles)
        var heapMarked = 0
        var lastHeapScanWork = 0
        var allocatedBlackLast = 0
        let cores = Double(scenario.procs)
        let period = options.revisePeriodMillis
        let rateConv = 1024 * period   // bytes per period for a rate of 1 KiB/CPU-ms on one core

        for i in 0..<options.cycles {
            let p = scenario.parameters(cycle: i, seed: options.seed, noise: options.noise)
            let decision = pacer.decision

            // 1. Mutator-only time from the end of the last cycle up to the trigger.
            let trigger = max(decision.trigger, heapMarked)
            let offMillis = Double(trigger - heapMarked) / (p.allocRate * 1024 * cores)
            if config.cpuLimiterEnabled {
                limiter.accumulate(gcTime: 0, mutatorTime: offMillis * cores / 1000)
            }

            // The live heap this cycle must mark.
            let liveHeap = i == 0 ? scenario.initialHeapBytes
                : Int(Double(heapMarked - allocatedBlackLast) * p.growthRate)
            guard liveHeap >= 0, liveHeap < maxHeapBytes, trigger < maxHeapBytes else {
                throw SimulationError(description: "cycle \(i + 1): heap out of range (live \(liveHeap) bytes, trigger \(trigger))")
            }
            var heapScan = lastHeapScanWork + Int(Double(trigger - heapMarked) * p.scannableFraction)
            let plan = pacer.startCycle(CycleStart(heapLive: trigger, heapScan: heapScan, stackBytes: p.stackBytes,
                                                   globalsBytes: p.globalsBytes, procs: scenario.procs))
            let uBackground = plan.workers.utilization

            // 2. Marking.
            var globalsLeft = p.globalsBytes
            var stackLeft = p.stackBytes
            var heapLeft = Int(Double(liveHeap) * p.scannableFraction)
            var heapLive = trigger
            var work = 0, heapWork = 0, stackWork = 0, globalsWork = 0
            var gcMillis = 0.0, gcTimeWeighted = 0.0, limitedMillis = 0.0
            var allocatedBlack = 0
            var periods = 0
            while globalsLeft + stackLeft + heapLeft > 0 {
                periods += 1
                if periods > maxPeriodsPerCycle {
                    throw SimulationError(description: "cycle \(i + 1): marking did not finish in \(maxPeriodsPerCycle) periods")
                }
                let limited = config.cpuLimiterEnabled && limiter.isLimiting
                var u = uBackground
                if !limited {
                    let a = pacer.assistWorkPerByte(MarkProgress(heapLive: heapLive, scanWorkDone: work, heapScan: heapScan))
                    u = max(uBackground, a * p.allocRate / (a * p.allocRate + p.scanRate))
                    if !u.isFinite { u = 1 }
                }
                let scanned = max(1, Int(p.scanRate * rateConv * cores * u))
                let allocated = Int(p.allocRate * rateConv * cores * (1 - u))
                // Globals first, then stacks, then heap.
                var budget = scanned
                let g = min(budget, globalsLeft); globalsLeft -= g; budget -= g
                let s = min(budget, stackLeft); stackLeft -= s; budget -= s
                let h = min(budget, heapLeft); heapLeft -= h; budget -= h
                let done = g + s + h
                var elapsed = period
                var actualAllocated = allocated
                if done < scanned {
                    // The cycle ends part-way through this period.
                    elapsed = Double(done) * period / (p.scanRate * rateConv * cores * u)
                    actualAllocated = Int(p.allocRate * rateConv * (elapsed / period) * cores * (1 - u))
                }
                heapLive += actualAllocated
                heapScan += Int(Double(actualAllocated) * p.scannableFraction)
                work += done; globalsWork += g; stackWork += s; heapWork += h
                allocatedBlack += actualAllocated
                gcMillis += elapsed
                gcTimeWeighted += elapsed * u
                if limited { limitedMillis += elapsed }
                if config.cpuLimiterEnabled {
                    limiter.accumulate(gcTime: u * cores * elapsed / 1000, mutatorTime: (1 - u) * cores * elapsed / 1000)
                }
                if heapLive >= maxHeapBytes {
                    throw SimulationError(description: "cycle \(i + 1): heap grew past \(maxHeapBytes) bytes while marking")
                }
            }
            let utilization = gcMillis > 0 ? gcTimeWeighted / gcMillis : uBackground

            // 3. End of cycle: allocation during marking is black, hence marked.
            let measurement = CycleMeasurement(
                heapMarked: liveHeap + allocatedBlack, heapAtTrigger: trigger, heapPeak: heapLive,
                heapScanWork: heapWork, stackScanWork: stackWork, globalsScanWork: globalsWork,
                utilization: utilization, idleUtilization: 0, globalsBytes: p.globalsBytes,
                nonHeapBytes: p.nonHeapBytes, markSeconds: gcMillis / 1000, cycleSeconds: (offMillis + gcMillis) / 1000)
            let next = pacer.endCycle(measurement)

            records.append(SimulatedCycle(
                cycle: i + 1, heapMarked: heapMarked, trigger: trigger, heapGoal: plan.heapGoal, heapPeak: heapLive,
                memoryLimitGoal: decision.memoryLimitHeapGoal, utilization: utilization,
                backgroundUtilization: uBackground, measuredConsMark: measurement.consMark,
                consMarkEstimate: next.consMarkEstimate, trueConsMark: p.allocRate / p.scanRate,
                assistRatioAtStart: plan.assistWorkPerByte, scanWork: work, expectedScanWork: plan.expectedScanWork,
                allocatedDuringMark: allocatedBlack, markedAfter: measurement.heapMarked, markMillis: gcMillis,
                cycleMillis: offMillis + gcMillis, limiterFill: limiter.fillFraction,
                limitedFraction: gcMillis > 0 ? limitedMillis / gcMillis : 0,
                controllerTriggerRatio: next.controllerTriggerRatio, controllerIntegral: next.controllerIntegral,
                controllerReset: next.controllerReset, nextHeapGoal: next.heapGoal, nextTrigger: next.trigger))

            heapMarked = measurement.heapMarked
            lastHeapScanWork = heapWork
            allocatedBlackLast = allocatedBlack
        }
        return SimulationResult(scenario: scenario, pacerName: pacer.name, config: config, options: options,
                                records: records)
    }
}
