// large-objects: a rolling window of large objects among small ones, for the large-object space.
//
// Each thread keeps a window object of W reference slots (in a root slot). Each step picks a slot at
// random, spot-checks the object in it, and replaces it with a new large object of a log-uniform payload
// size between 8 KiB and 1 MiB (always above the 8 KiB large-object threshold), which goes to the
// large-object space. A large object is {companion, - | id, payload bytes, pattern words ...} with
// pattern word i = id·φ ^ i·c (every word written), and its companion is a small object {| id, mix(id)}
// allocated just before it: the marker must trace large objects' fields to keep companions alive. Each
// step also allocates 8 small short-lived objects (16..256 bytes). The old large object becomes garbage,
// so the space frees and reuses page ranges of all sizes.
//
// Rooting: the companion is in a root slot while the large object is allocated; the new large object is
// in a root slot while it is filled (the fill polls every 16384 words); it is stored into the window
// before the next allocation.
//
// Self-check, for every slot replaced and for every slot at the end: the header says large object, the
// shape, two reference fields and exactly the size allocated; payload words id and size match the shadow
// arrays kept in Swift; word 2, the last word and 6 words at random positions carry the pattern; and the
// companion carries the id and its hash.

import ConcurrentGC
import Pacer
import Glibc

/// The large-objects workload.
public struct LargeObjects: Workload {
    public static let name = "large-objects"
    public static let summary = "rolling window of 8 KiB..1 MiB objects (large-object space) with small companions and garbage"
    public static let parameterSummary = "window 32, steps 2000 per thread, sizes 8 KiB..1 MiB log-uniform (small: window 8, 80 steps; large: window 128, 10000 steps)"

    static let windowShape: UInt8 = 80
    static let largeShape: UInt8 = 81
    static let companionShape: UInt8 = 82
    static let smallShape: UInt8 = 83

    /// Large objects each thread keeps live.
    public var window = 32
    /// Replacements per thread.
    public var steps = 2000
    /// Smallest large-object payload, in bytes (the object must exceed the 8 KiB large-object threshold).
    public var minBytes = 8 * 1024 + 8
    /// Largest large-object payload, in bytes.
    public var maxBytes = 1 << 20

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: window = 8; steps = 80
        case .default: break
        case .large: window = 128; steps = 10_000
        }
    }

    /// Pattern word `i` of large object `id`.
    @inline(__always)
    static func pattern(_ id: UInt64, _ i: Int) -> UInt64 {
        (id &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(i) &* 0xD6E8_FEB8_6659_FD93)
    }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard window >= 1, steps >= 0, minBytes > HeapGeometry.largeObjectThreshold, maxBytes >= minBytes,
              maxBytes <= ObjectHeader.maxObjectBytes - 16 else {
            throw WorkloadError.invalidParameter("large-objects: window must be positive and sizes above \(HeapGeometry.largeObjectThreshold) bytes")
        }
        let me = self
        let reports = ReportBox()
        try MutatorThreads.run(heap: heap, count: threads, label: "gclab.large-objects") { m, index in
            var thread = Thread(workload: me, rng: WorkloadRandom.thread(seed: seed, index: index, salt: 0x1A26E),
                                firstID: UInt64(index) << 40 | 1)
            reports.set(index, try thread.run(m))
        }
        return WorkloadReport(lines: reports.lines)
    }

    struct Thread {
        let w: LargeObjects
        var rng: SplitMix64
        var nextID: UInt64
        var ids: [UInt64]
        var sizes: [Int]
        var largeBytes = 0, largeCount = 0, smallCount = 0, checked = 0

        init(workload: LargeObjects, rng: SplitMix64, firstID: UInt64) {
            w = workload
            self.rng = rng
            nextID = firstID
            ids = Array(repeating: 0, count: workload.window)
            sizes = Array(repeating: 0, count: workload.window)
        }

        /// A payload size, log-uniform in [minBytes, maxBytes], a multiple of 8.
        mutating func size() -> Int {
            let u = Double(rng.next() >> 11) * 0x1p-53
            let bytes = Double(w.minBytes) * exp(u * log(Double(w.maxBytes) / Double(w.minBytes)))
            return min(w.maxBytes, max(w.minBytes, Int(bytes))) & ~7
        }

        mutating func run(_ m: Mutator) throws -> [String] {
            let f = m.frame()
            defer { m.popFrame(f) }
            let win = m.pushRoot(try m.allocate(shape: LargeObjects.windowShape, referenceCount: w.window, payloadBytes: 0))
            let companion = m.pushRoot(), big = m.pushRoot()
            for _ in 0..<w.steps {
                let slot = rng.below(w.window)
                try check(m, m.load(m[win], slot), slot: slot)
                let id = nextID
                nextID += 1
                let bytes = max(w.minBytes, size())
                // The companion, then the large object with the companion rooted.
                let c = try m.allocate(shape: LargeObjects.companionShape, referenceCount: 0, payloadBytes: 16)
                m.storePayload(c, referenceCount: 0, at: 0, id)
                m.storePayload(c, referenceCount: 0, at: 8, WorkloadRandom.mix(id))
                m[companion] = c
                m[big] = try m.allocate(shape: LargeObjects.largeShape, referenceCount: 2, payloadBytes: bytes)
                m.store(m[big], 0, m[companion])
                m[companion] = .null
                m.storePayload(m[big], referenceCount: 2, at: 0, id)
                m.storePayload(m[big], referenceCount: 2, at: 8, UInt64(bytes))
                var start = 2
                while start < bytes / 8 {  // a long fill lets collections run between chunks; the object is rooted
                    let end = min(bytes / 8, start + 16384)
                    m.withPayload(m[big]) { raw in
                        let p = raw.bindMemory(to: UInt64.self)
                        for i in start..<end { p[i] = LargeObjects.pattern(id, i) }
                    }
                    m.poll()
                    start = end
                }
                m.store(m[win], slot, m[big])
                m[big] = .null
                ids[slot] = id
                sizes[slot] = bytes
                largeBytes += bytes
                largeCount += 1
                // Small short-lived objects.
                for _ in 0..<8 {
                    _ = try m.allocate(shape: LargeObjects.smallShape, referenceCount: 0, payloadBytes: 8 * (2 + rng.below(31)))
                    smallCount += 1
                }
            }
            if WorkloadDebug.corruptOnePayload, let slot = ids.firstIndex(where: { $0 != 0 }) {  // test hook
                m.storePayload(m.load(m[win], slot), referenceCount: 2, at: 16, UInt64(0xBAD))
            }
            var live = 0, liveBytes = 0
            for slot in 0..<w.window {
                try check(m, m.load(m[win], slot), slot: slot)
                if ids[slot] != 0 { live += 1; liveBytes += sizes[slot] }
            }
            return ["large objects: \(largeCount) allocated (\(largeBytes) payload bytes), \(live) live (\(liveBytes) bytes) in a window of \(w.window); "
                    + "\(smallCount) small objects; \(checked) spot checks passed"]
        }

        /// Spot-checks the large object in `slot` (null if the slot was never filled).
        mutating func check(_ m: Mutator, _ object: ObjectRef, slot: Int) throws {
            func fail(_ d: String) -> WorkloadError { .selfCheckFailed(workload: LargeObjects.name, detail: "slot \(slot): \(d)") }
            let id = ids[slot], bytes = sizes[slot]
            if id == 0 {
                guard object.isNull else { throw fail("should be empty, holds \(object)") }
                return
            }
            guard !object.isNull else { throw fail("large object \(id) is gone") }
            let h = m.header(object)
            let want = ObjectHeader.objectBytes(referenceCount: 2, payloadBytes: bytes)
            guard h.isLarge, h.shape == LargeObjects.largeShape, h.referenceCount == 2, h.bytes == want else {
                throw fail("object \(id): header says large \(h.isLarge), shape \(h.shape), \(h.referenceCount) fields, \(h.bytes) bytes; expected a large object of \(want) bytes")
            }
            let label = (m.loadPayload(object, referenceCount: 2, at: 0, as: UInt64.self), m.loadPayload(object, referenceCount: 2, at: 8, as: UInt64.self))
            guard label.0 == id, label.1 == UInt64(bytes) else { throw fail("object \(id) of \(bytes) bytes is labelled \(label.0), \(label.1) bytes") }
            let words = bytes / 8
            var positions = [2, words - 1]
            for _ in 0..<6 { positions.append(2 + rng.below(words - 2)) }
            for i in positions {
                let word = m.loadPayload(object, referenceCount: 2, at: 8 * i, as: UInt64.self)
                if word != LargeObjects.pattern(id, i) {
                    throw fail("object \(id): word \(i) of \(words) is 0x\(String(word, radix: 16)), expected 0x\(String(LargeObjects.pattern(id, i), radix: 16))")
                }
            }
            let c = m.load(object, 0)
            guard !c.isNull, m.header(c).shape == LargeObjects.companionShape else { throw fail("object \(id) lost its companion") }
            let cp = (m.loadPayload(c, referenceCount: 0, at: 0, as: UInt64.self), m.loadPayload(c, referenceCount: 0, at: 8, as: UInt64.self))
            guard cp.0 == id, cp.1 == WorkloadRandom.mix(id) else { throw fail("object \(id): companion carries \(cp.0)") }
            checked += 1
        }
    }
}
