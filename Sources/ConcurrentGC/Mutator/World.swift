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

import Synchronization

/// Where a mutator is with respect to the safepoint protocol.
enum MutatorState { case running, parked, safeRegion, collecting }

/// The registry of mutators and the stop-the-world handshake.
final class World {
    let monitor = Monitor()
    /// The poll flag mutators read on their fast paths: non-zero while a stop is requested.
    let pollFlag: UnsafeMutablePointer<Atomic<UInt32>>
    /// Registered mutators. Stable while the world is stopped.
    private(set) var mutators: [MutatorRecord] = []
    private var stopping = false

    init() {
        pollFlag = .allocate(capacity: 1)
        pollFlag.initialize(to: Atomic(0))
    }

    deinit { pollFlag.deallocate() }

    func register(_ record: MutatorRecord) {
        monitor.withLock {
            while stopping { monitor.wait() }
            record.state = .running
            mutators.append(record)
        }
    }

    func unregister(_ record: MutatorRecord, beforeRemoval: () -> Void) {
        monitor.withLock {
            if stopping { park(record) }
            beforeRemoval()
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
        pollFlag.pointee.store(1, ordering: .relaxed)
        requester?.state = .collecting
        while mutators.contains(where: { $0.state == .running }) { monitor.wait() }
        return Clock.now() &- t0
    }

    /// Restarts the world stopped by `stop(requester:)`.
    func start(requester: MutatorRecord?) {
        monitor.withLock {
            stopping = false
            pollFlag.pointee.store(0, ordering: .relaxed)
            requester?.state = .running
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
            record.state = .safeRegion
            monitor.broadcast()
        }
    }

    func leaveSafeRegion(_ record: MutatorRecord) {
        monitor.withLock {
            while stopping { monitor.wait() }
            record.state = .running
        }
    }

    /// Parks `record` until the world restarts. The monitor must be held.
    private func park(_ record: MutatorRecord) {
        let previous = record.state
        record.state = .parked
        monitor.broadcast()
        while stopping { monitor.wait() }
        record.state = previous
    }
}
