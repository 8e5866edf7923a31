// The size classes of the treadmill space: one ring per class, every cell of a ring the same size.
//
// Small classes (objects up to 8 KiB, used by `--collector treadmill`): every granule multiple up to 128
// bytes, then eight classes per doubling up to 8 KiB, so a cell wastes at most 1/8 of itself. Their cells
// are carved from 32 KiB blocks (a block's tail that fits no whole cell is lost).
// Large classes (objects over 8 KiB, the large-object space of every collector): whole pages, every page
// count up to 8, then eight classes per doubling (again at most 1/8 lost), up to the largest object.
// A large cell has pages of its own.

/// The treadmill's size classes: small ones first, then large ones; a class is an index into `cellBytes`.
enum TreadmillSizeClasses {
    /// Cell bytes of every class, ascending.
    static let cellBytes: [Int] = small + large

    /// Number of small classes: classes `0 ..< smallCount` hold objects of at most 8 KiB.
    static let smallCount = small.count

    private static let small: [Int] = {
        var sizes = Array(stride(from: 8, through: 128, by: 8))
        var step = 16
        while sizes.last! < HeapGeometry.largeObjectThreshold {
            sizes.append(sizes.last! + step)
            if sizes.last! & (sizes.last! - 1) == 0 { step *= 2 }  // a power of two starts the next doubling
        }
        return sizes
    }()

    private static let large: [Int] = {
        let page = HeapGeometry.pageBytes
        var pages = Array((HeapGeometry.largeObjectThreshold / page + 1)...8)
        var step = 1
        while pages.last! * page < ObjectHeader.maxObjectBytes {
            pages.append(pages.last! + step)
            if pages.last! & (pages.last! - 1) == 0 { step *= 2 }
        }
        return pages.map { $0 * page }
    }()

    /// Small class of each object size in granules (index = granules), for an O(1) lookup.
    private static let smallByGranules: [UInt8] = {
        var table = [UInt8](repeating: 0, count: HeapGeometry.largeObjectThreshold / HeapGeometry.granuleBytes + 1)
        var c = 0
        for g in 1..<table.count {
            while small[c] < g * HeapGeometry.granuleBytes { c += 1 }
            table[g] = UInt8(c)
        }
        return table
    }()

    /// The class of an object of `bytes` (a granule multiple, at most the largest object size).
    static func sizeClass(bytes: Int) -> Int {
        if bytes <= HeapGeometry.largeObjectThreshold {
            return Int(smallByGranules[bytes >> HeapGeometry.granuleShift])
        }
        // Binary search over the large classes.
        var lo = smallCount, hi = cellBytes.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cellBytes[mid] >= bytes { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Cells a small class gets from one 32 KiB block; a large class gets one cell per chunk.
    static func cellsPerChunk(_ sizeClass: Int) -> Int {
        sizeClass < smallCount ? HeapGeometry.blockBytes / cellBytes[sizeClass] : 1
    }
}
