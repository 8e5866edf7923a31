// The one number syntax of gclab's command line, spec files and plan options, so that every value is
// read the same way wherever it is typed:
//   number: an optional sign, decimal digits, an optional fraction: `42`, `-0.5`, `2.25`, `.5`
//           (no exponent, no hex, no `inf` or `nan`: `1e9` is refused rather than guessed at);
//   size:   a number of bytes, or a number with a binary suffix K, M, G or T (optionally followed by B or
//           iB; any case): `4096`, `512M`, `1.5G`, `64KiB`; it must come to a whole number of bytes, so
//           `1.5M` is 1572864 and `0.3K` (307.2 bytes) is refused.
// Both are pure functions of the text and never trap, whatever the input (the fuzz target checks it).

/// The value of a decimal number such as `-0.5` or `42`; nil when `text` is anything else.
public func parseDecimalNumber(_ text: some StringProtocol) -> Double? {
    var digits = 0, dots = 0
    for (i, c) in text.utf8.enumerated() {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "."): dots += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"): if i != 0 { return nil }
        default: return nil
        }
    }
    guard digits > 0, dots <= 1, digits <= 40 else { return nil }
    guard let x = Double(String(text)), x.isFinite else { return nil }
    return x
}

/// A byte size as typed (`512M`, `1.5G`, `64KiB`, `4096`): the whole number of bytes, or nil when
/// malformed, negative, fractional or at least 2^63.
public func parseSizeInBytes(_ text: String) -> Int? {
    var s = Substring(text.uppercased())
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    for suffix in ["IB", "B"] where s.hasSuffix(suffix) && s.count > suffix.count {
        s.removeLast(suffix.count)
        break
    }
    var shift = 0
    if let last = s.last, let bits = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
        shift = bits
        s.removeLast()
    }
    guard s.first != "-", s.first != "+", let x = parseDecimalNumber(s) else { return nil }
    let bytes = x * Double(UInt64(1) << UInt64(shift))
    // Whole bytes only; 2^63 is the first value Int cannot hold.
    guard bytes < 9_223_372_036_854_775_808.0, bytes.rounded(.towardZero) == bytes else { return nil }
    return Int(bytes)
}
