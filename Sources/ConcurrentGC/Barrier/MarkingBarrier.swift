// The marking barriers: what a reference store does while a collector marks concurrently or
// incrementally (golang/proposal design 17503; the GC Handbook, ch. 15). Every store a workload makes goes
// through `Mutator.store` (and `setGlobal`): with the barrier off its fast path is one relaxed load of the
// heap's barrier flag and a predictable branch; with it on, the plan's slow path (installed in the mutator
// context) runs one of the store sequences below with the plan's way of greying objects.
//
//   barrier   invariant                 store sequence                               allocation  termination
//   dijkstra  strong (no black->white)  shade(new); store                            white       re-scan roots
//   yuasa     weak (snapshot)           old = exchange(new); shade(old)              black       no re-scan
//   hybrid    weak                      old = exchange(new); shade(old);             black       no re-scan
//                                       if my roots are grey: shade(new)
//   steele    strong                    store; if the source is black and the new    white       re-scan roots
//                                       target white: re-grey the source
//   none      none (loses objects)      store                                        black       no re-scan
//
// Each sequence lives in one file (DijkstraBarrier.swift, ...) and is written once, generic over
// `MarkingShading`: the plan's notion of greying (a mark bit and a shade buffer for the mark-region plans,
// a ring's GREY segment for the treadmill). Yuasa and hybrid read the old value with an atomic exchange,
// so two threads storing to one slot at once cannot both miss the value between them.
//
// Adding a marking barrier: a file with its `BarrierKind` and its `MarkingBarrierSequence`, one line in
// `BarrierKind.allCases` and one in `markingStore` below (the registry), and the plans that accept it in
// their traits. A barrier of another family (a generational plan's remembered-set barrier) needs none of
// this: its plan installs its own slow path.

import Synchronization

/// A write barrier a plan can run: its name and the properties the plans and the command line read.
public struct BarrierKind: Hashable, Sendable, CustomStringConvertible {
    /// The name on the command line.
    public let name: String
    /// Other names accepted on the command line.
    public let aliases: [String]
    /// One line for `gclab list`.
    public let summary: String
    /// The invariant the barrier keeps (documentation and `gclab list`).
    public let invariant: String
    /// Whether objects allocated during marking are black (marked, never scanned) rather than white.
    public let allocatesBlack: Bool
    /// Whether marking must look at every root again, world stopped, before it can end (the insertion
    /// barriers: a stack is never barriered, so a white object held only there is found only then).
    public let rescansRoots: Bool
    /// Whether the snapshot is only safe when every stack is taken before any mutator runs the barrier:
    /// with roots taken one thread at a time, a thread whose stack is not yet scanned can move a white
    /// reference into a black object and drop it, and no deletion is ever seen (Yuasa).
    public let needsEveryRootAtMarkStart: Bool
    /// The barrier loses objects by design (an ablation: needs --unsafe).
    public let losesObjects: Bool
    /// Index in the registry's dispatch (`markingStore`).
    @usableFromInline let id: UInt8

    init(name: String, aliases: [String] = [], id: UInt8, summary: String, invariant: String, allocatesBlack: Bool,
         rescansRoots: Bool, needsEveryRootAtMarkStart: Bool = false, losesObjects: Bool = false) {
        self.name = name
        self.aliases = aliases
        self.id = id
        self.summary = summary
        self.invariant = invariant
        self.allocatesBlack = allocatesBlack
        self.rescansRoots = rescansRoots
        self.needsEveryRootAtMarkStart = needsEveryRootAtMarkStart
        self.losesObjects = losesObjects
    }

    /// The barrier called `name` (or one of its aliases), if any.
    public init?(name: String) {
        guard let b = BarrierKind.allCases.first(where: { $0.name == name || $0.aliases.contains(name) }) else { return nil }
        self = b
    }

    public static func == (a: BarrierKind, b: BarrierKind) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
    public var description: String { name }
}

/// How a plan greys objects for the marking barriers.
protocol MarkingShading {
    /// Greys `raw` if it is a white object; 0 (null) is ignored.
    mutating func shade(_ raw: UInt32)
    /// Steele's re-grey, called after the store: if `source` is black and `value` white, `source` goes
    /// back to grey to be scanned again. The plan supplies whatever ordering its marker needs between the
    /// store and this read of the colours.
    mutating func regreyIfStoringWhite(source: UInt32, value: UInt32)
    /// Whether this thread's roots are still grey (not yet scanned this cycle): the hybrid barrier then
    /// shades the new value too.
    var stackIsGrey: Bool { get }
}

/// One marking barrier's store sequence, generic over the plan's shading.
protocol MarkingBarrierSequence {
    /// Stores `value` into `slot` (a field of `source`, or a global root when `source` is 0).
    static func store<S: MarkingShading>(_ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                         _ shading: inout S)
}

extension BarrierKind {
    /// Every marking barrier, in the order `gclab list` shows them.
    public static let allCases: [BarrierKind] = [.dijkstra, .yuasa, .hybrid, .steele, .none]
}

/// Runs the store sequence of the marking barrier with id `barrier` (`BarrierKind.id`) with `shading`: the
/// plans' slow paths call this, with the id they keep in their per-mutator state (an integer, so that
/// nothing is copied or reference counted on the way).
@inline(__always)
func markingStore<S: MarkingShading>(barrier: UInt8, _ slot: UnsafeMutablePointer<Atomic<UInt32>>, source: UInt32, value: UInt32,
                                     _ shading: inout S) {
    switch barrier {
    case DijkstraBarrier.id: DijkstraBarrier.store(slot, source: source, value: value, &shading)
    case YuasaBarrier.id: YuasaBarrier.store(slot, source: source, value: value, &shading)
    case HybridBarrier.id: HybridBarrier.store(slot, source: source, value: value, &shading)
    case SteeleBarrier.id: SteeleBarrier.store(slot, source: source, value: value, &shading)
    default: NoBarrier.store(slot, source: source, value: value, &shading)
    }
}
