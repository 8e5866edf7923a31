// GCBench (John Ellis and Pete Kovac, modified by Hans Boehm): binary trees built top-down and bottom-up
// at depths 4..16 while a long-lived tree and a large array of doubles stay live.
//
// Parameters (the original's): stretch tree depth 18, long-lived tree depth 16, array of 500000 doubles,
// tree depths 4..16 in steps of 2, NumIters(d) = 2·TreeSize(18)/TreeSize(d), TreeSize(d) = 2^(d+1) − 1.
// A node is {left, right, i, j}: two references and two 32-bit integers, 24 bytes with compressed
// references. With several threads, each runs the whole program on its own data.
//
// Self-check: the long-lived tree still has TreeSize(16) nodes, and array[1000] == 1/1000 (the original's
// check), plus every node of the long-lived tree carries the payload it was built with. The trees are
// built by GCBenchTrees.swift (shared with mt-gcbench).

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

    /// Plain nodes, counted. (The count also keeps the value from being empty: ThreadSanitizer reports a
    /// mutating access to an empty struct at whatever address it gets, which may be another thread's.)
    struct Nodes: GCBenchNodes {
        var allocated = 0
        var nodeShape: UInt8 { GCBench.nodeShape }
        @inline(__always)
        mutating func newNode(_ m: Mutator) throws -> ObjectRef {
            allocated &+= 1
            return try m.allocate(shape: GCBench.nodeShape, referenceCount: 2, payloadBytes: 8)
        }
    }

    /// The whole program on one mutator.
    func runOne(_ m: Mutator) throws -> [String] {
        var trees = GCBenchTrees(nodes: Nodes())
        let frame = m.frame()
        defer { m.popFrame(frame) }
        // Stretch the heap.
        _ = try trees.makeTree(m, stretchTreeDepth)

        // A long-lived tree and array.
        let longLived = m.pushRoot(try trees.nodes.newNode(m))
        try trees.populate(m, longLivedTreeDepth, longLived)
        let array = m.pushRoot(try trees.makeArray(m, shape: GCBench.arrayShape, count: arraySize))

        var d = minTreeDepth
        while d <= maxTreeDepth {
            try trees.timeConstruction(m, depth: d, iterations: numIters(d))
            d += 2
        }

        if WorkloadDebug.corruptOnePayload {  // test hook: damage one interior node's payload
            let victim = m.load(m[longLived], 1)
            m.storePayload(victim, referenceCount: 2, at: 4, m.loadPayload(victim, referenceCount: 2, at: 4, as: Int32.self) ^ 0x40)
        }

        // Self-check.
        let (nodes, bad) = trees.countIntact(m, m[longLived], depth: longLivedTreeDepth)
        guard nodes == GCBench.treeSize(longLivedTreeDepth) else {
            throw WorkloadError.selfCheckFailed(workload: GCBench.name,
                detail: "long-lived tree has \(nodes) intact nodes, expected \(GCBench.treeSize(longLivedTreeDepth)); \(bad)")
        }
        let element = m.loadPayload(m[array], referenceCount: 0, at: 1000 * 8, as: Double.self)
        guard element == 1.0 / 1000 else {
            throw WorkloadError.selfCheckFailed(workload: GCBench.name, detail: "array[1000] is \(element), expected 0.001")
        }
        return ["long lived tree of depth \(longLivedTreeDepth) has \(nodes) nodes; array[1000] = \(element); "
                + "\(trees.nodes.allocated) nodes allocated"]
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
