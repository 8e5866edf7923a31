// lru-cache: a steady-state live heap, the shape of a server's in-memory cache.
//
// Each thread owns a cache that lives entirely in the managed heap:
//   cache  {table, head, tail, -}                  the root object, in a root slot
//   table  {bucket 0 ..< B}                         B = capacity rounded up to a power of two
//   entry  {nextInBucket, prev, next, value | key, version}
//   value  {| key, version, length, words ...}     32..256 bytes, content derived from (key, version)
// Entries are chained per bucket (by mix(key)) and on a doubly linked recency list (head: most recent).
// A stream of operations draws keys from a Zipf distribution (s = 1.0 over K keys, sampled by binary
// search in a precomputed CDF): 70% gets (a hit verifies the value and moves the entry to the front; a
// miss loads the key's current version, as from a backing store, and inserts it) and 30% puts (the key's
// version goes up; the entry gets a new value blob, the old one is garbage). Inserting beyond capacity C
// evicts the least recently used entry. The live heap stays at about C entries while values and
// evicted entries turn over, so after warm-up the collector sees a constant live size.
//
// Rooting: the cache object is in a root slot and everything else is reached from it; an entry found by
// a lookup is put in a root slot before a new value is allocated for it; a new value is rooted before its
// entry is allocated. Walks keep their cursor in a root slot and poll.
//
// Self-check at the end, per thread: the list walked forwards has consistent prev links and ends at the
// tail; list length == map size == the count kept in Swift <= C; every entry reached from the buckets is
// on the list and in the bucket its key hashes to, no key twice, and every list entry is in the map;
// every value blob carries its entry's key and version, the expected length and content, and the version
// is the key's latest. The report gives the hit rate.

import ConcurrentGC
import Pacer
import Glibc

/// The LRU cache workload.
public struct LRUCache: Workload {
    public static let name = "lru-cache"
    public static let summary = "per-thread LRU cache in the heap (hash buckets + recency list), Zipf gets and puts: a steady live heap"
    public static let parameterSummary = "keys 100000, capacity 20000, ops 1000000 per thread, Zipf s 1.0, 30% puts, values 32-256 B (small: 2000/500/40000; large: 1M/200000/5M)"

    static let cacheShape: UInt8 = 50
    static let tableShape: UInt8 = 51
    static let entryShape: UInt8 = 52
    static let valueShape: UInt8 = 53

    // Field indices.
    static let cTable = 0, cHead = 1, cTail = 2
    static let eNextInBucket = 0, ePrev = 1, eNext = 2, eValue = 3

    /// Distinct keys.
    public var keys = 100_000
    /// Most entries the cache holds.
    public var capacity = 20_000
    /// Operations per thread.
    public var opsPerThread = 1_000_000
    /// Zipf exponent.
    public var zipfExponent = 1.0
    /// Percentage of operations that are puts.
    public var putPercent = 30

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: keys = 2000; capacity = 500; opsPerThread = 40_000
        case .default: break
        case .large: keys = 1_000_000; capacity = 200_000; opsPerThread = 5_000_000
        }
    }

    /// Bytes of the value blob of `key` at `version`: 32..256, a multiple of 8.
    static func valueBytes(_ key: UInt64, _ version: UInt64) -> Int {
        32 + 8 * Int(WorkloadRandom.mix(key, version) % 29)
    }

    /// Word `i` (from 3) of the value of `key` at `version`.
    @inline(__always)
    static func valueWord(_ key: UInt64, _ version: UInt64, _ i: Int) -> UInt64 {
        WorkloadRandom.mix(key &* 0x1_0000_0001 ^ version, UInt64(i))
    }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard keys >= 1, capacity >= 1, opsPerThread >= 0, (0...100).contains(putPercent), zipfExponent > 0 else {
            throw WorkloadError.invalidParameter("lru-cache: keys and capacity must be positive, put percent in 0...100, Zipf exponent positive")
        }
        let zipf = ZipfSampler(count: keys, exponent: zipfExponent)
        let me = self
        let reports = ReportBox()
        try MutatorThreads.run(heap: heap, count: threads, label: "gclab.lru-cache") { m, index in
            var cache = try Cache(m, workload: me, rng: WorkloadRandom.thread(seed: seed, index: index, salt: 0x12C))
            reports.set(index, try cache.run(zipf))
        }
        return WorkloadReport(lines: reports.lines)
    }

    /// One thread's cache: the heap structure and its Swift-side bookkeeping.
    struct Cache {
        let m: Mutator
        let w: LRUCache
        var rng: SplitMix64
        let buckets: Int
        /// Root slots: the cache object, an entry being worked on, a new value, a walking cursor.
        let cacheSlot: RootSlot, entrySlot: RootSlot, valueSlot: RootSlot, cursor: RootSlot
        /// The latest version of every key (what a backing store would return).
        var versions: [UInt64]
        var size = 0
        var gets = 0, hits = 0, puts = 0, evictions = 0

        init(_ m: Mutator, workload: LRUCache, rng: SplitMix64) throws {
            self.m = m
            w = workload
            self.rng = rng
            var b = 1
            while b < workload.capacity { b <<= 1 }
            buckets = b
            versions = Array(repeating: 0, count: workload.keys)
            cacheSlot = m.pushRoot(); entrySlot = m.pushRoot(); valueSlot = m.pushRoot(); cursor = m.pushRoot()
            m[cacheSlot] = try m.allocate(shape: LRUCache.cacheShape, referenceCount: 4, payloadBytes: 0)
            let table = try m.allocate(shape: LRUCache.tableShape, referenceCount: buckets, payloadBytes: 0)
            m.store(m[cacheSlot], LRUCache.cTable, table)
        }

        var cache: ObjectRef { m[cacheSlot] }
        var table: ObjectRef { m.load(m[cacheSlot], LRUCache.cTable) }

        @inline(__always)
        func bucket(_ key: UInt64) -> Int { Int(truncatingIfNeeded: WorkloadRandom.mix(key ^ 0xB0C7)) & (buckets - 1) }

        @inline(__always)
        func key(_ entry: ObjectRef) -> UInt64 { m.loadPayload(entry, referenceCount: 4, at: 0, as: UInt64.self) }

        @inline(__always)
        func version(_ entry: ObjectRef) -> UInt64 { m.loadPayload(entry, referenceCount: 4, at: 8, as: UInt64.self) }

        /// The entry for `key`, or null.
        func lookup(_ key: UInt64) -> ObjectRef {
            var e = m.load(table, bucket(key))
            while !e.isNull && self.key(e) != key { e = m.load(e, LRUCache.eNextInBucket) }
            return e
        }

        mutating func run(_ zipf: ZipfSampler) throws -> [String] {
            for op in 0..<w.opsPerThread {
                let key = UInt64(zipf.sample(&rng))
                if rng.below(100) < w.putPercent {
                    try put(key)
                } else {
                    try get(key)
                }
                if op & 63 == 0 { m.poll() }
            }
            if WorkloadDebug.corruptOnePayload, !m.load(cache, LRUCache.cHead).isNull {  // test hook: damage one value
                let value = m.load(m.load(cache, LRUCache.cHead), LRUCache.eValue)
                m.storePayload(value, referenceCount: 0, at: 24, UInt64(0xBAD))
            }
            try check()
            let rate = gets == 0 ? 0 : Double(hits) / Double(gets)
            let percent = (rate * 1000).rounded() / 10
            return ["lru: \(size) entries (capacity \(w.capacity), \(buckets) buckets); \(gets) gets, hit rate \(percent)%; "
                    + "\(puts) puts, \(evictions) evictions"]
        }

        mutating func get(_ key: UInt64) throws {
            gets += 1
            let e = lookup(key)
            if e.isNull {
                try insert(key, versions[Int(key)])
                return
            }
            hits += 1
            if let problem = checkValue(e) {
                throw WorkloadError.selfCheckFailed(workload: LRUCache.name, detail: "get(\(key)): \(problem)")
            }
            moveToFront(e)
        }

        mutating func put(_ key: UInt64) throws {
            puts += 1
            versions[Int(key)] &+= 1
            let version = versions[Int(key)]
            let e = lookup(key)
            if e.isNull {
                try insert(key, version)
                return
            }
            m[entrySlot] = e
            let value = try newValue(key, version)
            m.store(m[entrySlot], LRUCache.eValue, value)
            m.storePayload(m[entrySlot], referenceCount: 4, at: 8, version)
            moveToFront(m[entrySlot])
            m[entrySlot] = .null
        }

        /// A new value blob for `key` at `version` (unrooted).
        func newValue(_ key: UInt64, _ version: UInt64) throws -> ObjectRef {
            let bytes = LRUCache.valueBytes(key, version)
            let v = try m.allocate(shape: LRUCache.valueShape, referenceCount: 0, payloadBytes: bytes)
            m.withPayload(v) { raw in
                let p = raw.bindMemory(to: UInt64.self)
                p[0] = key
                p[1] = version
                p[2] = UInt64(bytes)
                for i in 3..<bytes / 8 { p[i] = LRUCache.valueWord(key, version, i) }
            }
            return v
        }

        /// Why `entry`'s value does not match its key and version, or nil.
        func checkValue(_ entry: ObjectRef) -> String? {
            let key = self.key(entry), version = self.version(entry)
            let v = m.load(entry, LRUCache.eValue)
            if v.isNull { return "entry \(entry) for key \(key) has no value" }
            let h = m.header(v)
            let bytes = LRUCache.valueBytes(key, version)
            guard h.shape == LRUCache.valueShape, h.referenceCount == 0, h.bytes >= 8 + bytes else {
                return "value \(v) of key \(key) has shape \(h.shape), \(h.bytes) bytes; expected a \(bytes)-byte value"
            }
            return m.withPayload(v) { raw -> String? in
                let p = raw.bindMemory(to: UInt64.self)
                guard p[0] == key, p[1] == version, p[2] == UInt64(bytes) else {
                    return "value \(v) of key \(key) version \(version) is labelled key \(p[0]) version \(p[1]) length \(p[2])"
                }
                for i in 3..<bytes / 8 where p[i] != LRUCache.valueWord(key, version, i) {
                    return "value of key \(key) version \(version): word \(i) is 0x\(String(p[i], radix: 16)), expected 0x\(String(LRUCache.valueWord(key, version, i), radix: 16))"
                }
                return nil
            }
        }

        /// Inserts a new entry for `key` at the front, evicting the least recently used beyond capacity.
        mutating func insert(_ key: UInt64, _ version: UInt64) throws {
            m[valueSlot] = try newValue(key, version)
            let e = try m.allocate(shape: LRUCache.entryShape, referenceCount: 4, payloadBytes: 16)
            // No safepoint from here on: the references in Swift locals stay valid.
            m.storePayload(e, referenceCount: 4, at: 0, key)
            m.storePayload(e, referenceCount: 4, at: 8, version)
            m.store(e, LRUCache.eValue, m[valueSlot])
            m[valueSlot] = .null
            let t = table, b = bucket(key)
            m.store(e, LRUCache.eNextInBucket, m.load(t, b))
            m.store(t, b, e)
            pushFront(e)
            size += 1
            if size > w.capacity { try evictLRU() }
        }

        func pushFront(_ e: ObjectRef) {
            let c = cache
            let head = m.load(c, LRUCache.cHead)
            m.store(e, LRUCache.ePrev, .null)
            m.store(e, LRUCache.eNext, head)
            if head.isNull { m.store(c, LRUCache.cTail, e) } else { m.store(head, LRUCache.ePrev, e) }
            m.store(c, LRUCache.cHead, e)
        }

        func unlink(_ e: ObjectRef) {
            let c = cache
            let prev = m.load(e, LRUCache.ePrev), next = m.load(e, LRUCache.eNext)
            if prev.isNull { m.store(c, LRUCache.cHead, next) } else { m.store(prev, LRUCache.eNext, next) }
            if next.isNull { m.store(c, LRUCache.cTail, prev) } else { m.store(next, LRUCache.ePrev, prev) }
            m.store(e, LRUCache.ePrev, .null)
            m.store(e, LRUCache.eNext, .null)
        }

        func moveToFront(_ e: ObjectRef) {
            if m.same(m.load(cache, LRUCache.cHead), e) { return }
            unlink(e)
            pushFront(e)
        }

        mutating func evictLRU() throws {
            let victim = m.load(cache, LRUCache.cTail)
            unlink(victim)
            let t = table, b = bucket(key(victim))
            var prev = ObjectRef.null, e = m.load(t, b)
            while !e.isNull && !m.same(e, victim) { prev = e; e = m.load(e, LRUCache.eNextInBucket) }
            guard m.same(e, victim) else {
                throw WorkloadError.selfCheckFailed(workload: LRUCache.name,
                    detail: "evicting key \(key(victim)): the entry is not in bucket \(b)")
            }
            let after = m.load(victim, LRUCache.eNextInBucket)
            if prev.isNull { m.store(t, b, after) } else { m.store(prev, LRUCache.eNextInBucket, after) }
            m.store(victim, LRUCache.eNextInBucket, .null)
            size -= 1
            evictions += 1
        }

        /// The whole-structure self-check. It polls (a collection may move every entry), so it holds no
        /// reference across a poll but in root slots (`cursor`, and `entrySlot` for the previous entry),
        /// and names entries by key, never by address.
        func check() throws {
            func fail(_ detail: String) -> WorkloadError { .selfCheckFailed(workload: LRUCache.name, detail: detail) }
            // The recency list, forwards.
            var onList = Set<UInt64>()
            var listLength = 0
            m[entrySlot] = .null  // the previous entry
            m[cursor] = m.load(cache, LRUCache.cHead)
            while !m[cursor].isNull {
                let e = m[cursor]
                guard m.header(e).shape == LRUCache.entryShape else { throw fail("list node \(e) is not an entry (shape \(m.header(e).shape))") }
                guard m.same(m.load(e, LRUCache.ePrev), m[entrySlot]) else { throw fail("entry \(e) (key \(key(e))) has prev \(m.load(e, LRUCache.ePrev)), expected \(m[entrySlot])") }
                guard onList.insert(key(e)).inserted else { throw fail("the recency list has a cycle or a second entry for key \(key(e))") }
                guard listLength <= w.capacity else { throw fail("the recency list is longer than the capacity \(w.capacity)") }
                listLength += 1
                m[entrySlot] = e
                m[cursor] = m.load(e, LRUCache.eNext)
                if listLength & 255 == 0 { m.poll() }
            }
            guard m.same(m.load(cache, LRUCache.cTail), m[entrySlot]) else { throw fail("tail is \(m.load(cache, LRUCache.cTail)), the list ends at \(m[entrySlot])") }
            m[entrySlot] = .null
            // The map: every entry once, in its key's bucket, with its latest value, and linked into the
            // recency list (its neighbours point back at it: the same object, not another with its key).
            var inMap = Set<UInt64>()
            for b in 0..<buckets {
                m[cursor] = m.load(table, b)
                while !m[cursor].isNull {
                    let e = m[cursor]
                    let k = key(e)
                    guard m.header(e).shape == LRUCache.entryShape else { throw fail("bucket \(b) holds \(e), not an entry") }
                    guard bucket(k) == b else { throw fail("key \(k) is in bucket \(b), hashes to \(bucket(k))") }
                    guard inMap.insert(k).inserted else { throw fail("key \(k) is in the map twice (or bucket chain \(b) has a cycle)") }
                    let prev = m.load(e, LRUCache.ePrev), next = m.load(e, LRUCache.eNext)
                    let linked = m.same(prev.isNull ? m.load(cache, LRUCache.cHead) : m.load(prev, LRUCache.eNext), e)
                        && m.same(next.isNull ? m.load(cache, LRUCache.cTail) : m.load(next, LRUCache.ePrev), e)
                    guard onList.contains(k), linked else { throw fail("entry for key \(k) is in the map but not on the recency list") }
                    if let problem = checkValue(e) { throw fail(problem) }
                    guard Int(k) < versions.count, version(e) == versions[Int(k)] else {
                        throw fail("key \(k) has version \(version(e)), latest is \(Int(k) < versions.count ? versions[Int(k)] : 0)")
                    }
                    m[cursor] = m.load(e, LRUCache.eNextInBucket)
                    if inMap.count & 255 == 0 { m.poll() }
                }
            }
            m[cursor] = .null
            guard inMap == onList else {
                throw fail("\(onList.subtracting(inMap).count) list entries are missing from the map")
            }
            guard listLength == size, inMap.count == size, size <= w.capacity else {
                throw fail("list length \(listLength), map size \(inMap.count), count \(size), capacity \(w.capacity)")
            }
        }
    }
}

/// Zipf-distributed ranks 0 ..< count: P(k) ∝ 1 / (k + 1)^s, by binary search in the cumulative table.
struct ZipfSampler: Sendable {
    private let cdf: [Double]

    init(count: Int, exponent s: Double) {
        var table = [Double](repeating: 0, count: count)
        var total = 0.0
        for k in 0..<count {
            total += 1.0 / pow(Double(k + 1), s)
            table[k] = total
        }
        for k in 0..<count { table[k] /= total }
        table[count - 1] = 1.0
        cdf = table
    }

    /// A rank drawn with the Zipf probabilities.
    @inline(__always)
    func sample(_ rng: inout SplitMix64) -> Int {
        let u = Double(rng.next() >> 11) * 0x1p-53  // uniform in [0, 1)
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cdf[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
