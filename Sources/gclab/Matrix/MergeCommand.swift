// `gclab merge DIR... --out DIR2`: joins the summary.csv files of a sharded matrix (`gclab matrix
// --shard i/n`, one directory per shard) into DIR2/summary.csv. The headers must be equal; a run id seen
// twice keeps its first row. Rows come in matrix order when the first directory has a matrix.json
// (every shard's matrix.json lists the whole matrix), else in input order.

import Foundation
import Pacer

enum MergeCommand {
    static let help = """
    usage: gclab merge DIR... --out DIR2
    Joins the summary.csv of each DIR (a matrix directory, or a summary.csv file) into DIR2/summary.csv.
    All must have the same header; a run_id seen twice keeps its first row. The runs' own files stay
    in the shard directories.
    """

    static func main(_ args: [String]) throws {
        let o = try OptionParser(args, valueOptions: ["out"], flagOptions: ["help"], allowPositionals: true)
        if o.flag("help") { print(help); return }
        guard !o.positionals.isEmpty else { throw UsageError("gclab merge needs at least one matrix directory") }
        guard let outPath = o.string("out"), !outPath.isEmpty else { throw UsageError("--out DIR2 is required") }
        try OutputDirectory.prepare(outPath, what: "--out")

        var header: [String]?
        var rows: [[String]] = []
        var seen = Set<String>()
        for input in o.positionals {
            let url = summaryFile(input)
            let file = try CSVFile.read(url)
            guard let idColumn = file.header.firstIndex(of: "run_id") else { throw UsageError("\(url.path) has no run_id column: not a matrix summary") }
            if let h = header, h != file.header {
                throw UsageError("\(url.path) has a different header from \(summaryFile(o.positionals[0]).path): not shards of one matrix")
            }
            header = file.header
            for row in file.rows where seen.insert(row[idColumn]).inserted { rows.append(row) }
        }
        let idColumn = header!.firstIndex(of: "run_id")!
        if let order = MatrixSummary.plannedRunIds(in: summaryFile(o.positionals[0]).deletingLastPathComponent()) {
            let position = Dictionary(order.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
            rows = rows.enumerated().sorted { a, b in
                (position[a.element[idColumn]] ?? order.count + a.offset, a.offset) < (position[b.element[idColumn]] ?? order.count + b.offset, b.offset)
            }.map(\.element)
        }
        let out = URL(fileURLWithPath: outPath)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var table = CSVTable(header!)
        for row in rows { table.append(row) }
        try table.write(to: out.appendingPathComponent("summary.csv"))
        print("merged \(rows.count) runs from \(o.positionals.count) files into \(out.appendingPathComponent("summary.csv").path)")
    }

    /// DIR/summary.csv, or the file itself when a .csv file is named.
    static func summaryFile(_ path: String) -> URL {
        path.hasSuffix(".csv") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: path).appendingPathComponent("summary.csv")
    }
}
