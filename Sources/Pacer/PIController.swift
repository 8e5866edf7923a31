// A discrete proportional-integral controller with clamped output and back-calculation anti-windup.
//
// Form (as in Go 1.18's runtime piController):
//     e        = setpoint − input
//     raw      = kp·e + integral
//     output   = clamp(raw, min, max)
//     integral += (kp·period/ti)·e + (period/tt)·(output − raw)
// The second integral term is back-calculation anti-windup: while the output is clamped, the integral is
// pulled back toward the value that would just produce the clamp, at a rate set by the reset time tt, so
// the integral does not keep growing during saturation and the controller recovers promptly.
// Invariant: the output is always within [min, max] and never NaN or infinite; if the arithmetic ever
// produces NaN/Inf (from the input or an overflowing integral) the integral is reset, an error flag is set,
// and `next` reports failure with output `min` so the caller can fall back.

/// A PI controller. A value type: copy it to snapshot its state.
public struct PIController: Equatable, Sendable {
    /// Proportional gain.
    public var kp: Double
    /// Integral time (same unit as `period`). 0 disables the integral term.
    public var ti: Double
    /// Anti-windup reset time (same unit as `period`). 0 disables the integral term, as in Go.
    public var tt: Double
    /// Lowest output.
    public var min: Double
    /// Highest output.
    public var max: Double

    /// The accumulated integral term.
    public private(set) var integral: Double = 0
    /// Set once an input made the output NaN or infinite.
    public private(set) var inputOverflow = false
    /// Set once the integral itself overflowed.
    public private(set) var errorOverflow = false

    /// Creates a controller with a zero integral.
    public init(kp: Double, ti: Double, tt: Double, min: Double, max: Double) {
        self.kp = kp
        self.ti = ti
        self.tt = tt
        self.min = min
        self.max = max
    }

    /// Feeds one sample. `input` is the controlled variable's current value, `setpoint` where it should be,
    /// `period` the time since the previous sample. Returns the new output and whether the step succeeded
    /// (false after a NaN/Inf reset, in which case the output is `min`).
    public mutating func next(input: Double, setpoint: Double, period: Double) -> (output: Double, ok: Bool) {
        let error = setpoint - input
        let raw = kp * error + integral
        if !raw.isFinite {
            reset()
            inputOverflow = true
            return (min, false)
        }
        let output = Swift.min(Swift.max(raw, min), max)
        if ti != 0 && tt != 0 {
            integral += (kp * period / ti) * error + (period / tt) * (output - raw)
            if !integral.isFinite {
                reset()
                errorOverflow = true
                return (min, false)
            }
        }
        return (output, true)
    }

    /// Clears the integral (the error flags are kept, as a record that a reset happened).
    public mutating func reset() { integral = 0 }
}
