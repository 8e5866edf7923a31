// The remembered-set barriers of the generational plans: what a reference store records so that a minor
// collection, which traces from the roots and the remembered set only, finds every old object that may
// point to a young one. Chosen at run time (`--remset`), as the marking barriers are; the fast path is
// inline in `Mutator.store`, beside the store, and costs the other plans one byte test.
//
//   card    card marking (Sobalvarro 1988; Hölzle 1993): the byte of the card that holds the source
//           object's header is set (read first, so that a card already dirty costs no write and no cache
//           line stolen from another core). No age test: one shift and one byte, the classic card barrier.
//           A minor collection scans the old objects whose headers lie in dirty cards, then cleans them.
//   object  object remembering (MMTk's ObjectBarrier; LXR's field logging, per object): an old object has
//           an "unlogged" bit; the first store into it clears the bit (an atomic and, so that of two
//           racing threads exactly one logs it) and appends it to this thread's log, out of line
//           (`rememberObjectSlow`). A minor collection scans the logged objects and sets their bits again.
//   none    nothing: unsafe, for ablation (`--unsafe --verify` counts what a minor collection then loses).
//
// A store of null is not remembered: it never makes an old object point to a young one. A minor collection
// runs with the world stopped, at a safepoint, so a store and its record are never separated by one.

import Synchronization

/// Which remembered-set barrier a mutator runs (`--remset`).
@usableFromInline
enum RememberedSetMode: UInt8 {
    case none, card, object

    /// The mode named on the command line (`card`, `object`, `none`).
    init?(name: String) {
        switch name {
        case "card": self = .card
        case "object": self = .object
        case "none": self = .none
        default: return nil
        }
    }
}

/// A mutator's remembered-set barrier state, installed by a generational plan (zero for the others).
@usableFromInline
struct RememberingBarrier {
    /// What `Mutator.store` records (`none`: nothing, the one byte every store tests).
    @usableFromInline var mode = RememberedSetMode.none
    /// Card marking: one byte per card of the reservation; a reference's card is `raw >> cardShift`.
    @usableFromInline var cards: UnsafeMutablePointer<Atomic<UInt8>>? = nil
    @usableFromInline var cardShift: UInt32 = 0
    /// Object remembering: one bit per granule, set while an old object is unlogged.
    @usableFromInline var unlogged: UnsafeMutablePointer<Atomic<UInt64>>? = nil
    /// Object remembering: the objects this thread logged since the last minor collection.
    var log = RawStack<UInt32>(capacity: 1)

    /// Bytes of large objects this thread allocated since the plan last took the count.
    var bornOldBytes = 0

    /// A large object of `bytes` is born old (generational plans never copy or age it): counted, and
    /// under object remembering unlogged before the mutator can store into it.
    mutating func noteBornOld(_ raw: UInt32, bytes: Int) {
        bornOldBytes &+= bytes
        guard mode == .object, let unlogged else { return }
        unlogged[Int(raw &>> 6)].bitwiseOr(1 &<< UInt64(raw & 63), ordering: .relaxed)
    }
}

extension Mutator {
    /// The remembered-set barrier for a store of a non-null reference into `source` (see the top of the file).
    @inlinable @inline(__always)
    func remember(_ source: ObjectRef) {
        let mode = ctx.pointee.remembering.mode
        if mode == .card {
            let card = ctx.pointee.remembering.cards.unsafelyUnwrapped
                + Int(truncatingIfNeeded: source.raw &>> ctx.pointee.remembering.cardShift)
            if card.pointee.load(ordering: .relaxed) == 0 { card.pointee.store(1, ordering: .relaxed) }
        } else if mode == .object {
            let word = ctx.pointee.remembering.unlogged.unsafelyUnwrapped + Int(truncatingIfNeeded: source.raw &>> 6)
            if _slowPath(word.pointee.load(ordering: .relaxed) & (1 &<< UInt64(source.raw & 63)) != 0) {
                rememberObjectSlow(source.raw)
            }
        }
    }

    /// Object remembering, the first store into an unlogged old object: clear its bit and, if this thread
    /// cleared it, log the object.
    @usableFromInline @inline(never)
    func rememberObjectSlow(_ raw: UInt32) {
        let bit: UInt64 = 1 &<< UInt64(raw & 63)
        let word = ctx.pointee.remembering.unlogged.unsafelyUnwrapped + Int(truncatingIfNeeded: raw &>> 6)
        if word.pointee.bitwiseAnd(~bit, ordering: .relaxed).oldValue & bit != 0 {
            ctx.pointee.remembering.log.push(raw)
        }
    }
}
