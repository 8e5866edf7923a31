// GCBench (John Ellis and Pete Kovac, modified by Hans Boehm): binary trees built top-down and bottom-up
// at depths 4..16 while a long-lived tree and a large array of doubles stay live.
//
// Parameters (the original's): stretch tree depth 18, long-lived tree depth 16, array of 500000 doubles,
// tree depths 4..16 in steps of 2, NumIters(d) = 2·TreeSize(18)/TreeSize(d), TreeSize(d) = 2^(d+1) − 1.
// A node is {left, right, i, j}: two references and two 32-bit integers, 24 bytes with compressed
// references. With several threads, each runs the whole program on its own data.
//
// Self-check: the long-lived tree still has TreeSize(16) nodes, and array[1000] == 1/1000 (the original's
// check), plus every node of the long-lived tree carries the payload it was built with.

import ConcurrentGC

/// The GCBench workload.
public struct GCBench: Workload {
    public static let name = "gcbench"
    public static let summary = "Ellis/Kovac/Boehm GCBench: top-down and bottom-up binary trees beside a long-lived tree and array"
    public static let parameterSummary = "stretch depth 18, long-lived depth 16, array 500000 doubles, depths 4..16 step 2 (small: 12/10/50000, depths 4..10; large: 20/18/2000000, depths 4..18)"

    static let nodeShape: UInt8 = 1
    static let arrayShape: UInt8 = 2

    public var stretchTreeDepth = 18
    public var longLivedTreeDepth = 16
    public var arraySize = 500_000
    public var minTreeDepth = 4
    public var maxTreeDepth = 16

    public init(scale: WorkloadScale) {
        switch scale {
        case .small:
            stretchTreeDepth = 12; longLivedTreeDepth = 10; arraySize = 50_000; maxTreeDepth = 10
        case .default:
            break
        case .large:
            stretchTreeDepth = 20; longLivedTreeDepth = 18; arraySize = 2_000_000; maxTreeDepth = 18
        }
    }

    /// Nodes in a complete tree of depth `d`.
    public static func treeSize(_ d: Int) -> Int { (1 << (d + 1)) - 1 }

    /// Iterations at depth `d`.
    public func numIters(_ d: Int) -> Int { 2 * GCBench.treeSize(stretchTreeDepth) / GCBench.treeSize(d) }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        let me = self
        let reports = ReportBox()
        try MutatorThreads.run(heap: heap, count: threads) { m, index in
            let lines = try me.runOne(m)
            reports.set(index, lines)
        }
        return WorkloadReport(lines: reports.lines)
    }

    /// The whole program on one mutator.
    func runOne(_ m: Mutator) throws -> [String] {
        let frame = m.frame()
        defer { m.popFrame(frame) }
        // Stretch the heap.
        _ = try makeTree(m, stretchTreeDepth)

        // A long-lived tree and array.
        let longLived = m.pushRoot(try newNode(m))
        try populate(m, longLivedTreeDepth, m[longLived])
        let array = m.pushRoot(try m.allocate(shape: GCBench.arrayShape, referenceCount: 0, payloadBytes: arraySize * 8))
        let doubles = m.payload(m[array], referenceCount: 0).assumingMemoryBound(to: Double.self)
        for i in 0..<arraySize / 2 {
            doubles[i] = 1.0 / Double(i)
            if i & 4095 == 0 { m.poll() }  // a long loop without allocation: let collections stop it
        }

        var d = minTreeDepth
        while d <= maxTreeDepth {
            try timeConstruction(m, d)
            d += 2
        }

        // Self-check.
        let nodes = countAndCheck(m, m[longLived], depth: longLivedTreeDepth)
        let element = m.payload(m[array], referenceCount: 0).assumingMemoryBound(to: Double.self)[1000]
        guard nodes == GCBench.treeSize(longLivedTreeDepth) else {
            throw WorkloadError.selfCheckFailed(workload: GCBench.name,
                detail: "long-lived tree has \(nodes) intact nodes, expected \(GCBench.treeSize(longLivedTreeDepth))")
        }
        guard element == 1.0 / 1000 else {
            throw WorkloadError.selfCheckFailed(workload: GCBench.name, detail: "array[1000] is \(element), expected 0.001")
        }
        return ["long lived tree of depth \(longLivedTreeDepth) has \(nodes) nodes; array[1000] = \(element)"]
    }

    @inline(__always)
    func newNode(_ m: Mutator) throws -> ObjectRef {
        try m.allocate(shape: GCBench.nodeShape, referenceCount: 2, payloadBytes: 8)
    }

    /// Builds a tree top-down below `node` (which must be reachable from a root).
    func populate(_ m: Mutator, _ depth: Int, _ node: ObjectRef) throws {
        if depth <= 0 { return }
        let left = try newNode(m)
        m.store(node, 0, left)
        let right = try newNode(m)
        m.store(node, 1, right)
        setPayload(m, node, depth)
        try populate(m, depth - 1, left)
        try populate(m, depth - 1, right)
    }

    /// Builds a tree bottom-up; the result is unrooted (the caller roots it before allocating).
    func makeTree(_ m: Mutator, _ depth: Int) throws -> ObjectRef {
        if depth <= 0 { return try newNode(m) }
        let frame = m.frame()
        let left = m.pushRoot(try makeTree(m, depth - 1))
        let right = try makeTree(m, depth - 1)
        m.pushRoot(right)
        let node = try newNode(m)
        m.store(node, 0, m[left])
        m.store(node, 1, right)
        setPayload(m, node, depth)
        m.popFrame(frame)
        return node
    }

    @inline(__always)
    func setPayload(_ m: Mutator, _ node: ObjectRef, _ depth: Int) {
        let p = m.payload(node, referenceCount: 2).assumingMemoryBound(to: Int32.self)
        p[0] = Int32(depth)
        p[1] = Int32(depth) &* 7
    }

    func timeConstruction(_ m: Mutator, _ depth: Int) throws {
        let iterations = numIters(depth)
        let frame = m.frame()
        let temp = m.pushRoot()
        for _ in 0..<iterations {
            m[temp] = try newNode(m)
            try populate(m, depth, m[temp])
            m[temp] = .null
        }
        for _ in 0..<iterations {
            m[temp] = try makeTree(m, depth)
            m[temp] = .null
        }
        m.popFrame(frame)
    }

    /// Counts the nodes of a populated tree whose payload matches how it was built.
    func countAndCheck(_ m: Mutator, _ node: ObjectRef, depth: Int) -> Int {
        if node.isNull { return 0 }
        var count = 1
        if depth > 0 {
            let p = m.payload(node, referenceCount: 2).assumingMemoryBound(to: Int32.self)
            if p[0] != Int32(depth) || p[1] != Int32(depth) &* 7 { count = 0 }
        }
        return count + countAndCheck(m, m.load(node, 0), depth: depth - 1) + countAndCheck(m, m.load(node, 1), depth: depth - 1)
    }
}

/// Collects per-thread report lines.
final class ReportBox: @unchecked Sendable {
    private let monitor = Monitor()
    private var byIndex: [Int: [String]] = [:]
    func set(_ index: Int, _ lines: [String]) { monitor.withLock { byIndex[index] = lines } }
    var lines: [String] {
        monitor.withLock {
            byIndex.keys.sorted().flatMap { i in byIndex[i]!.map { byIndex.count > 1 ? "[\(i)] " + $0 : $0 } }
        }
    }
}
