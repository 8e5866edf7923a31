// Colours, scan steps and the flip of the treadmill space (the invariant is at the top of
// TreadmillSpace.swift). Every ring operation runs under its class's lock. Between two flips a cell only
// moves away from ecru, so a cell read as "not ecru" without the lock (`TreadmillSpace.isEcruHint`) needs no locking at
// all: most greying attempts (a child already reached, a barrier's old value already black) cost one load.

import Synchronization

extension TreadmillSpace {
    // MARK: Large-object space (grey set on the marker's stacks)

    /// Marks a reached object: its cell goes from ecru straight to BLACK. True when this call moved it
    /// (the caller then scans it); false when it was already reached.
    func markReached(_ raw: UInt32) -> Bool {
        let (c, cell) = locateReached(raw)
        guard isEcruHint(c, cell) else { return false }
        lock(c)
        let moved = classes[c].ring.blacken(cell)
        unlock(c)
        return moved
    }

    /// True when the object was reached in this cycle (it is grey or black).
    func isReached(_ raw: UInt32) -> Bool {
        let (c, cell) = locateReached(raw)
        lock(c)
        let colour = classes[c].ring.colour(of: cell)
        unlock(c)
        return colour == .grey || colour == .black
    }

    // MARK: The treadmill collector (Baker's grey segments)

    /// Greys an ecru object (a root, or a barrier's target). True when it moved.
    @discardableResult
    func shade(_ raw: UInt32) -> Bool {
        let (c, cell) = locate(raw)
        guard isEcruHint(c, cell) else { return false }
        lock(c)
        let moved = greyLocked(c, cell)
        unlock(c)
        return moved
    }

    /// Greys `cell` of class `c`, whose lock is held.
    @inline(__always)
    private func greyLocked(_ c: Int, _ cell: Int) -> Bool {
        // Counted before it is greyed: `greyTotal` never reads below the number of grey cells, so zero
        // means marking is done (the treadmill collector turns a snapshot barrier off on it).
        greyTotal.pointee.add(1, ordering: .relaxed)
        guard classes[c].ring.grey(cell) else {
            greyTotal.pointee.subtract(1, ordering: .relaxed)
            return false
        }
        info[c].greyCount.add(1, ordering: .relaxed)
        return true
    }

    /// Steele's barrier: the source `raw` of a store, if black, goes back to GREY when the stored value
    /// is ecru, to be scanned again. The colours are read under the locks, which orders them against a
    /// scan that blackens the source before reading its fields. True when the source moved.
    @discardableResult
    func regreyIfStoringWhite(source raw: UInt32, value: UInt32) -> Bool {
        guard value != 0 else { return false }
        let (vc, vcell) = locate(value)
        guard isEcruHint(vc, vcell) else { return false }
        lock(vc)
        let white = classes[vc].ring.colour(of: vcell) == .ecru
        unlock(vc)
        guard white else { return false }
        let (c, cell) = locate(raw)
        lock(c)
        defer { unlock(c) }
        greyTotal.pointee.add(1, ordering: .relaxed)  // counted first, as in `greyLocked`
        guard classes[c].ring.regrey(cell) else {
            greyTotal.pointee.subtract(1, ordering: .relaxed)
            return false
        }
        info[c].greyCount.add(1, ordering: .relaxed)
        return true
    }

    /// Baker's scan steps: `steps` times, blackens the oldest grey cell of a ring that has one and greys
    /// its ecru children; stops early when no grey cell is left. Returns the cells scanned and their
    /// bytes. The search starts at class `hint`, updated to where work was found.
    func scan(steps: Int, hint: inout Int) -> (cells: Int, bytes: Int) {
        var cells = 0, bytes = 0
        while cells < steps {
            let batch = scanBatch(max: min(steps - cells, 32), hint: &hint)
            if batch.cells == 0 { break }
            cells &+= batch.cells
            bytes &+= batch.bytes
        }
        return (cells, bytes)
    }

    /// Up to `max` scan steps on the grey cells one ring holds now: they are taken under one hold of its
    /// lock and their headers loaded together; their white children are gathered without a lock and
    /// greyed a class run at a time.
    private func scanBatch(max batch: Int, hint: inout Int) -> (cells: Int, bytes: Int) {
        // offsets[0 ..< batch]: the cells taken; offsets[batch ..< 2 * batch]: their header words.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * batch) { offsets in
            var taken = 0, found = -1
            for i in 0..<classCount {
                let c = (hint &+ i) % classCount
                guard info[c].greyCount.load(ordering: .relaxed) > 0 else { continue }
                lock(c)
                while taken < batch, let cell = classes[c].ring.scanNext() {
                    offsets[taken] = offset(c, cell)
                    taken &+= 1
                }
                unlock(c)
                if taken > 0 {
                    info[c].greyCount.subtract(taken, ordering: .relaxed)
                    found = c
                    break
                }
            }
            guard taken > 0 else { return (0, 0) }
            hint = found
            // Load every header first: independent loads, so their cache misses overlap.
            for t in 0..<taken { offsets[batch &+ t] = Int(bitPattern: UInt((base + offsets[t]).load(as: UInt64.self))) }
            // The white children are gathered first, outside any lock (their colour read from the hint),
            // then greyed a class run at a time: a ring's lock is held for ring operations only.
            var bytes = 0
            withUnsafeTemporaryAllocation(of: Int.self, capacity: TreadmillSpace.childBatch) { children in
                var pending = 0
                for t in 0..<taken {
                    let object = base + offsets[t]
                    let header = ObjectHeader(bits: UInt64(UInt(bitPattern: offsets[batch &+ t])))
                    bytes &+= header.bytes
                    let fields = (object + 8).assumingMemoryBound(to: Atomic<UInt32>.self)
                    var f = 0
                    let n = header.referenceCount
                    while f < n {
                        let child = fields[f].load(ordering: .acquiring)
                        f &+= 1
                        if child == 0 { continue }
                        let (c, cell) = locate(child)
                        if !isEcruHint(c, cell) { continue }
                        if pending == TreadmillSpace.childBatch {
                            greyAll(children, pending)
                            pending = 0
                        }
                        children[pending] = c &<< 32 | cell
                        pending &+= 1
                    }
                }
                greyAll(children, pending)
            }
            greyTotal.pointee.subtract(taken, ordering: .relaxed)  // after the children: never zero while work remains
            return (taken, bytes)
        }
    }

    /// Greys the first `count` (class << 32 | cell) entries of `children`, holding each class's lock
    /// across a run of entries of that class.
    private func greyAll(_ children: UnsafeMutableBufferPointer<Int>, _ count: Int) {
        var held = -1
        for i in 0..<count {
            let c = children[i] &>> 32, cell = children[i] & 0xFFFF_FFFF
            if c != held {
                if held >= 0 { unlock(held) }
                lock(c)
                held = c
            }
            _ = greyLocked(c, cell)
        }
        if held >= 0 { unlock(held) }
    }

    // MARK: The flip

    /// What a flip found and freed.
    struct FlipResult {
        /// Cells per segment just before the flip, summed over the rings (grey is zero).
        var before = TreadmillRing.SegmentCounts(free: 0, black: 0, grey: 0, ecru: 0)
        /// Bytes of the cells freed (the ecru ones) and of the cells kept (the black ones).
        var freedBytes = 0
        var survivingBytes = 0
    }

    /// Ends the cycle in every ring: ecru cells become free, black ones ecru. No cell is visited (but in
    /// verify mode, where freed cells are poisoned so that a stale reference fails the header check).
    /// With the world stopped and no grey cell left.
    func flip() -> FlipResult {
        var result = FlipResult()
        for c in 0..<classCount {
            lock(c)
            let counts = classes[c].ring.segmentCounts
            if counts.free + counts.ecru + counts.black + counts.grey > 0 {
                result.before.free += counts.free
                result.before.black += counts.black
                result.before.grey += counts.grey
                result.before.ecru += counts.ecru
                if poison {
                    var cells: [Int] = []
                    classes[c].ring.forEachCell(in: .ecru) { cells.append($0) }
                    for cell in cells { (base + offset(c, cell)).storeBytes(of: 0, as: UInt64.self) }
                }
                result.freedBytes += classes[c].ring.flip() * info[c].cellBytes
                info[c].epoch.store(classes[c].ring.currentEpoch, ordering: .relaxed)
                result.survivingBytes += counts.black * info[c].cellBytes
            }
            unlock(c)
        }
        return result
    }
}

extension CycleRecord {
    /// Records what a treadmill space's flip saw and freed in this cycle's treadmill columns.
    mutating func recordFlip(_ flip: TreadmillSpace.FlipResult) {
        treadmillFreeCells = flip.before.free
        treadmillBlackCells = flip.before.black
        treadmillGreyCells = flip.before.grey
        treadmillWhiteCells = flip.before.ecru
        largeObjectBytesFreed = flip.freedBytes
    }
}
