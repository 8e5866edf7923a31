// Sizes as people type them: `123`, `64K`, `512M`, `1G`, `2GiB`, `1.5G` (binary multiples; the syntax is
// Pacer's NumberSyntax.swift). Shared by the command line and by plan options of kind `size`, so both
// accept exactly the same spellings.

import Pacer

/// Parses a byte size such as `512M` or `2GiB`; nil when malformed, fractional or out of range.
public func parseByteSize(_ text: String) -> Int? { parseSizeInBytes(text) }
