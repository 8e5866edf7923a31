// Deterministic random numbers for the simulator and the workloads (one generator for both).
//
// Invariant: every random value the simulator uses is a pure function of (seed, stream, index), so a run is
// reproducible from its seed alone and adding a new random stream never shifts the values of another.
// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014) is used
// both as a sequential generator and as the mixing function for the keyed form.

/// SplitMix64: a small, fast, well-mixed 64-bit generator. Not for cryptography.
@frozen
public struct SplitMix64: RandomNumberGenerator {
    /// The generator's whole state: a Weyl sequence advanced by a fixed odd constant.
    public var state: UInt64 { weyl }
    @usableFromInline var weyl: UInt64

    /// Creates a generator whose sequence is determined by `seed`.
    @inlinable
    public init(seed: UInt64) { weyl = seed }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        weyl &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(weyl)
    }

    /// A uniform double in [0, 1) built from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A value in 0..<n (n > 0), by multiply-shift (Lemire's, without the rejection step: its bias of at
    /// most n/2^64 is far below what any workload here can see).
    @inlinable @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: (UInt128(next()) &* UInt128(n)) >> 64)
    }

    /// SplitMix64's finaliser: a bijective avalanche of 64 bits.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) that depends only on `seed`, `stream` and `index` (stateless, so values can
    /// be drawn in any order).
    public static func unit(seed: UInt64, stream: UInt64, index: Int) -> Double {
        let key = mix(seed &+ 0x9E37_79B9_7F4A_7C15) ^ mix(stream &* 0xD6E8_FEB8_6659_FD93 &+ 1)
        let bits = mix(key &+ UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15)
        return Double(bits >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}
