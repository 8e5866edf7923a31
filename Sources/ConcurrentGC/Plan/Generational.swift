// What the generational plans (sticky, gencopy) share: their options, their pause kinds and cycle
// columns, the rule that picks a minor or a major collection, and the frame of their collections.
//
// The rule (docs/GENERATIONAL.md). After every collection the next one starts when a nursery's worth of
// bytes (`--nursery`, at most a quarter of `--heap-max`) has been allocated: the trigger is the heap in
// use after it (the old generation, M) plus the nursery (N). That collection is a major one when
//   - it was asked for (an explicit collection, or no memory left), or
//   - the old generation has outgrown the major trigger: M + N > T, where after every major collection
//     T = max(GOGC percent over its live heap L, L + 2N), the stw plan's trigger, but at least two
//     nurseries above L, so that a small old generation does not turn every collection into a major, or
//   - a minor collection might not fit: M + 2N > --heap-max (a nursery of survivors and one of allocation).
// Otherwise it is a minor collection: the roots and the remembered set (Plan/RememberedSet.swift) are
// traced, young objects only; survivors become old. Large objects are born old (they are neither copied
// nor aged), so only a major collection frees them.

import Synchronization

/// The options both generational plans take.
public enum GenerationalOptions {
    /// `--nursery SIZE`: bytes allocated between collections (a copying nursery's size).
    public static let nursery = PlanOption(
        name: "nursery", domain: .size((64 << 10)...(1 << 40)), defaultValue: .integer(4 << 20),
        summary: "bytes allocated between minor collections (the nursery), at most a quarter of --heap-max", matrixAliases: ["nurseries"])
    /// `--remset card|object|none`: the remembered-set barrier.
    public static let remset = PlanOption(
        name: "remset", domain: .choice(["card", "object", "none"]), defaultValue: .choice("card"),
        summary: "remembered-set barrier: card (card marking), object (log an old object at its first store), none (unsafe)",
        matrixAliases: ["remsets"])
    /// `--card-bytes N`: bytes per card under card marking.
    public static let cardBytes = PlanOption(
        name: "card-bytes", domain: .integer(128...4096), defaultValue: .integer(512),
        summary: "bytes per card for --remset card (a power of two, 128 to 4096)", matrixAliases: ["card-sizes"])

    /// The options, for a plan's traits.
    static var all: [PlanOption] { [nursery, remset, cardBytes] }

    /// The refusals both plans share.
    static func refusal(_ c: HeapConfiguration) -> String? {
        let card = c.integer(cardBytes)
        if card & (card - 1) != 0 { return "--card-bytes \(card) is not a power of two" }
        return nil
    }

    /// `--remset none` loses objects.
    static func unsafeReason(_ c: HeapConfiguration) -> String? {
        c.choice(remset) == "none" ? "--remset none records no old-to-young reference: minor collections free live objects" : nil
    }

    /// The traits both plans share; each adds its own.
    static var traits: PlanTraits {
        var t = PlanTraits()
        t.pacerNote = "minor collections come every --nursery bytes and majors at the GOGC trigger (docs/GENERATIONAL.md)"
        t.options = all
        t.pauseKinds = [.minor, .major]
        t.cycleColumns = cycleColumns
        t.refusal = { GenerationalOptions.refusal($0) }
        t.hasUnsafeOption = true
        t.unsafeReason = { GenerationalOptions.unsafeReason($0) }
        return t
    }

    /// The cycles.csv columns of both plans.
    static let cycleColumns = ["generation", "nursery_allocated_bytes", "survived_bytes", "survival_rate", "promoted_bytes",
                               "mature_bytes", "remset", "remset_entries", "remset_objects", "remset_scan_ns"]
}

extension PauseKind {
    /// A minor (nursery) collection of a generational plan: roots and remembered set, young objects only.
    public static let minor = PauseKind(name: "minor", role: .cycleEnd)
    /// A major (full) collection of a generational plan.
    public static let major = PauseKind(name: "major", role: .cycleEnd)
}

extension HeapConfiguration {
    /// The nursery in bytes: `--nursery`, at most a quarter of the heap (and two blocks at least).
    var nurseryBytes: Int { max(2 * HeapGeometry.blockBytes, min(integer(GenerationalOptions.nursery), heapMaxBytes / 4)) }
    /// The remembered-set barrier (`--remset`).
    var rememberedSetMode: RememberedSetMode { RememberedSetMode(name: choice(GenerationalOptions.remset)) ?? .card }
    /// Bytes per card (`--card-bytes`).
    var cardBytes: Int { integer(GenerationalOptions.cardBytes) }
}

/// Which collection the rule picked.
enum Generation: String {
    case minor, major
}

/// The rule (see the top of the file) and what it remembers between collections. Read and written with
/// the world stopped only.
struct GenerationSchedule {
    let nurseryBytes: Int
    let heapMaxBytes: Int
    /// The old generation may grow to this before a major collection (T).
    private(set) var majorTrigger: Int
    /// The heap in use after the last collection: the old generation (M).
    private(set) var matureBytes = 0
    /// Bytes allocated (the heap's counter) when the last collection ended.
    private(set) var allocatedAtLastEnd = 0

    init(_ c: HeapConfiguration) {
        nurseryBytes = c.nurseryBytes
        heapMaxBytes = c.heapMaxBytes
        majorTrigger = max(c.minimumTriggerBytes, 2 * nurseryBytes)
    }

    /// Which collection runs now (`forced`: explicit, or memory ran out).
    func pick(forced: Bool) -> Generation {
        if forced || matureBytes + nurseryBytes > majorTrigger || matureBytes + 2 * nurseryBytes > heapMaxBytes { return .major }
        return .minor
    }

    /// A minor collection might not fit (the third case of the rule).
    var nearLimit: Bool { matureBytes + 2 * nurseryBytes > heapMaxBytes }

    /// Bytes allocated since the last collection ended (`allocated`: the heap's counter now).
    func allocatedSince(_ allocated: Int) -> Int { max(0, allocated - allocatedAtLastEnd) }

    /// A collection ended with `mature` bytes of old objects (`live` the major's live heap, nil after a
    /// minor) and `young` bytes still in the nursery (a concurrent major ends with mutators' young objects
    /// in it), `allocated` the heap's counter; `gogcTrigger` the GOGC trigger over a live heap. Returns the
    /// next trigger: a nursery's allocation later.
    mutating func end(mature: Int, young: Int = 0, live: Int?, allocated: Int, gogcTrigger: (Int) -> Int) -> Int {
        matureBytes = mature
        allocatedAtLastEnd = allocated
        if let live { majorTrigger = max(gogcTrigger(live), live + 2 * nurseryBytes) }
        return mature + young + nurseryBytes
    }
}

/// What a generational plan's collection did: the collection it ran (a plan with a concurrent major may
/// run a minor where the rule asked for a major: the major then runs while mutators do), the old
/// generation after it, the live heap a major found, the bytes left in the nursery.
struct GenerationOutcome {
    var generation: Generation
    var mature: Int
    var live: Int?
    var young = 0
}

/// A generational plan's collector: collections in one pause, minor or major by the rule.
protocol GenerationalCollector: Collector {
    var heap: Heap { get }
    var kind: CollectorKind { get }
    var remset: RememberedSet { get }
    var generations: GenerationState { get }
    /// Runs the collection the rule picked (`forced`: explicit, or memory ran out), world stopped, buffers
    /// retired: fills the record (its columns included).
    func collect(_ generation: Generation, forced: Bool, _ record: inout CycleRecord) -> GenerationOutcome
}

/// What a generational plan keeps between collections: the schedule, read and written by whichever thread
/// runs a pause (world stopped), and the last major's cycle, which full-collection requests read.
final class GenerationState {
    /// Under the world stop.
    @exclusivity(unchecked) var schedule: GenerationSchedule
    /// The cycle number of the last major collection (full collection requests wait for one).
    let lastMajorCycle = Atomic<Int>(0)

    init(_ c: HeapConfiguration) { schedule = GenerationSchedule(c) }
}

extension GenerationalCollector {
    func triggered(requester: MutatorRecord, observedCycle: Int) {
        run(requester: requester, reason: .trigger, observedCycle: observedCycle)
    }

    /// A full collection is a major one: returns once a major collection has completed after `observedCycle`.
    func collectFully(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        while generations.lastMajorCycle.load(ordering: .acquiring) <= observedCycle {
            run(requester: requester, reason: reason, observedCycle: heap.completedCycles)
        }
    }

    func mutatorLeaving(_ ctx: UnsafeMutablePointer<MutatorContext>) {
        BumpAllocator.retire(ctx)
        remset.mutatorLeaving(ctx)
    }

    /// One collection, minor or major by the rule, in one pause.
    func run(requester: MutatorRecord?, reason: CycleReason, observedCycle: Int) {
        let state = generations
        heap.collectInOnePause(requester: requester, reason: reason, observedCycle: observedCycle, collector: kind) { record in
            let picked = state.schedule.pick(forced: reason.isForced)
            let allocated = heap.allocatedBytes
            record.planColumns["nursery_allocated_bytes"] = String(state.schedule.allocatedSince(allocated))
            record.planColumns["remset"] = heap.configuration.choice(GenerationalOptions.remset)
            let result = collect(picked, forced: reason.isForced, &record)
            record.planColumns["generation"] = result.generation.rawValue
            let trigger = state.schedule.end(mature: result.mature, young: result.young, live: result.live,
                                             allocated: heap.allocatedBytes, gogcTrigger: heap.gogcTrigger)
            record.planColumns["mature_bytes"] = String(result.mature)
            if result.generation == .major { state.lastMajorCycle.store(record.cycle, ordering: .releasing) }
            return OnePauseOutcome(live: result.live ?? result.mature, inUse: result.mature + result.young, nextTrigger: trigger,
                                   pauseKind: result.generation == .major ? .major : .minor)
        }
    }
}

extension CycleRecord {
    /// Fills the generational columns of a minor collection's survivors and remembered set.
    mutating func recordMinor(survived: Int, promoted: Int, allocatedSince: Int, drained: RememberedSet.Drained, scanNs: UInt64) {
        planColumns["survived_bytes"] = String(survived)
        planColumns["survival_rate"] = allocatedSince > 0 ? String(format4(Double(survived) / Double(allocatedSince))) : "0"
        planColumns["promoted_bytes"] = String(promoted)
        planColumns["remset_entries"] = String(drained.entries)
        planColumns["remset_objects"] = String(drained.objects)
        planColumns["remset_scan_ns"] = String(scanNs)
    }

    /// A major collection: no survivors of a nursery to count, no remembered set read.
    mutating func recordMajor() {
        for column in ["survived_bytes", "survival_rate", "promoted_bytes", "remset_entries", "remset_objects", "remset_scan_ns"] {
            planColumns[column] = "0"
        }
    }
}

/// A generational plan's major marking: the mark-region plans', and under object remembering every object
/// it marks is unlogged (old).
struct GenerationalMajorPolicy: MarkPolicy {
    var immix: ImmixMarkPolicy
    let unlogged: MarkBitmap?

    var epoch: UInt8 {
        get { immix.epoch }
        set { immix.epoch = newValue }
    }

    @inline(__always)
    func attempt(_ raw: UInt32) -> Bool {
        guard immix.attempt(raw) else { return false }
        unlogged?.set(raw)
        return true
    }

    @inline(__always)
    func scanning(_ raw: UInt32, offset: Int, bytes: Int) { immix.scanning(raw, offset: offset, bytes: bytes) }
}

/// `x` with four decimals, without Foundation.
private func format4(_ x: Double) -> String {
    let scaled = Int((x * 10_000).rounded())
    let frac = String(scaled % 10_000)
    return "\(scaled / 10_000)." + String(repeating: "0", count: 4 - frac.count) + frac
}
