// gencopy's concurrent major collection (`--major concurrent`): the mature space is marked by a background
// thread while mutators run and minor collections go on as short pauses — the combination production
// collectors use (G1's concurrent marking beside its young collections; LXR).
//
//   mark start  in the pause of a minor collection, after its promotion: the nursery is empty, so every
//               reachable object is mature (or large); a new epoch, every old mark cleared, the roots'
//               targets marked and queued, the marking barrier turned on; the worker wakes.
//   marking     the worker traces mature and large objects (`MatureMarkPolicy`: a nursery object is never
//               marked or traced, it is not part of this mark); the marking barrier (yuasa, hybrid or
//               dijkstra) shades through the mutators' shade buffers; a minor collection parks the worker
//               (the nursery's blocks change hands) and promotes black (mark bit set, lines of the mark's
//               epoch); large objects are allocated black.
//   termination the worker found nothing left: a pause flushes the shade buffers (and with dijkstra marks
//               the roots again) and finishes the mark, verifies it, flips the large objects, hands the
//               blocks to the sweeper and rebuilds the bitmap of old objects the card scan reads.
//
// Why it is safe with a snapshot barrier (yuasa, hybrid: roots taken at mark start): at the snapshot all
// reachable objects are mature; one reachable then stays marked-or-reachable through a path the barrier
// guards, and stores into nursery objects are barriered like any other; objects made since are young
// (never swept by this mark) or promoted black. With dijkstra (no snapshot): every field of a nursery
// object was set by a store that shaded its target, and the roots are marked again at termination.
// Steele's barrier only re-greys black sources, and a nursery object is never black: refused.
//
// The remembered set keeps working through the mark: the card scan reads a bitmap of its own (`old`),
// not the mark bitmap this mark clears and refills; the unlogged bits are not reset (a mature object
// stays unlogged or logged), and the set is not forgotten at the end (young objects exist).

import Dispatch
import Synchronization

/// What gencopy keeps per mutator for its marking barrier.
struct GenCopyMutatorState {
    let barrier: UInt8
    let policy: MatureMarkPolicy
    let base: UnsafeMutableRawPointer
    let major: Unmanaged<ConcurrentMajor>
    var shadeBuffer: RawStack<UInt32>
    var shadedBytes = 0
    static var shadeCapacity: Int { 256 }
}

/// Marking the mature space while the nursery lives on: a nursery object is not part of the mark.
struct MatureMarkPolicy: MarkPolicy {
    var immix: ImmixMarkPolicy
    /// The nursery's owner byte per block (non-zero: a nursery block).
    let nursery: UnsafeMutablePointer<UInt8>

    var epoch: UInt8 {
        get { immix.epoch }
        set { immix.epoch = newValue }
    }

    @inline(__always)
    func isYoung(_ raw: UInt32) -> Bool {
        raw < immix.largeGranule && nursery[Int(raw &>> UInt32(HeapGeometry.blockShift - HeapGeometry.granuleShift))] != 0
    }

    @inline(__always)
    func attempt(_ raw: UInt32) -> Bool { !isYoung(raw) && immix.attempt(raw) }

    @inline(__always)
    func scanning(_ raw: UInt32, offset: Int, bytes: Int) { immix.scanning(raw, offset: offset, bytes: bytes) }
}

/// Greying for the marking barriers under gencopy's concurrent major.
struct GenCopyShading: MarkingShading {
    let state: UnsafeMutablePointer<GenCopyMutatorState>

    @inline(__always)
    func shade(_ raw: UInt32) {
        guard raw != 0 && state.pointee.policy.attempt(raw) else { return }
        state.pointee.shadedBytes &+= ObjectHeader(bits: (state.pointee.base + (Int(raw) &<< HeapGeometry.granuleShift)).load(as: UInt64.self)).bytes
        if _slowPath(state.pointee.shadeBuffer.count == GenCopyMutatorState.shadeCapacity) { flush() }
        state.pointee.shadeBuffer.push(raw)
    }

    /// Steele's barrier is refused under gencopy (see the top of the file).
    func regreyIfStoringWhite(source: UInt32, value: UInt32) {}

    /// Every root is taken in the mark-start pause.
    var stackIsGrey: Bool { false }

    @inline(never)
    func flush() { state.pointee.major._withUnsafeGuaranteedRef { $0.flush(state) } }
}

enum GenCopyBarrier {
    /// The marking barrier's slow path (marking on).
    static let slowPath: WriteBarrierSlowPath = { rawContext, slot, source, value in
        let ctx = rawContext.assumingMemoryBound(to: MutatorContext.self)
        ctx.pointee.barrierSlowCount &+= 1
        let state = ctx.planState(GenCopyMutatorState.self)
        var shading = GenCopyShading(state: state)
        markingStore(barrier: state.pointee.barrier, slot.assumingMemoryBound(to: Atomic<UInt32>.self),
                     source: source, value: value, &shading)
    }
}

/// The concurrent major collection's marker: its pool, its worker thread and the worker's state.
final class ConcurrentMajor {
    enum WorkerState { case idle, marking, parked, finishing }

    unowned(unsafe) let heap: Heap
    let pool = MarkWorkPool()
    private let monitor = Monitor()
    private let thread = DispatchGroup()
    // Under `monitor`:
    @exclusivity(unchecked) private var worker = WorkerState.idle
    @exclusivity(unchecked) private var parkRequested = false
    @exclusivity(unchecked) private var stopping = false
    /// A mark is running (set and cleared in pauses, read by the worker under `monitor`).
    @exclusivity(unchecked) private(set) var marking = false
    @exclusivity(unchecked) private var epoch: UInt8 = 0
    /// Marks started so far: the current mark's number.
    @exclusivity(unchecked) private var sequence = 0
    /// The worker's parking request, read without the lock between its scanning steps.
    private let parkFlag = Atomic<Bool>(false)
    /// Bytes marked and scanned by the worker and shaded by barriers in the current mark.
    let workerMarked = Atomic<Int>(0), workerScanned = Atomic<Int>(0), shaded = Atomic<Int>(0)
    /// The worker's scanning CPU time in the current mark.
    let workerCPU = Atomic<UInt64>(0)
    /// What the mark-start pause marked; when it ended (the mark's clock).
    var startMarked = 0, startNs: UInt64 = 0, markStartNs: UInt64 = 0
    /// The termination step: the collector's pause that finishes mark number `n` (set by the collector).
    var terminate: (_ n: Int) -> Void = { _ in }
    let nurseryOwner: UnsafeMutablePointer<UInt8>

    init(heap: Heap, nurseryOwner: UnsafeMutablePointer<UInt8>) {
        self.heap = heap
        self.nurseryOwner = nurseryOwner
        DispatchQueue(label: "gclab.gc.gencopy-marker").async(group: thread) { [unowned self] in self.workerLoop() }
    }

    /// The policy of a mark of `epoch`.
    func policy(epoch: UInt8) -> MatureMarkPolicy {
        MatureMarkPolicy(immix: ImmixMarkPolicy(bitmap: heap.markBitmap, lineMarks: heap.lineMarks, epoch: epoch,
                                                largeGranule: heap.reservation.largeGranule, los: .passUnretained(heap.largeObjectSpace)),
                         nursery: nurseryOwner)
    }

    /// Moves a mutator's shade buffer into the pool (its owner, or the collector with the world stopped).
    func flush(_ state: UnsafeMutablePointer<GenCopyMutatorState>) {
        if state.pointee.shadedBytes > 0 {
            shaded.add(state.pointee.shadedBytes, ordering: .relaxed)
            state.pointee.shadedBytes = 0
        }
        let n = state.pointee.shadeBuffer.count
        guard n > 0 else { return }
        pool.push(UnsafeBufferPointer(start: state.pointee.shadeBuffer.base, count: n))
        state.pointee.shadeBuffer.count = 0
    }

    /// Mark start (world stopped, the roots' targets already in the pool): the worker may mark.
    func begin(epoch: UInt8) {
        monitor.withLock {
            marking = true
            self.epoch = epoch
            sequence += 1
            monitor.broadcast()
        }
    }

    /// The mark is over (world stopped).
    func end() { monitor.withLock { marking = false } }

    /// Whether a mark is running (world stopped, or the worker).
    var isMarking: Bool { monitor.withLock { marking } }

    /// Whether mark number `n` is still running.
    func isMarking(_ n: Int) -> Bool { monitor.withLock { marking && sequence == n } }

    /// The current mark's number.
    var currentSequence: Int { monitor.withLock { sequence } }

    /// A minor collection is about to move nursery objects (world stopped): waits until the worker is
    /// not scanning. `resume` lets it go on.
    func park() {
        monitor.withLock {
            parkRequested = true
            parkFlag.store(true, ordering: .relaxed)
            while worker == .marking { monitor.wait() }
        }
    }

    func resume() {
        monitor.withLock {
            parkRequested = false
            parkFlag.store(false, ordering: .relaxed)
            monitor.broadcast()
        }
    }

    /// Stops the worker, finishing a mark in progress (heap teardown).
    func shutdown() {
        monitor.withLock {
            stopping = true
            monitor.broadcast()
        }
        thread.wait()
    }

    /// The worker: waits for a mark, traces until the pool is empty (parking when asked), then runs the
    /// termination pause.
    private func workerLoop() {
        while true {
            monitor.lock()
            while !marking && !stopping { monitor.wait() }
            if !marking {
                monitor.unlock()
                return
            }
            while parkRequested { monitor.wait() }
            worker = .marking
            let epoch = self.epoch, mark = sequence
            monitor.unlock()
            let cpu0 = Clock.threadCPU()
            var marker = Marker(base: heap.base, policy: policy(epoch: epoch), pool: pool)
            while marker.refill() || !marker.isEmpty {
                while !marker.isEmpty {
                    marker.drain(budget: 64 << 10)
                    if parkFlag.load(ordering: .relaxed) {
                        marker.returnWork()  // a pause that finishes the mark finds every grey object in the pool
                        parkWorker()
                    }
                }
            }
            marker.returnWork()
            workerMarked.add(marker.markedBytes, ordering: .relaxed)
            workerScanned.add(marker.scannedBytes, ordering: .relaxed)
            marker.free()
            workerCPU.add(Clock.threadCPU() &- cpu0, ordering: .relaxed)
            monitor.withLock {
                worker = .finishing
                monitor.broadcast()
            }
            terminate(mark)  // a pause: finishes the mark (or finds it finished by a full collection)
            monitor.withLock { worker = .idle }
        }
    }

    /// Parks the worker until the minor collection that asked is over.
    private func parkWorker() {
        monitor.withLock {
            worker = .parked
            monitor.broadcast()
            while parkRequested { monitor.wait() }
            worker = .marking
        }
    }
}
