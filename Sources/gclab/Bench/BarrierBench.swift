// bench barrier: ns per reference store through `Mutator.store`, with the barrier off and on, for every
// collector that runs barriers and each of its barriers, against a plain 32-bit store to the same address
// pattern in the same run.
//
// The stores cycle over 1024 objects of 8 reference fields, storing references to those same objects.
// "On" turns the barrier's slow path on without a collection (Heap.debugSetBarrierActive): after the first
// pass every target is marked (or grey), so the figure is the steady-state cost of a store while a mark
// runs (the call into the plan's slow path, the atomic exchange of yuasa/hybrid, Steele's fence, the
// colour checks), not of greying.
//
// Then the remembered-set barriers of the generational plans (each `--remset` value of each plan that takes
// one), with the stores' sources young (allocated since the last collection) and old (after a full
// collection). The figure is the steady state too: a card already dirty is only read, an old object
// already logged only tested; what draining the set costs is in cycles.csv (`remset_scan_ns`).

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
        try runRememberedSets(stores: stores, repeats: repeats, base: base)
    }

    /// The remembered-set barriers: ns per store with young and with old sources, per plan and `--remset`.
    static func runRememberedSets(stores: Int, repeats: Int, base: Double) throws {
        let kinds = CollectorKind.allCases.filter { $0.traits.options.contains(GenerationalOptions.remset) }
        guard !kinds.isEmpty, case .choice(let modes) = GenerationalOptions.remset.domain else { return }
        print("  collector   remset      young source (extra)     old source (extra)")
        for kind in kinds {
            for mode in modes {
                var config = HeapConfiguration()
                config.collector = kind
                config.set(GenerationalOptions.remset, .choice(mode))
                config.allowUnsafe = true
                config.minimumTriggerBytes = 1 << 29  // no collection but the one asked for
                config.set(GenerationalOptions.nursery, .integer(64 << 20))
                let heap = try Heap(configuration: config)
                let young = SharedBox<[Double]>([]), old = SharedBox<[Double]>([])
                try MutatorThreads.run(heap: heap, count: 1) { m, _ in
                    let table = m.pushRoot(try m.allocate(shape: 1, referenceCount: objects, payloadBytes: 0))
                    for i in 0..<objects { m.store(m[table], i, try m.allocate(shape: 2, referenceCount: fields, payloadBytes: 0)) }
                    func measure(into box: SharedBox<[Double]>) {
                        // Reload the references: a collection may have moved the objects.
                        let refs = (0..<objects).map { m.load(m[table], $0) }
                        refs.withUnsafeBufferPointer { refs in
                            for _ in 0..<repeats { box.value.append(Double(storeLoop(m, refs, stores)) / Double(stores)) }
                        }
                    }
                    measure(into: young)
                    m.collect()  // a full collection: every object is old now
                    measure(into: old)
                }
                let youngNs = BenchCommand.median(young.value), oldNs = BenchCommand.median(old.value)
                heap.finish()
                print("  " + kind.name.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + mode.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: "  %5.2f ns (%+5.2f)          %5.2f ns (%+5.2f)", youngNs, youngNs - base, oldNs, oldNs - base))
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
