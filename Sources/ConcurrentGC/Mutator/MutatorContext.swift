// A mutator's thread-local state, in raw memory that never moves, so that the allocation fast path, the
// barrier and the root operations reach it through one pointer with no reference counting.

import Synchronization

/// Per-mutator state. Only its owning thread touches it, except the collector while the world is stopped.
@usableFromInline
struct MutatorContext {
    /// The main allocation region (small objects).
    @usableFromInline var tlab = BumpRegion()
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let pollFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// Non-zero while the concurrent collector marks: reference stores take `barrierSlow`.
    @usableFromInline let barrierFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// Verify mode: check object headers on every access.
    @usableFromInline let verify: Bool
    /// The shadow stack of root slots.
    @usableFromInline var roots: UnsafeMutablePointer<UInt32>
    @usableFromInline var rootCount: Int = 0
    @usableFromInline var rootCapacity: Int

    /// Second region for medium objects (over a line) that do not fit the current hole (Immix overflow).
    var overflow = BumpRegion()
    let heap: Unmanaged<Heap>
    var record: Unmanaged<MutatorRecord>
    /// The heap's write barrier.
    let barrier: BarrierKind
    /// Objects this thread greyed, not yet handed to the mark pool.
    let shadeBuffer: UnsafeMutablePointer<UInt32>
    var shadeCount = 0
    static let shadeCapacity = 256
    /// Bytes of the objects this thread shaded, not yet added to the heap's count.
    var shadedBytes = 0
    var shadedObjects = 0
    /// Whether this thread's roots were scanned in the current cycle (hybrid barrier, handshakes).
    var stackScanned = true
    /// Barrier slow-path executions since the last mark termination.
    var barrierSlowCount = 0
    /// Scan work (bytes) this thread owes the marker, and the assist time it spent, this cycle.
    var assistDebtBytes = 0
    var assistNs: UInt64 = 0
    var assistScannedBytes = 0
    /// Assists not yet handed to the heap's statistics (flushed at mark termination and unregistration,
    /// so assists take no shared lock).
    var activities: [ActivityRecord] = []
    /// Treadmill collector: the size class where this thread's last scan step found work, and the scan
    /// steps it owes (paid `TreadmillCollector.stepBatch` at a time).
    var scanHint = 0
    var scanStepsOwed = 0
    /// Treadmill collector: cells (and their bytes) this thread allocated since the last flip, not yet
    /// added to the collector's count. Allocated black, they survive the cycle without being reached.
    var cycleAllocatedCells = 0
    var cycleAllocatedCellBytes = 0
    /// Treadmill collector: bytes of objects allocated, not yet added to the heap's count.
    var pendingAllocatedBytes = 0
    /// Treadmill collector: this thread's free cells, the collector and its space (nil under the others;
    /// unmanaged so that the allocation path and the barrier reach them without reference counting).
    var cellCache: CellCache? = nil
    var treadmillCollector: Unmanaged<TreadmillCollector>? = nil
    var treadmillSpace: Unmanaged<TreadmillSpace>? = nil
}

/// The registry entry of a mutator: owns its context.
final class MutatorRecord {
    let id: Int
    let ctx: UnsafeMutablePointer<MutatorContext>
    /// Under the world's monitor (see `World.setState`); not running until registered.
    var state: MutatorState = .safeRegion

    init(heap: Heap, id: Int) {
        self.id = id
        let capacity = max(16, heap.configuration.rootSlotsPerMutator)
        ctx = .allocate(capacity: 1)
        let roots = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        ctx.initialize(to: MutatorContext(base: heap.base, pollFlag: heap.world.pollFlag,
                                          barrierFlag: heap.barrierFlag,
                                          verify: heap.configuration.verify, roots: roots,
                                          rootCapacity: capacity, heap: Unmanaged.passUnretained(heap),
                                          record: Unmanaged.passUnretained(self),
                                          barrier: heap.configuration.barrier,
                                          shadeBuffer: .allocate(capacity: MutatorContext.shadeCapacity)))
        if let collector = heap.treadmillCollector {
            ctx.pointee.cellCache = CellCache()
            ctx.pointee.treadmillCollector = .passUnretained(collector)
            ctx.pointee.treadmillSpace = .passUnretained(heap.treadmill)
        }
    }

    /// Frees the context; the record must be unregistered.
    func destroy() {
        ctx.pointee.roots.deallocate()
        ctx.pointee.shadeBuffer.deallocate()
        ctx.pointee.cellCache?.free()
        ctx.deinitialize(count: 1)
        ctx.deallocate()
    }
}
