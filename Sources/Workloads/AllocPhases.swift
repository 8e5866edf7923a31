// alloc-phases: a program whose allocation rate and live size change in phases, for pacer studies.
//
// Each thread keeps a live set of items in the managed heap: a directory object (a root slot) of
// segments of 256 reference slots each; an item is a node {leaf, - | id, mix(salt ^ id)} with a leaf
// {| ~id, mix(salt ^ id ^ 0x1eaf)}. The phases run in order, all threads together (a barrier, waited on
// in a safe region, separates them, so a phase is a phase of the whole heap):
//   steady     live L; each operation replaces one random item and reads and verifies 4 others
//   spike      live L; a burst of short-lived garbage (small chains of 8..256-byte objects), nothing read
//   step-up    live 2L at once (L items appended), then steady operations
//   step-down  live L at once (the last L items dropped), then steady operations
//   ramp       live grows linearly from L to 3L: each operation appends one item and replaces another
// A Swift array shadows the id held in every slot, and a Swift sum shadows the live hashes.
//
// Rooting: the directory is in a root slot; a new leaf is in a root slot while its node is allocated;
// the node is stored into its segment before the next allocation; spike chains hang from a root slot.
//
// Self-check at every phase boundary, per thread: every slot holds the item whose id the shadow array
// says (or null), each node's and leaf's payload matches its id, and the count and the sum of the hashes
// equal the shadow values. The report gives, per phase, the live items and the bytes and objects the
// threads allocated, and the collections that completed during the phase.

import ConcurrentGC
import Pacer

/// The alloc-phases workload.
public struct AllocPhases: Workload {
    public static let name = "alloc-phases"
    public static let summary = "phases of allocation rate and live size: steady, spike, step up, step down, ramp"
    public static let parameterSummary = "live 50000 items per thread, steady ops 200000, spike 1000000 objects (small: 2000/4000/30000; large: 500000/2000000/10000000)"

    static let dirShape: UInt8 = 60
    static let segmentShape: UInt8 = 61
    static let nodeShape: UInt8 = 62
    static let leafShape: UInt8 = 63
    static let garbageShape: UInt8 = 64
    static let segmentSlots = 256

    /// The phases, in the order they run.
    public enum Phase: String, CaseIterable, Sendable {
        /// Live L; each operation replaces one item and verifies four.
        case steady
        /// Live L; a burst of short-lived garbage.
        case spike
        /// Live 2L at once, then steady operations.
        case stepUp = "step-up"
        /// Live back to L at once, then steady operations.
        case stepDown = "step-down"
        /// Live grows linearly from L to 3L.
        case ramp
    }

    /// The base live size L, in items per thread.
    public var liveItems = 50_000
    /// Operations of the steady phase (step-up and step-down run half as many after their step).
    public var steadyOps = 200_000
    /// Short-lived objects allocated by the spike.
    public var spikeObjects = 1_000_000

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: liveItems = 2000; steadyOps = 4000; spikeObjects = 30_000
        case .default: break
        case .large: liveItems = 500_000; steadyOps = 2_000_000; spikeObjects = 10_000_000
        }
    }

    /// Slots per thread: the ramp's peak of 3L.
    var maxItems: Int { 3 * liveItems }

    /// Bytes of one item (node and leaf).
    static let itemBytes = ObjectHeader.objectBytes(referenceCount: 2, payloadBytes: 16) + ObjectHeader.objectBytes(referenceCount: 0, payloadBytes: 16)

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard liveItems >= 2, steadyOps >= 0, spikeObjects >= 0 else {
            throw WorkloadError.invalidParameter("alloc-phases: live items must be at least 2, operations not negative")
        }
        let me = self
        let tally = Tally()
        let barrier = MutatorBarrier(parties: threads)
        try MutatorThreads.run(heap: heap, count: threads, label: "gclab.alloc-phases") { m, index in
            do {
                var thread = try Thread(m, workload: me, rng: WorkloadRandom.thread(seed: seed, index: index, salt: 0xA11C))
                try thread.run(barrier: barrier, tally: tally, leader: index == 0)
            } catch is MutatorBarrier.Broken {
                return  // another thread failed and reports why
            } catch {
                barrier.breakBarrier()  // keep the other threads from waiting for this one
                throw error
            }
        }
        var lines: [String] = []
        for phase in Phase.allCases {
            let p = phase.rawValue
            lines.append("\(p): live \(tally["\(p) live"]) items, allocated \(tally["\(p) bytes"]) bytes in \(tally["\(p) objects"]) objects, "
                         + "\(tally["\(p) collections"]) collections, checksum ok")
        }
        return WorkloadReport(lines: lines)
    }

    /// One thread's live set and phases.
    struct Thread {
        let m: Mutator
        let w: AllocPhases
        var rng: SplitMix64
        let salt: UInt64
        let dir: RootSlot, leafSlot: RootSlot, chain: RootSlot
        /// The id in each slot (0: empty). Ids start at 1.
        var ids: [UInt64]
        var count = 0
        var hashSum: UInt64 = 0
        var nextID: UInt64 = 1
        var bytes = 0, objects = 0

        init(_ m: Mutator, workload: AllocPhases, rng: SplitMix64) throws {
            self.m = m
            w = workload
            self.rng = rng
            salt = self.rng.next()
            ids = Array(repeating: 0, count: workload.maxItems)
            dir = m.pushRoot(); leafSlot = m.pushRoot(); chain = m.pushRoot()
            let segments = (workload.maxItems + AllocPhases.segmentSlots - 1) / AllocPhases.segmentSlots
            m[dir] = try m.allocate(shape: AllocPhases.dirShape, referenceCount: segments, payloadBytes: 0)
            for s in 0..<segments {
                let seg = try m.allocate(shape: AllocPhases.segmentShape, referenceCount: AllocPhases.segmentSlots, payloadBytes: 0)
                m.store(m[dir], s, seg)
            }
        }

        @inline(__always)
        func segment(_ slot: Int) -> ObjectRef { m.load(m[dir], slot / AllocPhases.segmentSlots) }

        @inline(__always)
        func item(_ slot: Int) -> ObjectRef { m.load(segment(slot), slot % AllocPhases.segmentSlots) }

        @inline(__always)
        func hash(_ id: UInt64) -> UInt64 { WorkloadRandom.mix(salt ^ id) }

        mutating func counted(_ refs: Int, _ payload: Int) {
            bytes += ObjectHeader.objectBytes(referenceCount: refs, payloadBytes: payload)
            objects += 1
        }

        /// Puts a new item into `slot` (empty or not).
        mutating func place(_ slot: Int) throws {
            let id = nextID
            nextID += 1
            let leaf = try m.allocate(shape: AllocPhases.leafShape, referenceCount: 0, payloadBytes: 16)
            m.storePayload(leaf, referenceCount: 0, at: 0, ~id)
            m.storePayload(leaf, referenceCount: 0, at: 8, hash(id ^ 0x1eaf))
            m[leafSlot] = leaf
            let node = try m.allocate(shape: AllocPhases.nodeShape, referenceCount: 2, payloadBytes: 16)
            m.storePayload(node, referenceCount: 2, at: 0, id)
            m.storePayload(node, referenceCount: 2, at: 8, hash(id))
            m.store(node, 0, m[leafSlot])
            m[leafSlot] = .null
            m.store(segment(slot), slot % AllocPhases.segmentSlots, node)
            counted(0, 16); counted(2, 16)
            if ids[slot] != 0 { hashSum &-= hash(ids[slot]) } else { count += 1 }
            ids[slot] = id
            hashSum &+= hash(id)
        }

        /// Empties `slot`.
        mutating func drop(_ slot: Int) {
            guard ids[slot] != 0 else { return }
            m.store(segment(slot), slot % AllocPhases.segmentSlots, .null)
            hashSum &-= hash(ids[slot])
            ids[slot] = 0
            count -= 1
        }

        /// Why the item in `slot` is not the one the shadow array names, or nil.
        func verify(_ slot: Int) -> String? {
            let want = ids[slot]
            let node = item(slot)
            if want == 0 { return node.isNull ? nil : "slot \(slot) should be empty, holds \(node)" }
            if node.isNull { return "slot \(slot) lost item \(want)" }
            let h = m.header(node)
            guard h.shape == AllocPhases.nodeShape, h.referenceCount == 2 else { return "slot \(slot) holds shape \(h.shape), not a node" }
            let np = (m.loadPayload(node, referenceCount: 2, at: 0, as: UInt64.self), m.loadPayload(node, referenceCount: 2, at: 8, as: UInt64.self))
            guard np.0 == want, np.1 == hash(want) else {
                return "slot \(slot): node carries id \(np.0) hash \(np.1), expected id \(want) hash \(hash(want))"
            }
            let leaf = m.load(node, 0)
            guard !leaf.isNull, m.header(leaf).shape == AllocPhases.leafShape else { return "item \(want) lost its leaf" }
            let lp = (m.loadPayload(leaf, referenceCount: 0, at: 0, as: UInt64.self), m.loadPayload(leaf, referenceCount: 0, at: 8, as: UInt64.self))
            guard lp.0 == ~want, lp.1 == hash(want ^ 0x1eaf) else { return "item \(want): leaf payload (\(lp.0), \(lp.1)) is wrong" }
            return nil
        }

        /// Every slot, the count and the hash sum.
        func checkAll(_ phase: Phase) throws {
            var n = 0
            var sum: UInt64 = 0
            for slot in 0..<w.maxItems {
                if let problem = verify(slot) {
                    throw WorkloadError.selfCheckFailed(workload: AllocPhases.name, detail: "after \(phase.rawValue): \(problem)")
                }
                if ids[slot] != 0 {
                    n += 1
                    sum &+= m.loadPayload(item(slot), referenceCount: 2, at: 8, as: UInt64.self)
                }
                if slot & 1023 == 1023 { m.poll() }
            }
            guard n == count, sum == hashSum else {
                throw WorkloadError.selfCheckFailed(workload: AllocPhases.name,
                    detail: "after \(phase.rawValue): \(n) live items with hash sum \(sum), expected \(count) and \(hashSum)")
            }
        }

        /// One steady operation over the first `live` slots: replace one item, verify four.
        mutating func steadyOp(live: Int) throws {
            try place(rng.below(live))
            for _ in 0..<4 {
                if let problem = verify(rng.below(live)) {
                    throw WorkloadError.selfCheckFailed(workload: AllocPhases.name, detail: problem)
                }
            }
        }

        /// Short-lived garbage: chains of up to 16 objects of 8..256 bytes, some with a reference field.
        mutating func garbage() throws {
            for i in 0..<w.spikeObjects {
                let refs = rng.below(3)
                let payload = 8 * (1 + rng.below(32))
                let g = try m.allocate(shape: AllocPhases.garbageShape, referenceCount: refs, payloadBytes: payload)
                counted(refs, payload)
                if refs > 0 { m.store(g, 0, m[chain]) }
                m[chain] = i & 15 == 15 ? .null : g
                if i & 63 == 0 { try place(rng.below(w.liveItems)) }  // the live set still turns over a little
            }
            m[chain] = .null
        }

        mutating func run(phase: Phase) throws {
            let l = w.liveItems
            switch phase {
            case .steady:
                for _ in 0..<w.steadyOps { try steadyOp(live: l) }
            case .spike:
                try garbage()
            case .stepUp:
                for slot in l..<2 * l { try place(slot) }
                for _ in 0..<w.steadyOps / 2 { try steadyOp(live: 2 * l) }
            case .stepDown:
                for slot in l..<2 * l { drop(slot) }
                for _ in 0..<w.steadyOps / 2 { try steadyOp(live: l) }
            case .ramp:
                for i in 0..<2 * l {
                    try place(l + i)
                    try place(rng.below(l + i + 1))
                    if i & 63 == 0 { m.poll() }
                }
            }
        }

        mutating func run(barrier: MutatorBarrier, tally: Tally, leader: Bool) throws {
            for slot in 0..<w.liveItems { try place(slot) }
            try checkAll(.steady)
            try barrier.arriveAndWait(m)
            for phase in Phase.allCases {
                let startCollections = m.heap.collectionCount
                bytes = 0; objects = 0
                try run(phase: phase)
                if phase == Phase.allCases.last && WorkloadDebug.corruptOnePayload {  // test hook: damage one item
                    let slot = ids.firstIndex { $0 != 0 }!
                    m.storePayload(item(slot), referenceCount: 2, at: 0, UInt64(0xBAD))
                }
                try checkAll(phase)
                tally.add("\(phase.rawValue) bytes", bytes)
                tally.add("\(phase.rawValue) objects", objects)
                tally.add("\(phase.rawValue) live", count)
                try barrier.arriveAndWait(m)  // every thread finished the phase
                if leader { tally.add("\(phase.rawValue) collections", m.heap.collectionCount - startCollections) }
            }
        }
    }
}
