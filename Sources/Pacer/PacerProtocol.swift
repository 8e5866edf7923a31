// The one interface that collectors and the simulator drive every pacer through.
//
// Life cycle, once per GC cycle:
//   1. Between cycles the driver reads `decision` and starts marking when the live heap reaches
//      `decision.trigger`.
//   2. `startCycle` freezes the cycle's goal and returns the mark plan (workers, initial assist ratio).
//   3. While marking, `assistWorkPerByte` (non-mutating, so a driver may call it on a snapshot from any
//      thread) says how much scan work a mutator owes per byte it allocates.
//   4. `endCycle` takes the cycle's measurements and returns the decision for the next cycle.
// Invariant every pacer keeps: decision.trigger ≤ decision.heapGoal, and the goal never goes below the
// marked heap. Pacers are value types; the driver owns the only mutable copy and serialises calls 2 and 4.

/// A GC pacer: decides when the next cycle starts and how fast marking must go.
public protocol Pacer: Sendable {
    /// Short name, as on the command line ("go118").
    var name: String { get }
    /// The configuration this pacer was made with.
    var config: PacerConfig { get }
    /// The plan for the next cycle (valid between cycles; during a cycle, the plan for the one after it
    /// is not known yet and this still describes the current one).
    var decision: PacerDecision { get }
    /// Begins a mark phase and returns its plan.
    mutating func startCycle(_ start: CycleStart) -> MarkPlan
    /// Scan work owed per byte allocated, given the progress of the current mark phase.
    func assistWorkPerByte(_ progress: MarkProgress) -> Double
    /// Ends the mark phase with its measurements and returns the decision for the next cycle.
    @discardableResult mutating func endCycle(_ measurement: CycleMeasurement) -> PacerDecision
}

extension Pacer {
    /// Scan work owed per byte allocated, assuming everything allocated during marking is scannable.
    public func assistWorkPerByte(heapLive: Int, scanWorkDone: Int) -> Double {
        assistWorkPerByte(MarkProgress(heapLive: heapLive, scanWorkDone: scanWorkDone))
    }
}

/// What a pacer decides for the next cycle, plus the controller state behind it (for traces and CSV).
public struct PacerDecision: Equatable, Sendable {
    /// Heap size the next cycle should finish at.
    public var heapGoal: Int
    /// Heap size at which the next cycle should start.
    public var trigger: Int
    /// The GOGC-derived goal before any memory limit (Int.max when GOGC is off).
    public var gogcHeapGoal: Int
    /// The memory-limit-derived goal, or nil without a limit.
    public var memoryLimitHeapGoal: Int?
    /// Bytes marked by the last cycle (the base of the goal).
    public var heapMarked: Int
    /// Scan work expected next cycle (last heap scan + stacks + globals).
    public var expectedScanWork: Int
    /// Assist ratio the next cycle will start with if it starts exactly at the trigger:
    /// expected scan work / (goal − trigger).
    public var assistRatioAtTrigger: Double
    /// Background mark utilization to provision (u_g).
    public var backgroundUtilization: Double
    /// (trigger − marked)/(goal − marked): where in the runway the trigger sits.
    public var triggerRatio: Double
    /// The cons/mark estimate used for the runway (go118/go121), if the pacer has one.
    public var consMarkEstimate: Double?
    /// The cons/mark ratio measured in the last cycle, if defined.
    public var measuredConsMark: Double?
    /// go15's controller variable h_T (trigger growth over marked), if the pacer has one.
    public var controllerTriggerRatio: Double?
    /// The PI controller's integral term (go118), if the pacer has one.
    public var controllerIntegral: Double?
    /// True if the last update hit NaN/Inf and the controller was reset.
    public var controllerReset: Bool

    /// Creates a decision; pacers fill in the optional diagnostics they have.
    public init(heapGoal: Int, trigger: Int, gogcHeapGoal: Int, memoryLimitHeapGoal: Int?, heapMarked: Int,
                expectedScanWork: Int, backgroundUtilization: Double, consMarkEstimate: Double? = nil,
                measuredConsMark: Double? = nil, controllerTriggerRatio: Double? = nil,
                controllerIntegral: Double? = nil, controllerReset: Bool = false) {
        self.heapGoal = heapGoal
        self.trigger = trigger
        self.gogcHeapGoal = gogcHeapGoal
        self.memoryLimitHeapGoal = memoryLimitHeapGoal
        self.heapMarked = heapMarked
        self.expectedScanWork = expectedScanWork
        let runway = Double(heapGoal - trigger)
        self.assistRatioAtTrigger = runway > 0 ? Double(expectedScanWork) / runway : Double(expectedScanWork)
        self.backgroundUtilization = backgroundUtilization
        let span = Double(heapGoal - heapMarked)
        self.triggerRatio = span > 0 ? Double(trigger - heapMarked) / span : 0
        self.consMarkEstimate = consMarkEstimate
        self.measuredConsMark = measuredConsMark
        self.controllerTriggerRatio = controllerTriggerRatio
        self.controllerIntegral = controllerIntegral
        self.controllerReset = controllerReset
    }

    /// True when the memory limit, not GOGC, set the goal.
    public var limitedByMemory: Bool { memoryLimitHeapGoal.map { $0 < gogcHeapGoal } ?? false }
}

/// The plan for one mark phase, fixed at `startCycle`.
public struct MarkPlan: Equatable, Sendable {
    /// The heap goal for this cycle (the decision's goal, raised to keep a minimum runway if needed).
    public var heapGoal: Int
    /// Heap live when marking began.
    public var heapAtStart: Int
    /// Scan work expected this cycle.
    public var expectedScanWork: Int
    /// The assist ratio at the start of marking.
    public var assistWorkPerByte: Double
    /// How to provision background mark workers.
    public var workers: WorkerPlan

    /// Creates a mark plan.
    public init(heapGoal: Int, heapAtStart: Int, expectedScanWork: Int, assistWorkPerByte: Double, workers: WorkerPlan) {
        self.heapGoal = heapGoal
        self.heapAtStart = heapAtStart
        self.expectedScanWork = expectedScanWork
        self.assistWorkPerByte = assistWorkPerByte
        self.workers = workers
    }
}
