// `gclab bench`: micro-benchmarks, always side by side with a baseline in the same run; figures are
// medians over repeats, rounds interleaved so machine noise hits both alike. Use a release build.
//
// bench alloc: ns per 24-byte object (a GCBench node) on the TLAB fast path, against a bare bump-pointer
// loop writing the same header into pre-faulted memory. The heap's blocks are recycled (its first round
// faults them in, a collection frees them), so both loops run on warm memory; the TLAB figure includes
// everything allocation costs in steady state: hole zeroing and block hand-out in the slow path.

import ConcurrentGC
import Foundation

enum BenchCommand {
    static let help = """
    usage: gclab bench alloc [--objects N] [--repeat R]
      alloc   ns per object: Mutator.allocate vs a bare bump-pointer loop (default 10000000 objects, 9 repeats)
    """

    static func main(_ args: [String]) throws {
        guard let which = args.first, !which.hasPrefix("--") else {
            if args.contains("--help") { print(help); return }
            throw UsageError("bench needs a benchmark name: alloc")
        }
        let o = try OptionParser(Array(args.dropFirst()), valueOptions: ["objects", "repeat"], flagOptions: ["help"])
        if o.flag("help") { print(help); return }
        switch which {
        case "alloc":
            try allocBench(objects: o.int("objects", default: 10_000_000, range: 1000...200_000_000),
                           repeats: o.int("repeat", default: 9, range: 1...1000))
        default:
            throw UsageError("unknown benchmark '\(which)' (known: alloc)")
        }
    }

    static func allocBench(objects: Int, repeats: Int) throws {
        let objectBytes = ObjectHeader.objectBytes(referenceCount: 2, payloadBytes: 8)
        var config = HeapConfiguration()
        config.heapMaxBytes = max(64 << 20, objects * objectBytes * 2)
        config.minimumTriggerBytes = objects * objectBytes + (8 << 20)  // no collection inside a timed round
        let heap = try Heap(configuration: config)
        let bareBytes = objects * objectBytes
        let bare = UnsafeMutableRawPointer.allocate(byteCount: bareBytes, alignment: 64)
        defer { bare.deallocate() }
        bare.initializeMemory(as: UInt8.self, repeating: 0, count: bareBytes)

        let tlabNs = Box<[Double]>([])
        var bareNs: [Double] = []
        var sink: UInt64 = 0
        try MutatorThreads.run(heap: heap, count: 1) { m, _ in
            _ = try timeTLAB(m, objects)  // fault the blocks in
            m.collect()
        }
        for _ in 0..<repeats {
            try MutatorThreads.run(heap: heap, count: 1) { m, _ in
                let t = try timeTLAB(m, objects)
                m.collect()
                tlabNs.value.append(Double(t) / Double(objects))
            }
            let t0 = Clock.now()
            sink &+= bareBump(bare, bytes: bareBytes, objectBytes: objectBytes)
            bareNs.append(Double(Clock.now() - t0) / Double(objects))
        }
        let tlab = median(tlabNs.value), base = median(bareNs)
        print(String(format: "alloc: %d objects of %d bytes, median of %d rounds", objects, objectBytes, repeats))
        print(String(format: "  bare bump loop  %.2f ns/object", base))
        print(String(format: "  TLAB fast path  %.2f ns/object  (%.2fx the bare loop)", tlab, tlab / base))
        if sink == 42 { print("") }  // keep the bare loop's result alive
    }

    /// Allocates `n` GCBench-sized nodes and drops them; returns the elapsed nanoseconds.
    @inline(never)
    static func timeTLAB(_ m: Mutator, _ n: Int) throws -> UInt64 {
        let t0 = Clock.now()
        var last = ObjectRef.null
        for _ in 0..<n { last = try m.allocate(shape: 1, referenceCount: 2, payloadBytes: 8) }
        let t = Clock.now() - t0
        precondition(!last.isNull)
        return t
    }

    /// The baseline: bump a cursor against a limit and write a header, nothing else.
    @inline(never)
    static func bareBump(_ base: UnsafeMutableRawPointer, bytes: Int, objectBytes: Int) -> UInt64 {
        var cursor = 0
        let header = ObjectHeader(granules: objectBytes / 8, referenceCount: 2, shape: 1).bits
        while true {
            let end = cursor &+ objectBytes
            if end > bytes { break }
            (base + cursor).storeBytes(of: header, as: UInt64.self)
            cursor = end
        }
        return UInt64(cursor)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}

/// A mutable value handed to a mutator closure and read after the mutators have been joined.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
