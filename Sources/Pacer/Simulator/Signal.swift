// Per-cycle input signals for simulated programs (allocation rate, scan rate, heap growth, ...).
//
// These mirror the composable float64 streams of Go's TestGcPacer (constant, ramp, unit, oscillate,
// random, delay, sum, and a series of recorded values), but as pure functions of the cycle index: `value(at: i)` is what Go's stream returns
// on its (i+1)-th call. Random signals draw from SplitMix64 keyed by (seed, stream, cycle), so they are
// reproducible and independent of evaluation order.

import Foundation

/// A per-cycle input to a simulated program.
public indirect enum Signal: Equatable, Sendable {
    /// Always `c`.
    case constant(Double)
    /// Rises linearly from 0 to `height` over `length` cycles, then stays at `height`.
    case ramp(height: Double, length: Int)
    /// `amplitude` at cycle 0, then 0 (a Kronecker delta).
    case unit(Double)
    /// amplitude·sin(2π·(i mod period)/period + phase).
    case oscillate(amplitude: Double, phase: Double, period: Int)
    /// Uniform in [−amplitude, amplitude], independent per cycle; `stream` distinguishes signals.
    case random(amplitude: Double, stream: UInt64)
    /// 0 for the first `cycles` cycles, then the wrapped signal starting from its own cycle 0.
    case delayed(Signal, cycles: Int)
    /// The sum of the signals.
    case sum([Signal])
    /// Given values, one per cycle from cycle 0; the last value holds after them (0 if there are none).
    /// What `pacer-sim --from-run` reconstructs a real run's signals as.
    case series([Double])

    /// The value at cycle `i` (0-based) for run seed `seed`.
    public func value(at i: Int, seed: UInt64) -> Double {
        switch self {
        case .constant(let c):
            return c
        case .ramp(let height, let length):
            guard length > 0 else { return height }
            return height * Double(min(i, length)) / Double(length)
        case .unit(let amplitude):
            return i == 0 ? amplitude : 0
        case .oscillate(let amplitude, let phase, let period):
            guard period > 0 else { return 0 }
            let p = Double(i % period) / Double(period) * 2 * Double.pi + phase
            return amplitude * sin(p)
        case .random(let amplitude, let stream):
            return (SplitMix64.unit(seed: seed, stream: stream, index: i) - 0.5) * 2 * amplitude
        case .delayed(let signal, let cycles):
            return i < cycles ? 0 : signal.value(at: i - cycles, seed: seed)
        case .sum(let signals):
            return signals.reduce(0) { $0 + $1.value(at: i, seed: seed) }
        case .series(let values):
            return values.isEmpty ? 0 : values[min(max(i, 0), values.count - 1)]
        }
    }

    /// This signal delayed by `cycles`.
    public func delayed(by cycles: Int) -> Signal { .delayed(self, cycles: cycles) }

    /// This signal plus a constant.
    public func offset(by amount: Double) -> Signal { self + .constant(amount) }

    /// The sum of two signals.
    public static func + (lhs: Signal, rhs: Signal) -> Signal {
        switch (lhs, rhs) {
        case (.sum(let a), .sum(let b)): return .sum(a + b)
        case (.sum(let a), _): return .sum(a + [rhs])
        case (_, .sum(let b)): return .sum([lhs] + b)
        default: return .sum([lhs, rhs])
        }
    }
}
