// Baker's treadmill as a space: one `TreadmillRing` per size class, each behind its own lock, over cells
// of raw heap memory. It is the large-object space of every collector (objects over 8 KiB, in the upper
// part of the reservation) and, with `--collector treadmill`, the space of every object (small cells are
// carved from the blocks below, which the Immix space then leaves alone).
//
// Invariant: a cell's memory belongs to its class from the moment the cell is added to the ring until it
// is removed (`trimFreeLargeCells`); a cell holds an object exactly while it is ecru, grey or black. The
// colour of an object is its cell's colour in the ring: there are no mark bits, and a flip frees every
// ecru cell of every ring in O(number of classes), without visiting a cell (no sweep).
//
// Two ways to trace through it (see TreadmillSpace+Marking.swift):
// - as a large-object space, the collector's shared marker keeps the grey set on its stacks: reaching an
//   ecru cell moves it straight to BLACK (`markReached`); the rings' GREY segments stay empty;
// - as the treadmill collector's space, greying moves a cell to its ring's GREY segment (`shade`) and a
//   scan step blackens the oldest grey cell of some ring and greys its children: Baker's.
//
// Finding a cell from a reference: a table per block (small classes: class and first cell of the block)
// and a table per page of the large region (large classes: class and cell, at the cell's first page). The
// entries are atomics written before the cell is handed out, so any thread that holds a reference (it
// was published with a release store after the object was initialized) finds them.
//
// The classes live in raw memory and are reached by index, and each lock is a pthread mutex taken and
// released explicitly: the scan loop holds one class's lock across several children of that class, and
// no reference counting happens on the way.

import Glibc
import Synchronization

/// Size-segregated treadmill rings over the heap's memory.
final class TreadmillSpace: @unchecked Sendable {
    /// What every thread may read of a size class without its lock: constants, the lock itself, and
    /// atomics. Never mutated as a whole (only its atomics change), so unlocked readers do not race.
    struct ClassInfo: ~Copyable {
        let cellBytes: Int
        let cellsPerChunk: Int
        let lock: UnsafeMutablePointer<pthread_mutex_t>
        /// Grey cells of this ring (a mirror of the ring's count, updated under the lock), so that a scan
        /// step finds a ring with work without locking every ring.
        let greyCount = Atomic<Int>(0)
        /// The ring's stamp table (reserved at its largest, so it never moves) and its epoch (mirrored
        /// at each flip): cell `c` is ecru when `stamps[c] == epoch - 1`.
        let stamps: UnsafeMutablePointer<Atomic<UInt32>>
        let epoch: Atomic<UInt32>

        init(index: Int, stamps: UnsafeMutablePointer<Atomic<UInt32>>, epoch: UInt32) {
            cellBytes = TreadmillSizeClasses.cellBytes[index]
            cellsPerChunk = TreadmillSizeClasses.cellsPerChunk(index)
            self.stamps = stamps
            self.epoch = Atomic(epoch)
            lock = .allocate(capacity: 1)
            var attributes = pthread_mutexattr_t()
            pthread_mutexattr_init(&attributes)
            // Adaptive: spin briefly before sleeping; the critical sections are a few pointer moves.
            pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
            pthread_mutex_init(lock, &attributes)
            pthread_mutexattr_destroy(&attributes)
        }

        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }
    }

    /// One size class's ring and the memory of its cells: only under the class's lock (its constants
    /// are in `ClassInfo`).
    struct SizeClass: ~Copyable {
        var ring: TreadmillRing
        /// Byte offset from the heap base of each chunk's first cell (-1: a removed large cell's); raw
        /// memory, so that the scan loop reads it without reference counting.
        var chunkOffsets = RawStack<Int>(capacity: 16)
        /// Large classes: indices of removed cells, reused when the ring grows again.
        var retired: [Int] = []
        /// Small classes: chunks whose block was given back (`releaseFreeSmallChunks`), reused (with their
        /// cell indices) when the ring grows again.
        var retiredChunks: [Int] = []

        init(maxCells: Int) { ring = TreadmillRing(reservedCapacity: maxCells) }

        deinit { chunkOffsets.free() }
    }

    let base: UnsafeMutableRawPointer
    /// Whether small cells are carved from blocks of the pool (a plan whose every object is a cell).
    let holdsSmallObjects: Bool
    /// Where small cells' blocks come from (nil: large objects only).
    private let blocks: BlockPool?
    /// The heap's size counters: large cells' pages are committed here.
    let accounting: UnsafeMutablePointer<HeapAccounting>
    /// The large region: pages from `largeStart` (a byte offset), `largePageCount` of them.
    let largeStart: Int
    private let largePageCount: Int
    /// First granule of the large region: references at or above it are large objects.
    let largeGranule: UInt32
    let classes: UnsafeMutablePointer<SizeClass>
    let info: UnsafeMutablePointer<ClassInfo>
    let classCount = TreadmillSizeClasses.cellBytes.count
    /// Poison freed cells at a flip (verify mode), so a stale reference fails the header check.
    let poison: Bool
    /// Tests: check a ring's whole invariant after every operation on it (O(ring); stops the process
    /// with the violation).
    let debugChecks: Bool
    /// The small class of each object size in granules (raw: no lazy-global check on the way; the cell
    /// allocator's fast path reads it too).
    let classOfGranules: UnsafeMutablePointer<UInt8>

    /// Per block (small) and per page (large): (class + 1) << 32 | first cell of the block, or cell.
    private let blockTable: UnsafeMutablePointer<Atomic<UInt64>>
    private let blockTableCount: Int
    private let pageTable: UnsafeMutablePointer<Atomic<UInt64>>

    /// The blocks and pages not yet given to a class, under `regionLock` (a pthread mutex, which
    /// ThreadSanitizer understands; Synchronization's futex-based Mutex it does not).
    private let regionLock = Monitor()
    @exclusivity(unchecked) private var regions = Regions()
    private struct Regions {
        var bumpPage = 0
        var freePageRanges: [(page: Int, count: Int)] = []
    }

    /// Grey cells in all rings plus cells being scanned: zero exactly when the treadmill's marking is
    /// done (a scan gives its cells back only after greying their children). In raw memory: the cell
    /// allocator's fast path reads it through a pointer.
    let greyTotal: UnsafeMutablePointer<Atomic<Int>>
    /// White children a scan gathers before greying them.
    static let childBatch = 256

    /// The space over `reservation`: large cells in its large-object region, and small cells in blocks
    /// from `smallCellBlocks` if given.
    /// The large-object space of a plan whose small objects live elsewhere: `heap`'s large region.
    convenience init(largeObjectsOf heap: Heap) {
        self.init(reservation: heap.reservation, smallCellBlocks: nil, accounting: heap.accounting,
                  poison: heap.configuration.verify, debugChecks: heap.configuration.debugCheckTreadmillRings)
    }

    init(reservation: Reservation, smallCellBlocks: BlockPool?, accounting: UnsafeMutablePointer<HeapAccounting>,
         poison: Bool, debugChecks: Bool = false) {
        let blockCount = reservation.blockCount, largeStart = reservation.largeStart, largeBytes = reservation.largeBytes
        self.base = reservation.base
        holdsSmallObjects = smallCellBlocks != nil
        blocks = smallCellBlocks
        self.accounting = accounting
        greyTotal = .allocate(capacity: 1)
        greyTotal.initialize(to: Atomic(0))
        self.largeStart = largeStart
        largePageCount = largeBytes / HeapGeometry.pageBytes
        largeGranule = UInt32(largeStart >> HeapGeometry.granuleShift)
        self.poison = poison
        self.debugChecks = debugChecks
        let granules = HeapGeometry.largeObjectThreshold >> HeapGeometry.granuleShift
        classOfGranules = .allocate(capacity: granules + 1)
        classOfGranules[0] = 0
        for g in 1...granules {
            classOfGranules[g] = UInt8(TreadmillSizeClasses.sizeClass(bytes: g << HeapGeometry.granuleShift))
        }
        classes = .allocate(capacity: classCount)
        info = .allocate(capacity: classCount)
        for i in 0..<classCount {
            // The most cells the class can ever hold: every block (small) or page (large) of the heap.
            let cellBytes = TreadmillSizeClasses.cellBytes[i], perChunk = TreadmillSizeClasses.cellsPerChunk(i)
            let maxCells = i < TreadmillSizeClasses.smallCount
                ? (holdsSmallObjects ? blockCount * perChunk : 1)
                : largeBytes / cellBytes + 1
            (classes + i).initialize(to: SizeClass(maxCells: maxCells))
            (info + i).initialize(to: ClassInfo(index: i, stamps: classes[i].ring.stampWords, epoch: classes[i].ring.currentEpoch))
        }
        blockTable = Self.zeroedAtomics(blockCount)
        blockTableCount = blockCount
        pageTable = Self.zeroedAtomics(largePageCount)
    }

    deinit {
        classes.deinitialize(count: classCount)
        classes.deallocate()
        info.deinitialize(count: classCount)
        info.deallocate()
        classOfGranules.deallocate()
        greyTotal.deinitialize(count: 1)
        greyTotal.deallocate()
        UnsafeMutableRawPointer(blockTable).deallocate()
        UnsafeMutableRawPointer(pageTable).deallocate()
    }

    /// `count` atomics, all zero (an atomic of zero is all zero bits).
    private static func zeroedAtomics(_ count: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 8, alignment: 8)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, count) * 8)
        return raw.bindMemory(to: Atomic<UInt64>.self, capacity: max(1, count))
    }

    /// The class of an object of `bytes`.
    @inline(__always)
    func sizeClass(bytes: Int) -> Int {
        bytes <= HeapGeometry.largeObjectThreshold
            ? Int(classOfGranules[bytes &>> HeapGeometry.granuleShift]) : TreadmillSizeClasses.sizeClass(bytes: bytes)
    }

    /// Byte offset of `cell` of class `c` (under its lock: the chunk table may be growing).
    @inline(__always)
    func offset(_ c: Int, _ cell: Int) -> Int {
        let perChunk = info[c].cellsPerChunk, chunk = cell / perChunk
        return classes[c].chunkOffsets[chunk] &+ (cell &- chunk &* perChunk) &* info[c].cellBytes
    }

    @inline(__always) func lock(_ c: Int) { pthread_mutex_lock(info[c].lock) }
    /// Releases class `c`'s lock, first checking its ring's invariant when `debugChecks` is on.
    @inline(__always) func unlock(_ c: Int) {
        if debugChecks, let violation = classes[c].ring.checkInvariants() {
            fatalError("treadmill ring of class \(c) (\(info[c].cellBytes) B): \(violation)")
        }
        pthread_mutex_unlock(info[c].lock)
    }

    /// Whether `cell` of class `c` is ecru, read without the lock. Between two flips a cell's colour only
    /// moves away from ecru (to grey or black; `allocateWhite` only colours free cells, which nobody
    /// references), so "not ecru" stays true once read and the caller may skip the locked `grey`;
    /// "ecru" must be confirmed under the lock. The stamp table never moves, and the epoch changes only
    /// in a flip, with the world stopped and the background workers held.
    @inline(__always)
    func isEcruHint(_ c: Int, _ cell: Int) -> Bool {
        info[c].stamps[cell].load(ordering: .relaxed) == info[c].epoch.load(ordering: .relaxed) &- 1
    }

    // MARK: Allocation

    /// Takes a cell for an object of `bytes`, black (`black`) or white, and returns its offset from the
    /// heap base, the cell's bytes, and whether its memory is fresh (all zero: the cell was just added,
    /// on pages never used or given back). Grows the class's ring when no cell is free, if the commit
    /// limit allows; nil when it does not. A reused cell's memory is as its last object left it.
    func allocate(bytes: Int, black: Bool) -> (offset: Int, cellBytes: Int, fresh: Bool)? {
        let c = sizeClass(bytes: bytes)
        precondition(holdsSmallObjects || c >= TreadmillSizeClasses.smallCount, "small object in the large-object space")
        lock(c)
        defer { unlock(c) }
        var fresh = false
        if classes[c].ring.freeCount == 0 {
            guard grow(c) else { return nil }
            fresh = true  // FREE was empty: the cell taken below is the first one added (white: the last)
        }
        let cell = black ? classes[c].ring.allocate()! : classes[c].ring.allocateWhite()!
        return (offset(c, cell), info[c].cellBytes, fresh)
    }

    /// Takes up to `max` black cells of class `c` at once (a thread's cache), growing the ring by one
    /// chunk if none is free; writes their offsets to `into` and returns how many (0: no memory).
    func allocateBlack(sizeClass c: Int, max: Int, into: UnsafeMutablePointer<Int>) -> Int {
        lock(c)
        defer { unlock(c) }
        if classes[c].ring.freeCount == 0 && !grow(c) { return 0 }
        var n = 0
        while n < max, let cell = classes[c].ring.allocate() {
            into[n] = offset(c, cell)
            n += 1
        }
        return n
    }

    /// Gives back black cells taken by `allocateBlack` and never used (a cache emptied at a flip).
    func unallocate(_ offsets: UnsafeBufferPointer<Int>) {
        for offset in offsets {
            let (c, cell) = locate(UInt32(offset >> HeapGeometry.granuleShift))
            lock(c)
            classes[c].ring.unallocate(cell)
            unlock(c)
        }
    }

    /// Adds one chunk of cells to ring `c` (its lock held): a block for a small class, pages for a large one.
    private func grow(_ c: Int) -> Bool {
        let cellBytes = info[c].cellBytes, perChunk = info[c].cellsPerChunk
        if c < TreadmillSizeClasses.smallCount {
            guard let block = blocks?.acquire() else { return false }
            precondition(block < blockTableCount, "block \(block) outside the block region")
            let first: Int
            if let chunk = classes[c].retiredChunks.popLast() {
                first = chunk * perChunk
                classes[c].chunkOffsets[chunk] = block << HeapGeometry.blockShift
                for i in 0..<perChunk { _ = classes[c].ring.addFreeCell(reusing: first + i) }
            } else {
                first = classes[c].chunkOffsets.count * perChunk
                classes[c].chunkOffsets.push(block << HeapGeometry.blockShift)
                for i in 0..<perChunk {
                    let cell = classes[c].ring.addFreeCell()
                    precondition(cell == first + i, "small treadmill cells are numbered by chunk")
                }
            }
            blockTable[block].store(UInt64(c + 1) << 32 | UInt64(first), ordering: .releasing)
        } else {
            guard let page = takePages(cellBytes / HeapGeometry.pageBytes) else { return false }
            let offset = largeStart + page * HeapGeometry.pageBytes
            let cell: Int
            if let reused = classes[c].retired.popLast() {
                cell = classes[c].ring.addFreeCell(reusing: reused)
                classes[c].chunkOffsets[cell] = offset
            } else {
                cell = classes[c].ring.addFreeCell()
                precondition(cell == classes[c].chunkOffsets.count, "large treadmill cells are numbered in order")
                classes[c].chunkOffsets.push(offset)
            }
            pageTable[page].store(UInt64(c + 1) << 32 | UInt64(cell), ordering: .releasing)
        }
        return true
    }

    /// Pages of the large-object region ever handed to a class (from its start): no large object lies
    /// beyond them (a card table's scan ends there).
    var largePagesUsed: Int { regionLock.withLock { regions.bumpPage } }

    /// First fit among the freed page ranges, else the bump pointer.
    private func takePages(_ pages: Int) -> Int? {
        let accounting = self.accounting
        func commit(_ bytes: Int) -> Bool { accounting.pointee.commit(bytes) }
        return regionLock.withLock { () -> Int? in
            if let i = regions.freePageRanges.firstIndex(where: { $0.count >= pages }) {
                guard commit(pages * HeapGeometry.pageBytes) else { return nil }
                let page = regions.freePageRanges[i].page
                if regions.freePageRanges[i].count == pages {
                    regions.freePageRanges.remove(at: i)
                } else {
                    regions.freePageRanges[i] = (page + pages, regions.freePageRanges[i].count - pages)
                }
                return page
            }
            guard regions.bumpPage + pages <= largePageCount, commit(pages * HeapGeometry.pageBytes) else { return nil }
            regions.bumpPage += pages
            return regions.bumpPage - pages
        }
    }

    /// Removes every free cell of every large ring and gives its pages back to the system (and to any
    /// size): the large classes keep the cells they had at their peak, so when memory runs out the free
    /// ones of one class make room for another. Returns the bytes released (to uncommit). O(cells removed).
    func trimFreeLargeCells() -> Int {
        var released = 0
        var ranges: [(page: Int, count: Int)] = []
        for c in TreadmillSizeClasses.smallCount..<classCount {
            lock(c)
            let cellBytes = info[c].cellBytes
            while let cell = classes[c].ring.removeFreeCell() {
                let offset = classes[c].chunkOffsets[cell]
                classes[c].chunkOffsets[cell] = -1
                classes[c].retired.append(cell)
                let page = (offset - largeStart) / HeapGeometry.pageBytes
                pageTable[page].store(0, ordering: .relaxed)
                VirtualMemory.release(base + offset, cellBytes)
                ranges.append((page, cellBytes / HeapGeometry.pageBytes))
                released += cellBytes
            }
            unlock(c)
        }
        guard released > 0 else { return 0 }
        regionLock.withLock {
            regions.freePageRanges += ranges
            regions.freePageRanges.sort { $0.page < $1.page }
            var merged: [(page: Int, count: Int)] = []
            for r in regions.freePageRanges {
                if let last = merged.last, last.page + last.count == r.page {
                    merged[merged.count - 1].count += r.count
                } else {
                    merged.append(r)
                }
            }
            if let last = merged.last, last.page + last.count == regions.bumpPage {
                regions.bumpPage = last.page
                merged.removeLast()
            }
            regions.freePageRanges = merged
        }
        return released
    }

    /// Gives back the block of every small-cell chunk whose cells are all free, decommitted: the small
    /// rings keep the chunks they had at their peak, and when memory runs short a large object or
    /// another class needs those bytes. O(cells of the small classes); only on that path. Returns the
    /// bytes uncommitted.
    func releaseFreeSmallChunks() -> Int {
        guard let blocks else { return 0 }
        var released: [Int32] = []
        for c in 0..<min(classCount, TreadmillSizeClasses.smallCount) {
            lock(c)
            let perChunk = info[c].cellsPerChunk
            for chunk in 0..<classes[c].chunkOffsets.count where classes[c].chunkOffsets[chunk] >= 0 {
                let first = chunk * perChunk
                var allFree = true
                for cell in first..<(first + perChunk) where classes[c].ring.colour(of: cell) != .free {
                    allFree = false
                    break
                }
                guard allFree else { continue }
                for cell in first..<(first + perChunk) { classes[c].ring.removeFreeCell(cell) }
                let block = classes[c].chunkOffsets[chunk] >> HeapGeometry.blockShift
                classes[c].chunkOffsets[chunk] = -1
                classes[c].retiredChunks.append(chunk)
                blockTable[block].store(0, ordering: .relaxed)
                released.append(Int32(block))
            }
            unlock(c)
        }
        return blocks.decommit(released, base: base)
    }

    // MARK: Finding cells

    /// `locate` for a reference a marker found in a field, which an unsafe configuration (a barrier or
    /// remembered set turned off) may have left pointing at memory reused since: the class and cell, or
    /// a verify-mode stop (exit 3) naming the reference when no allocated cell holds it. The tables are
    /// read inside their bounds either way, so a lost reference stops the run instead of crashing it.
    func locateReached(_ raw: UInt32) -> (sizeClass: Int, cell: Int) {
        let offset = Int(raw) &<< HeapGeometry.granuleShift
        let entry: UInt64
        if raw >= largeGranule {
            let page = (offset &- largeStart) >> 12
            entry = page < largePageCount ? pageTable[page].load(ordering: .acquiring) : 0
        } else {
            let block = offset >> HeapGeometry.blockShift
            entry = block < blockTableCount ? blockTable[block].load(ordering: .acquiring) : 0
        }
        guard entry >> 32 != 0 else {
            verifyFailure("a marker reached \(ObjectRef(raw: raw)), where no object is allocated: a reference the collector lost (freed or moved without it) and a mutator kept")
        }
        return locate(raw)
    }

    /// The class and cell of the object at granule `raw`, which must be in this space.
    @inline(__always)
    func locate(_ raw: UInt32) -> (sizeClass: Int, cell: Int) {
        let offset = Int(raw) &<< HeapGeometry.granuleShift
        if raw >= largeGranule {
            let entry = pageTable[(offset &- largeStart) >> 12].load(ordering: .acquiring)
            return (Int(entry >> 32) &- 1, Int(entry & 0xFFFF_FFFF))
        }
        let entry = blockTable[offset >> HeapGeometry.blockShift].load(ordering: .acquiring)
        let c = Int(entry >> 32) &- 1
        let inBlock = offset & (HeapGeometry.blockBytes - 1)
        return (c, Int(entry & 0xFFFF_FFFF) &+ inBlock / info[c].cellBytes)
    }

    /// True when `raw` is an object of this space (every object under the treadmill collector; large
    /// ones otherwise).
    @inline(__always)
    func contains(_ raw: UInt32) -> Bool { holdsSmallObjects || raw >= largeGranule }

    // MARK: Figures

    /// Large objects allocated and not freed by a flip (cells of the large classes that are not free).
    var largeObjectCount: Int {
        var count = 0
        for c in TreadmillSizeClasses.smallCount..<classCount {
            lock(c)
            count += classes[c].ring.capacity - classes[c].ring.freeCount
            unlock(c)
        }
        return count
    }

    /// Checks every ring's invariant (tests): the first violation, or nil.
    func checkInvariants() -> String? {
        for c in 0..<classCount {
            lock(c)
            let problem = classes[c].ring.checkInvariants()
            unlock(c)
            if let problem { return "class \(c) (\(info[c].cellBytes) B): \(problem)" }
        }
        return nil
    }
}
