// Small helpers shared by the workloads added with binary-trees: per-thread seeding, a payload hash,
// cross-thread tallies, a phase barrier that waits inside a safe region, and a rooted tree walk.
//
// Nothing here touches the heap except through the `Mutator` passed in, and every wait that can block
// on another mutator happens inside `Mutator.withSafeRegion` (otherwise a stop-the-world request would
// wait for a thread that is itself waiting for a parked thread).

import ConcurrentGC
import Pacer

/// Helpers for workload determinism and checksums.
enum WorkloadRandom {
    /// A generator for thread `index` of a run with `seed`, distinct per `salt` (the workload): each
    /// thread's stream depends only on (seed, salt, index), never on scheduling.
    static func thread(seed: UInt64, index: Int, salt: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: seed ^ (salt &* 0xD6E8_FEB8_6659_FD93))
        let base = g.next()
        return SplitMix64(seed: base &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A 64-bit finaliser (Stafford's mix 13, SplitMix64's output function one Weyl step on): the
    /// reference value for payload words.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 { SplitMix64.mix(x &+ 0x9E37_79B9_7F4A_7C15) }

    /// `mix` of two values.
    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 { mix(a ^ mix(b)) }
}

/// Integers summed across mutator threads (under a lock; read after the threads joined).
final class Tally: @unchecked Sendable {
    private let monitor = Monitor()
    private var values: [String: Int] = [:]

    /// Adds `amount` to the counter `key`.
    func add(_ key: String, _ amount: Int) { monitor.withLock { values[key, default: 0] &+= amount } }
    /// The counter `key` (0 if never added to).
    subscript(key: String) -> Int { monitor.withLock { values[key] ?? 0 } }
}

/// A reusable barrier for a fixed number of mutators. Waiting happens in a safe region, so a collection
/// requested by a thread that has not arrived yet goes ahead without the waiting threads. A thread that
/// fails breaks the barrier, so the others stop waiting for it.
final class MutatorBarrier: @unchecked Sendable {
    /// Thrown by `arriveAndWait` once another thread broke the barrier (that thread reports the error).
    struct Broken: Error {}

    private let monitor = Monitor()
    private let parties: Int
    private var arrived = 0
    private var generation = 0
    private var broken = false

    init(parties: Int) { self.parties = parties }

    /// Waits until all parties arrived; throws `Broken` if the barrier is or gets broken. The caller must
    /// not hold unrooted references across this call (a collection may run meanwhile).
    func arriveAndWait(_ m: Mutator) throws {
        let ok = m.withSafeRegion { () -> Bool in
            monitor.withLock {
                if broken { return false }
                let g = generation
                arrived += 1
                if arrived == parties {
                    arrived = 0
                    generation += 1
                    monitor.broadcast()
                    return true
                }
                while generation == g && !broken { monitor.wait(nanoseconds: 1_000_000) }
                return generation != g
            }
        }
        if !ok { throw Broken() }
    }

    /// Releases every waiter, now and later, with `Broken`.
    func breakBarrier() {
        monitor.withLock {
            broken = true
            monitor.broadcast()
        }
    }
}

/// Visits every node of a tree whose children are reference fields `0..<fanout`, depth first, with the
/// node being visited and all its ancestors held in root slots, and polls every 1024 nodes: a long walk
/// lets collections run, and every reference held across the poll is rooted.
/// `visit(node, depth)` returns false to stop the walk early; the result is false then.
/// `counter` counts the nodes visited (and paces the polls).
@discardableResult
func rootedWalk(_ m: Mutator, _ root: ObjectRef, fanout: Int, counter: inout Int,
                _ visit: (ObjectRef, Int) -> Bool) -> Bool {
    func go(_ slot: RootSlot, _ depth: Int, _ counter: inout Int) -> Bool {
        counter &+= 1
        if counter & 1023 == 0 { m.poll() }
        guard visit(m[slot], depth) else { return false }
        for k in 0..<fanout {
            let child = m.load(m[slot], k)
            if child.isNull { continue }
            let f = m.frame()
            let s = m.pushRoot(child)
            let ok = go(s, depth + 1, &counter)
            m.popFrame(f)
            if !ok { return false }
        }
        return true
    }
    if root.isNull { return true }
    let f = m.frame()
    defer { m.popFrame(f) }
    return go(m.pushRoot(root), 0, &counter)
}
