// binary-trees: the Computer Language Benchmarks Game program (itself a simplification of GCBench).
//
// With N the size argument: min depth 4, max depth max(6, N), stretch depth max + 1. Allocate and walk a
// stretch tree; allocate a long-lived tree of max depth; for each depth d = 4, 6, ..., max, allocate and
// walk 1 << (max − d + 4) trees of depth d bottom-up; finally walk the long-lived tree. A node is two
// reference fields and no payload (16 bytes); leaves are allocated like interior nodes with both fields
// null. A tree's check is its node count, 2^(d+1) − 1. The report lines are exactly the published output
// (for N = 10: "stretch tree of depth 11\t check: 4095", "1024\t trees of depth 4\t check: 31744", ...,
// "long lived tree of depth 10\t check: 2047").
//
// Threads: the stretch tree and the long-lived tree are built by one mutator (the long-lived tree is held
// by a global root); then the iterations of each depth are split across `threads` mutators (thread t
// takes iterations t, t + threads, ...) and their checks summed; then one mutator walks the long-lived
// tree. The output does not depend on the thread count. The program has no randomness: the seed is unused.
//
// Rooting: bottom-up construction keeps both subtrees in root slots while the parent is allocated; the
// walks keep the path from the root in root slots and poll every 1024 nodes.
//
// Self-check: every check equals its formula (stretch, each depth's sum, long-lived), and every node
// counted carries the node shape with two reference fields and either two children or none.

import ConcurrentGC

/// The Benchmarks Game binary-trees workload.
public struct BinaryTrees: Workload {
    public static let name = "binary-trees"
    public static let summary = "Benchmarks Game binary-trees: a stretch tree, a long-lived tree and many short-lived bottom-up trees"
    public static let parameterSummary = "N 16: depths 4..max(6, N) step 2, 1 << (max − d + 4) trees per depth (small: N 10; large: N 21)"

    static let nodeShape: UInt8 = 20

    /// The smallest tree depth.
    public static let minDepth = 4
    /// The benchmark's size argument N.
    public var n = 16

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: n = 10
        case .default: n = 16
        case .large: n = 21
        }
    }

    /// A workload with size argument `n` (as the benchmark's command line).
    public init(n: Int) { self.n = n }

    /// The deepest (and long-lived) tree: max(6, N).
    public var maxDepth: Int { max(BinaryTrees.minDepth + 2, n) }
    /// The stretch tree's depth: max depth + 1.
    public var stretchDepth: Int { maxDepth + 1 }
    /// Trees allocated at depth `d`.
    public func iterations(depth d: Int) -> Int { 1 << (maxDepth - d + BinaryTrees.minDepth) }
    /// The check of one tree of depth `d`: its node count.
    public static func check(depth d: Int) -> Int { (1 << (d + 1)) - 1 }
    /// The depths of the iterated trees: min, min + 2, ..., max.
    public var depths: [Int] { Array(stride(from: BinaryTrees.minDepth, through: maxDepth, by: 2)) }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard (0...26).contains(n) else { throw WorkloadError.invalidParameter("binary-trees: N must be in 0...26, got \(n)") }
        guard threads >= 1 else { throw WorkloadError.invalidParameter("binary-trees: threads must be at least 1, got \(threads)") }
        let me = self
        let longLived = heap.addGlobalRoot()
        let tally = Tally()

        // The stretch tree, then the long-lived tree, on one mutator.
        try MutatorThreads.run(heap: heap, count: 1, label: "gclab.binary-trees") { m, _ in
            let f = m.frame()
            defer { m.popFrame(f) }
            let stretch = m.pushRoot(try me.bottomUpTree(m, me.stretchDepth))
            tally.add("stretch", me.itemCheck(m, m[stretch]))
            m[stretch] = .null
            m.setGlobal(longLived, try me.bottomUpTree(m, me.maxDepth))
        }

        // The iterations of each depth, split across the threads.
        try MutatorThreads.run(heap: heap, count: threads, label: "gclab.binary-trees") { m, index in
            let f = m.frame()
            defer { m.popFrame(f) }
            let temp = m.pushRoot()
            for d in me.depths {
                var sum = 0
                var i = index
                while i < me.iterations(depth: d) {
                    m[temp] = try me.bottomUpTree(m, d)
                    sum += me.itemCheck(m, m[temp])
                    m[temp] = .null
                    i += threads
                }
                tally.add("depth \(d)", sum)
            }
        }

        // The long-lived tree is still there.
        try MutatorThreads.run(heap: heap, count: 1, label: "gclab.binary-trees") { m, _ in
            if WorkloadDebug.corruptOnePayload {  // test hook: cut off the left subtree
                m.store(m.global(longLived), 0, .null)
            }
            tally.add("long lived", me.itemCheck(m, m.global(longLived)))
            m.setGlobal(longLived, .null)
        }

        // Self-check and the published output.
        var lines: [String] = []
        var problems: [String] = []
        func expect(_ what: String, _ got: Int, _ want: Int) {
            if got != want { problems.append("\(what): check \(got), expected \(want)") }
        }
        let stretch = tally["stretch"]
        expect("stretch tree of depth \(stretchDepth)", stretch, BinaryTrees.check(depth: stretchDepth))
        lines.append("stretch tree of depth \(stretchDepth)\t check: \(stretch)")
        for d in depths {
            let sum = tally["depth \(d)"]
            expect("\(iterations(depth: d)) trees of depth \(d)", sum, iterations(depth: d) * BinaryTrees.check(depth: d))
            lines.append("\(iterations(depth: d))\t trees of depth \(d)\t check: \(sum)")
        }
        let long = tally["long lived"]
        expect("long lived tree of depth \(maxDepth)", long, BinaryTrees.check(depth: maxDepth))
        lines.append("long lived tree of depth \(maxDepth)\t check: \(long)")
        if !problems.isEmpty {
            throw WorkloadError.selfCheckFailed(workload: BinaryTrees.name, detail: problems.joined(separator: "; "))
        }
        return WorkloadReport(lines: lines)
    }

    /// A node with both fields null.
    @inline(__always)
    func newNode(_ m: Mutator) throws -> ObjectRef {
        try m.allocate(shape: BinaryTrees.nodeShape, referenceCount: 2, payloadBytes: 0)
    }

    /// A complete tree of depth `depth`, built bottom-up; the result is unrooted (the caller roots it
    /// before its next allocation).
    func bottomUpTree(_ m: Mutator, _ depth: Int) throws -> ObjectRef {
        if depth <= 0 { return try newNode(m) }
        let f = m.frame()
        defer { m.popFrame(f) }
        let left = m.pushRoot(try bottomUpTree(m, depth - 1))
        let right = m.pushRoot(try bottomUpTree(m, depth - 1))
        let node = try newNode(m)
        m.store(node, 0, m[left])
        m.store(node, 1, m[right])
        return node
    }

    /// The tree's check: the number of well-formed nodes (node shape, two reference fields, two children
    /// or none). `tree` must be reachable from a root (the walk polls).
    func itemCheck(_ m: Mutator, _ tree: ObjectRef) -> Int {
        var visited = 0, good = 0
        rootedWalk(m, tree, fanout: 2, counter: &visited) { node, _ in
            let h = m.header(node)
            if h.shape == BinaryTrees.nodeShape && h.referenceCount == 2
                && m.load(node, 0).isNull == m.load(node, 1).isNull {
                good += 1
            }
            return true
        }
        return good
    }
}
