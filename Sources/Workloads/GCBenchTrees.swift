// GCBench's trees (Ellis, Kovac, Boehm), shared by gcbench and mt-gcbench: top-down `populate`, bottom-up
// `makeTree`, the timed construction loop at one depth, and the check of a long-lived tree.
//
// A node is {left, right, i, j}: two references and two 32-bit integers (24 bytes with compressed
// references); an interior node at depth d carries (d, 7·d), a leaf (0, 0). Written to the mutator API's
// rules, so that a moving collector may run at any allocation: every node held across an allocation is in
// a root slot and is read from there again after it (the original C keeps them in locals, which a precise
// collector for C cannot see). `Nodes` says where nodes come from: gcbench allocates them plainly,
// mt-gcbench allocates an unrooted garbage hole before each.

import ConcurrentGC

/// Where GCBench's nodes come from.
protocol GCBenchNodes {
    /// The shape id of a node.
    var nodeShape: UInt8 { get }
    /// A new node (all fields null, payload zero). A safepoint.
    mutating func newNode(_ m: Mutator) throws -> ObjectRef
}

/// GCBench's tree building and checking over `Nodes`.
struct GCBenchTrees<Nodes: GCBenchNodes> {
    var nodes: Nodes

    /// Sets a node's (i, j) to (depth, 7·depth): one 8-byte store, i in the low half (little-endian).
    @inline(__always)
    func setPayload(_ m: Mutator, _ node: ObjectRef, _ depth: Int) {
        let i = UInt64(UInt32(truncatingIfNeeded: depth)), j = UInt64(UInt32(truncatingIfNeeded: depth &* 7))
        m.storePayload(node, referenceCount: 2, at: 0, i | j &<< 32)
    }

    /// Builds a tree of `depth` top-down below the node in `parent` (a root slot). The children need no
    /// root slots of their own while their siblings are allocated: they hang from the rooted parent, and
    /// are read back from its fields; one slot holds the child being populated.
    mutating func populate(_ m: Mutator, _ depth: Int, _ parent: RootSlot) throws {
        if depth <= 0 { return }
        // Allocate first, then read the parent: `m.store(m[parent], 0, try nodes.newNode(m))` would read
        // the parent's reference before the allocation (arguments are evaluated left to right).
        let left = try nodes.newNode(m)
        m.store(m[parent], 0, left)
        let right = try nodes.newNode(m)
        m.store(m[parent], 1, right)
        setPayload(m, m[parent], depth)
        if depth == 1 { return }  // the children are leaves
        let f = m.frame()
        defer { m.popFrame(f) }
        let child = m.pushRoot(m.load(m[parent], 0))
        try populate(m, depth - 1, child)
        m[child] = m.load(m[parent], 1)
        try populate(m, depth - 1, child)
    }

    /// Builds a tree of `depth` bottom-up; the result is unrooted (the caller roots it before it allocates).
    mutating func makeTree(_ m: Mutator, _ depth: Int) throws -> ObjectRef {
        if depth <= 0 { return try nodes.newNode(m) }
        let f = m.frame()
        defer { m.popFrame(f) }
        let left = m.pushRoot(try makeTree(m, depth - 1))
        let right = m.pushRoot(try makeTree(m, depth - 1))
        let node = try nodes.newNode(m)
        m.store(node, 0, m[left])
        m.store(node, 1, m[right])
        setPayload(m, node, depth)
        return node
    }

    /// GCBench's TimeConstruction: `iterations` trees of `depth` built top-down, then as many bottom-up,
    /// each garbage once the next is started.
    mutating func timeConstruction(_ m: Mutator, depth: Int, iterations: Int) throws {
        let f = m.frame()
        defer { m.popFrame(f) }
        let temp = m.pushRoot()
        for _ in 0..<iterations {
            m[temp] = try nodes.newNode(m)
            try populate(m, depth, temp)
            m[temp] = .null
        }
        for _ in 0..<iterations {
            m[temp] = try makeTree(m, depth)
            m[temp] = .null
        }
    }

    /// Walks the populated tree of `depth` at `root` (polling as it goes): the nodes that are intact
    /// (node shape, the payload they were built with), and a description of the first that is not.
    func countIntact(_ m: Mutator, _ root: ObjectRef, depth top: Int) -> (intact: Int, firstBad: String) {
        var visited = 0, good = 0
        var bad = ""
        rootedWalk(m, root, fanout: 2, counter: &visited) { node, level in
            let depth = top - level
            let shape = m.header(node).shape
            let i = m.loadPayload(node, referenceCount: 2, at: 0, as: Int32.self)
            let j = m.loadPayload(node, referenceCount: 2, at: 4, as: Int32.self)
            let want: (Int32, Int32) = depth > 0 ? (Int32(depth), Int32(depth) &* 7) : (0, 0)
            if shape == nodes.nodeShape && i == want.0 && j == want.1 {
                good += 1
            } else if bad.isEmpty {
                bad = "node \(node) at depth \(depth) has shape \(shape), payload (\(i), \(j)), expected (\(want.0), \(want.1))"
            }
            return true
        }
        return (good, bad)
    }

    /// The array of doubles GCBench keeps live: `count` elements, the first half set to 1/i (the first
    /// to infinity, as in the original), filled a chunk at a time with a poll between chunks.
    func makeArray(_ m: Mutator, shape: UInt8, count: Int) throws -> ObjectRef {
        let array = try m.allocate(shape: shape, referenceCount: 0, payloadBytes: count * 8)
        let f = m.frame()
        defer { m.popFrame(f) }
        let slot = m.pushRoot(array)
        var start = 0
        while start < count / 2 {
            let end = min(count / 2, start + 4096)
            m.withPayload(m[slot]) { bytes in
                let doubles = bytes.bindMemory(to: Double.self)
                for i in start..<end { doubles[i] = 1.0 / Double(i) }
            }
            m.poll()  // a long loop without allocation: let collections stop it
            start = end
        }
        return m[slot]
    }
}
