// A mutator's thread-local state, in raw memory that never moves, so that the allocation fast paths, the
// barrier and the root operations reach it through one pointer with no reference counting.
//
// What is here is what every plan's mutators share: the allocators a plan can select (their fast-path
// fields first), the shadow stack, the flags the fast paths test, the write barrier's slow path the plan
// installed, and a pointer to the plan's own per-mutator state (`planState`, a value of the plan's type,
// which only that plan reads: Plan/<Name>/). As in MMTk, a plan picks its allocators; it does not add fields.

import Synchronization

/// Which allocator's fast path `Mutator.allocate` tries after the bump region misses.
@usableFromInline
enum AllocatorKind: UInt8 {
    /// Bump allocation only (Immix holes): a miss goes straight to the slow path.
    case bump
    /// The treadmill's size-class cells, from this thread's cell cache.
    case cells
    /// Bump allocation through whole blocks of a copy space (a miss takes a fresh block).
    case blocks
    /// As `blocks`, each object preceded by a forwarding word (Brooks): the `prefixed` region.
    case prefixed
}

/// How the mutator's reference loads and object accesses go (the plan chooses; Plan/Baker/).
@usableFromInline
enum ReadBarrierMode: UInt8 {
    /// Plain loads and accesses.
    case none
    /// Baker's conditional read barrier: a loaded reference whose `condemned` byte is set takes
    /// `readBarrierSlow`, which returns the reference the mutator may hold (a to-space copy).
    case conditional
    /// Brooks' indirection: every access goes to the object its forwarding word (the 8 bytes in front
    /// of its header) names.
    case brooks
}

/// The slow path of the plan's read barrier. Under `conditional`: (context, slot, loaded value) -> the
/// reference to return (the slot may be healed). Under `brooks`, for a write while the plan copies:
/// (context, unused, object) -> the copy the write goes to (copied out of from-space first). A C function
/// pointer: calling it involves no reference counting.
@usableFromInline
typealias ReadBarrierSlowPath = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UInt32) -> UInt32

/// `condemned` has one byte per 32 KiB block of the reservation: a reference's byte is at `raw >> condemnedShift`
/// (a literal, so that the barrier's fast path reads no lazily initialized global; checked against the
/// geometry in ObjectLayoutTests).
@usableFromInline
let condemnedShift: UInt32 = 12
/// The condemned byte of a from-space block (a large-object page's, while a cycle runs, is 2).
let condemnedFromSpace: UInt8 = 1

/// The slow path of the write barrier, installed by the plan: (context, slot, source, value). The store
/// itself is the slow path's job. A C function pointer: calling it involves no reference counting.
@usableFromInline
typealias WriteBarrierSlowPath = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UInt32, UInt32) -> Void

/// Per-mutator state. Only its owning thread touches it, except the collector while the world is stopped.
@usableFromInline
struct MutatorContext {
    /// The bump allocator; its current region is what the allocation fast path bumps.
    @usableFromInline var bump = BumpAllocator()
    /// The allocator tried when the bump region misses.
    @usableFromInline var allocator = AllocatorKind.bump
    /// The cell allocator (plans whose objects are treadmill cells).
    @usableFromInline var cells = CellAllocator()
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let pollFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// Non-zero while the plan's barrier is on: reference stores take `writeBarrierSlow`.
    @usableFromInline let barrierFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// The plan's barrier slow path (a plain store until the plan installs its own).
    @usableFromInline var writeBarrierSlow: WriteBarrierSlowPath
    /// The remembered-set barrier of a generational plan (Barrier/RememberedSetBarrier.swift); off otherwise.
    @usableFromInline var remembering = RememberingBarrier()
    /// How loads and accesses go (plain, Baker's check, Brooks' indirection); set with `setReadBarrier`.
    @usableFromInline private(set) var readBarrier = ReadBarrierMode.none
    /// The one byte the access fast paths test: `readBarrier`'s raw value, plus `verifyBit` in verify
    /// mode. 0: plain accesses, no checks.
    @usableFromInline private(set) var accessMode: UInt8
    @usableFromInline static let verifyBit: UInt8 = 0x80
    /// One byte per block of the reservation, non-zero where a loaded reference must take the read
    /// barrier's slow path (a copying plan's from-space while it copies); nil under plans without one.
    /// Verify mode also checks that no reference the mutator holds has its byte set (unless `brooks`).
    @usableFromInline var condemned: UnsafeMutablePointer<UInt8>? = nil
    /// The plan's read barrier slow path (`conditional` mode).
    @usableFromInline var readBarrierSlow: ReadBarrierSlowPath = { _, _, value in value }
    /// Verify mode: check object headers on every access.
    @usableFromInline let verify: Bool
    /// The shadow stack of root slots.
    @usableFromInline var roots: RawStack<UInt32>
    /// Verify mode: > 0 inside `withPayload`, where reaching a safepoint is a workload bug (a raw address
    /// would be held across it). `poll()` tests it with the poll flag.
    @usableFromInline var rawAccessDepth = 0
    /// The allocation fast paths' state while a `withPayload` body runs in verify mode (closed meanwhile).
    var rawAccessSavedLimit = 0
    var rawAccessSavedBlock = -1
    var rawAccessSavedAllocator = AllocatorKind.bump

    let heap: Unmanaged<Heap>
    var record: Unmanaged<MutatorRecord>
    /// Barrier slow-path executions since the plan last collected the count.
    var barrierSlowCount = 0
    /// What allocation does while the barrier is on (the plan sets it; see Alloc/AllocationWhileMarking).
    var whileMarking = AllocationWhileMarking()
    /// The plan's own per-mutator state, or nil (Plan/<Name>/: only that plan casts it).
    var planState: UnsafeMutableRawPointer? = nil

    init(heap: Heap, record: MutatorRecord, rootCapacity: Int) {
        base = heap.base
        pollFlag = heap.world.pollFlag
        barrierFlag = heap.barrierFlag
        verify = heap.configuration.verify
        accessMode = verify ? MutatorContext.verifyBit : 0
        roots = RawStack(capacity: rootCapacity)
        self.heap = Unmanaged.passUnretained(heap)
        self.record = Unmanaged.passUnretained(record)
        writeBarrierSlow = plainStoreSlowPath
    }

    /// The plan chooses its read barrier (when the mutator arrives).
    mutating func setReadBarrier(_ mode: ReadBarrierMode) {
        readBarrier = mode
        accessMode = mode.rawValue | (verify ? MutatorContext.verifyBit : 0)
    }
}

/// The barrier slow path of a plan that has no barrier: the store alone.
let plainStoreSlowPath: WriteBarrierSlowPath = { ctx, slot, source, value in
    slot.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.store(value, ordering: .releasing)
}

extension UnsafeMutablePointer where Pointee == MutatorContext {
    /// The plan's per-mutator state, as the plan's type `T` (only the plan that installed it may ask).
    @inline(__always)
    func planState<T>(_: T.Type) -> UnsafeMutablePointer<T> { pointee.planState.unsafelyUnwrapped.assumingMemoryBound(to: T.self) }
}

/// The registry entry of a mutator: owns its context.
final class MutatorRecord {
    let id: Int
    let ctx: UnsafeMutablePointer<MutatorContext>
    /// Under the world's monitor (see `World.setState`); not running until registered.
    var state: MutatorState = .safeRegion

    init(heap: Heap, id: Int) {
        self.id = id
        ctx = .allocate(capacity: 1)
        ctx.initialize(to: MutatorContext(heap: heap, record: self, rootCapacity: max(16, heap.configuration.rootSlotsPerMutator)))
    }

    /// Frees the context; the record must be unregistered and the plan's state freed.
    func destroy() {
        ctx.pointee.roots.free()
        ctx.pointee.remembering.log.free()
        ctx.deinitialize(count: 1)
        ctx.deallocate()
    }
}
