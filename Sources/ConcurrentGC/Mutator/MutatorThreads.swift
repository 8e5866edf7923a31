// Running mutators: one serial Dispatch queue per mutator (the design card). Serial queues made with
// `DispatchQueue(label:)` each get a thread of their own while they run, so N mutators really run at
// once even when N exceeds the core count (a pooled `concurrentPerform` caps at the CPU count, which
// would deadlock a stop-the-world handshake waiting for a mutator that never got a thread).

import Dispatch

/// Starts and joins groups of mutator threads.
public enum MutatorThreads {
    /// Runs `body(mutator, index)` on `count` mutators, each registered on its own serial queue, and
    /// waits for all. Rethrows the first error any of them threw. The calling thread must not itself be
    /// a registered mutator (it would hold up collections while it waits).
    public static func run(heap: Heap, count: Int, label: String = "gclab.mutator",
                           _ body: @escaping @Sendable (Mutator, Int) throws -> Void) throws {
        let group = DispatchGroup()
        let errors = ErrorBox()
        for i in 0..<count {
            let queue = DispatchQueue(label: "\(label).\(i)")
            queue.async(group: group) {
                let mutator = heap.registerMutator()
                defer { heap.unregister(mutator) }
                do { try body(mutator, i) } catch { errors.set(error) }
            }
        }
        group.wait()
        if let error = errors.first { throw error }
    }
}

/// A value written by mutator closures and read once they are joined (`MutatorThreads.run` waits for
/// them, which orders the writes before the reads). Not for values read while the threads run.
public final class SharedBox<T>: @unchecked Sendable {
    /// The value.
    public var value: T
    /// A box holding `value`.
    public init(_ value: T) { self.value = value }
}

/// The first error reported by any of several threads.
final class ErrorBox: @unchecked Sendable {
    private let monitor = Monitor()
    private var error: Error?
    func set(_ e: Error) { monitor.withLock { if error == nil { error = e } } }
    var first: Error? { monitor.withLock { error } }
}
