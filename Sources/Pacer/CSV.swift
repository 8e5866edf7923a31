// Result tables as CSV text: a header and rows of already-formatted fields, quoted only when they must be
// (RFC 4180). The simulator and the gain search build them; the command line writes them to files
// (atomically: Sources/gclab/Results/CSVTable+Files.swift). No file I/O here.

import Foundation

/// A CSV table: a header and rows of already-formatted fields.
public struct CSVTable: Equatable, Sendable {
    /// Column names.
    public let header: [String]
    /// Rows, each with one field per column.
    public private(set) var rows: [[String]] = []

    /// An empty table with these columns.
    public init(header: [String]) { self.header = header }

    /// Appends a row; it must have one field per column.
    public mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "CSV row has \(row.count) fields, header has \(header.count)")
        rows.append(row)
    }

    /// The whole table as CSV text (LF line endings, trailing newline).
    public var text: String {
        var out = header.map(CSVTable.escape).joined(separator: ",") + "\n"
        for row in rows { out += row.map(CSVTable.escape).joined(separator: ",") + "\n" }
        return out
    }

    /// Quotes a field if it contains a comma, quote or line break.
    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number with `digits` decimals (empty for nil; "nan"/"inf" spelled out).
    public static func number(_ x: Double?, digits: Int = 6) -> String {
        guard let x else { return "" }
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)f", x)
    }

    /// An integer (empty for nil).
    public static func integer(_ x: Int?) -> String { x.map(String.init) ?? "" }
}
