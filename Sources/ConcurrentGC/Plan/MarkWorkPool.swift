// The shared pool of grey objects for concurrent marking, and the termination test.
//
// Markers (background workers, assisting mutators, the collector in a pause) keep a local grey stack and
// meet here: they take a batch of grey objects, scan them with their own stack, give back surplus when the
// pool runs dry (so idle workers get work) and report when they hold nothing. Mutators hand in their shade
// buffers.
//
// Invariant for termination: every grey object is in the pool, in a marker's local stack (that marker is
// counted in `active`), or in a mutator's shade buffer. So "pool empty and active == 0" means marking is
// done except for shade buffers; the collector checks those with the world stopped.

/// Grey objects shared between markers.
final class MarkWorkPool {
    private let monitor = Monitor()
    // Under `monitor`, which gives the exclusivity (no dynamic check needed):
    @exclusivity(unchecked) private var stack = RawStack<UInt32>(capacity: 1 << 16)
    @exclusivity(unchecked) private var active = 0
    @exclusivity(unchecked) private var idleWaiters = 0
    @exclusivity(unchecked) private var wakeSuppressed = false

    /// How many grey objects a marker takes at once.
    static let batch = 512

    init() {}
    deinit { stack.free() }

    /// Adds grey objects (not counted as anyone's work).
    func push(_ items: UnsafeBufferPointer<UInt32>) {
        guard !items.isEmpty else { return }
        monitor.withLock {
            stack.append(contentsOf: items)
            if idleWaiters > 0 && !wakeSuppressed { monitor.broadcast() }
        }
    }

    /// Set when a marker (often an assisting mutator) found the pool empty while others held work.
    @exclusivity(unchecked) private var starved = false

    /// True when the pool is empty and a marker is idle or recently came away empty-handed: a busy
    /// marker should give back part of its stack. Without this a worker could hoard all grey objects
    /// while assists, finding nothing to do, let the heap run past its goal.
    var hungry: Bool { monitor.withLock { stack.isEmpty && (idleWaiters > 0 || starved) } }

    /// The epoch the current mark writes into line marks. Markers take it together with their work, so
    /// a marker created before one cycle ended never marks the next cycle's lines with a stale epoch.
    @exclusivity(unchecked) private var epoch: UInt8 = 0

    /// Sets the mark epoch (mark start, world stopped, before any work is pushed).
    func setEpoch(_ value: UInt8) { monitor.withLock { epoch = value } }

    /// Moves up to `max` grey objects into `buffer` and counts the caller as active (unless it already
    /// is: `alreadyActive`). Returns how many, and the epoch to mark with. A caller that got objects must
    /// call `finished()` once its local stack is empty.
    func take(into buffer: UnsafeMutablePointer<UInt32>, max: Int, alreadyActive: Bool) -> (count: Int, epoch: UInt8) {
        monitor.withLock {
            guard !stack.isEmpty else {
                if active > 0 { starved = true }
                return (0, epoch)
            }
            starved = false
            let n = stack.popAll(max, into: buffer)
            if !alreadyActive { active += 1 }
            return (n, epoch)
        }
    }

    /// The caller holds no more work taken from the pool.
    func finished() {
        monitor.withLock {
            active -= 1
            if active == 0 && stack.isEmpty { monitor.broadcast() }
        }
    }

    /// Pool empty and no marker holding work.
    var quiescent: Bool { monitor.withLock { active == 0 && stack.isEmpty } }


    /// Blocks until there is work in the pool, the pool becomes quiescent, or `stop()` returns true
    /// (checked on every wake-up). Returns true when there is work.
    func waitForWork(until stop: () -> Bool) -> Bool {
        monitor.withLock {
            idleWaiters += 1
            defer { idleWaiters -= 1 }
            while stack.isEmpty && !stop() { monitor.wait() }
            return !stack.isEmpty
        }
    }

    /// Blocks until the pool is quiescent (marking may be complete) or `stop()` returns true; with a
    /// timeout, at most about that long. Returns whether the pool is quiescent.
    @discardableResult
    func waitForQuiescence(until stop: () -> Bool, timeoutNs: UInt64? = nil) -> Bool {
        monitor.withLock {
            let deadline = timeoutNs.map { Clock.now() + $0 }
            while !(active == 0 && stack.isEmpty) && !stop() {
                if let deadline {
                    let now = Clock.now()
                    if now >= deadline { break }
                    monitor.wait(nanoseconds: deadline - now)
                } else {
                    monitor.wait()
                }
            }
            return active == 0 && stack.isEmpty
        }
    }

    /// Blocks until there is work in the pool or it is quiescent (the collector finishing a mark in a
    /// pause: it takes work handed back by other markers instead of waiting for them).
    func waitForWorkOrQuiescence() {
        monitor.withLock {
            idleWaiters += 1
            defer { idleWaiters -= 1 }
            while stack.isEmpty && active > 0 { monitor.wait() }
        }
    }

    /// Runs `body` with pushes not waking idle markers (call `wakeAll` afterwards).
    func withoutWaking(_ body: () -> Void) {
        monitor.withLock { wakeSuppressed = true }
        body()
        monitor.withLock { wakeSuppressed = false }
    }

    /// Wakes every waiter so it re-checks its stop condition.
    func wakeAll() {
        monitor.withLock { monitor.broadcast() }
    }
}
