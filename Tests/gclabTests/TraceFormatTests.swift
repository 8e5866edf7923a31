// trace.json checked against the Chrome Trace Event Format (what Perfetto and chrome://tracing read):
// a `traceEvents` array whose every event has a known `ph`, a name, pid and tid as integers, `ts` (and `dur`
// for complete events) as non-negative microseconds; counters with numeric args; process and thread names
// as metadata, a name for every track that has events; and complete events that nest properly on each
// track (two slices of one thread are disjoint, or one contains the other), which the viewers need to
// draw them. Checked for the runs of several collectors and for every run of a matrix.

import Foundation
import XCTest

final class TraceFormatTests: TemporaryDirectoryTestCase {
    /// Every way the format can be broken in `url`, as messages (empty: valid).
    static func problems(_ url: URL) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let top = object as? [String: Any], let events = top["traceEvents"] as? [[String: Any]] else {
            return ["no traceEvents array of objects"]
        }
        var problems: [String] = []
        var named = Set<String>(), used = Set<String>(), processNamed = Set<Int>()
        var slices: [String: [(start: Double, end: Double, name: String)]] = [:]
        func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
        func integer(_ v: Any?) -> Int? { number(v).flatMap { $0 == $0.rounded() ? Int($0) : nil } }
        for (i, e) in events.enumerated() {
            func bad(_ why: String) { if problems.count < 20 { problems.append("event \(i) \(e["name"] ?? "?"): \(why)") } }
            guard let ph = e["ph"] as? String, ["X", "B", "E", "i", "I", "C", "M"].contains(ph) else { bad("ph \(e["ph"] ?? "missing")"); continue }
            guard let name = e["name"] as? String, !name.isEmpty else { bad("no name"); continue }
            guard let pid = integer(e["pid"]) else { bad("pid is not an integer"); continue }
            if e["tid"] != nil && integer(e["tid"]) == nil { bad("tid is not an integer") }
            let tid = integer(e["tid"]) ?? 0
            let track = "\(pid)/\(tid)"
            if ph == "M" {
                guard let args = e["args"] as? [String: Any] else { bad("metadata without args"); continue }
                switch name {
                case "process_name": if args["name"] is String { processNamed.insert(pid) } else { bad("process_name without a name") }
                case "thread_name": if args["name"] is String { named.insert(track) } else { bad("thread_name without a name") }
                case "thread_sort_index", "process_sort_index": if integer(args["sort_index"]) == nil { bad("sort_index is not an integer") }
                default: bad("unknown metadata \(name)")
                }
                continue
            }
            guard let ts = number(e["ts"]), ts >= 0, ts.isFinite else { bad("ts is not a non-negative number of µs"); continue }
            switch ph {
            case "X":
                guard e["tid"] != nil else { bad("complete event without tid"); continue }
                guard let dur = number(e["dur"]), dur >= 0, dur.isFinite else { bad("dur is not a non-negative number of µs"); continue }
                used.insert(track)
                slices[track, default: []].append((ts, ts + dur, name))
            case "C":
                guard let args = e["args"] as? [String: Any], !args.isEmpty, args.values.allSatisfy({ number($0) != nil }) else {
                    bad("counter without numeric args"); continue
                }
            default:
                used.insert(track)
            }
            if let args = e["args"], !(args is [String: Any]) { bad("args is not an object") }
        }
        for track in used.subtracting(named).sorted() { problems.append("track \(track) has events but no thread_name") }
        if processNamed.isEmpty { problems.append("no process_name") }
        // Nesting: sorted by start (longest first at equal starts), each slice must end within the
        // innermost open slice that contains its start.
        for (track, list) in slices {
            var open: [(start: Double, end: Double, name: String)] = []
            for s in list.sorted(by: { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }) {
                // ts and dur are printed to the nanosecond: their float sum may exceed the next start by an ulp.
                while let last = open.last, last.end <= s.start + 0.0005 { open.removeLast() }
                if let parent = open.last, s.end > parent.end + 0.0005 {
                    if problems.count < 40 {
                        problems.append("track \(track): \(s.name) [\(s.start), \(s.end)] overlaps \(parent.name) [\(parent.start), \(parent.end)] without nesting")
                    }
                    continue
                }
                open.append(s)
            }
        }
        return problems
    }

    func testRunTracesFollowTheFormat() throws {
        let runs: [[String]] = [
            ["--collector", "stw", "--workload", "gcbench", "--scale", "small"],
            ["--collector", "concurrent", "--workload", "mt-gcbench", "--scale", "small", "--threads", "4", "--roots", "handshake", "--barrier", "hybrid"],
            ["--collector", "concurrent", "--workload", "lru-cache", "--scale", "small", "--threads", "2", "--mark-workers", "0"],
            ["--collector", "treadmill", "--workload", "graph-mutation", "--scale", "small", "--threads", "2", "--mark-workers", "1"],
            ["--collector", "gencopy", "--major", "concurrent", "--workload", "binary-trees", "--scale", "small", "--threads", "2"],
            ["--collector", "baker", "--workload", "gcbench", "--scale", "small", "--threads", "2", "--mark-workers", "1"],
            ["--collector", "immix", "--workload", "quads", "--scale", "small"],
        ]
        for (i, args) in runs.enumerated() {
            let dir = temp.appendingPathComponent("run-\(i)")
            let r = try GCLabProcess.run(["run"] + args + ["--quiet", "--out", dir.path])
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            let problems = try Self.problems(dir.appendingPathComponent("trace.json"))
            XCTAssertEqual(problems, [], "\(args)")
        }
    }

    func testMatrixTracesFollowTheFormat() throws {
        let dir = temp.appendingPathComponent("matrix")
        let r = try GCLabProcess.run(["matrix", "--workloads", "gcbench", "--scale", "small", "--collectors", "stw,concurrent,treadmill",
                                      "--threads", "1,2", "--quiet", "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path)
        XCTAssertEqual(runs.count, 6)
        for run in runs {
            XCTAssertEqual(try Self.problems(dir.appendingPathComponent("runs/\(run)/trace.json")), [], run)
        }
    }

    /// The checker itself finds what it is for.
    func testTheCheckerCatchesBrokenTraces() throws {
        let cases: [(String, String)] = [
            (#"{"traceEvents":[{"name":"p","ph":"M","pid":1,"args":{"name":"x"}},{"name":"a","ph":"X","pid":1,"tid":0,"ts":0,"dur":10},{"name":"b","ph":"X","pid":1,"tid":0,"ts":5,"dur":10},{"name":"thread_name","ph":"M","pid":1,"tid":0,"args":{"name":"t"}}]}"#, "without nesting"),
            (#"{"traceEvents":[{"name":"process_name","ph":"M","pid":1,"args":{"name":"x"}},{"name":"a","ph":"X","pid":1,"tid":3,"ts":0,"dur":1}]}"#, "no thread_name"),
            (#"{"traceEvents":[{"name":"process_name","ph":"M","pid":1,"args":{"name":"x"}},{"name":"c","ph":"C","pid":1,"ts":1,"args":{"v":"high"}}]}"#, "numeric args"),
            (#"{"traceEvents":[{"name":"process_name","ph":"M","pid":1,"args":{"name":"x"}},{"name":"a","ph":"Q","pid":1,"tid":0,"ts":0}]}"#, "ph Q"),
            (#"{"traceEvents":[{"name":"process_name","ph":"M","pid":1,"args":{"name":"x"}},{"name":"a","ph":"X","pid":1,"tid":0,"ts":-1,"dur":1}]}"#, "ts is not"),
        ]
        for (i, (text, message)) in cases.enumerated() {
            let file = temp.appendingPathComponent("t\(i).json")
            try Data(text.utf8).write(to: file)
            let problems = try Self.problems(file)
            XCTAssertTrue(problems.contains { $0.contains(message) }, "\(text): \(problems)")
        }
    }
}
