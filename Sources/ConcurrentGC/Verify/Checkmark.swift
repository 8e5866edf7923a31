// The checkmark verifier (as Go's GODEBUG=gccheckmark=1, runtime/mcheckmark.go).
//
// With the world stopped and the collector's marking finished, trace the heap again from every root on
// one thread with a private bitmap. Every object this trace reaches that the plan's marks would not keep
// (`MarkedObjects`: a clear mark bit, an unmarked line, a white treadmill cell) is a lost object: the
// collector would free it while it is reachable. It is reported with the parent and field (or root)
// through which it was reached. The check goes one way only: floating garbage (marked but dead) is
// allowed. The trace shares no state with the collector's marker but the heap's objects.
//
// Unlike Go's, a lost object is not fatal: the plan's marks are set for it so it survives this cycle,
// and the run goes on to its end with the loss counted and reported (the run fails). That keeps an
// unsafe configuration (--barrier none) running long enough to measure how much it loses.

import Synchronization

/// The result of one checkmark pass.
struct CheckmarkResult {
    var lostCount = 0
    var lost: [LostObject] = []
    var reachedObjects = 0
}

enum Checkmark {
    /// Re-traces the heap from its roots (world stopped) and compares with the plan's `marks`.
    static func verify(heap: Heap, cycle: Int, marks: some MarkedObjects) -> CheckmarkResult {
        guard let checked = MarkBitmap(granules: heap.reservationBytes / HeapGeometry.granuleBytes) else {
            verifyFailure("could not map the checkmark bitmap")
        }
        defer { checked.free() }
        var result = CheckmarkResult()
        var stack: [UInt32] = []
        func reach(_ raw: UInt32, parent: UInt32, field: Int, root: RootLocation?) {
            guard raw != 0, checked.testAndSet(raw) else { return }
            guard heap.isValidObject(ObjectRef(raw: raw)) else {
                let from = root.map { "root \($0)" } ?? "\(ObjectRef(raw: parent)) field \(field)"
                verifyFailure("checkmark reached an invalid object \(ObjectRef(raw: raw)) from \(from)")
            }
            result.reachedObjects += 1
            let offset = Int(raw) << HeapGeometry.granuleShift
            let size = ObjectHeader(bits: (heap.base + offset).load(as: UInt64.self)).bytes
            if !marks.checkAndKeep(raw, offset: offset, bytes: size) {
                result.lostCount += 1
                if result.lost.count < GCStats.lostDetailLimit {
                    result.lost.append(LostObject(cycle: cycle, object: ObjectRef(raw: raw), parent: ObjectRef(raw: parent),
                                                  field: field, viaRoot: root?.description))
                }
            }
            stack.append(raw)
        }
        heap.forEachRoot { raw, location in reach(raw, parent: 0, field: -1, root: location) }
        while let raw = stack.popLast() {
            let object = heap.base + (Int(raw) << HeapGeometry.granuleShift)
            let header = ObjectHeader(bits: object.load(as: UInt64.self))
            let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
            for i in 0..<header.referenceCount {
                reach(fields[i].load(ordering: .relaxed), parent: raw, field: i, root: nil)
            }
        }
        return result
    }
}
