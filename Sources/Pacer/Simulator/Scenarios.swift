// The scenario catalogue. Most follow a case of Go's TestGcPacer (runtime/mgcpacer_test.go) with the same
// rates and signals, and carry Go's bounds for the redesigned pacer (go118/go121), checked on every cycle
// of the window as Go does. Go runs some cases for 50 cycles; gclab runs 100 by default and applies the
// same bounds to the longer tail. Bounds gclab adds are marked fromGo: false with their rationale.

extension Scenario {
    /// Every scenario, in `--list` order.
    public static let all: [Scenario] = [
        steady, stepAlloc, heavyStepAlloc, stepScannable, jitter, heavyJitter, oscillating, highGOGC,
        bigRoots, bigGlobals, growingHeap, memoryLimitSteady, memoryLimitExceeded, memoryLimitGOGCOff,
    ]

    /// The scenario called `name`, if any.
    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    /// Names of all scenarios.
    public static var names: [String] { all.map(\.name) }

    private static let settledU: ClosedRange<Double> = 0.245...0.255
    private static let goalBand: ClosedRange<Double> = 0.95...1.05
    private static let allPacers = Set(PacerKind.allCases)
    /// The pacers whose goal comes from GOGC: MemBalancer's goal is its own (live + E), capped by the
    /// limit but not pushed up to it, and GOGC off means nothing to it.
    private static let gogcGoalPacers = allPacers.subtracting([.membalancer])

    /// Go's "settled" checks over a window: stable utilization and peak within 5 % of the goal.
    private static func settledChecks(_ window: ClosedRange<Int>, atTarget: Bool) -> [Bound] {
        var checks = [
            Bound(.utilizationChange, cycles: window, 0...0.005, note: "utilization settled"),
            Bound(.peakOverGoal, cycles: window, goalBand, note: "finishes at the goal"),
        ]
        if atTarget {
            checks.append(Bound(.utilization, cycles: window, settledU, note: "utilization at u_g"))
        }
        return checks
    }

    /// Go's Steady: growth to a ~20 MiB heap, then constant heap, allocation 33 and scan 1024 KiB/CPU-ms.
    public static var steady: Scenario {
        var s = Scenario(name: "steady", summary: "8 cores, alloc 33 / scan 1024 KiB per CPU-ms, heap grows to ~20 MiB then holds",
                         goTestName: "Steady")
        s.bounds = settledChecks(25...1_000_000, atTarget: true)
        return s
    }

    /// Go's StepAlloc: allocation rate 33 → 99 at cycle 52.
    public static var stepAlloc: Scenario {
        var s = Scenario(name: "step-alloc", summary: "as steady, allocation rate steps 33 -> 99 at cycle 52", goTestName: "StepAlloc")
        s.allocRate = .constant(33) + Signal.ramp(height: 66, length: 1).delayed(by: 50)
        s.disturbanceCycle = 52
        s.bounds = settledChecks(25...49, atTarget: false) + settledChecks(75...1_000_000, atTarget: false)
        s.bounds.append(Bound(.utilization, cycles: 25...49, settledU, fromGo: false,
                              note: "cons/mark 0.03: the runway fits, so assists are not needed"))
        s.bounds.append(Bound(.utilization, cycles: 75...1_000_000, settledU, fromGo: false,
                              note: "cons/mark 0.1: runway 0.29 of the scan work still fits above trigger-min"))
        return s
    }

    /// Go's HeavyStepAlloc: allocation rate 33 → 363 at cycle 52.
    public static var heavyStepAlloc: Scenario {
        var s = Scenario(name: "heavy-step-alloc", summary: "as steady, allocation rate steps 33 -> 363 at cycle 52",
                         goTestName: "HeavyStepAlloc")
        s.allocRate = .constant(33) + Signal.ramp(height: 330, length: 1).delayed(by: 50)
        s.disturbanceCycle = 52
        s.bounds = settledChecks(25...49, atTarget: false) + settledChecks(75...1_000_000, atTarget: false)
        s.bounds.append(Bound(.utilization, cycles: 25...49, settledU, fromGo: false, note: "before the step, as steady"))
        // After the step u_g is out of reach: cons/mark 0.35 needs a runway of 0.35·3 ≈ 1.06× the scan work,
        // but trigger-min caps it at 0.3·(goal − marked), so assists make up the rest. With scan work
        // S ≈ 0.7·marked the assist ratio is a ≈ 0.7/0.3 ≈ 2.33 and u = a·alloc/(a·alloc + scan) ≈ 0.45.
        s.bounds.append(Bound(.utilization, cycles: 75...1_000_000, 0.40...0.50, fromGo: false,
                              note: "trigger-min forces assists: u ~ 0.45 is the physics, not a pacer failure"))
        return s
    }

    /// Go's StepScannableFrac: scannable fraction 0.2 with a one-cycle spike to 0.7 at cycle 51.
    public static var stepScannable: Scenario {
        var s = Scenario(name: "step-scannable", summary: "alloc 128, scannable fraction 0.2 with a one-cycle spike to 0.7 at cycle 51",
                         goTestName: "StepScannableFrac")
        s.allocRate = .constant(128)
        s.scannableFraction = .constant(0.2) + Signal.unit(0.5).delayed(by: 50)
        s.disturbanceCycle = 51
        s.bounds = settledChecks(25...49, atTarget: false) + settledChecks(75...1_000_000, atTarget: false)
        return s
    }

    /// Go's JitterAlloc: allocation rate 132 ± 13 and heap growth ± 1 % at random every cycle.
    public static var jitter: Scenario {
        var s = Scenario(name: "jitter", summary: "alloc 132 +- 13 and live heap +- 1% at random each cycle", goTestName: "JitterAlloc")
        s.allocRate = Signal.random(amplitude: 13, stream: 0xF).offset(by: 132)
        s.growthRate = .constant(2) + .ramp(height: -1, length: 12) + .random(amplitude: 0.01, stream: 0xE)
        s.bounds = [
            Bound(.peakOverGoal, cycles: 13...1_000_000, goalBand, note: "keeps up with the goal"),
            Bound(.utilization, cycles: 13...1_000_000, 0.25...0.30, note: "little assist under noise"),
        ]
        return s
    }

    /// Go's HeavyJitterAlloc: allocation rate 330 ± 33.
    public static var heavyJitter: Scenario {
        var s = Scenario(name: "heavy-jitter", summary: "alloc 330 +- 33 and live heap +- 1% at random each cycle",
                         goTestName: "HeavyJitterAlloc")
        s.allocRate = Signal.random(amplitude: 33, stream: 0x152_0).offset(by: 330)
        s.growthRate = .constant(2) + .ramp(height: -1, length: 12) + .random(amplitude: 0.01, stream: 0x152)
        s.bounds = [
            Bound(.peakOverGoal, cycles: 14...1_000_000, goalBand, note: "keeps up with the goal"),
            Bound(.utilizationChange, cycles: 14...1_000_000, 0...0.05, note: "utilization varies, but not wildly"),
            Bound(.utilizationChangeFrom(cycle: 12), cycles: 14...1_000_000, 0...0.05, note: "stays near cycle 12's"),
        ]
        return s
    }

    /// Go's OscAlloc: allocation rate 67 ± 13, sinusoidal with an 8-cycle period.
    public static var oscillating: Scenario {
        var s = Scenario(name: "oscillating", summary: "alloc 67 +- 13 oscillating with an 8-cycle period", goTestName: "OscAlloc")
        s.allocRate = Signal.oscillate(amplitude: 13, phase: 0, period: 8).offset(by: 67)
        s.bounds = [
            Bound(.peakOverGoal, cycles: 13...1_000_000, goalBand, note: "keeps up with the goal"),
            Bound(.utilization, cycles: 13...1_000_000, 0.25...0.30, note: "little assist under oscillation"),
        ]
        return s
    }

    /// Go's HighGOGC: GOGC 1500, alloc 165 ± 7, and a 15× live-heap jump at cycle 26.
    public static var highGOGC: Scenario {
        var s = Scenario(name: "high-gogc", summary: "GOGC 1500, alloc 165 +- 7, live heap jumps 15x at cycle 26", goTestName: "HighGOGC")
        s.gogc = 1500
        s.allocRate = Signal.random(amplitude: 7, stream: 0x53).offset(by: 165)
        s.growthRate = .constant(2) + .ramp(height: -1, length: 12) + .random(amplitude: 0.01, stream: 0x1)
            + Signal.unit(14).delayed(by: 25)
        s.disturbanceCycle = 26
        s.bounds = [
            Bound(.peakOverGoal, cycles: 13...25, 0.90...1.05, note: "high GOGC forces some undershoot"),
            Bound(.peakOverGoal, cycles: 26...26, 0.90...15, note: "the jump may overshoot, but by less than GOGC"),
            Bound(.peakOverGoal, cycles: 27...1_000_000, 0.90...1.05, note: "high GOGC forces some undershoot"),
            Bound(.utilization, cycles: 13...1_000_000, -0.03...0.53, note: "Go: |u − 0.25| ≤ 0.25 + 0.03"),
            Bound(.utilizationChange, cycles: 13...1_000_000, 0...0.03, note: "utilization insensitive to the jump"),
        ]
        return s
    }

    /// Go's SteadyBigStacks: stacks ramp to 128 MiB, dwarfing the heap; alloc 132.
    public static var bigRoots: Scenario {
        var s = Scenario(name: "big-roots", summary: "alloc 132, stacks ramp to 128 MiB over 8 cycles (roots >> heap)",
                         goTestName: "SteadyBigStacks")
        s.allocRate = .constant(132)
        s.stackBytes = .constant(2048) + .ramp(height: Double(128 << 20), length: 8)
        s.bounds = settledChecks(25...1_000_000, atTarget: true)
        return s
    }

    /// Go's SteadyBigGlobals: 128 MiB of globals; alloc 132.
    public static var bigGlobals: Scenario {
        var s = Scenario(name: "big-globals", summary: "alloc 132, 128 MiB of globals (roots >> heap)", goTestName: "SteadyBigGlobals")
        s.allocRate = .constant(132)
        s.globalsBytes = 128 << 20
        s.bounds = settledChecks(25...1_000_000, atTarget: true)
        return s
    }

    /// gclab's: after settling, the live heap keeps growing 2 % per cycle, so every cycle scans more than
    /// expected and assists must extrapolate the goal.
    public static var growingHeap: Scenario {
        var s = Scenario(name: "growing-heap", summary: "alloc 66; after cycle 25 the live heap grows 2% every cycle")
        s.allocRate = .constant(66)
        s.growthRate = .constant(2) + .ramp(height: -1, length: 12) + Signal.constant(0.02).delayed(by: 25)
        s.disturbanceCycle = 26
        s.bounds = [
            // Each cycle's scan work is ~2 % over the estimate. Extrapolation stretches the goal in proportion
            // to the worst-case work, so the peak may pass the nominal goal, but only by a few percent; the
            // trigger learns the growth through cons/mark, so utilization stays near u_g.
            Bound(.peakOverGoal, cycles: 30...1_000_000, 0.95...1.10, fromGo: false,
                  note: "extrapolated goal: small overshoot of the nominal goal"),
            Bound(.utilization, cycles: 30...1_000_000, 0.245...0.30, fromGo: false,
                  note: "assists only absorb the 2% surprise"),
        ]
        return s
    }

    /// Go's MaintainMemoryLimit: the heap would grow past a 512 MiB limit under GOGC=100; the limit sets the
    /// goal and the pacer must still finish at it with u = u_g.
    public static var memoryLimitSteady: Scenario {
        var s = Scenario(name: "memory-limit-steady",
                         summary: "512 MiB limit; live heap ~350 MiB so the limit, not GOGC, sets the goal",
                         goTestName: "MaintainMemoryLimit")
        s.memoryLimit = 512 << 20
        s.growthRate = .constant(3) + .ramp(height: -2, length: 12)
        s.bounds = [Bound(.goalOverMemoryLimitGoal, cycles: 13...1_000_000, 1...1, pacers: gogcGoalPacers,
                          note: "goal = limit − headroom")]
            + settledChecks(25...1_000_000, atTarget: true)
        return s
    }

    /// Go's ExceedMemoryLimit: the live heap (~1.1 GiB) exceeds a 512 MiB limit.
    public static var memoryLimitExceeded: Scenario {
        var s = Scenario(name: "memory-limit-exceeded",
                         summary: "512 MiB limit below a ~1.1 GiB live heap: goal = live heap, GC CPU capped by the limiter",
                         goTestName: "ExceedMemoryLimit")
        s.memoryLimit = 512 << 20
        s.growthRate = .constant(3.5) + .ramp(height: -2.5, length: 12)
        s.bounds = [
            Bound(.goalOverMarked, cycles: 13...1_000_000, 1...1, pacers: allPacers,
                  note: "goal pushed down to the live heap"),
            // Go's test asserts u -> 1.0 because its harness has no limiter ("not the pacer's job"); with the
            // limiter on, the leaky bucket holds the GC's share of CPU time near 50 % once it has filled.
            // Per cycle the share swings (a cycle may run at 100 % while the bucket has room), so the bound
            // is on a 10-cycle time-weighted window (~2.8 s, ~22 CPU-s). The bucket alone guarantees only
            // share ≤ 0.5 + capacity/(2·window) ≈ 0.68; the pacer always wants more than 50 % here, so the
            // bucket stays near full and the share stays within a few percent of 0.5.
            Bound(.gcCPUFraction(window: 10), cycles: 30...1_000_000, 0.45...0.55, pacers: allPacers, fromGo: false,
                  note: "GC CPU limiter caps the GC's CPU share near 50%"),
        ]
        return s
    }

    /// Go's MaintainMemoryLimitNoGCPercent: GOGC off, only the 512 MiB limit paces.
    public static var memoryLimitGOGCOff: Scenario {
        var s = Scenario(name: "memory-limit-gogc-off", summary: "GOGC off, 512 MiB limit: the limit alone sets the goal",
                         goTestName: "MaintainMemoryLimitNoGCPercent")
        s.gogc = -1
        s.memoryLimit = 512 << 20
        s.growthRate = .constant(3) + .ramp(height: -2, length: 12)
        s.bounds = [Bound(.goalOverMemoryLimitGoal, cycles: 1...1_000_000, 1...1, pacers: gogcGoalPacers,
                          note: "goal = limit − headroom from the first cycle")]
            + settledChecks(25...1_000_000, atTarget: true)
        return s
    }
}
