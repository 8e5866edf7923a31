// The number, size and JSON syntax every gclab input goes through (NumberSyntax.swift, JSONValue.swift):
// what is accepted, what is refused, and that malformed input of any shape is an error, never a trap.

import Pacer
import XCTest

final class InputSyntaxTests: XCTestCase {
    func testDecimalNumbersOnly() {
        for (text, value) in [("42", 42.0), ("-0.5", -0.5), ("+2.25", 2.25), (".5", 0.5), ("7.", 7.0), ("0", 0)] {
            XCTAssertEqual(parseDecimalNumber(text), value, text)
        }
        for text in ["", "-", ".", "1e9", "1E3", "0x10", "0x1p3", "inf", "nan", "1.2.3", "1-2", " 1", "1 ", "--1", "١٢", "1_000"] {
            XCTAssertNil(parseDecimalNumber(text), text)
        }
    }

    func testSizesComeToWholeBytes() {
        let cases: [(String, Int)] = [("4096", 4096), ("64K", 65536), ("64KiB", 65536), ("64kb", 65536), ("512M", 512 << 20),
                                      ("1.5M", 1_572_864), ("1.5G", 3 << 29), ("2T", 2 << 40), (" 8M ", 8 << 20), ("0", 0)]
        for (text, bytes) in cases { XCTAssertEqual(parseSizeInBytes(text), bytes, text) }
        for text in ["", "M", "1e9", "1e3K", "0.3K", "1.1M", "-1M", "+1M", "0x400", "1.5", "12Q", "1KK", "inf", "nan",
                     "9223372036854775808", "8388608T", "1 M"] {
            XCTAssertNil(parseSizeInBytes(text), text)
        }
        XCTAssertEqual(parseSizeInBytes("9223372036854775807"), nil, "not exactly representable as a double, rounds up to 2^63")
        XCTAssertEqual(parseSizeInBytes("8388607T"), 8_388_607 << 40)
    }

    func testJSONValuesAndOrder() throws {
        let v = try JSONValue.parse(#" {"b": [1, -2.5e3, "x\u00e9\ud83d\ude00\n"], "a": {"t": true, "f": false, "n": null}} "#)
        XCTAssertEqual(v, .object([
            ("b", .array([.number("1"), .number("-2.5e3"), .string("xé😀\n")])),
            ("a", .object([("t", .bool(true)), ("f", .bool(false)), ("n", .null)])),
        ]))
        XCTAssertEqual(try JSONValue.parse("[]"), .array([]))
        XCTAssertEqual(try JSONValue.parse("{}"), .object([]))
    }

    func testMalformedJSONIsAnErrorWithAPosition() {
        let cases: [(String, String)] = [
            (#"{"gogc": 50, "gogc": 100}"#, "line 1, column 14: duplicate key \"gogc\""),
            ("{\n  \"a\": 1,\n  \"a\": 2\n}", "line 3, column 3: duplicate key \"a\""),
            (#"{"a": 1,}"#, "expected a key"), (#"{"a" 1}"#, "expected ':'"), (#"[1 2]"#, "expected ','"),
            ("01", "unexpected text"), ("1.", "digits must follow"), ("1e", "digits must follow"), ("-", "invalid number"),
            (#""abc"#, "unterminated"), ("\"a\tb\"", "control character"), (#""\x""#, "invalid escape"),
            (#""\ud800""#, "unpaired surrogate"), (#""\u12""#, #"invalid \u escape"#), ("tru", "invalid value"),
            ("", "unexpected end"), ("{} {}", "unexpected text"), (String(repeating: "[", count: 100), "nested more than 64"),
            ("NaN", "invalid value"), ("[1,]", "invalid value"),
        ]
        for (text, message) in cases {
            do {
                _ = try JSONValue.parse(text)
                XCTFail("accepted: \(text)")
            } catch {
                XCTAssertTrue(error.description.contains(message), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]), "invalid UTF-8 in a string")
    }

    /// Random bytes and random mutations of a valid document: each ends in a value or an error.
    func testRandomInputNeverTraps() {
        var rng = SplitMix64(seed: 7)
        let seed = Array(#"{"workloads": ["gcbench", "quads"], "gogc": [50, 100.5e1], "verify": true, "x": null}"#.utf8)
        let alphabet = Array(#"{}[]",:0123456789.eE+-\u"tfnrl aK"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        for i in 0..<20_000 {
            var bytes = i % 2 == 0 ? seed : (0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            for _ in 0..<Int(rng.next() % 4) where !bytes.isEmpty {
                bytes[Int(rng.next() % UInt64(bytes.count))] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            _ = try? JSONValue.parse(bytes)
            let text = String(decoding: bytes.prefix(12), as: UTF8.self)
            _ = parseSizeInBytes(text)
            _ = parseDecimalNumber(text)
        }
    }
}
