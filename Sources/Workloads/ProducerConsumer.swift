// producer-consumer: objects built by one thread and consumed by another, handed over through the heap.
//
// Threads run in pairs (threads must be even; with 1 thread one pair runs anyway: 2 mutators). Each pair
// has a ring of Q reference slots: an object held by a global root, so the references in flight live in
// the managed heap, not in Swift. Only the indices (head, tail) and the done flag are Swift state, under a
// lock of the pair's own that no thread ever holds while it touches the heap or reaches a safepoint.
// The producer builds message seq = 0, 1, ..., M − 1:
//   header {first, - | seq, length, checksum}   length 1..8 chosen at random
//   node   {next | value}                       value_j = mix(salt, seq, j); one reference field, so the
//                                                8-byte value sits 4-byte aligned (read with loadUnaligned)
// stores the header into slot tail % Q and then publishes tail + 1; the consumer takes slot head % Q,
// nulls the slot, publishes head + 1, verifies the message and drops it, except every 16th, which it keeps
// in a ring of its own (64 slots, in a root slot) to verify again at the end.
// Objects are thus allocated in the producer's buffers and die in the consumer's hands, and a message may
// be marked while in the ring, while only on the consumer's stack, or not yet published.
//
// Waiting: a producer facing a full ring and a consumer facing an empty one wait on the pair's condition
// variable (with a 1 ms timeout) inside `withSafeRegion`, holding no unrooted reference (the message being
// sent is in a root slot), so collections go ahead without them.
//
// Self-check: messages arrive in order (seq = 0, 1, ...), each header has its shape and the length and
// checksum its nodes give, every node value matches its formula; at the end the kept messages are intact,
// and the consumer's message count and checksum sum equal the producer's.

import ConcurrentGC
import Pacer

/// The producer-consumer workload.
public struct ProducerConsumer: Workload {
    public static let name = "producer-consumer"
    public static let summary = "thread pairs hand linked messages through a ring in the heap (global root); the consumer verifies each"
    public static let parameterSummary = "messages 500000 per pair, ring 256 slots, 1..8 nodes per message; threads even (1: one pair) (small: 20000 messages, ring 64; large: 5000000)"

    static let ringShape: UInt8 = 70
    static let headerShape: UInt8 = 71
    static let nodeShape: UInt8 = 72
    static let keptShape: UInt8 = 73
    static let keptSlots = 64
    static let keepEvery = 16

    /// Messages each producer sends.
    public var messagesPerPair = 500_000
    /// Slots in each pair's ring.
    public var ringSlots = 256
    /// Most nodes in one message.
    public var maxNodes = 8

    public init(scale: WorkloadScale) {
        switch scale {
        case .small: messagesPerPair = 20_000; ringSlots = 64
        case .default: break
        case .large: messagesPerPair = 5_000_000
        }
    }

    /// Value of node `j` of message `seq` of the pair with `salt`.
    @inline(__always)
    static func value(_ salt: UInt64, _ seq: UInt64, _ j: Int) -> UInt64 {
        WorkloadRandom.mix(salt ^ seq &* 0x100_0000_01B3, UInt64(j))
    }

    public func run(heap: Heap, threads: Int, seed: UInt64) throws -> WorkloadReport {
        guard threads == 1 || (threads >= 2 && threads % 2 == 0) else {
            throw WorkloadError.invalidParameter("producer-consumer: threads must be even (producer/consumer pairs) or 1, got \(threads)")
        }
        guard messagesPerPair >= 1, ringSlots >= 1, maxNodes >= 1 else {
            throw WorkloadError.invalidParameter("producer-consumer: messages, ring slots and nodes per message must be positive")
        }
        let pairs = max(1, threads / 2)
        let channels = (0..<pairs).map { _ in Channel(slots: ringSlots) }
        let rings = (0..<pairs).map { _ in heap.addGlobalRoot() }
        let me = self
        let slots = ringSlots
        try MutatorThreads.run(heap: heap, count: 1, label: "gclab.producer-consumer.setup") { m, _ in
            for r in rings {
                m.setGlobal(r, try m.allocate(shape: ProducerConsumer.ringShape, referenceCount: slots, payloadBytes: 0))
            }
        }
        try MutatorThreads.run(heap: heap, count: 2 * pairs, label: "gclab.producer-consumer") { m, index in
            let pair = index / 2
            let channel = channels[pair]
            var pairRNG = WorkloadRandom.thread(seed: seed, index: pair, salt: 0x9C0)
            let salt = pairRNG.next()
            do {
                if index % 2 == 0 {
                    try me.produce(m, ring: rings[pair], channel: channel, salt: salt,
                                   rng: WorkloadRandom.thread(seed: seed, index: index, salt: 0x9C1))
                } else {
                    try me.consume(m, ring: rings[pair], channel: channel, salt: salt)
                }
            } catch is Channel.Aborted {
                return  // the partner failed and reports why
            } catch {
                channel.abort()
                throw error
            }
        }
        try MutatorThreads.run(heap: heap, count: 1, label: "gclab.producer-consumer.teardown") { m, _ in
            for r in rings { m.setGlobal(r, .null) }  // the rings become garbage
        }
        var lines: [String] = []
        for (p, c) in channels.enumerated() {
            guard c.consumed.count == c.produced.count, c.consumed.sum == c.produced.sum, c.produced.count == messagesPerPair else {
                throw WorkloadError.selfCheckFailed(workload: ProducerConsumer.name,
                    detail: "pair \(p): produced \(c.produced.count) messages (checksum sum \(c.produced.sum)), consumed \(c.consumed.count) (\(c.consumed.sum)), expected \(messagesPerPair)")
            }
            lines.append("pair \(p): \(c.consumed.count) messages, \(c.consumed.nodes) nodes through a \(ringSlots)-slot ring; "
                         + "checksum sum \(c.consumed.sum); waits: producer \(c.producerWaits), consumer \(c.consumerWaits)")
        }
        return WorkloadReport(lines: lines)
    }

    func produce(_ m: Mutator, ring: GlobalRoot, channel: Channel, salt: UInt64, rng: SplitMix64) throws {
        var rng = rng
        let f = m.frame()
        defer { m.popFrame(f) }
        let msg = m.pushRoot()
        for seq in 0..<UInt64(messagesPerPair) {
            let length = 1 + rng.below(maxNodes)
            m[msg] = try m.allocate(shape: ProducerConsumer.headerShape, referenceCount: 2, payloadBytes: 24)
            var checksum: UInt64 = 0
            for j in stride(from: length - 1, through: 0, by: -1) {  // built back to front
                let node = try m.allocate(shape: ProducerConsumer.nodeShape, referenceCount: 1, payloadBytes: 8)
                let v = ProducerConsumer.value(salt, seq, j)
                m.storePayload(node, referenceCount: 1, at: 0, v)  // 4-byte aligned
                m.store(node, 0, m.load(m[msg], 0))
                m.store(m[msg], 0, node)
                checksum &+= v
            }
            m.storePayload(m[msg], referenceCount: 2, at: 0, seq)
            m.storePayload(m[msg], referenceCount: 2, at: 8, UInt64(length))
            m.storePayload(m[msg], referenceCount: 2, at: 16, checksum)
            // Wait for room: the message is rooted, nothing else is held.
            while !channel.hasRoom() {
                try m.withSafeRegion { try channel.waitForRoom() }
            }
            m.store(m.global(ring), channel.tailSlot, m[msg])
            channel.publish(checksum: checksum, nodes: length)
            m[msg] = .null
        }
        channel.close()
    }

    func consume(_ m: Mutator, ring: GlobalRoot, channel: Channel, salt: UInt64) throws {
        let f = m.frame()
        defer { m.popFrame(f) }
        let msg = m.pushRoot()
        let kept = m.pushRoot(try m.allocate(shape: ProducerConsumer.keptShape, referenceCount: ProducerConsumer.keptSlots, payloadBytes: 0))
        var expectedSeq: UInt64 = 0
        var keptCount = 0
        while true {
            guard let slot = channel.readySlot() else {
                if channel.isFinished { break }
                try m.withSafeRegion { try channel.waitForMessage() }
                continue
            }
            let r = m.global(ring)
            m[msg] = m.load(r, slot)
            m.store(r, slot, .null)
            channel.take()
            let (seq, length, checksum) = try verify(m, m[msg], salt: salt, context: "message \(expectedSeq)")
            guard seq == expectedSeq else {
                throw WorkloadError.selfCheckFailed(workload: ProducerConsumer.name, detail: "received message \(seq), expected \(expectedSeq)")
            }
            channel.consumed.add(checksum: checksum, nodes: length)
            if seq % UInt64(ProducerConsumer.keepEvery) == 0 {
                m.store(m[kept], keptCount % ProducerConsumer.keptSlots, m[msg])
                keptCount += 1
            }
            m[msg] = .null
            expectedSeq += 1
            m.poll()
        }
        if WorkloadDebug.corruptOnePayload {  // test hook: damage a kept message's first node
            let node = m.load(m.load(m[kept], 0), 0)
            m.storePayload(node, referenceCount: 1, at: 0, UInt64(0xBAD))
        }
        for k in 0..<min(keptCount, ProducerConsumer.keptSlots) {
            _ = try verify(m, m.load(m[kept], k), salt: salt, context: "kept message in slot \(k)")
        }
    }

    /// Checks one message (reachable from a root; nothing is allocated) and returns (seq, length, checksum).
    func verify(_ m: Mutator, _ header: ObjectRef, salt: UInt64, context: String) throws -> (UInt64, Int, UInt64) {
        func fail(_ d: String) -> WorkloadError { .selfCheckFailed(workload: ProducerConsumer.name, detail: "\(context): \(d)") }
        guard !header.isNull else { throw fail("null message") }
        let h = m.header(header)
        guard h.shape == ProducerConsumer.headerShape, h.referenceCount == 2 else { throw fail("\(header) is not a message header (shape \(h.shape))") }
        let seq = m.loadPayload(header, referenceCount: 2, at: 0, as: UInt64.self)
        let length = Int(m.loadPayload(header, referenceCount: 2, at: 8, as: UInt64.self))
        let checksum = m.loadPayload(header, referenceCount: 2, at: 16, as: UInt64.self)
        var n = 0
        var sum: UInt64 = 0
        var node = m.load(header, 0)
        while !node.isNull {
            guard n < maxNodes, m.header(node).shape == ProducerConsumer.nodeShape else {
                throw fail("message \(seq): node \(n) is \(node) (shape \(m.header(node).shape)), length \(length)")
            }
            let v = m.loadPayload(node, referenceCount: 1, at: 0, as: UInt64.self)
            guard v == ProducerConsumer.value(salt, seq, n) else {
                throw fail("message \(seq): node \(n) value 0x\(String(v, radix: 16)), expected 0x\(String(ProducerConsumer.value(salt, seq, n), radix: 16))")
            }
            sum &+= v
            n += 1
            node = m.load(node, 0)
        }
        guard n == length, sum == checksum else {
            throw fail("message \(seq) has \(n) nodes with sum \(sum); its header says \(length) and \(checksum)")
        }
        return (seq, length, checksum)
    }

    /// Counts and sums of messages on one side of a channel.
    struct Totals { var count = 0; var nodes = 0; var sum: UInt64 = 0 }

    /// One pair's ring indices and hand-over protocol (Swift state only; the references are in the heap).
    /// The lock is never held while touching the heap or at a safepoint.
    final class Channel: @unchecked Sendable {
        /// Thrown to a waiting thread when its partner failed.
        struct Aborted: Error {}

        private let monitor = Monitor()
        let slots: Int
        private var head = 0, tail = 0
        private var closed = false, aborted = false
        private(set) var producerWaits = 0, consumerWaits = 0
        private(set) var produced = Totals()
        /// Written by the consumer only; read after the threads joined.
        var consumed = Totals()

        init(slots: Int) { self.slots = slots }

        /// Whether the producer may publish one more message.
        func hasRoom() -> Bool { monitor.withLock { tail - head < slots } }

        /// The slot the producer writes next (only the producer moves `tail`).
        var tailSlot: Int { monitor.withLock { tail % slots } }

        /// Makes the message in `tailSlot` visible to the consumer.
        func publish(checksum: UInt64, nodes: Int) {
            monitor.withLock {
                tail += 1
                produced.count += 1
                produced.nodes += nodes
                produced.sum &+= checksum
                monitor.broadcast()
            }
        }

        /// The producer sent everything.
        func close() { monitor.withLock { closed = true; monitor.broadcast() } }

        /// A partner failed: wake and fail every waiter.
        func abort() { monitor.withLock { aborted = true; monitor.broadcast() } }

        /// The slot of the oldest published message, or nil when none is waiting.
        func readySlot() -> Int? { monitor.withLock { head < tail ? head % slots : nil } }

        /// The consumer is done with the slot `readySlot` returned.
        func take() { monitor.withLock { head += 1; monitor.broadcast() } }

        /// Closed and drained.
        var isFinished: Bool { monitor.withLock { closed && head == tail } }

        /// Blocks (call inside a safe region) until there is room or the consumer failed.
        func waitForRoom() throws {
            try monitor.withLock {
                producerWaits += 1
                while tail - head >= slots && !aborted { monitor.wait(nanoseconds: 1_000_000) }
                if aborted { throw Aborted() }
            }
        }

        /// Blocks (call inside a safe region) until a message is published, the producer closed, or it failed.
        func waitForMessage() throws {
            try monitor.withLock {
                consumerWaits += 1
                while head == tail && !closed && !aborted { monitor.wait(nanoseconds: 1_000_000) }
                if aborted { throw Aborted() }
            }
        }
    }
}

extension ProducerConsumer.Totals {
    mutating func add(checksum: UInt64, nodes: Int) {
        count += 1
        self.nodes += nodes
        sum &+= checksum
    }
}
