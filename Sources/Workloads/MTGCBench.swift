// mt-gcbench: GCBench in N mutator threads at once, in the manner of Whippet's mt-gcbench.
//
// Each thread runs the whole GCBench program on its own data (stretch tree, long-lived tree, array of
// doubles, top-down and bottom-up trees at depths min..max step 2, NumIters(d) = 2·TreeSize(stretch) /
// TreeSize(d)), and before every tree node it allocates a "hole": an unrooted object of 0 reference
// fields and a power-law payload size (8 B·2^e with P(e) = 2^−(e+1), up to 4 KiB, plus up to the same
// again in 8-byte steps), dead at once. The holes interleave with the long-lived tree's nodes as it is
// built, so once they are swept the long-lived data is scattered over partly free lines and blocks:
// the heap is fragmented the way Whippet's benchmark fragments it, and the allocator must find holes.
//
// Parameters: GCBench's, scaled down because N threads run at once (default: stretch 16, long-lived 14,
// array 250000 doubles, depths 4..14); small is GCBench small (12/10/50000, 4..10); large is GCBench
// default (18/16/500000, 4..16). A node is {left, right, i, j} as in GCBench (24 bytes).
//
// Rooting: as GCBench (top-down populate hangs each new node from a rooted parent at once; bottom-up
// keeps both subtrees in root slots while the parent is allocated); holes are never referenced.
//
// Self-check, per thread (as GCBench): the long-lived tree has TreeSize(long-lived) nodes, every interior
// node carries the payload it was built with (depth, 7·depth) and every leaf a zero payload, and
// array[1000] == 1/1000.

import ConcurrentGC

/// GCBench on several threads at once, with power-law garbage holes between the nodes.
public struct MTGCBench: Workload {
    public static let name = "mt-gcbench"
    public static let summary = "Whippet-style multi-threaded GCBench: per-thread GCBench with power-law garbage holes between nodes"
    public static let parameterSummary = "per thread: stretch depth 16, long-lived 14, array 250000, depths 4..14, holes 8 B..4 KiB power law (small: 12/10/50000, 4..10; large: 18/16/500000, 4..16)"

    static let nodeShape: UInt8 = 30
    static let holeShape: UInt8 = 31
    static let arrayShape: UInt8 = 32

    /// Depth of each thread's stretch tree.
    public var stretchTreeDepth = 16
    /// Depth of each thread's long-lived tree.
    public var longLivedTreeDepth = 14
    /// Doubles in each thread's long-lived array.
    public var arraySize = 250_000
    /// Shallowest short-lived trees.
    public var minTreeDepth = 4
    /// Deepest short-lived trees.
    public var maxTreeDepth = 14
    /// The largest hole payload, in bytes (holes are 8 B·2^e for e = 0, 1, ... up to this).
    public var maxHoleBytes = 4096

    public init(scale: WorkloadScale) {
        switch scale {
        case .small:
            let g = GCBench(scale: .small)
            stretchTreeDepth = g.stretchTreeDepth; longLivedTreeDepth = g.longLivedTreeDepth
            arraySize = g.arraySize; minTreeDepth = g.minTreeDepth; maxTreeDepth = g.maxTreeDepth
        case .default:
            break
        case .large:
            let g = GCBench(scale: .default)
            stretchTreeDepth = g.stretchTreeDepth; longLivedTreeDepth = g.longLivedTreeDepth
            arraySize = g.arraySize; minTreeDepth = g.minTreeDepth; maxTreeDepth = g.maxTreeDepth
        }
    }

    /// Iterations at depth `d`, as GCBench.
    public func numIters(_ d: Int) -> Int { 2 * GCBench.treeSize(stretchTreeDepth) / GCBench.treeSize(d) }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard arraySize > 1000, longLivedTreeDepth >= 1, maxHoleBytes >= 8 else {
            throw WorkloadError.invalidParameter("mt-gcbench: array size must exceed 1000, long-lived depth be at least 1 and holes at least 8 bytes")
        }
        let me = self
        let reports = ReportBox()
        try MutatorThreads.run(heap: heap, count: threads, label: "gclab.mt-gcbench") { m, index in
            var thread = Thread(bench: me, rng: WorkloadRandom.thread(seed: seed, index: index, salt: 0x3047))
            reports.set(index, try thread.run(m))
        }
        return WorkloadReport(lines: reports.lines)
    }

    /// One thread's program and its hole generator.
    struct Thread {
        let bench: MTGCBench
        var rng: SplitMix64
        var holes = 0
        var holeBytes = 0

        mutating func run(_ m: Mutator) throws -> [String] {
            let frame = m.frame()
            defer { m.popFrame(frame) }
            // Stretch the heap.
            let stretch = m.pushRoot(try makeTree(m, bench.stretchTreeDepth))
            m[stretch] = .null

            // A long-lived tree and array.
            let longLived = m.pushRoot(try newNode(m))
            try populate(m, bench.longLivedTreeDepth, m[longLived])
            let array = m.pushRoot(try m.allocate(shape: MTGCBench.arrayShape, referenceCount: 0, payloadBytes: bench.arraySize * 8))
            let doubles = m.payload(m[array], referenceCount: 0).assumingMemoryBound(to: Double.self)
            for i in 0..<bench.arraySize / 2 { doubles[i] = 1.0 / Double(i) }

            var d = bench.minTreeDepth
            while d <= bench.maxTreeDepth {
                try timeConstruction(m, d)
                d += 2
            }

            if WorkloadDebug.corruptOnePayload {  // test hook: damage one interior node's payload
                let victim = m.load(m[longLived], 0)
                m.payload(victim, referenceCount: 2).assumingMemoryBound(to: Int32.self)[1] ^= 0x40
            }

            // Self-check.
            let (nodes, bad) = countAndCheck(m, m[longLived])
            let expected = GCBench.treeSize(bench.longLivedTreeDepth)
            guard nodes == expected, bad.isEmpty else {
                throw WorkloadError.selfCheckFailed(workload: MTGCBench.name,
                    detail: "long-lived tree has \(nodes) nodes, expected \(expected)" + (bad.isEmpty ? "" : "; " + bad))
            }
            let element = m.payload(m[array], referenceCount: 0).assumingMemoryBound(to: Double.self)[1000]
            guard element == 1.0 / 1000 else {
                throw WorkloadError.selfCheckFailed(workload: MTGCBench.name, detail: "array[1000] is \(element), expected 0.001")
            }
            return ["long lived tree of depth \(bench.longLivedTreeDepth) has \(nodes) nodes; array[1000] = \(element); "
                    + "\(holes) holes, \(holeBytes) hole bytes"]
        }

        /// An unrooted garbage object of power-law size.
        @inline(__always)
        mutating func hole(_ m: Mutator) throws {
            let e = min(rng.next().trailingZeroBitCount, 9)
            var bytes = 8 << e
            bytes += 8 * rng.below(1 << e)
            bytes = min(bytes, bench.maxHoleBytes)
            let h = try m.allocate(shape: MTGCBench.holeShape, referenceCount: 0, payloadBytes: bytes)
            m.payload(h, referenceCount: 0).storeBytes(of: UInt64(bytes), as: UInt64.self)
            holes += 1
            holeBytes += bytes
        }

        /// A hole, then a node.
        @inline(__always)
        mutating func newNode(_ m: Mutator) throws -> ObjectRef {
            try hole(m)
            return try m.allocate(shape: MTGCBench.nodeShape, referenceCount: 2, payloadBytes: 8)
        }

        @inline(__always)
        func setPayload(_ m: Mutator, _ node: ObjectRef, _ depth: Int) {
            let p = m.payload(node, referenceCount: 2).assumingMemoryBound(to: Int32.self)
            p[0] = Int32(depth)
            p[1] = Int32(depth) &* 7
        }

        /// Builds a tree top-down below `node` (which must be reachable from a root).
        mutating func populate(_ m: Mutator, _ depth: Int, _ node: ObjectRef) throws {
            if depth <= 0 { return }
            let f = m.frame()
            defer { m.popFrame(f) }
            let parent = m.pushRoot(node)  // `node` is reachable, but keep the handle rooted for the calls below
            let left = try newNode(m)  // allocate first: `m[parent]` is read after the allocation
            m.store(m[parent], 0, left)
            let right = try newNode(m)
            m.store(m[parent], 1, right)
            setPayload(m, m[parent], depth)
            try populate(m, depth - 1, m.load(m[parent], 0))
            try populate(m, depth - 1, m.load(m[parent], 1))
        }

        /// Builds a tree bottom-up; the result is unrooted (the caller roots it before allocating).
        mutating func makeTree(_ m: Mutator, _ depth: Int) throws -> ObjectRef {
            if depth <= 0 { return try newNode(m) }
            let f = m.frame()
            defer { m.popFrame(f) }
            let left = m.pushRoot(try makeTree(m, depth - 1))
            let right = m.pushRoot(try makeTree(m, depth - 1))
            let node = try newNode(m)
            m.store(node, 0, m[left])
            m.store(node, 1, m[right])
            setPayload(m, node, depth)
            return node
        }

        mutating func timeConstruction(_ m: Mutator, _ depth: Int) throws {
            let iterations = bench.numIters(depth)
            let f = m.frame()
            defer { m.popFrame(f) }
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
        }

        /// Counts the long-lived tree's nodes; describes the first node whose payload is wrong.
        func countAndCheck(_ m: Mutator, _ root: ObjectRef) -> (Int, String) {
            var visited = 0, good = 0
            var bad = ""
            let top = bench.longLivedTreeDepth
            rootedWalk(m, root, fanout: 2, counter: &visited) { node, level in
                let depth = top - level
                let h = m.header(node)
                let p = m.payload(node, referenceCount: 2).assumingMemoryBound(to: Int32.self)
                let want: (Int32, Int32) = depth > 0 ? (Int32(depth), Int32(depth) &* 7) : (0, 0)
                if h.shape == MTGCBench.nodeShape && p[0] == want.0 && p[1] == want.1 {
                    good += 1
                } else if bad.isEmpty {
                    bad = "node \(node) at depth \(depth) has shape \(h.shape), payload (\(p[0]), \(p[1])), expected (\(want.0), \(want.1))"
                }
                return true
            }
            return (good, bad)
        }
    }
}
