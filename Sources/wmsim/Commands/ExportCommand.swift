import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim export`: a sweep's JSON Lines results as one flat CSV.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a sweep's results as a flat CSV (one row per network; pandas.read_csv reads it as is).",
        discussion: """
            Columns: point, replicate, seed, every parameter, then per decoder <decoder>_mc and
            <decoder>_r_lag<k> for each lag it scored, then error, backend, seconds, batch.
            Empty cells are missing values (a failed network, a lag a decoder did not score);
            undefined correlations are nan.
            """)

    @Argument(help: "Sweep results file (.jsonl).", completion: .file(extensions: ["jsonl"])) var results: String
    @Option(name: .shortAndLong, help: "CSV to write (default: the results file with .csv).", completion: .file(extensions: ["csv"])) var output: String?
    @Flag(help: "Overwrite an existing CSV.") var force = false

    func run() throws {
        do {
            let url = URL(fileURLWithPath: results)
            let kind = try resultsFileKind(url)
            guard kind == SweepHeader.kind else {
                throw CLIError("\(results) holds \(kind) results; wmsim export writes sweeps (training and analysis rows are read by their own tools)")
            }
            let file = try SweepResults.read(url)
            for w in file.warnings { Console.note("warning: \(w)") }
            let out = URL(fileURLWithPath: output ?? url.deletingPathExtension().appendingPathExtension("csv").path)
            if FileManager.default.fileExists(atPath: out.path), !force {
                throw CLIError("\(out.path) exists; choose another --output or pass --force to overwrite")
            }
            try SweepCSV.write(file, to: out)
            print("wrote \(file.rows.count) row(s) to \(out.path)")
        } catch let e as WMError { throw CLIError(e.description) }
    }
}
