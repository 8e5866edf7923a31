// Global roots: slots any thread may read or write, traced by every collection.
// Slots are atomics (mutators on several threads share them); the slot table only grows, under a lock.

import Synchronization

/// A handle to one global root slot.
public struct GlobalRoot: Hashable, Sendable {
    /// The slot's index.
    public let index: Int
}

final class GlobalRoots {
    static let capacity = 4096
    let slots: UnsafeMutablePointer<Atomic<UInt32>>
    private let counter = Atomic<Int>(0)

    init() {
        slots = .allocate(capacity: GlobalRoots.capacity)
        for i in 0..<GlobalRoots.capacity { (slots + i).initialize(to: Atomic(0)) }
    }

    deinit { slots.deallocate() }

    /// A new slot holding null, or nil when all slots are taken.
    func add() -> GlobalRoot? {
        let i = counter.add(1, ordering: .relaxed).newValue - 1
        guard i < GlobalRoots.capacity else { return nil }
        return GlobalRoot(index: i)
    }

    /// Number of slots handed out.
    var count: Int { min(counter.load(ordering: .relaxed), GlobalRoots.capacity) }

    func forEach(_ body: (UInt32, Int) -> Void) {
        for i in 0..<count { body(slots[i].load(ordering: .acquiring), i) }
    }
}

extension Heap {
    /// A new global root slot, holding null. Fatal after 4096 slots (a workload bug).
    public func addGlobalRoot() -> GlobalRoot {
        guard let root = globals.add() else { fatalError("gclab: more than \(GlobalRoots.capacity) global roots") }
        return root
    }
}
