// Writing result tables as CSV, atomically.
//
// Readers (plotting scripts, a concurrent `tail`) must never see a half-written file, so a table is written
// to a temporary file in the destination directory and renamed over the final name; rename(2) within one
// file system is atomic. Fields are quoted only when they must be (RFC 4180).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// Writes the table to `directory/name`, creating the directory if needed; atomic (temp file + rename).
    public func write(toDirectory directory: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let final = (directory as NSString).appendingPathComponent(name)
        let temp = (directory as NSString).appendingPathComponent(".\(name).tmp.\(getpid())")
        guard FileManager.default.createFile(atPath: temp, contents: Data(text.utf8)) else {
            throw CSVWriteError(description: "cannot write \(temp)")
        }
        if rename(temp, final) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temp)
            throw CSVWriteError(description: "cannot rename \(temp) to \(final): \(reason)")
        }
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

/// A CSV file could not be written.
public struct CSVWriteError: Error, CustomStringConvertible {
    /// What failed.
    public var description: String
}
