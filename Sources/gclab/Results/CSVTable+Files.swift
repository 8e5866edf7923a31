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
        try OutputDirectory.prepare(directory, what: "--out")
        try write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
    }
}

/// Writes `text` to a temporary file beside `url`, then renames it over `url`. The temporary is
/// registered while it exists, so an interrupted process removes it (OutputFiles.swift).
func writeAtomically(_ text: String, to url: URL) throws {
    let temp = TemporaryFiles.temporary(for: url)
    TemporaryFiles.register(temp.path)
    defer { TemporaryFiles.unregister(temp.path) }
    func fail(_ what: String) -> OutputError {
        let reason = OutputDirectory.systemReason()
        unlink(temp.path)
        return OutputError(message: "could not write \(url.path): \(what): \(reason)")
    }
    let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw fail("cannot create \(temp.lastPathComponent)") }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { close(fd); throw fail("write") }
        written += n
    }
    guard close(fd) == 0 else { throw fail("close") }
    guard rename(temp.path, url.path) == 0 else { throw fail("rename") }
}

/// A result file could not be written (exit code 1: the input was fine, the machine was not).
struct OutputError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
