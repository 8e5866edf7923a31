// The safepoint protocol: how a collector stops and restarts the mutators.
//
// Invariant: while `stopping` is true, no registered mutator is `running`: each is `parked` at a safepoint,
// inside a `safeRegion` (blocked or doing work that never touches the heap), or is the `collecting` thread
// itself. The collector may then read and write every mutator's context (roots, allocation buffers).
//
// Protocol:
// 1. The collector takes the monitor, sets `stopping` and the poll flag, and waits until no mutator runs.
// 2. A mutator polls the flag (one relaxed load) in its allocation slow path or at an explicit `poll()`;
//    when set, it takes the monitor, marks itself parked, wakes the collector and waits.
// 3. Entering a safe region marks the mutator as stopped already; leaving one waits while `stopping`.
// 4. The collector clears `stopping` and the flag and wakes everyone.
// Registration and unregistration also wait while `stopping`, so the set of mutators a collector sees
// does not change under it. All state here is read and written under the monitor, which also gives the
// happens-before edges between the mutators' last heap writes and the collector's reads.

import Glibc
import Synchronization

/// Where a mutator is with respect to the safepoint protocol.
enum MutatorState { case running, parked, safeRegion, collecting }

/// The registry of mutators and the stop-the-world handshake.
final class World {
    let monitor = Monitor()
    /// The poll flag mutators read on their fast paths: non-zero while a stop (`stopBit`) or a root
    /// handshake (`handshakeBit`) is requested.
    let pollFlag: UnsafeMutablePointer<Atomic<UInt32>>
    static let stopBit: UInt32 = 1
    static let handshakeBit: UInt32 = 2
    /// Registered mutators. Stable while the world is stopped.
    @exclusivity(unchecked) private(set) var mutators: [MutatorRecord] = []
    @exclusivity(unchecked) private var stopping = false
    /// Registered mutators in state `running`. Changed only under the monitor (`setState`); read
    /// without it by a collector spinning for the last mutator to park.
    private let runningCount = Atomic<Int>(0)

    /// Mutators running now (a hint: it changes as threads park and block).
    var runningMutators: Int { runningCount.load(ordering: .relaxed) }

    /// True while a collector waits for mutators to reach a safepoint: background GC threads should step
    /// aside so the mutators get a processor (on 2 cores a busy mark worker can delay the pause by a
    /// scheduler time slice).
    var waitingForSafepoint: Bool {
        pollFlag.pointee.load(ordering: .relaxed) & World.stopBit != 0 && runningCount.load(ordering: .relaxed) > 0
    }

    /// Changes a mutator's state, keeping `runningCount` right. The monitor must be held.
    private func setState(_ record: MutatorRecord, _ state: MutatorState) {
        if record.state == .running { runningCount.subtract(1, ordering: .relaxed) }
        if state == .running { runningCount.add(1, ordering: .relaxed) }
        record.state = state
    }

    init() {
        pollFlag = .allocate(capacity: 1)
        pollFlag.initialize(to: Atomic(0))
    }

    deinit { pollFlag.deallocate() }

    func register(_ record: MutatorRecord) {
        monitor.withLock {
            while stopping { monitor.wait() }
            mutators.append(record)
            setState(record, .running)
        }
    }

    func unregister(_ record: MutatorRecord, beforeRemoval: () -> Void) {
        monitor.withLock {
            if stopping { park(record) }
            beforeRemoval()
            setState(record, .safeRegion)
            mutators.removeAll { $0 === record }
            monitor.broadcast()
        }
    }

    /// Stops the world for `requester` (nil for a thread that is not a mutator). Returns the time to
    /// safepoint in nanoseconds, or nil if another thread was already stopping the world: then this
    /// call waited (parked) until that collection finished, and the caller should re-check its need.
    func stop(requester: MutatorRecord?) -> UInt64? {
        let t0 = Clock.now()
        monitor.lock()
        defer { monitor.unlock() }
        if stopping {
            if let r = requester { park(r) } else { while stopping { monitor.wait() } }
            return nil
        }
        stopping = true
        pollFlag.pointee.bitwiseOr(World.stopBit, ordering: .relaxed)
        if let r = requester { setState(r, .collecting) }
        // Mutators reach a safepoint within microseconds; spin briefly (about 20 µs) before sleeping, so
        // the pause does not pay a condition-variable wake-up, but not longer: on few cores a spinning
        // collector takes the processor a mutator needs to reach its safepoint.
        monitor.unlock()
        let spinUntil = Clock.now() + 20_000
        while runningCount.load(ordering: .acquiring) > 0 && Clock.now() < spinUntil {}
        monitor.lock()
        while runningCount.load(ordering: .relaxed) > 0 { monitor.wait() }
        return Clock.now() &- t0
    }

    /// Restarts the world stopped by `stop(requester:)`.
    func start(requester: MutatorRecord?) {
        monitor.withLock {
            stopping = false
            pollFlag.pointee.bitwiseAnd(~World.stopBit, ordering: .relaxed)
            if let r = requester { setState(r, .running) }
            monitor.broadcast()
        }
    }

    /// The poll flag was seen set: park until the collection is over.
    func safepointSlow(_ record: MutatorRecord) {
        monitor.withLock {
            if stopping { park(record) }
        }
    }

    func enterSafeRegion(_ record: MutatorRecord) {
        monitor.withLock {
            setState(record, .safeRegion)
            monitor.broadcast()
        }
    }

    func leaveSafeRegion(_ record: MutatorRecord) {
        monitor.withLock {
            while stopping { monitor.wait() }
            setState(record, .running)
        }
    }

    /// Runs `body` on every mutator in a safe region, holding the monitor so none can leave it meanwhile.
    func withMutatorsInSafeRegion(_ body: (MutatorRecord) -> Void) {
        monitor.withLock {
            for r in mutators where r.state == .safeRegion { body(r) }
        }
    }

    /// Parks `record` until the world restarts. The monitor must be held.
    private func park(_ record: MutatorRecord) {
        let previous = record.state
        setState(record, .parked)
        monitor.broadcast()
        while stopping { monitor.wait() }
        setState(record, previous)
    }
}
