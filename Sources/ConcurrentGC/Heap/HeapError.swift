// Errors a heap reports to its mutators. Every message names the numbers involved.

/// Why an allocation or heap set-up failed.
public enum HeapError: Error, CustomStringConvertible, Equatable {
    /// No room after a full collection. `reserveBytes` of the limit are held back as a copying plan's copy
    /// reserve (to-space must be able to hold the survivors); 0 for the others.
    case exhausted(requestedBytes: Int, liveBytes: Int, committedBytes: Int, limitBytes: Int, reserveBytes: Int)
    /// The object is larger than any header can describe.
    case objectTooLarge(bytes: Int, maxBytes: Int)
    /// More reference fields than a header can describe, or negative sizes.
    case invalidShape(referenceCount: Int, payloadBytes: Int)
    /// The heap could not be set up as configured.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .exhausted(requested, live, committed, limit, reserve):
            // Committed is measured after every free block, cell and page was given back: what remains
            // holds the live objects and the free space beside them in the same blocks, cells and pages
            // (a plan that does not move objects cannot give back part of one).
            return "heap exhausted: could not allocate \(requested) bytes after a full collection: \(live) bytes live, "
                + "\(committed) bytes committed (the live objects and the free space in the blocks, cells and pages "
                + "that hold them), limit --heap-max \(limit) bytes"
                + (reserve > 0 ? ", \(reserve) bytes of it held back as the copy reserve (to-space must hold the survivors)" : "")
        case let .objectTooLarge(bytes, maxBytes):
            return "object of \(bytes) bytes is larger than the maximum object size of \(maxBytes) bytes"
        case let .invalidShape(refs, payload):
            return "invalid object shape: \(refs) reference fields, \(payload) payload bytes"
        case let .invalidConfiguration(why):
            return "invalid heap configuration: \(why)"
        }
    }
}
