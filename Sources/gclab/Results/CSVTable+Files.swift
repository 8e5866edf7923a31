// Writing result tables (Pacer's CSVTable) to files, atomically: a temporary file in the same directory,
// then a rename over the final name (rename(2) within one file system is atomic), so a reader (a plotting
// script, a concurrent `tail`, a resumed matrix) never sees a half-written file and a killed run loses
// nothing it finished. Every file gclab writes goes through `writeAtomically`.

import Foundation
import Pacer

extension CSVTable {
    /// An empty table with these columns.
    init(_ columns: [String]) { self.init(header: columns) }

    /// Appends a row of values, one per column, formatted with `description`.
    mutating func append(_ values: [CustomStringConvertible]) { append(values.map(\.description)) }

    /// Writes the table to `url` atomically.
    func write(to url: URL) throws { try writeAtomically(text, to: url) }

    /// Writes the table to `directory/name` atomically, creating the directory if needed.
    func write(toDirectory directory: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
    }
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
