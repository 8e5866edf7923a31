// graph-mutation: the write-barrier stress test.
//
// One large graph shared by every mutator thread, reachable only through an entry table (a global root).
// Each thread, with its own seeded generator, repeatedly walks the graph from a random entry and:
//   - swaps two fields of two reached nodes (stores in both directions);
//   - detaches and re-attaches: loads a field into its shadow stack, nulls the field, allocates (so the
//     collector can advance while the subgraph hangs from the stack alone), then stores it into another
//     reached node (whose old target goes back into the first). This is the interleaving that loses
//     objects without a barrier: a white object moves from an unscanned object to a scanned one
//     through a thread's roots;
//   - links in a new node in front of an edge;
//   - overwrites an edge or a table entry, so what hung only from it becomes garbage;
//   - now and then swaps the subgraph it carries on its stack for one it detaches: the carried subgraph
//     lives only in a stack slot for many operations, across collections (the pattern that breaks a
//     deletion barrier when stacks are scanned one at a time).
// The first three keep every edge, so the live graph stays large while garbage is made all the time.
//
// Self-check at the end: every node reachable from the entry table carries an intact payload (its id and
// a hash of it, written once at allocation), so a node freed while reachable and then reused or poisoned
// is found; the count and a checksum of the reachable ids are reported.

import ConcurrentGC
import Pacer

/// The graph-mutation workload.
public struct GraphMutation: Workload {
    public static let name = "graph-mutation"
    public static let summary = "shared graph rewired at random by every thread (detach/re-attach, both directions): the barrier stress test"
    public static let parameterSummary = "nodes 100000, entries 256, fields 4, ops 400000 per thread (small: 4000 nodes, 30000 ops; large: 1M, 2M)"

    static let nodeShape: UInt8 = 10
    static let tableShape: UInt8 = 11
    static let fields = 4

    public var nodes = 100_000
    public var entries = 256
    public var opsPerThread = 400_000

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: nodes = 4000; opsPerThread = 30_000
        case .default: break
        case .large: nodes = 1_000_000; opsPerThread = 2_000_000
        }
    }

    @inline(__always)
    static func hash(_ id: Int64) -> Int64 { Int64(bitPattern: UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15 ^ 0x5555) }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        let table = heap.addGlobalRoot()
        let me = self
        // Build the initial graph on one thread.
        try MutatorThreads.run(heap: heap, count: 1) { m, _ in try me.build(m, table: table, seed: seed) }
        let nextID = IDCounter(start: Int64(nodes))
        try MutatorThreads.run(heap: heap, count: threads) { m, index in
            try me.mutate(m, table: table, seed: seed &+ UInt64(index + 1) &* 0x1234_5678_9ABC_DEF1, ids: nextID, thread: index)
        }
        let result = SharedBox<(Int, Int64)>((0, 0))
        let failure = SharedBox<String?>(nil)
        try MutatorThreads.run(heap: heap, count: 1) { m, _ in
            if WorkloadDebug.corruptOnePayload { me.corruptOneNode(m, table: table) }
            do { result.value = try me.check(m, table: table) } catch let e as WorkloadError { failure.value = e.description }
        }
        if let f = failure.value { throw WorkloadError.selfCheckFailed(workload: GraphMutation.name, detail: f) }
        return WorkloadReport(lines: ["graph: \(result.value.0) nodes reachable from \(entries) entries; id checksum \(result.value.1)"])
    }

    func newNode(_ m: Mutator, id: Int64) throws -> ObjectRef {
        let n = try m.allocate(shape: GraphMutation.nodeShape, referenceCount: GraphMutation.fields, payloadBytes: 16)
        m.storePayload(n, referenceCount: GraphMutation.fields, at: 0, id)
        m.storePayload(n, referenceCount: GraphMutation.fields, at: 8, GraphMutation.hash(id))
        return n
    }

    func build(_ m: Mutator, table: GlobalRoot, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let f = m.frame()
        let all = m.pushRoot(try m.allocate(shape: GraphMutation.tableShape, referenceCount: nodes, payloadBytes: 0))
        for i in 0..<nodes { m.store(m[all], i, try newNode(m, id: Int64(i))) }
        for i in 0..<nodes {
            if i & 1023 == 0 { m.poll() }  // a long loop without allocation: let a pending pause begin
            let n = m.load(m[all], i)
            for k in 0..<GraphMutation.fields { m.store(n, k, m.load(m[all], rng.below(nodes))) }
        }
        m.setGlobal(table, try m.allocate(shape: GraphMutation.tableShape, referenceCount: entries, payloadBytes: 0))
        for e in 0..<entries { m.store(m.global(table), e, m.load(m[all], rng.below(nodes))) }
        m.popFrame(f)  // the builder's array dies: the graph lives through the entry table only
    }

    /// From a random entry, follows up to 8 random edges. The result is in `slot`.
    func walk(_ m: Mutator, _ rng: inout SplitMix64, table: GlobalRoot, into slot: RootSlot) throws {
        let t = m.global(table)
        let e = rng.below(entries)
        var n = m.load(t, e)
        if n.isNull {
            n = try newNode(m, id: -1)
            m.store(m.global(table), e, n)
        }
        for _ in 0..<rng.below(9) {
            let next = m.load(n, rng.below(GraphMutation.fields))
            if next.isNull { break }
            n = next
        }
        m[slot] = n
    }

    func mutate(_ m: Mutator, table: GlobalRoot, seed: UInt64, ids: IDCounter, thread: Int) throws {
        var rng = SplitMix64(seed: seed)
        let f = m.frame()
        let a = m.pushRoot(), b = m.pushRoot(), held = m.pushRoot(), carried = m.pushRoot()
        for op in 0..<opsPerThread {
            if rng.below(64) == 0 {  // put down the subgraph carried on the stack (in a new node), pick up another
                try walk(m, &rng, table: table, into: a)
                let f = rng.below(GraphMutation.fields)
                m[b] = try newNode(m, id: ids.next())
                m.store(m[b], 0, m[carried])
                m.store(m[b], 1, m.load(m[a], f))
                m[carried] = m.load(m[a], (f + 1) % GraphMutation.fields)
                m.store(m[a], (f + 1) % GraphMutation.fields, .null)
                m.store(m[a], f, m[b])
            }
            let fa = rng.below(GraphMutation.fields), fb = rng.below(GraphMutation.fields)
            switch rng.below(20) {
            case 0..<6:  // swap two fields: stores in both directions, nothing dropped
                try walk(m, &rng, table: table, into: a)
                try walk(m, &rng, table: table, into: b)
                m[held] = m.load(m[a], fa)
                m.store(m[a], fa, m.load(m[b], fb))
                m.store(m[b], fb, m[held])
                m[held] = .null
            case 6..<13:  // detach a subgraph, allocate while it hangs from the stack, re-attach it elsewhere
                try walk(m, &rng, table: table, into: a)
                m[held] = m.load(m[a], fa)
                m.store(m[a], fa, .null)
                for _ in 0..<rng.below(4) { _ = try newNode(m, id: -2) }
                try walk(m, &rng, table: table, into: b)
                let displaced = m.load(m[b], fb)
                m.store(m[b], fb, m[held])
                m.store(m[a], fa, displaced)
                m[held] = .null
            case 13..<16:  // link in a new node in front of an existing edge
                try walk(m, &rng, table: table, into: a)
                m[b] = try newNode(m, id: ids.next())
                m.store(m[b], 0, m.load(m[a], fa))
                for k in 1..<GraphMutation.fields where rng.below(2) == 0 { m.store(m[b], k, m.load(m[a], k)) }
                m.store(m[a], fa, m[b])
            case 16..<19:  // overwrite an edge: what hung only from it becomes garbage
                try walk(m, &rng, table: table, into: a)
                try walk(m, &rng, table: table, into: b)
                m.store(m[a], fa, m[b])
            default:  // replace a table entry
                try walk(m, &rng, table: table, into: a)
                m.store(m.global(table), rng.below(entries), m[a])
            }
            if op & 63 == 0 { m.poll() }
        }
        m.popFrame(f)
    }

    /// Test hook: damages the payload hash of the first node the entry table holds.
    func corruptOneNode(_ m: Mutator, table: GlobalRoot) {
        for e in 0..<entries {
            let n = m.load(m.global(table), e)
            guard !n.isNull else { continue }
            m.storePayload(n, referenceCount: GraphMutation.fields, at: 8,
                           m.loadPayload(n, referenceCount: GraphMutation.fields, at: 8, as: Int64.self) ^ 0x40)
            return
        }
    }

    /// Walks everything reachable from the table; every node must carry its intact payload.
    func check(_ m: Mutator, table: GlobalRoot) throws -> (Int, Int64) {
        var seen = Set<UInt32>()
        var stack: [ObjectRef] = []
        let t = m.global(table)
        for e in 0..<entries { let n = m.load(t, e); if !n.isNull { stack.append(n) } }
        var checksum: Int64 = 0
        while let n = stack.popLast() {
            guard seen.insert(n.raw).inserted else { continue }
            let h = m.header(n)
            guard h.shape == GraphMutation.nodeShape, h.referenceCount == GraphMutation.fields else {
                throw WorkloadError.selfCheckFailed(workload: GraphMutation.name, detail: "\(n) is not a graph node (shape \(h.shape))")
            }
            let id = m.loadPayload(n, referenceCount: GraphMutation.fields, at: 0, as: Int64.self)
            guard m.loadPayload(n, referenceCount: GraphMutation.fields, at: 8, as: Int64.self) == GraphMutation.hash(id) else {
                throw WorkloadError.selfCheckFailed(workload: GraphMutation.name, detail: "node \(n) payload corrupted (id \(id))")
            }
            checksum = checksum &+ id
            for k in 0..<GraphMutation.fields { let c = m.load(n, k); if !c.isNull { stack.append(c) } }
        }
        return (seen.count, checksum)
    }
}

/// Hands out fresh node ids to every thread.
final class IDCounter: @unchecked Sendable {
    private let monitor = Monitor()
    private var value: Int64
    init(start: Int64) { value = start }
    func next() -> Int64 { monitor.withLock { value += 1; return value } }
}
