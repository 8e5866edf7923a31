// quads: a long-lived quad tree beside rounds of short-lived quad trees, after Whippet's quads benchmark.
//
// Each thread builds a complete quad tree (4 reference fields per node) of depth D top-down, numbering
// the nodes in preorder; a node's payload is {id, mix(salt ^ id)}. Then, for each of R rounds, it builds a
// fresh quad tree bottom-up of depth D − 1, D or D + 1 (cycling), checks that tree's node count, drops it,
// and checks the long-lived tree. Live size stays at one tree; each round allocates 1/4 to 4 times that.
// D is 8 by default (87381 nodes, 40 bytes each), 5 small, 9 large; R is 20.
//
// Rooting: the long-lived tree hangs from a root slot; top-down construction hangs each new node from its
// rooted parent before the next allocation; bottom-up construction keeps the children built so far in
// root slots while the parent is allocated; the checking walks keep their path in root slots and poll.
//
// Self-check, every round: the long-lived tree has (4^(D+1) − 1)/3 nodes, visited in preorder they carry
// ids 0, 1, 2, ... with the matching hash, interior nodes have 4 children and leaves none, and the sum of
// the hashes equals the sum computed without the heap. Each short-lived tree has its node count.

import ConcurrentGC
import Pacer

/// The quads workload.
public struct Quads: Workload {
    public static let name = "quads"
    public static let summary = "Whippet-style quads: a long-lived quad tree checked after each of 20 rounds of short-lived quad trees"
    public static let parameterSummary = "depth 8, rounds 20, short-lived depth D−1/D/D+1 cycling (small: depth 5; large: depth 9)"

    static let nodeShape: UInt8 = 40
    static let fanout = 4

    /// Depth of the long-lived tree.
    public var depth = 8
    /// Rounds of short-lived allocation; the long-lived tree is checked after each.
    public var rounds = 20

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: depth = 5
        case .default: depth = 8
        case .large: depth = 9
        }
    }

    /// Nodes in a complete quad tree of depth `d`: (4^(d+1) − 1) / 3.
    public static func treeSize(_ d: Int) -> Int { ((1 << (2 * (d + 1))) - 1) / 3 }

    /// The depth of round `r`'s short-lived tree.
    public func garbageDepth(round r: Int) -> Int { max(0, depth - 1 + r % 3) }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard (0...11).contains(depth), rounds >= 1 else {
            throw WorkloadError.invalidParameter("quads: depth must be in 0...11 and rounds at least 1, got \(depth), \(rounds)")
        }
        let me = self
        let reports = ReportBox()
        try MutatorThreads.run(heap: heap, count: threads, label: "gclab.quads") { m, index in
            var rng = WorkloadRandom.thread(seed: seed, index: index, salt: 0x9AD5)
            reports.set(index, try me.runOne(m, salt: rng.next()))
        }
        return WorkloadReport(lines: reports.lines)
    }

    @inline(__always)
    static func hash(_ salt: UInt64, _ id: UInt64) -> UInt64 { WorkloadRandom.mix(salt ^ id) }

    func runOne(_ m: Mutator, salt: UInt64) throws -> [String] {
        let f = m.frame()
        defer { m.popFrame(f) }
        let expectedNodes = Quads.treeSize(depth)
        var expectedSum: UInt64 = 0
        for id in 0..<UInt64(expectedNodes) { expectedSum &+= Quads.hash(salt, id) }

        let tree = m.pushRoot(try newNode(m, id: 0, salt: salt))
        var nextID: UInt64 = 1
        try populate(m, m[tree], depth, salt: salt, nextID: &nextID)

        let temp = m.pushRoot()
        var garbageNodes = 0
        for r in 0..<rounds {
            let d = garbageDepth(round: r)
            m[temp] = try bottomUp(m, d)
            var visited = 0
            rootedWalk(m, m[temp], fanout: Quads.fanout, counter: &visited) { _, _ in true }
            m[temp] = .null
            guard visited == Quads.treeSize(d) else {
                throw WorkloadError.selfCheckFailed(workload: Quads.name,
                    detail: "round \(r): short-lived tree of depth \(d) has \(visited) nodes, expected \(Quads.treeSize(d))")
            }
            garbageNodes += visited
            if r == rounds - 1 && WorkloadDebug.corruptOnePayload {  // test hook: damage one id
                let victim = m.load(m.load(m[tree], 2), 1)
                m.storePayload(victim, referenceCount: Quads.fanout, at: 0, m.loadPayload(victim, referenceCount: Quads.fanout, at: 0, as: UInt64.self) &+ 1)
            }
            let (count, sum, problem) = check(m, m[tree], salt: salt)
            if let problem {
                throw WorkloadError.selfCheckFailed(workload: Quads.name, detail: "round \(r): \(problem)")
            }
            guard count == expectedNodes, sum == expectedSum else {
                throw WorkloadError.selfCheckFailed(workload: Quads.name,
                    detail: "round \(r): long-lived tree has \(count) nodes with hash sum \(sum), expected \(expectedNodes) and \(expectedSum)")
            }
        }
        return ["quad tree of depth \(depth): \(expectedNodes) nodes, hash sum \(expectedSum), intact after \(rounds) rounds; "
                + "\(garbageNodes) short-lived nodes"]
    }

    func newNode(_ m: Mutator, id: UInt64, salt: UInt64) throws -> ObjectRef {
        let n = try m.allocate(shape: Quads.nodeShape, referenceCount: Quads.fanout, payloadBytes: 16)
        m.storePayload(n, referenceCount: Quads.fanout, at: 0, id)
        m.storePayload(n, referenceCount: Quads.fanout, at: 8, Quads.hash(salt, id))
        return n
    }

    /// Builds the children of `node` (reachable from a root) top-down, numbering nodes in preorder.
    func populate(_ m: Mutator, _ node: ObjectRef, _ depth: Int, salt: UInt64, nextID: inout UInt64) throws {
        if depth <= 0 { return }
        let f = m.frame()
        defer { m.popFrame(f) }
        let parent = m.pushRoot(node)
        for k in 0..<Quads.fanout {
            let child = try newNode(m, id: nextID, salt: salt)
            nextID += 1
            m.store(m[parent], k, child)
            try populate(m, child, depth - 1, salt: salt, nextID: &nextID)
        }
    }

    /// A complete quad tree built bottom-up (payload-free ids); the result is unrooted.
    func bottomUp(_ m: Mutator, _ depth: Int) throws -> ObjectRef {
        if depth <= 0 { return try m.allocate(shape: Quads.nodeShape, referenceCount: Quads.fanout, payloadBytes: 16) }
        let f = m.frame()
        defer { m.popFrame(f) }
        var kids: [RootSlot] = []
        kids.reserveCapacity(Quads.fanout)
        for _ in 0..<Quads.fanout { kids.append(m.pushRoot(try bottomUp(m, depth - 1))) }
        let node = try m.allocate(shape: Quads.nodeShape, referenceCount: Quads.fanout, payloadBytes: 16)
        for k in 0..<Quads.fanout { m.store(node, k, m[kids[k]]) }
        return node
    }

    /// Walks the long-lived tree: node count, hash sum, and the first structural or payload problem.
    func check(_ m: Mutator, _ root: ObjectRef, salt: UInt64) -> (Int, UInt64, String?) {
        var visited = 0
        var sum: UInt64 = 0
        var problem: String?
        var preorder: UInt64 = 0
        rootedWalk(m, root, fanout: Quads.fanout, counter: &visited) { node, level in
            let index = preorder  // preorder position of this node
            preorder += 1
            let h = m.header(node)
            let p = (m.loadPayload(node, referenceCount: Quads.fanout, at: 0, as: UInt64.self),
                     m.loadPayload(node, referenceCount: Quads.fanout, at: 8, as: UInt64.self))
            var children = 0
            for k in 0..<Quads.fanout where !m.load(node, k).isNull { children += 1 }
            let wantChildren = level < depth ? Quads.fanout : 0
            if h.shape != Quads.nodeShape || h.referenceCount != Quads.fanout {
                problem = "node \(node) at preorder \(index) has shape \(h.shape) with \(h.referenceCount) fields"
            } else if p.0 != index || p.1 != Quads.hash(salt, p.0) {
                problem = "node \(node) at preorder \(index) carries id \(p.0) and hash \(p.1), expected id \(index) and hash \(Quads.hash(salt, index))"
            } else if children != wantChildren {
                problem = "node \(index) at level \(level) has \(children) children, expected \(wantChildren)"
            }
            sum &+= p.1
            return problem == nil
        }
        return (visited, sum, problem)
    }
}
