// The verifier of a moving collection (verify mode), run with the world stopped after the objects were
// moved and every reference updated, before the old copies are freed:
//
// - every root and every field of every reachable object points to an object in place: not to an old copy
//   left behind (a forwarding header: the slot was not updated; the slot is repaired to the new copy so
//   the run can go on) and not into memory being freed (an object the collection never copied: lost);
// - a graph digest of the reachable graph taken before the collection equals the one taken after it. The
//   digest covers the graph's shape and every payload byte, and no address: objects are numbered in the
//   order a breadth-first walk from the roots reaches them, and an edge is written as its target's number,
//   so a collection that moves objects without corrupting anything leaves it unchanged.
//
// Every problem is recorded like a lost object (status lost-objects), with what is wrong.

import Synchronization

extension Heap {
    /// Verify mode, after a moving collection updated every reference: every reachable reference points
    /// to an object in place (stale ones are repaired and counted; `isFreed` says which objects live in
    /// memory about to be freed), and the reachable graph is the one the collection began with
    /// (`digestBefore`). Problems count as lost objects in `record` and the statistics.
    func verifyMove(_ record: inout CycleRecord, digestBefore: UInt64, isFreed: (UInt32) -> Bool) {
        let digestAfter = GraphDigest.compute(heap: self)
        var problems = MovingVerifier.verify(heap: self, cycle: record.cycle, isFreed: isFreed)
        if digestAfter != digestBefore {
            problems.append(LostObject(cycle: record.cycle, object: .null, parent: .null, field: -1, viaRoot: nil,
                                       problem: "the reachable graph changed across the collection (digest \(String(digestBefore, radix: 16)) before, \(String(digestAfter, radix: 16)) after)"))
        }
        record.lostObjects += problems.count
        stats.record(lost: Array(problems.prefix(GCStats.lostDetailLimit)), count: problems.count)
    }
}

enum MovingVerifier {
    /// Checks every reference reachable from the roots. `isFreed(raw)` says whether an object lives in
    /// memory the collection is about to free (from-space). Returns the problems (repairing stale slots).
    static func verify(heap: Heap, cycle: Int, isFreed: (UInt32) -> Bool) -> [LostObject] {
        guard let seen = MarkBitmap(granules: heap.reservationBytes / HeapGeometry.granuleBytes) else {
            verifyFailure("could not map the moving verifier's bitmap")
        }
        defer { seen.free() }
        var problems: [LostObject] = []
        var stack: [UInt32] = []
        /// The value a slot should hold (repaired if it pointed to an old copy); the object is queued.
        func check(_ raw: UInt32, parent: UInt32, field: Int, root: RootLocation?) -> UInt32 {
            guard raw != 0 else { return 0 }
            var value = raw
            let header = ObjectHeader(bits: (heap.base + (Int(raw) << HeapGeometry.granuleShift)).load(as: UInt64.self))
            if header.isForwarded {
                value = header.forwardee.raw
                problems.append(LostObject(cycle: cycle, object: ObjectRef(raw: raw), parent: ObjectRef(raw: parent), field: field,
                                           viaRoot: root?.description,
                                           problem: "still points to the moved object \(ObjectRef(raw: raw)) (now at \(header.forwardee))"))
            } else if isFreed(raw) {
                problems.append(LostObject(cycle: cycle, object: ObjectRef(raw: raw), parent: ObjectRef(raw: parent), field: field,
                                           viaRoot: root?.description, problem: "\(ObjectRef(raw: raw)) was not moved and is about to be freed"))
                return value
            }
            if seen.testAndSet(value) { stack.append(value) }
            return value
        }
        heap.updateRoots { raw, location in check(raw, parent: 0, field: -1, root: location) }
        while let raw = stack.popLast() {
            let object = heap.base + (Int(raw) << HeapGeometry.granuleShift)
            let header = ObjectHeader(bits: object.load(as: UInt64.self))
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            for i in 0..<header.referenceCount {
                let old = fields[i].load(ordering: .relaxed)
                let new = check(old, parent: raw, field: i, root: nil)
                if new != old { fields[i].store(new, ordering: .relaxed) }
            }
        }
        return problems
    }
}

/// A digest of the graph reachable from the roots that does not depend on where objects are.
enum GraphDigest {
    static func compute(heap: Heap) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ x: UInt64) {
            var v = x
            for _ in 0..<8 {
                hash = (hash ^ (v & 0xFF)) &* 0x0000_0100_0000_01b3
                v >>= 8
            }
        }
        var number: [UInt32: UInt64] = [:]
        var queue: [UInt32] = []
        /// The object's number, numbering it (and queueing it) at its first sight.
        func numbered(_ raw: UInt32) -> UInt64 {
            if raw == 0 { return UInt64.max }
            if let n = number[raw] { return n }
            let n = UInt64(number.count)
            number[raw] = n
            queue.append(raw)
            return n
        }
        heap.forEachRoot { raw, _ in mix(numbered(raw)) }
        var next = 0
        while next < queue.count {
            let raw = queue[next]
            next += 1
            let object = heap.base + (Int(raw) << HeapGeometry.granuleShift)
            let header = ObjectHeader(bits: object.load(as: UInt64.self))
            guard header.isValid, !header.isForwarded else {
                mix(0xDEAD_0000_0000_0000 | (header.isForwarded ? 1 : 2))  // an old copy, or not an object
                continue
            }
            mix(UInt64(header.shape))
            mix(UInt64(header.referenceCount))
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            for i in 0..<header.referenceCount { mix(numbered(fields[i].load(ordering: .relaxed))) }
            let payloadStart = ObjectHeader.payloadOffset(referenceCount: header.referenceCount)
            mix(UInt64(header.bytes - payloadStart))
            var offset = payloadStart
            while offset + 8 <= header.bytes {
                mix(object.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            while offset < header.bytes {
                mix(UInt64(object.load(fromByteOffset: offset, as: UInt8.self)))
                offset += 1
            }
        }
        mix(UInt64(number.count))
        return hash
    }
}
