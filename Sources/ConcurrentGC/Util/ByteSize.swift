// Sizes as people type them: `123`, `64K`, `512M`, `1G`, `2GiB`, `1.5G` (binary multiples). Shared by the
// command line and by plan options of kind `size`, so both accept exactly the same spellings.

/// Parses a byte size such as `512M` or `2GiB`; nil when malformed or out of range.
public func parseByteSize(_ text: String) -> Int? {
    var s = Substring(text.uppercased())
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
        s.removeLast(suffix.count)
        break
    }
    var multiplier = 1.0
    if let last = s.last, let m = ["K": 1024.0, "M": 1048576.0, "G": 1073741824.0, "T": 1099511627776.0][String(last)] {
        multiplier = m
        s.removeLast()
    }
    guard !s.isEmpty, let x = Double(s), x.isFinite, x >= 0 else { return nil }
    let bytes = x * multiplier
    guard bytes < 9.0e18 else { return nil }
    return Int(bytes)
}
