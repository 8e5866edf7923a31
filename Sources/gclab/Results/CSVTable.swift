// Tidy CSV output: a header row with units in the column names, one row per record, written atomically
// (temporary file in the same directory, then rename) so a killed run never leaves a half-written file.

import Foundation

/// A CSV table being built in memory.
struct CSVTable {
    let columns: [String]
    private(set) var rows: [[String]] = []

    init(_ columns: [String]) { self.columns = columns }

    /// Appends a row; it must have one value per column.
    mutating func append(_ values: [CustomStringConvertible]) {
        precondition(values.count == columns.count, "row has \(values.count) values for \(columns.count) columns")
        rows.append(values.map { CSVTable.escape($0.description) })
    }

    var text: String {
        ([columns.joined(separator: ",")] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    static func escape(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Writes the table to `url` atomically.
    func write(to url: URL) throws { try writeAtomically(text, to: url) }
}

/// Writes `text` to a temporary file beside `url`, then renames it over `url`.
func writeAtomically(_ text: String, to url: URL) throws {
    let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    try Data(text.utf8).write(to: temp)
    if rename(temp.path, url.path) != 0 {
        try? FileManager.default.removeItem(at: temp)
        throw OutputError(message: "could not write \(url.path): \(String(cString: strerror(errno)))")
    }
}

/// A result file could not be written (exit code 1: the input was fine, the machine was not).
struct OutputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
