// What a run records: pauses, heap samples, collection cycles, lost objects. Times are nanoseconds since
// the heap was created. Recorded under a lock from slow paths and pauses only.

/// What a pause did, and where it sits in a cycle. Each plan defines its kinds as static constants in
/// its folder (`PauseKind.markStart`, `.flip`, ...); the outputs read only `name` and `role`.
public struct PauseKind: Hashable, Sendable, CustomStringConvertible {
    /// Where a pause sits in a cycle: gctrace and the trace read this, never the name.
    public enum Role: Sendable {
        /// Starts a cycle's marking (Go's sweep termination + mark start).
        case cycleStart
        /// Ends a cycle: the whole collection of a stop-the-world plan, a mark termination, a flip.
        case cycleEnd
        /// Stops one thread only (a handshake), the others running.
        case thread
    }
    /// The name written to pauses.csv (`mark-start`, `flip`, ...).
    public let name: String
    public let role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    public var description: String { name }
}

/// One stop-the-world pause, or one thread's pause at a handshake.
public struct PauseRecord: Sendable {
    /// Collection cycle the pause belongs to (1-based).
    public var cycle: Int
    /// What the pause did.
    public var kind: PauseKind
    /// When the stop was requested.
    public var startNs: UInt64
    /// From the request until every mutator was parked.
    public var timeToSafepointNs: UInt64
    /// From the request until the world was released (includes time to safepoint).
    public var durationNs: UInt64
    /// The one mutator paused (a handshake), or 0 when the whole world stopped.
    public var mutator: Int = 0
}

/// A sample of the heap's size.
public struct HeapSample: Sendable {
    public var timeNs: UInt64
    /// Bytes in objects allocated since the start.
    public var allocatedBytes: Int
    /// Live bytes after the last mark plus bytes handed to allocation buffers since.
    public var heapInUseBytes: Int
    /// Bytes marked live by the last collection.
    public var liveBytes: Int
    /// Bytes of blocks and large-object pages taken from the reservation.
    public var committedBytes: Int
    /// The in-use size at which the next collection starts.
    public var triggerBytes: Int
    /// Bytes of free lines in partly used blocks as the last mark left them (mark-region plans; 0 for
    /// the others).
    public var fragmentedBytes: Int = 0

    /// Fragmentation: free lines in partly used blocks as a share of the committed bytes.
    public var fragmentation: Double { committedBytes > 0 ? Double(fragmentedBytes) / Double(committedBytes) : 0 }
}

/// Why a cycle ran.
public struct CycleReason: Hashable, Sendable, CustomStringConvertible {
    /// The name written to cycles.csv.
    public let name: String
    init(_ name: String) { self.name = name }

    /// The heap in use reached the trigger.
    public static let trigger = CycleReason("trigger")
    /// A program asked for a collection (`collect()`).
    public static let explicit = CycleReason("explicit")
    /// An allocation found no memory left.
    public static let exhausted = CycleReason("exhausted")
    /// The second cycle of a full collection that a plan runs as two cycles in one pause (the treadmill:
    /// its first cycle keeps what died after it began).
    public var second: CycleReason { CycleReason(name + "-second") }
    /// True for the second cycle of such a full collection.
    public var isSecond: Bool { name.hasSuffix("-second") }
    /// True unless the trigger started the cycle (Go's "user forced", which a pacer does not learn from).
    public var isForced: Bool { self != .trigger }

    public var description: String { name }
}

/// One collection cycle.
public struct CycleRecord: Sendable {
    public var cycle: Int
    public var collector: CollectorKind
    /// Why it ran.
    public var reason: CycleReason
    public var startNs: UInt64
    public var endNs: UInt64 = 0
    public var heapAtTriggerBytes = 0
    public var markedBytes = 0
    public var markedObjects = 0
    public var largeObjectBytesFreed = 0
    public var nextTriggerBytes = 0
    /// CPU time of the collector's threads in the cycle (pauses, background marking; not assists).
    public var gcCPUNs: UInt64 = 0
    public var lostObjects = 0
    public var concurrentMarkStartNs: UInt64 = 0
    /// Start of the final mark-termination pause (0 for stop-the-world).
    public var markTerminationStartNs: UInt64 = 0
    /// Heap in use when marking ended.
    public var heapAtMarkEndBytes = 0
    /// Bytes scanned by background mark workers, by mutator assists, and by the collector in pauses.
    public var scanBackgroundBytes = 0
    public var scanAssistBytes = 0
    public var scanPauseBytes = 0
    /// Bytes allocated black during the mark (live without being scanned).
    public var blackAllocatedBytes = 0
    /// Wall time mutators spent in assists.
    public var assistNs: UInt64 = 0
    /// Write-barrier slow-path executions during the mark.
    public var barrierSlowPaths = 0
    /// Mark-termination pauses taken (more than one when grey objects were found).
    public var terminationAttempts = 1
    /// Time spent re-scanning roots in the final termination pause (Dijkstra, Steele).
    public var rescanNs: UInt64 = 0
    /// Stacks scanned by their own thread at a handshake.
    public var handshakes = 0
    /// The pacer that set the next trigger: a pacer's name, or `gogc` for the plain GOGC trigger (then
    /// the goal and the other pacer fields are 0).
    public var pacer = "gogc"
    /// The cycle's heap goal, and the trigger it started at.
    public var heapGoalBytes = 0
    public var triggerBytes = 0
    /// Heap at mark end over the goal.
    public var peakOverGoal = 0.0
    /// GC CPU utilization achieved while marking (background workers + assists) over all processors,
    /// and the idle-priority marking on top of it.
    public var utilization = 0.0
    public var idleUtilization = 0.0
    /// Cons/mark measured this cycle, and the pacer's estimate for the next (go118/go121).
    public var consMark = 0.0
    public var consMarkEstimate = 0.0
    /// The pacer's controller state: the PI integral (go118) or the trigger ratio h_T (go15).
    public var controllerState = 0.0
    /// Scan work owed per byte allocated, at mark start.
    public var assistWorkPerByteAtStart = 0.0
    /// Bytes of assist debt paid with background workers' credit instead of marking.
    public var assistCreditBytes = 0
    /// The goal the pacer set for the next cycle.
    public var nextHeapGoalBytes = 0
    /// Bytes of roots at mark termination: shadow-stack slots and global slots (4 bytes each).
    public var stackBytes = 0
    public var globalsBytes = 0
    /// Treadmill cells per segment just before this cycle's flip, summed over the rings (the large-object
    /// space's rings, or every ring under a plan that keeps all objects in the treadmill space). White
    /// cells are the ones the flip frees; grey is 0 at a flip.
    public var treadmillFreeCells = 0
    public var treadmillBlackCells = 0
    public var treadmillGreyCells = 0
    public var treadmillWhiteCells = 0
    /// The plan's own cycles.csv columns (`PlanTraits.cycleColumns`), by column name, already formatted.
    public var planColumns: [String: String] = [:]

    /// A cycle of `collector` that began at `startNs` for `reason`; every figure starts at 0.
    public init(cycle: Int, collector: CollectorKind, reason: CycleReason, startNs: UInt64) {
        self.cycle = cycle
        self.collector = collector
        self.reason = reason
        self.startNs = startNs
    }
}

/// What a stretch of GC work outside the pauses was.
public enum ActivityKind: String, Sendable {
    /// A mutator marking for the bytes it allocated.
    case assist
    /// A background mark worker's slice.
    case markWorker = "mark-worker"
}

/// A stretch of GC work by one thread outside the pauses: a mutator's assist or a mark worker's slice.
public struct ActivityRecord: Sendable {
    /// What the thread did.
    public var kind: ActivityKind
    /// The mutator id (assists) or the worker index (mark workers).
    public var thread: Int
    public var startNs: UInt64
    public var durationNs: UInt64
    /// Bytes scanned.
    public var scannedBytes: Int
}

/// One object the checkmark verifier reached that the collector did not mark, or a reference a moving
/// collection left wrong (`problem` says what).
public struct LostObject: Sendable, CustomStringConvertible {
    public var cycle: Int
    public var object: ObjectRef
    /// The object whose field holds it, or null when a root does.
    public var parent: ObjectRef
    /// The field index in `parent`, or the root slot description.
    public var field: Int
    public var viaRoot: String?
    /// What is wrong, when it is not a missed mark ("still points to the moved object ...").
    public var problem: String? = nil

    public var description: String {
        let what = problem ?? "lost \(object)"
        if let root = viaRoot { return "cycle \(cycle): \(what) referenced from root \(root)" }
        if parent.isNull && field < 0 { return "cycle \(cycle): \(what)" }
        return "cycle \(cycle): \(what) referenced from \(parent) field \(field)"
    }
}

/// Everything recorded during one heap's life.
public final class GCStats: @unchecked Sendable {
    private let monitor = Monitor()
    /// Creation time of the heap; all record times are relative to it.
    public let originNs: UInt64
    @exclusivity(unchecked) private var _pauses: [PauseRecord] = []
    @exclusivity(unchecked) private var _samples: [HeapSample] = []
    @exclusivity(unchecked) private var _cycles: [CycleRecord] = []
    @exclusivity(unchecked) private var _lost: [LostObject] = []
    @exclusivity(unchecked) private var _activities: [ActivityRecord] = []
    /// At most this many activity records are kept (the rest are counted in `droppedActivities`).
    public static let activityLimit = 200_000
    @exclusivity(unchecked) private var _droppedActivities = 0
    /// Called after each cycle is recorded (on the collecting thread), e.g. to print a gctrace line.
    public var cycleObserver: (@Sendable (CycleRecord) -> Void)? {
        get { monitor.withLock { _observer } }
        set { monitor.withLock { _observer = newValue } }
    }
    @exclusivity(unchecked) private var _observer: (@Sendable (CycleRecord) -> Void)?
    @exclusivity(unchecked) private var _lostCount = 0
    /// At most this many lost objects are kept in detail.
    public static let lostDetailLimit = 100

    init() { originNs = Clock.now() }

    /// Nanoseconds since the heap was created.
    public func elapsed() -> UInt64 { Clock.now() &- originNs }

    func record(_ pause: PauseRecord) { monitor.withLock { _pauses.append(pause) } }
    func record(_ sample: HeapSample) { monitor.withLock { _samples.append(sample) } }
    func record(_ cycle: CycleRecord) {
        let observer = monitor.withLock { () -> (@Sendable (CycleRecord) -> Void)? in
            _cycles.append(cycle)
            return _observer
        }
        observer?(cycle)
    }
    func record(_ activity: ActivityRecord) { record(activities: [activity]) }
    func record(activities: [ActivityRecord]) {
        monitor.withLock {
            let room = max(0, GCStats.activityLimit - _activities.count)
            _activities.append(contentsOf: activities.prefix(room))
            _droppedActivities += max(0, activities.count - room)
        }
    }
    func record(lost: [LostObject], count: Int) {
        monitor.withLock {
            _lostCount += count
            _lost.append(contentsOf: lost.prefix(max(0, GCStats.lostDetailLimit - _lost.count)))
        }
    }


    public var pauses: [PauseRecord] { monitor.withLock { _pauses } }
    public var heapSamples: [HeapSample] { monitor.withLock { _samples } }
    public var cycles: [CycleRecord] { monitor.withLock { _cycles } }
    /// Assists and mark-worker slices, in the order they ended.
    public var activities: [ActivityRecord] { monitor.withLock { _activities } }
    /// Activity records not kept because of `activityLimit`.
    public var droppedActivities: Int { monitor.withLock { _droppedActivities } }
    /// Lost objects found by the verifier (first `lostDetailLimit` in detail).
    public var lostObjects: [LostObject] { monitor.withLock { _lost } }
    /// Total number of lost objects found by the verifier.
    public var lostObjectCount: Int { monitor.withLock { _lostCount } }
}
