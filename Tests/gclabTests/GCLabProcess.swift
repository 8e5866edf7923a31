// Running the built `gclab` executable from a test: where it is, and what a run printed and returned.

import Foundation
import XCTest
@testable import gclab

/// What one `gclab` process did.
struct GCLabResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum GCLabProcess {
    /// The `gclab` binary built beside the test bundle.
    static var binary: URL {
        var dir = Bundle(for: CLITests.self).bundleURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("gclab").path) && dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("gclab")
    }

    /// Runs `gclab args` to completion.
    static func run(_ args: [String]) throws -> GCLabResult {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return GCLabResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                           stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A test case with a fresh directory, `temp`, for what its tests write; removed after each test.
class TemporaryDirectoryTestCase: XCTestCase {
    /// This test's own directory.
    var temp: URL!

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("gclab-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temp) }

    /// Header and rows (as column → value) of a CSV file gclab wrote, read by gclab's own reader.
    func csv(_ url: URL) throws -> (header: [String], rows: [[String: String]]) {
        let file = try CSVFile.read(url)
        return (file.header, file.records)
    }
}
