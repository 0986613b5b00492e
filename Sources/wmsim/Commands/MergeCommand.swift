import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim merge`: joins the results files of one sweep's or one training population's shards.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge results files (shards of one sweep, training population or analysis) into one JSON Lines file.",
        discussion: """
            Refuses files of different runs (their fingerprints differ) and files of different
            kinds. Keeps the first row of every (point, replicate), skips broken lines with a
            warning, and lists what is still missing. For a training population it also prints
            the success table and writes it as CSV next to the output (OUTPUT-STEM.success.csv);
            for an analysis, the table and comparison of mechanisms, the population summary
            (OUTPUT-STEM-summary.json, from the merged rows) and the population figures
            (OUTPUT-STEM-plots/: forgetting, noise, silencing, mechanisms per parameter). An
            existing output file (or its success table or summary) is refused unless --force; an
            output that is also an input is always refused.
            The merged file is written even when networks are missing, but then the command
            fails (exit 1) listing them, unless --allow-incomplete: a SLURM merge that runs
            after failed tasks says so instead of passing.
            """)

    @Argument(help: "Results files (.jsonl) of one run.", completion: .file(extensions: ["jsonl"])) var inputs: [String]
    @Option(name: .shortAndLong, help: "Merged file to write.", completion: .file(extensions: ["jsonl"])) var output: String
    @Flag(help: "Overwrite an existing output file (and its success table).") var force = false
    @Flag(help: "Exit 0 even when networks of the plan are missing (a partial merge on purpose).") var allowIncomplete = false
    @Flag(help: "Skip input files that do not exist (a SLURM task that never started), with a note.") var skipMissingFiles = false

    func run() throws {
        do {
            var present = inputs
            if skipMissingFiles {
                let absent = inputs.filter { !FileManager.default.fileExists(atPath: $0) }
                for a in absent { Console.note("note: \(a) does not exist (its task did not start or wrote nothing); skipped") }
                present = inputs.filter { FileManager.default.fileExists(atPath: $0) }
            }
            guard let first = present.first else { throw ValidationError(inputs.isEmpty ? "give at least one results file" : "none of the results files exists") }
            let urls = present.map { URL(fileURLWithPath: $0) }
            let out = URL(fileURLWithPath: output)
            let kind = try resultsFileKind(urls[0])
            try refuseOverwriting(out, kind: kind, inputs: urls)
            let report: ResultsMerge.Report
            switch kind {
            case SweepHeader.kind:
                report = try ResultsMerge.merge(urls, into: out, as: SweepResults.self).0
            case TrainingHeader.kind:
                let (r, merged) = try ResultsMerge.merge(urls, into: out, as: TrainingResults.self)
                report = r
                let table = try TrainingSuccessTable(merged)
                print(table.text())
                let csv = out.deletingPathExtension().appendingPathExtension("success.csv")
                try ResultWriter.text(table.csv(parameters: merged.header.spec.variedParameters.map(\.rawValue)), to: csv)
                print("wrote \(csv.path)")
            case AnalysisSpec.resultsKind:
                let (r, merged) = try ResultsMerge.merge(urls, into: out, as: AnalysisResults.self)
                report = r
                let summary = PopulationSummary(merged.rows, results: out)
                print(MechanismTable(merged.rows).text)
                print(summary.comparison.text)
                let summaryURL = PopulationSummary.url(for: out)
                try ResultWriter.json(summary, to: summaryURL)
                print("wrote \(summaryURL.path)")
                let figures = try AnalysisRunner.writePopulationPlots(merged.rows, output: out)
                if !figures.isEmpty { print("figures in \(AnalysisRunner.companion(out, "plots"))/: \(figures.joined(separator: ", "))") }
            default:
                throw WMError.file(path: first, reason: "holds \(kind) results, which wmsim merge does not know")
            }
            for w in report.warnings { Console.note("warning: \(w)") }
            print("merged \(report.rows) row(s) from \(urls.count) file(s) into \(output)")
            if !report.missing.isEmpty {
                let pts = Set(report.missing.map(\.point)).sorted()
                let text = "\(report.missing.count) network(s) missing (points \(pts.prefix(20).map(String.init).joined(separator: ","))\(pts.count > 20 ? ", …" : "")); "
                    + "rerun their shards (a SLURM job: ./\(kind == AnalysisSpec.resultsKind ? "resubmit-analysis.sh" : "resubmit.sh") with the failed array tasks, see the task logs), then merge again"
                if allowIncomplete { Console.note("note: " + text) } else { throw CLIError("incomplete: " + text) }
            }
        } catch let e as WMError { throw CLIError(e.description) }
    }

    /// Refuses, before anything is read or written, to replace files that exist unless `--force`:
    /// a mistyped `-o` must not destroy an unrelated file.
    func refuseOverwriting(_ out: URL, kind: String, inputs: [URL]) throws {
        var written = [out]
        if kind == TrainingHeader.kind { written.append(out.deletingPathExtension().appendingPathExtension("success.csv")) }
        if kind == AnalysisSpec.resultsKind { written.append(PopulationSummary.url(for: out)) }
        // An output that is also an input is refused by the merge itself, even with --force; a
        // companion file that is an input is refused here.
        if let clash = written.dropFirst().first(where: { w in inputs.contains { $0.standardizedFileURL == w.standardizedFileURL } }) {
            throw WMError.file(path: clash.path, reason: "is one of the inputs and would be overwritten by the merge's \(clash.lastPathComponent == PopulationSummary.url(for: out).lastPathComponent ? "summary" : "success table"); choose another --output")
        }
        guard !inputs.contains(where: { $0.standardizedFileURL == out.standardizedFileURL }), !force else { return }
        let existing = written.filter { FileManager.default.fileExists(atPath: $0.path) }
        guard !existing.isEmpty else { return }
        throw WMError.file(path: existing.map(\.path).joined(separator: ", "),
                           reason: "\(existing.count == 1 ? "exists" : "exist"); choose another --output or pass --force to overwrite")
    }
}
