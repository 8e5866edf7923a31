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
import Pacer

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

    /// Nodes with a power-law garbage hole before each.
    struct HoleNodes: GCBenchNodes {
        let maxHoleBytes: Int
        var rng: SplitMix64
        var holes = 0
        var holeBytes = 0

        var nodeShape: UInt8 { MTGCBench.nodeShape }

        /// An unrooted garbage object of power-law size, then a node.
        @inline(__always)
        mutating func newNode(_ m: Mutator) throws -> ObjectRef {
            let e = min(rng.next().trailingZeroBitCount, 9)
            var bytes = 8 << e
            bytes += 8 * rng.below(1 << e)
            bytes = min(bytes, maxHoleBytes)
            let h = try m.allocate(shape: MTGCBench.holeShape, referenceCount: 0, payloadBytes: bytes)
            m.storePayload(h, referenceCount: 0, UInt64(bytes))
            holes += 1
            holeBytes += bytes
            return try m.allocate(shape: MTGCBench.nodeShape, referenceCount: 2, payloadBytes: 8)
        }
    }

    /// One thread's program.
    struct Thread {
        let bench: MTGCBench
        var rng: SplitMix64

        mutating func run(_ m: Mutator) throws -> [String] {
            var trees = GCBenchTrees(nodes: HoleNodes(maxHoleBytes: bench.maxHoleBytes, rng: rng))
            let frame = m.frame()
            defer { m.popFrame(frame) }
            // Stretch the heap.
            _ = try trees.makeTree(m, bench.stretchTreeDepth)

            // A long-lived tree and array.
            let longLived = m.pushRoot(try trees.nodes.newNode(m))
            try trees.populate(m, bench.longLivedTreeDepth, longLived)
            let array = m.pushRoot(try trees.makeArray(m, shape: MTGCBench.arrayShape, count: bench.arraySize))

            var d = bench.minTreeDepth
            while d <= bench.maxTreeDepth {
                try trees.timeConstruction(m, depth: d, iterations: bench.numIters(d))
                d += 2
            }

            if WorkloadDebug.corruptOnePayload {  // test hook: damage one interior node's payload
                let victim = m.load(m[longLived], 0)
                m.storePayload(victim, referenceCount: 2, at: 4, m.loadPayload(victim, referenceCount: 2, at: 4, as: Int32.self) ^ 0x40)
            }

            // Self-check.
            let (nodes, bad) = trees.countIntact(m, m[longLived], depth: bench.longLivedTreeDepth)
            let expected = GCBench.treeSize(bench.longLivedTreeDepth)
            guard nodes == expected, bad.isEmpty else {
                throw WorkloadError.selfCheckFailed(workload: MTGCBench.name,
                    detail: "long-lived tree has \(nodes) nodes, expected \(expected)" + (bad.isEmpty ? "" : "; " + bad))
            }
            let element = m.loadPayload(m[array], referenceCount: 0, at: 1000 * 8, as: Double.self)
            guard element == 1.0 / 1000 else {
                throw WorkloadError.selfCheckFailed(workload: MTGCBench.name, detail: "array[1000] is \(element), expected 0.001")
            }
            return ["long lived tree of depth \(bench.longLivedTreeDepth) has \(nodes) nodes; array[1000] = \(element); "
                    + "\(trees.nodes.holes) holes, \(trees.nodes.holeBytes) hole bytes"]
        }
    }
}
