// PI controller: hand-computed steps, clamping, back-calculation anti-windup, NaN/Inf reset.

import XCTest
@testable import Pacer

final class PIControllerTests: XCTestCase {
    func testProportionalAndIntegralStepsMatchHandComputation() {
        var pi = PIController(kp: 0.9, ti: 4, tt: 1000, min: -1000, max: 1000)
        // e = 2 − 0 = 2; raw = 0.9·2 + 0 = 1.8; integral += (0.9/4)·2 + (1/1000)·0 = 0.45.
        let (out1, ok1) = pi.next(input: 0, setpoint: 2, period: 1)
        XCTAssertTrue(ok1)
        XCTAssertEqual(out1, 1.8, accuracy: 1e-12)
        XCTAssertEqual(pi.integral, 0.45, accuracy: 1e-12)
        // e = 2 − 1.8 = 0.2; raw = 0.18 + 0.45 = 0.63; integral += 0.225·0.2 = 0.045 → 0.495.
        let (out2, _) = pi.next(input: out1, setpoint: 2, period: 1)
        XCTAssertEqual(out2, 0.63, accuracy: 1e-12)
        XCTAssertEqual(pi.integral, 0.495, accuracy: 1e-12)
    }

    func testUsedAsSmootherConvergesToConstantSetpoint() {
        // go118 feeds its own output back as the input: the output must converge to the setpoint.
        var pi = PIController(kp: 0.9, ti: 4, tt: 1000, min: -1000, max: 1000)
        var x = 0.0
        for n in 1...200 {
            x = pi.next(input: x, setpoint: 0.35, period: 1).output
            if n == 60 { XCTAssertEqual(x, 0.35, accuracy: 1e-4, "within 0.03 % after 60 cycles") }
        }
        XCTAssertEqual(x, 0.35, accuracy: 1e-9)
    }

    func testOutputIsClampedToBounds() {
        var pi = PIController(kp: 10, ti: 1, tt: 1, min: -1, max: 1)
        XCTAssertEqual(pi.next(input: 0, setpoint: 100, period: 1).output, 1)
        XCTAssertEqual(pi.next(input: 0, setpoint: -100, period: 1).output, -1)
    }

    func testBackCalculationAntiWindupMatchesFormula() {
        var pi = PIController(kp: 1, ti: 1, tt: 2, min: -1, max: 1)
        // e = 5: raw = 5, output = 1, integral += 1·5 + (1/2)·(1 − 5) = 5 − 2 = 3.
        _ = pi.next(input: 0, setpoint: 5, period: 1)
        XCTAssertEqual(pi.integral, 3, accuracy: 1e-12)
    }

    func testAntiWindupLimitsIntegralDuringSaturationAndSpeedsRecovery() {
        // Saturate for 20 steps, then reverse the error; with a short reset time the integral winds up
        // less and the output leaves saturation sooner than with a very long one.
        func stepsToRecover(tt: Double) -> (integralAtPeak: Double, steps: Int) {
            var pi = PIController(kp: 0.5, ti: 2, tt: tt, min: -1, max: 1)
            for _ in 0..<20 { _ = pi.next(input: 0, setpoint: 10, period: 1) }
            let peak = pi.integral
            var steps = 0
            while pi.next(input: 0, setpoint: -0.5, period: 1).output >= 1 && steps < 10_000 { steps += 1 }
            return (peak, steps)
        }
        let tight = stepsToRecover(tt: 1)
        let loose = stepsToRecover(tt: 1e9)
        XCTAssertLessThan(tight.integralAtPeak, loose.integralAtPeak)
        XCTAssertLessThan(tight.steps, loose.steps)
        // With tt = 1 the integral converges to where raw output just equals the clamp plus the error's pull:
        // i* solves i = i + (kp/ti)·e + (1 − (kp·e + i)) → i = 1 − kp·e + (kp/ti)·e = 1 − 5 + 2.5 = −1.5.
        XCTAssertEqual(tight.integralAtPeak, -1.5, accuracy: 1e-6)
    }

    func testZeroIntegralOrResetTimeDisablesIntegral() {
        var p = PIController(kp: 2, ti: 0, tt: 1000, min: -100, max: 100)
        XCTAssertEqual(p.next(input: 1, setpoint: 3, period: 1).output, 4)
        XCTAssertEqual(p.integral, 0)
        var q = PIController(kp: 2, ti: 4, tt: 0, min: -100, max: 100)
        _ = q.next(input: 1, setpoint: 3, period: 1)
        XCTAssertEqual(q.integral, 0)
    }

    func testNaNOrInfiniteInputResetsAndReportsFailure() {
        var pi = PIController(kp: 0.9, ti: 4, tt: 1000, min: -1000, max: 1000)
        _ = pi.next(input: 0, setpoint: 3, period: 1)
        XCTAssertNotEqual(pi.integral, 0)
        let (out, ok) = pi.next(input: 0, setpoint: .nan, period: 1)
        XCTAssertFalse(ok)
        XCTAssertEqual(out, -1000)
        XCTAssertEqual(pi.integral, 0)
        XCTAssertTrue(pi.inputOverflow)
        let (out2, ok2) = pi.next(input: .infinity, setpoint: 1, period: 1)
        XCTAssertFalse(ok2)
        XCTAssertEqual(out2, -1000)
        // It keeps working afterwards.
        let (out3, ok3) = pi.next(input: 0, setpoint: 1, period: 1)
        XCTAssertTrue(ok3)
        XCTAssertEqual(out3, 0.9, accuracy: 1e-12)
    }

    func testIntegralOverflowResets() {
        var pi = PIController(kp: 1, ti: 1e-300, tt: 1e300, min: -1e308, max: 1e308)
        let (_, ok) = pi.next(input: 0, setpoint: 1e10, period: 1)
        XCTAssertFalse(ok)
        XCTAssertTrue(pi.errorOverflow)
        XCTAssertEqual(pi.integral, 0)
    }
}
