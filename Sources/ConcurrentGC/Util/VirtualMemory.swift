// Address-space reservation. The heap reserves its whole range once with MAP_NORESERVE: the kernel
// commits a page when it is first touched, so a 1 GiB reservation costs nothing until used. Memory given
// back (a freed large object, the checkmark bitmap) is released with MADV_DONTNEED, which also makes it
// read as zeros next time.

import Glibc

/// Reserves, releases and unmaps ranges of anonymous memory.
enum VirtualMemory {
    /// Reserves `bytes` of zeroed, lazily committed, read-write memory. Nil if the kernel refuses.
    static func reserve(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if p == MAP_FAILED || p == nil { return nil }
        return p
    }

    /// Gives the pages of a range back to the kernel; they read as zeros afterwards.
    static func release(_ start: UnsafeMutableRawPointer, _ bytes: Int) {
        _ = madvise(start, bytes, Int32(MADV_DONTNEED))
    }

    /// Unmaps a range obtained from `reserve`.
    static func unmap(_ start: UnsafeMutableRawPointer, _ bytes: Int) {
        _ = munmap(start, bytes)
    }
}
