// A pthread mutex and condition variable, for the slow paths: block hand-out, the safepoint protocol,
// statistics. Heap-allocated so they never move; never used on a fast path.

import Glibc

/// A mutual-exclusion lock with a condition variable attached.
public final class Monitor: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    /// A new, unlocked monitor.
    public init() {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Takes the lock.
    public func lock() { pthread_mutex_lock(mutex) }
    /// Releases the lock.
    public func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for a broadcast; the lock must be held and is held again on return.
    public func wait() { pthread_cond_wait(cond, mutex) }
    /// Waits for a broadcast or until `nanoseconds` have passed; the lock must be held.
    public func wait(nanoseconds: UInt64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = UInt64(now.tv_nsec) + nanoseconds
        var deadline = timespec(tv_sec: now.tv_sec + Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        pthread_cond_timedwait(cond, mutex, &deadline)
    }

    /// Wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(cond) }

    /// Runs `body` with the lock held.
    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
