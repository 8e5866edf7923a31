@testable import ConcurrentGC
import XCTest

final class MMUTests: XCTestCase {
    /// A 100 ms run with pauses of 10 ms at 20 ms and 5 ms at 60 ms, computed by hand.
    func testHandComputedCases() {
        let u = MutatorUtilization(intervals: [GCInterval(start: 20_000_000, end: 30_000_000),
                                               GCInterval(start: 60_000_000, end: 65_000_000)],
                                   runStart: 0, runEnd: 100_000_000)
        XCTAssertEqual(u.mmu(window: 10_000_000), 0, accuracy: 1e-12)         // a window inside the long pause
        XCTAssertEqual(u.mmu(window: 20_000_000), 0.5, accuracy: 1e-12)       // 10 ms of 20 ms
        XCTAssertEqual(u.mmu(window: 5_000_000), 0, accuracy: 1e-12)
        XCTAssertEqual(u.mmu(window: 50_000_000), 1 - 15.0 / 50, accuracy: 1e-12)  // both pauses fit (20..70 ms)
        XCTAssertEqual(u.mmu(window: 40_000_000), 1 - 10.0 / 40, accuracy: 1e-12)  // 25..65 holds 5 + 5 = 10 ms
        XCTAssertEqual(u.mmu(window: 100_000_000), 0.85, accuracy: 1e-12)
        XCTAssertEqual(u.overall, 0.85, accuracy: 1e-12)
    }

    func testBMUIsMonotoneAndZeroUpToTheLongestPause() {
        var pauses: [GCInterval] = []
        for i in 0..<50 {
            let start = UInt64(i) * 7_000_000
            let length = UInt64(100_000 + (i % 7) * 300_000)
            pauses.append(GCInterval(start: start, end: start + length))
        }
        let u = MutatorUtilization(intervals: pauses, runStart: 0, runEnd: 360_000_000)
        let curve = u.curve(windows: MutatorUtilization.standardWindows(runLength: 360_000_000))
        for (a, b) in zip(curve, curve.dropFirst()) { XCTAssertLessThanOrEqual(a.bmu, b.bmu + 1e-12) }
        for point in curve { XCTAssertLessThanOrEqual(point.bmu, point.mmu + 1e-12) }
        let longest: UInt64 = 100_000 + 6 * 300_000
        for point in curve where point.window <= longest { XCTAssertEqual(point.bmu, 0, accuracy: 1e-12) }
        XCTAssertEqual(curve.last!.mmu, u.overall, accuracy: 1e-12)
    }

    /// A concurrent phase that takes a quarter of the machine lowers the MMU by a quarter inside it.
    func testWeightedIntervals() {
        let u = MutatorUtilization(intervals: [GCInterval(start: 10_000_000, end: 50_000_000, weight: 0.25)],
                                   runStart: 0, runEnd: 100_000_000)
        XCTAssertEqual(u.mmu(window: 20_000_000), 0.75, accuracy: 1e-12)
        XCTAssertEqual(u.overall, 0.9, accuracy: 1e-12)
    }

    /// The brute force agrees with the boundary-candidate method on random pause lists.
    func testAgreesWithBruteForce() {
        var rng: UInt64 = 99
        func next(_ n: UInt64) -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return (rng >> 33) % n }
        for _ in 0..<20 {
            var t: UInt64 = 0, intervals: [GCInterval] = []
            for _ in 0..<10 { t += next(20) + 1; let d = next(10) + 1; intervals.append(GCInterval(start: t, end: t + d)); t += d }
            let end = t + next(20)
            let u = MutatorUtilization(intervals: intervals, runStart: 0, runEnd: end)
            for w in stride(from: UInt64(1), through: end, by: 3) {
                var worst = 0.0
                for s in 0...(end - w) { worst = max(worst, u.gcTime(s, s + w)) }
                XCTAssertEqual(u.mmu(window: w), 1 - worst / Double(w), accuracy: 1e-9)
            }
        }
    }
}
