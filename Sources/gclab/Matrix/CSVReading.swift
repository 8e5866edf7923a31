// Reading the CSV files gclab writes (RFC 4180: fields quoted only when they must be). The matrix
// commands read them back: a run's summary.csv, a matrix's summary.csv (merge, summarize, --resume) and
// the min-heap cache. Writing stays with CSVTable and writeAtomically (Results/CSVTable.swift).

import Foundation

/// A CSV file read into memory: the header row and the data rows, every row as long as the header.
struct CSVFile {
    var header: [String]
    var rows: [[String]]

    /// The rows as column name → value.
    var records: [[String: String]] {
        rows.map { Dictionary(zip(header, $0), uniquingKeysWith: { first, _ in first }) }
    }

    /// Reads `url`. A missing file, an empty file or a row of the wrong length is a `UsageError`
    /// (these files are the user's input to merge and summarize).
    static func read(_ url: URL) throws -> CSVFile {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw UsageError("cannot read \(url.path)")
        }
        let lines = parse(text)
        guard let header = lines.first, header != [""] else { throw UsageError("\(url.path) is empty") }
        for (i, row) in lines.dropFirst().enumerated() where row.count != header.count {
            throw UsageError("\(url.path): row \(i + 1) has \(row.count) fields for \(header.count) columns")
        }
        return CSVFile(header: header, rows: Array(lines.dropFirst()))
    }

    /// Splits CSV text into rows of fields; quoted fields may hold commas, quotes ("") and newlines.
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append(c); chars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && chars.first == "\n" { chars.removeFirst() }
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
