// bench mark: marking throughput on a large live graph, for every collector in the registry (with one and
// two background workers where the plan has them), in one run. For semispace the figure is its copying
// speed (a collection copies every live object), so copying and marking compare on one graph.
//
// The graphs, of nodes with two references and 8 payload bytes:
// - random: N nodes held by one table object, each pointing at two random nodes (no locality);
// - tree: GCBench's long-lived tree (Populate: a complete binary tree built top-down, each node's
//   children allocated together before the subtrees), of the depth whose size is at least N.
// A thread that is not a mutator asks for each collection, so a plan with background workers marks with
// them alone. Throughput = objects (bytes) marked / the time the marking took: the marking phase between
// the cycle's pauses when the marking was done there, else the cycle's pause.

import ConcurrentGC
import Foundation

enum MarkBench {
    /// The live graph marked.
    enum Graph: String { case random, tree }

    static func run(nodes requested: Int, repeats: Int, graph: Graph) throws {
        var d = 0
        while (1 << (d + 1)) - 1 < requested { d += 1 }  // the smallest tree of 2^(depth+1) - 1 >= requested nodes
        let depth = d
        let nodes = graph == .tree ? (1 << (depth + 1)) - 1 : requested
        switch graph {
        case .random: print("mark: \(nodes) live nodes (plus a \(nodes * 4 / 1024) KiB table), median of \(repeats) collections")
        case .tree: print("mark: GCBench's long-lived tree of depth \(depth), \(nodes) nodes, median of \(repeats) collections")
        }
        print("  marker                        Mobjects/s      MB/s   mark ms")
        let setups = CollectorKind.allCases.flatMap { kind in
            kind.traits.markWorkers == nil ? [(kind, 0)] : [(kind, 1), (kind, 2)]
        }
        for (kind, workers) in setups {
            var config = HeapConfiguration()
            config.collector = kind
            config.markWorkers = workers
            config.heapMaxBytes = max(256 << 20, nodes * 64)
            config.minimumTriggerBytes = config.heapMaxBytes  // collections only when asked
            let heap = try Heap(configuration: config)
            let table = heap.addGlobalRoot()
            try MutatorThreads.run(heap: heap, count: 1) { m, _ in
                if graph == .tree {
                    m.setGlobal(table, try m.allocate(shape: 2, referenceCount: 2, payloadBytes: 8))
                    let root = m.pushRoot(m.global(table))
                    try populate(m, depth, root)
                    return
                }
                var rng = UInt64(42)
                m.setGlobal(table, try m.allocate(shape: 1, referenceCount: nodes, payloadBytes: 0))
                for i in 0..<nodes { m.store(m.global(table), i, try m.allocate(shape: 2, referenceCount: 2, payloadBytes: 8)) }
                for i in 0..<nodes {
                    let n = m.load(m.global(table), i)
                    for f in 0..<2 {
                        rng = rng &* 6364136223846793005 &+ 1442695040888963407
                        m.store(n, f, m.load(m.global(table), Int((rng >> 33) % UInt64(nodes))))
                    }
                }
            }
            var seconds: [Double] = [], objects = 0, bytes = 0
            for _ in 0..<repeats {
                heap.collect()
                let c = heap.stats.cycles.last!
                let concurrent = c.markTerminationStartNs > c.concurrentMarkStartNs && c.concurrentMarkStartNs > 0
                    && c.scanPauseBytes < (c.scanBackgroundBytes + c.scanAssistBytes)
                let ns = concurrent ? c.markTerminationStartNs - c.concurrentMarkStartNs : c.endNs - c.startNs
                seconds.append(Double(ns) / 1e9)
                objects = c.markedObjects
                bytes = c.markedBytes
            }
            heap.finish()
            let s = BenchCommand.median(seconds)
            let name = kind.traits.markWorkers == nil ? kind.name : "\(kind.name), \(workers) worker\(workers == 1 ? "" : "s")"
            print("  " + name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%10.1f  %8.1f  %8.2f", Double(objects) / s / 1e6, Double(bytes) / s / 1e6, s * 1e3))
        }
    }

    /// GCBench's Populate: gives the node in `parent` two new children, then builds their subtrees.
    static func populate(_ m: Mutator, _ depth: Int, _ parent: RootSlot) throws {
        guard depth > 0 else { return }
        let left = try m.allocate(shape: 2, referenceCount: 2, payloadBytes: 8)
        m.store(m[parent], 0, left)
        let right = try m.allocate(shape: 2, referenceCount: 2, payloadBytes: 8)
        m.store(m[parent], 1, right)
        let f = m.frame()
        let child = m.pushRoot(m.load(m[parent], 0))
        try populate(m, depth - 1, child)
        m[child] = m.load(m[parent], 1)
        try populate(m, depth - 1, child)
        m.popFrame(f)
    }
}
