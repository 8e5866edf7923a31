// bench barrier, read-barrier rows: ns per reference load through `Mutator.load` for every read barrier a
// plan offers (its `read-barrier` option), with no cycle running and while one copies, against a plain
// 32-bit load chasing the same pattern in the same run.
//
// The loads chase references through 1024 objects of 8 fields, each field naming a random one of them
// (a dependent load per step, so the figure is the latency a barrier adds to a load). "copying" starts a
// cycle first (its flip copies the chase's root object): the first round through the objects copies them
// (the barrier's slow path, shown apart as "first touch"); the rounds after it are the steady state of a
// load while a cycle runs, every object already in to-space.

import ConcurrentGC
import Foundation

enum ReadBarrierBench {
    static let objects = 1024, fields = 8

    static func run(loads: Int, repeats: Int) throws {
        let objectBytes = ObjectHeader.objectBytes(referenceCount: fields, payloadBytes: 0)
        var rng = SystemRandomNumberGenerator()
        let targets = (0..<objects * fields).map { _ in Int.random(in: 0..<objects, using: &rng) }
        let plain = UnsafeMutableRawPointer.allocate(byteCount: objects * objectBytes, alignment: 64)
        defer { plain.deallocate() }
        for (i, t) in targets.enumerated() {
            // A field holds its target's granule index, as a heap reference does.
            plain.storeBytes(of: UInt32(t * objectBytes >> 3), toByteOffset: (i / fields) * objectBytes + 8 + (i % fields) * 4, as: UInt32.self)
        }
        var plainNs: [Double] = []
        for _ in 0..<repeats { plainNs.append(Double(plainChase(plain, loads)) / Double(loads)) }
        let base = BenchCommand.median(plainNs)
        print(String(format: "read barrier: %d dependent loads over %d objects x %d fields, median of %d rounds", loads, objects, fields, repeats))
        print(String(format: "  plain load                 %.2f ns/load", base))
        print("  collector   read barrier  idle (extra)       copying (extra)    first 32K loads of a cycle")
        for kind in CollectorKind.allCases {
            guard let option = kind.traits.options.first(where: { $0.name == "read-barrier" }),
                  case .choice(let names) = option.domain else { continue }
            for name in names {
                var config = HeapConfiguration()
                config.collector = kind
                config.planOptions[option.name] = .choice(name)
                config.allowUnsafe = true
                config.markWorkers = 0
                config.minimumTriggerBytes = 1 << 29  // no collection but the one started here
                let heap = try Heap(configuration: config)
                let idle = SharedBox<[Double]>([]), copying = SharedBox<[Double]>([]), first = SharedBox<Double>(0)
                try MutatorThreads.run(heap: heap, count: 1) { m, _ in
                    let table = m.pushRoot(try m.allocate(shape: 1, referenceCount: objects, payloadBytes: 0))
                    for i in 0..<objects { m.store(m[table], i, try m.allocate(shape: 2, referenceCount: fields, payloadBytes: 0)) }
                    for (i, t) in targets.enumerated() {
                        m.store(m.load(m[table], i / fields), i % fields, m.load(m[table], t))
                    }
                    let start = m.pushRoot(m.load(m[table], 0))
                    for _ in 0..<repeats { idle.value.append(Double(chase(m, m[start], loads)) / Double(loads)) }
                    heap.debugStartCycle(m)
                    first.value = Double(chase(m, m[start], objects * fields * 4)) / Double(objects * fields * 4)
                    for _ in 0..<repeats { copying.value.append(Double(chase(m, m[start], loads)) / Double(loads)) }
                }
                heap.finish()
                let idleNs = BenchCommand.median(idle.value), copyingNs = BenchCommand.median(copying.value)
                print("  " + kind.name.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + name.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: "  %5.2f ns (%+5.2f)   %5.2f ns (%+5.2f)   %6.2f ns", idleNs, idleNs - base, copyingNs, copyingNs - base, first.value))
            }
        }
    }

    @inline(never)
    static func chase(_ m: Mutator, _ start: ObjectRef, _ n: Int) -> UInt64 {
        let t0 = Clock.now()
        var o = start, i = 0
        while i < n {
            o = m.load(o, i & (fields - 1))
            i &+= 1
        }
        blackHole(Int(o.raw))
        return Clock.now() - t0
    }

    @inline(never)
    static func plainChase(_ base: UnsafeMutableRawPointer, _ n: Int) -> UInt64 {
        let t0 = Clock.now()
        var o = 0, i = 0
        while i < n {
            o = Int(base.load(fromByteOffset: (o &<< 3) &+ 8 &+ (i & (fields - 1)) &* 4, as: UInt32.self))
            i &+= 1
        }
        blackHole(o)
        return Clock.now() - t0
    }

    /// Where the chases' last values go, so that no chase can be dropped or moved past its clock read.
    nonisolated(unsafe) static var sink = 0

    @inline(__always)
    static func blackHole(_ x: Int) { sink &+= x }
}
