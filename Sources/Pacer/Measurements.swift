// What a collector (or the simulator) tells a pacer: the state at the start of a mark phase, progress during
// it, and the measurements at its end.
//
// Conventions: all sizes are bytes; "scan work" is bytes scanned (heap objects, stacks, globals); a
// utilization is a fraction of all processors over the mark phase's wall-clock time. The pacer never sees a
// heap, only these numbers, so the same pacer can drive a real collector and the simulator.

/// The state when a mark phase begins.
public struct CycleStart: Equatable, Sendable {
    /// Bytes of heap considered live right now (marked by the previous cycle plus allocated since).
    public var heapLive: Int
    /// Bytes of scannable heap right now (the worst-case heap scan work), or nil to let the pacer assume
    /// that everything allocated since the last cycle is scannable.
    public var heapScan: Int?
    /// Bytes of stack that may need scanning this cycle (allocated stack space).
    public var stackBytes: Int
    /// Bytes of scannable globals.
    public var globalsBytes: Int
    /// Processors available to the program (GOMAXPROCS).
    public var procs: Int

    /// Creates a cycle start record.
    public init(heapLive: Int, heapScan: Int? = nil, stackBytes: Int = 0, globalsBytes: Int = 0, procs: Int) {
        self.heapLive = heapLive
        self.heapScan = heapScan
        self.stackBytes = stackBytes
        self.globalsBytes = globalsBytes
        self.procs = procs
    }
}

/// Progress part-way through a mark phase, used to revise the assist ratio.
public struct MarkProgress: Equatable, Sendable {
    /// Bytes of heap considered live now (grows as the mutator allocates during marking).
    public var heapLive: Int
    /// Scan work done so far this cycle (heap + stacks + globals).
    public var scanWorkDone: Int
    /// Bytes of scannable heap now, or nil to assume everything allocated since the cycle started is scannable.
    public var heapScan: Int?

    /// Creates a progress record.
    public init(heapLive: Int, scanWorkDone: Int, heapScan: Int? = nil) {
        self.heapLive = heapLive
        self.scanWorkDone = scanWorkDone
        self.heapScan = heapScan
    }
}

/// Everything measured over one finished GC cycle.
public struct CycleMeasurement: Equatable, Sendable {
    /// Bytes marked live by this cycle (including objects allocated black during marking).
    public var heapMarked: Int
    /// Heap live when the cycle started (normally the trigger, or a little past it).
    public var heapAtTrigger: Int
    /// Heap live at mark termination: the peak of this cycle.
    public var heapPeak: Int
    /// Heap scan work done (bytes of heap objects scanned).
    public var heapScanWork: Int
    /// Stack scan work done.
    public var stackScanWork: Int
    /// Globals scan work done.
    public var globalsScanWork: Int
    /// GC CPU utilization achieved during marking: background workers plus assists, as a fraction of all
    /// processors over the mark phase.
    public var utilization: Double
    /// Extra utilization by idle-priority mark workers (time the mutator did not want).
    public var idleUtilization: Double
    /// Bytes of scannable globals now (for the next goal).
    public var globalsBytes: Int
    /// Memory in use outside the heap (runtime overheads, stacks, ...), counted against a memory limit.
    public var nonHeapBytes: Int
    /// The cycle was forced (e.g. an explicit collect call), not started by the trigger. go15 then leaves
    /// its trigger controller alone, as Go 1.5–1.17 did; the cons/mark pacers still learn from it, as Go
    /// 1.18+ does (allocation against scan work is meaningful wherever the cycle started).
    public var userForced: Bool
    /// Wall-clock seconds of the mark phase over which `utilization` is measured (0 = not measured).
    /// With the processors, it gives the GC CPU time: (utilization + idle)·procs·markSeconds.
    public var markSeconds: Double
    /// Wall-clock seconds from the end of the previous cycle to the end of this one (0 = not measured):
    /// the time over which the mutator allocated `heapPeak − previous heapMarked` bytes.
    public var cycleSeconds: Double

    /// Creates a measurement. `globalsBytes` defaults to the globals scan work.
    public init(heapMarked: Int, heapAtTrigger: Int, heapPeak: Int, heapScanWork: Int, stackScanWork: Int = 0,
                globalsScanWork: Int = 0, utilization: Double, idleUtilization: Double = 0,
                globalsBytes: Int? = nil, nonHeapBytes: Int = 0, userForced: Bool = false,
                markSeconds: Double = 0, cycleSeconds: Double = 0) {
        self.heapMarked = heapMarked
        self.heapAtTrigger = heapAtTrigger
        self.heapPeak = heapPeak
        self.heapScanWork = heapScanWork
        self.stackScanWork = stackScanWork
        self.globalsScanWork = globalsScanWork
        self.utilization = utilization
        self.idleUtilization = idleUtilization
        self.globalsBytes = globalsBytes ?? globalsScanWork
        self.nonHeapBytes = nonHeapBytes
        self.userForced = userForced
        self.markSeconds = markSeconds
        self.cycleSeconds = cycleSeconds
    }

    /// All scan work done this cycle.
    public var scanWork: Int { heapScanWork + stackScanWork + globalsScanWork }

    /// Bytes allocated while marking.
    public var allocatedDuringMark: Int { Swift.max(0, heapPeak - heapAtTrigger) }

    /// The cons/mark ratio this cycle exhibited (Knyszek's redesign): bytes allocated per byte scanned,
    /// each normalised by the CPU time it had,
    ///     (heapPeak − heapAtTrigger)·(u + idle) / (scanWork·(1 − u)).
    /// Nil when it is undefined (no allocation or no scan work during the cycle, or u ≥ 1).
    public var consMark: Double? {
        let allocated = heapPeak - heapAtTrigger
        guard allocated > 0, scanWork > 0, utilization < 1 else { return nil }
        let value = Double(allocated) * (utilization + idleUtilization) / (Double(scanWork) * (1 - utilization))
        return value.isFinite ? value : nil
    }
}
