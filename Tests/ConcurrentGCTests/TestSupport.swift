// Helpers shared by the heap tests.

@testable import ConcurrentGC
import XCTest

/// A heap for tests: small, verifying by default.
func makeHeap(_ collector: CollectorKind = .stw, heapMax: Int = 64 << 20, verify: Bool = true, gogc: Int = 100,
              minimumTrigger: Int = 4 << 20) throws -> Heap {
    var config = HeapConfiguration()
    config.collector = collector
    config.heapMaxBytes = heapMax
    config.verify = verify
    config.gogc = gogc
    config.minimumTriggerBytes = minimumTrigger
    return try Heap(configuration: config)
}

/// Runs `body` on one registered mutator of `heap` (on its own serial queue, as workloads do).
func withMutator(_ heap: Heap, _ body: @escaping @Sendable (Mutator) throws -> Void) throws {
    try MutatorThreads.run(heap: heap, count: 1) { m, _ in try body(m) }
}

/// A node: two reference fields and an 8-byte payload holding `value`. The children are rooted across the
/// allocation and read back from their slots after it (a moving collector may move them there).
func node(_ m: Mutator, _ value: Int, _ left: ObjectRef = .null, _ right: ObjectRef = .null) throws -> ObjectRef {
    let f = m.frame()
    let l = m.pushRoot(left), r = m.pushRoot(right)
    let n = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8)
    m.store(n, 0, m[l])
    m.store(n, 1, m[r])
    m.storePayload(n, referenceCount: 2, at: 0, value)
    m.popFrame(f)
    return n
}

func value(_ m: Mutator, _ n: ObjectRef) -> Int { m.loadPayload(n, referenceCount: 2, at: 0, as: Int.self) }

/// Builds a linked list of `count` nodes rooted in a new root slot; values count-1...0 from the head.
func rootedList(_ m: Mutator, count: Int) throws -> RootSlot {
    let head = m.pushRoot()
    for i in 0..<count { m[head] = try node(m, i, m[head]) }
    return head
}

/// Sums a list's values and counts its nodes.
func walkList(_ m: Mutator, _ head: ObjectRef) -> (count: Int, sum: Int) {
    var n = head, count = 0, sum = 0
    while !n.isNull { count += 1; sum += value(m, n); n = m.load(n, 0) }
    return (count, sum)
}

/// Builds and walks a rooted list of `count` nodes on `heap`; the heap error that stopped it, or nil.
func heapErrorBuildingList(_ heap: Heap, count: Int) throws -> HeapError? {
    do {
        try withMutator(heap) { m in
            let list = try rootedList(m, count: count)
            XCTAssertEqual(walkList(m, m[list]).count, count)
        }
    } catch let e as HeapError { return e }
    return nil
}
