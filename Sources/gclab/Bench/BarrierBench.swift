// bench barrier: ns per reference store through `Mutator.store`, with the barrier off and on, for every
// collector that runs barriers and each of its barriers, against a plain 32-bit store to the same address
// pattern in the same run.
//
// The stores cycle over 1024 objects of 8 reference fields, storing references to those same objects.
// "On" turns the barrier's slow path on without a collection (Heap.debugSetBarrierActive): after the first
// pass every target is marked (or grey), so the figure is the steady-state cost of a store while a mark
// runs (the call into the plan's slow path, the atomic exchange of yuasa/hybrid, Steele's fence, the
// colour checks), not of greying.

import ConcurrentGC
import Foundation

enum BarrierBench {
    static let objects = 1024, fields = 8

    static func run(stores: Int, repeats: Int) throws {
        // The baseline: a plain store into a buffer laid out like the objects.
        let objectBytes = ObjectHeader.objectBytes(referenceCount: fields, payloadBytes: 0)
        let plain = UnsafeMutableRawPointer.allocate(byteCount: objects * objectBytes, alignment: 64)
        defer { plain.deallocate() }
        plain.initializeMemory(as: UInt8.self, repeating: 0, count: objects * objectBytes)
        var plainNs: [Double] = []
        for _ in 0..<repeats { plainNs.append(Double(plainLoop(plain, objectBytes: objectBytes, stores)) / Double(stores)) }
        let base = BenchCommand.median(plainNs)
        print(String(format: "barrier: %d stores over %d objects x %d fields, median of %d rounds", stores, objects, fields, repeats))
        print(String(format: "  plain store              %.2f ns/store", base))
        print("  collector   barrier     off (extra)              on (extra)")
        for kind in CollectorKind.allCases where !kind.traits.barriers.isEmpty {
          for barrier in kind.traits.barriers {
            var config = HeapConfiguration()
            config.collector = kind
            config.barrier = barrier
            config.allowUnsafe = true
            config.markWorkers = 0
            config.minimumTriggerBytes = 1 << 29  // no collection during the run
            let heap = try Heap(configuration: config)
            heap.debugSetBarrierActive(false)
            let off = SharedBox<[Double]>([]), on = SharedBox<[Double]>([])
            try MutatorThreads.run(heap: heap, count: 1) { m, _ in
                let table = m.pushRoot(try m.allocate(shape: 1, referenceCount: objects, payloadBytes: 0))
                var refs: [ObjectRef] = []
                for i in 0..<objects {
                    let o = try m.allocate(shape: 2, referenceCount: fields, payloadBytes: 0)
                    m.store(m[table], i, o)
                    refs.append(o)
                }
                refs.withUnsafeBufferPointer { refs in
                    for _ in 0..<repeats {
                        off.value.append(Double(storeLoop(m, refs, stores)) / Double(stores))
                        heap.debugSetBarrierActive(true)
                        on.value.append(Double(storeLoop(m, refs, stores)) / Double(stores))
                        heap.debugSetBarrierActive(false)
                    }
                }
            }
            let offNs = BenchCommand.median(off.value), onNs = BenchCommand.median(on.value)
            heap.finish()
            print("  " + kind.name.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + barrier.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + String(format: "  %5.2f ns (%+5.2f)          %5.2f ns (%+5.2f)", offNs, offNs - base, onNs, onNs - base))
          }
        }
    }

    @inline(never)
    static func storeLoop(_ m: Mutator, _ refs: UnsafeBufferPointer<ObjectRef>, _ n: Int) -> UInt64 {
        let t0 = Clock.now()
        var i = 0
        while i < n {
            m.store(refs[i & (objects - 1)], i & (fields - 1), refs[(i &* 7) & (objects - 1)])
            i &+= 1
        }
        return Clock.now() - t0
    }

    @inline(never)
    static func plainLoop(_ base: UnsafeMutableRawPointer, objectBytes: Int, _ n: Int) -> UInt64 {
        let t0 = Clock.now()
        var i = 0
        while i < n {
            let target = UInt32(truncatingIfNeeded: ((i &* 7) & (objects - 1)) &* objectBytes >> 3)
            base.storeBytes(of: target, toByteOffset: (i & (objects - 1)) &* objectBytes &+ 8 &+ (i & (fields - 1)) &* 4, as: UInt32.self)
            i &+= 1
        }
        return Clock.now() - t0
    }
}
