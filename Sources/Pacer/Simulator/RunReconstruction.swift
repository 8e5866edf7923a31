// The simulator against the real heap: a scenario rebuilt from a real run's cycles.csv, and the simulated
// cycles set beside the recorded ones (`gclab pacer-sim --from-run DIR`).
//
// Each recorded cycle i gives the model's signals for cycle i (rates per processor, as the model has
// them: all `procs` processors allocate between cycles, and marking uses u of each):
//   live(i)        marked(i) − allocated black(i): what cycle i had to mark; the first is initial_heap,
//                  growth(i) = live(i) / live(i − 1)
//   alloc rate     (peak(i) − marked(i − 1)) / (procs · mutator time), KiB per processor-ms, where the
//                  mutator time is the wall time from the end of cycle i − 1 to the end of cycle i less
//                  the mark phase's GC share u (idle-priority marking takes no time from the mutator)
//   scan rate      (heap + stack + globals scan work) / ((u + idle) · procs · mark time), KiB per GC CPU-ms
//   scannable      heap scan work / live(i), clamped to [0, 1]
//   stacks         the recorded stack bytes; globals: their largest recorded value (constant in the model)
// These invert the model: a run the simulator itself produced is rebuilt into a scenario that simulates
// back to the same cycles (a test checks it), so what differs on a real run is the model's error, not the
// reconstruction's.
// The simulation then runs the same pacer and configuration on that program. With the recorded live
// heaps and rates as inputs, the differences in trigger, goal, peak and utilization are the model's:
// it has no idle-priority marking (a real processor left idle by the mutators marks and shortens the
// phase), no per-cycle fixed costs (pauses, sweeping, root handshakes), a mutator that allocates at one
// steady rate through the cycle, and a pacer fed exact measurements.
// Invariant: the reconstructed scenario has one value per recorded cycle in every series signal, so its
// simulation has as many cycles as the run.

/// One cycle of a real run: the columns of cycles.csv the reconstruction reads.
public struct RecordedCycle: Equatable, Sendable {
    /// 1-based cycle number.
    public var cycle: Int
    /// Heap clock at the end of the cycle, ns.
    public var endNs: Double
    /// Wall time over which `utilization` was measured (the mark phase; the pause for stw), ns.
    public var markNs: Double
    /// Heap in use at mark termination.
    public var heapPeak: Int
    /// Bytes marked live (including those allocated black).
    public var marked: Int
    /// Bytes allocated black while marking.
    public var blackAllocated: Int
    /// Heap scan work (background + assist + pause), bytes.
    public var heapScanWork: Int
    /// GC CPU utilization while marking (without idle-priority marking).
    public var utilization: Double
    /// Idle-priority marking, same capacity.
    public var idleUtilization: Double
    /// Stack bytes (scanned as roots).
    public var stackBytes: Int
    /// Globals bytes.
    public var globalsBytes: Int
    /// The trigger the cycle started at.
    public var trigger: Int
    /// The cycle's heap goal.
    public var heapGoal: Int

    /// Creates a recorded cycle.
    public init(cycle: Int, endNs: Double, markNs: Double, heapPeak: Int, marked: Int, blackAllocated: Int,
                heapScanWork: Int, utilization: Double, idleUtilization: Double, stackBytes: Int, globalsBytes: Int,
                trigger: Int, heapGoal: Int) {
        self.cycle = cycle
        self.endNs = endNs
        self.markNs = markNs
        self.heapPeak = heapPeak
        self.marked = marked
        self.blackAllocated = blackAllocated
        self.heapScanWork = heapScanWork
        self.utilization = utilization
        self.idleUtilization = idleUtilization
        self.stackBytes = stackBytes
        self.globalsBytes = globalsBytes
        self.trigger = trigger
        self.heapGoal = heapGoal
    }

    /// The live heap this cycle marked (what it found, not what it allocated black).
    var live: Int { max(0, marked - blackAllocated) }
}

/// A real run rebuilt as a scenario, and the comparison of a simulation of it with the run.
public struct RunReconstruction: Sendable {
    /// The program as the model sees it.
    public var scenario: Scenario
    /// The run's cycles.
    public var recorded: [RecordedCycle]

    /// Smallest rate the model accepts (Go's test: rates are never zero).
    static let floor = Scenario.minRate

    /// Rebuilds the program of `recorded` (in cycle order) on `procs` processors.
    public init(name: String, recorded: [RecordedCycle], procs: Int, gogc: Int, memoryLimit: Int?) throws {
        guard !recorded.isEmpty else { throw PacerInputError("the run has no cycles to rebuild") }
        guard recorded.count <= Scenario.maxFileCycles else {
            throw PacerInputError("the run has \(recorded.count) cycles; at most \(Scenario.maxFileCycles) can be rebuilt")
        }
        guard (1...Scenario.maxProcs).contains(procs) else { throw PacerInputError("processors \(procs) out of range 1...\(Scenario.maxProcs)") }
        var alloc: [Double] = [], scan: [Double] = [], growth: [Double] = [], scannable: [Double] = [], stacks: [Double] = []
        var previousEnd = 0.0, previousMarked = 0, previousLive = 0
        for (i, c) in recorded.enumerated() {
            let wallMs = max(1e-6, (c.endNs - previousEnd) / 1e6)
            let mutatorMs = max(1e-6, wallMs - c.markNs / 1e6 * min(1, c.utilization))
            let allocated = Double(max(0, c.heapPeak - previousMarked))
            alloc.append(max(RunReconstruction.floor, allocated / 1024 / (Double(procs) * mutatorMs)))
            let gcCPUMs = (c.utilization + c.idleUtilization) * Double(procs) * c.markNs / 1e6
            let work = Double(c.heapScanWork + c.stackBytes + c.globalsBytes)
            // A cycle with no measured GC time (none recorded) keeps the previous cycle's speed.
            scan.append(gcCPUMs > 0 && work > 0 ? max(RunReconstruction.floor, work / 1024 / gcCPUMs) : (scan.last ?? 1024))
            growth.append(i == 0 || previousLive == 0 ? 1 : max(RunReconstruction.floor, Double(c.live) / Double(previousLive)))
            scannable.append(c.live > 0 ? min(1, Double(c.heapScanWork) / Double(c.live)) : 1)
            stacks.append(Double(c.stackBytes))
            previousEnd = c.endNs
            previousMarked = c.marked
            previousLive = c.live
        }
        var s = Scenario(name: name, summary: "rebuilt from a real run's cycles.csv (pacer-sim --from-run)")
        s.procs = procs
        s.gogc = gogc
        s.memoryLimit = memoryLimit
        s.initialHeapBytes = recorded[0].live
        s.globalsBytes = recorded.map(\.globalsBytes).max() ?? 0
        s.allocRate = .series(alloc)
        s.scanRate = .series(scan)
        s.growthRate = .series(growth)
        s.scannableFraction = .series(scannable)
        s.stackBytes = .series(stacks)
        s.nonHeapBytes = .constant(0)
        s.defaultCycles = recorded.count
        s.bounds = []
        scenario = s
        self.recorded = recorded
    }

    /// Column names of from-run.csv.
    public static let comparisonColumns = [
        "cycle", "real_trigger_bytes", "sim_trigger_bytes", "real_goal_bytes", "sim_goal_bytes",
        "real_peak_bytes", "sim_peak_bytes", "real_marked_bytes", "sim_marked_bytes", "real_utilization",
        "real_idle_utilization", "sim_utilization",
    ]

    /// The simulated cycles beside the recorded ones, and the mean error of each quantity.
    public func compare(with result: SimulationResult) -> (table: CSVTable, errors: ComparisonErrors) {
        var table = CSVTable(header: RunReconstruction.comparisonColumns)
        var e = ComparisonErrors()
        for (real, sim) in zip(recorded, result.records) {
            table.append([
                String(real.cycle), String(real.trigger), String(sim.trigger), String(real.heapGoal), String(sim.heapGoal),
                String(real.heapPeak), String(sim.heapPeak), String(real.marked), String(sim.markedAfter),
                CSVTable.number(real.utilization), CSVTable.number(real.idleUtilization), CSVTable.number(sim.utilization),
            ])
            e.add(real: real, sim: sim)
        }
        return (table, e)
    }
}

/// Mean errors of a simulation against the run it was rebuilt from.
public struct ComparisonErrors: Equatable, Sendable {
    /// Cycles compared.
    public private(set) var cycles = 0
    private var sums = [Double](repeating: 0, count: 6)

    /// Mean |sim − real| / real of the trigger.
    public var triggerError: Double { mean(0) }
    /// Mean relative error of the goal.
    public var goalError: Double { mean(1) }
    /// Mean relative error of the peak heap.
    public var peakError: Double { mean(2) }
    /// Mean relative error of the marked bytes.
    public var markedError: Double { mean(3) }
    /// Mean |sim u − real u| (absolute: utilizations are fractions already).
    public var utilizationError: Double { mean(4) }
    /// Mean |sim u − real (u + idle)|: against all the marking the real cycle had.
    public var totalUtilizationError: Double { mean(5) }

    private func mean(_ k: Int) -> Double { cycles > 0 ? sums[k] / Double(cycles) : 0 }

    mutating func add(real: RecordedCycle, sim: SimulatedCycle) {
        func relative(_ s: Int, _ r: Int) -> Double { r > 0 ? abs(Double(s - r)) / Double(r) : 0 }
        cycles += 1
        sums[0] += relative(sim.trigger, real.trigger)
        sums[1] += relative(sim.heapGoal, real.heapGoal)
        sums[2] += relative(sim.heapPeak, real.heapPeak)
        sums[3] += relative(sim.markedAfter, real.marked)
        sums[4] += abs(sim.utilization - real.utilization)
        sums[5] += abs(sim.utilization - (real.utilization + real.idleUtilization))
    }
}
