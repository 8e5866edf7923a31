// The large-object space: objects over 8 KiB, each on pages of its own in the upper part of the
// reservation, so that compressed references reach them like any other object.
//
// Invariant: every large object is in `objects` from its allocation until the sweep that finds its mark
// bit clear; its pages are then released (MADV_DONTNEED: they read as zeros, so a stale reference fails
// the header check in verify mode) and go back to the free page ranges. The sweep runs in the collection
// pause and clears the mark bits of the survivors. Baker's treadmill replaces this list in its own issue.

/// Page-granular space for large objects.
final class LargeObjectSpace {
    let base: UnsafeMutableRawPointer
    /// Byte offset of the space from the heap base.
    let start: Int
    let pageCount: Int

    private let monitor = Monitor()
    // Under `monitor`:
    private var bumpPage = 0
    private var freeRanges: [(page: Int, count: Int)] = []
    private var objects: [Int: Int] = [:]  // offset -> bytes (page-rounded)
    private(set) var committedBytes = 0

    init(base: UnsafeMutableRawPointer, start: Int, bytes: Int) {
        self.base = base
        self.start = start
        pageCount = bytes / HeapGeometry.pageBytes
    }

    /// Number of live-or-unswept large objects.
    var objectCount: Int { monitor.withLock { objects.count } }

    /// Finds pages for `bytes` (first fit, then bump) if `commit` grants them; returns the byte offset
    /// of the zeroed object from the heap base.
    func allocate(bytes: Int, commit: (Int) -> Bool) -> Int? {
        let pages = (bytes + HeapGeometry.pageBytes - 1) / HeapGeometry.pageBytes
        let rounded = pages * HeapGeometry.pageBytes
        return monitor.withLock { () -> Int? in
            var page: Int
            if let i = freeRanges.firstIndex(where: { $0.count >= pages }) {
                guard commit(rounded) else { return nil }
                page = freeRanges[i].page
                if freeRanges[i].count == pages {
                    freeRanges.remove(at: i)
                } else {
                    freeRanges[i] = (page + pages, freeRanges[i].count - pages)
                }
            } else {
                guard bumpPage + pages <= pageCount, commit(rounded) else { return nil }
                page = bumpPage
                bumpPage += pages
            }
            let offset = start + page * HeapGeometry.pageBytes
            objects[offset] = rounded
            committedBytes += rounded
            return offset
        }
    }

    /// Called with the world stopped after marking: frees unmarked objects, clears survivors' marks.
    /// Returns the bytes released.
    func sweep(markBitmap: MarkBitmap) -> Int {
        monitor.withLock {
            var released = 0
            for (offset, bytes) in objects {
                let granule = UInt32(offset >> HeapGeometry.granuleShift)
                if markBitmap.isMarked(granule) {
                    markBitmap.clear(granule)
                } else {
                    objects[offset] = nil
                    VirtualMemory.release(base + offset, bytes)
                    freeRanges.append(((offset - start) / HeapGeometry.pageBytes, bytes / HeapGeometry.pageBytes))
                    released += bytes
                }
            }
            if released > 0 { coalesceFreeRanges() }
            committedBytes -= released
            return released
        }
    }

    /// Merges adjacent free ranges and returns a trailing one to the bump region.
    private func coalesceFreeRanges() {
        freeRanges.sort { $0.page < $1.page }
        var merged: [(page: Int, count: Int)] = []
        for r in freeRanges {
            if let last = merged.last, last.page + last.count == r.page {
                merged[merged.count - 1].count += r.count
            } else {
                merged.append(r)
            }
        }
        if let last = merged.last, last.page + last.count == bumpPage {
            bumpPage = last.page
            merged.removeLast()
        }
        freeRanges = merged
    }
}
