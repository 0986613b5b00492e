import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim merge`: joins the results files of one sweep's shards.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge sweep results files (shards of one sweep) into one JSON Lines file.",
        discussion: "Refuses files of different sweeps (their fingerprints differ). Keeps the first row of every (point, replicate), skips broken lines with a warning, and lists points still missing.")

    @Argument(help: "Results files (.jsonl) of one sweep.") var inputs: [String]
    @Option(name: .shortAndLong, help: "Merged file to write.") var output: String

    func run() throws {
        do {
            let report = try SweepMerge.merge(inputs.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: output))
            for w in report.warnings { Console.note("warning: \(w)") }
            if !report.missing.isEmpty {
                let pts = Set(report.missing.map(\.point)).sorted()
                Console.note("note: \(report.missing.count) network(s) missing (points \(pts.prefix(20).map(String.init).joined(separator: ","))\(pts.count > 20 ? ", …" : "")); rerun their shards to complete the sweep")
            }
            print("merged \(report.rows) row(s) from \(inputs.count) file(s) into \(output)")
        } catch let e as WMError { throw CLIError(e.description) }
    }
}
