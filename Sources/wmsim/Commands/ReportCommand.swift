import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim report`: one self-contained HTML page for output folders or results files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page (figures, tables, provenance, commands to reproduce) for wmsim outputs.",
        discussion: """
            Give output folders or files of capacity, sweep/merge (+ stats), optimize, train and
            analyze; folders are searched 3 levels deep (per-network archives and shards are
            skipped). A sweep results file brings its default stats folder (<file>-stats) along.
            The page has no scripts and loads nothing from the network: figures and data files
            are embedded. Numbers copied from a file carry data-src, data-line and data-ptr (a
            JSON pointer) so the page can be checked against the files.
            """)

    @Argument(help: "Output folders or results files.", completion: .file()) var paths: [String]
    @Option(name: .shortAndLong, help: "HTML file to write (default: report.html in the folder, or <file>.report.html next to a file).",
            completion: .file(extensions: ["html"])) var output: String?
    @Option(help: "Page title (default: from what was found).") var title: String?
    @Flag(help: "Overwrite an existing report.") var force = false

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one output folder or results file") }
        if let o = output {
            // The page is HTML: a .json, .csv or .jsonl name here is a slip that would replace a result.
            guard o.lowercased().hasSuffix(".html") || o.lowercased().hasSuffix(".htm") else {
                throw ValidationError("--output must name an .html file (got '\(o)')")
            }
        }
        if let t = title, t.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--title must not be empty") }
    }

    func run() throws {
        do {
            let urls = paths.map { URL(fileURLWithPath: $0).standardizedFileURL }
            let out = URL(fileURLWithPath: output ?? defaultOutput(urls[0]).path).standardizedFileURL
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: out.path, isDirectory: &isDir) {
                if isDir.boolValue { throw CLIError("\(out.path) is a folder; --output names the .html file to write") }
                if !force { throw CLIError("\(out.path) exists; choose another --output or pass --force to overwrite") }
            }
            let page = try OutputReport.build(paths: urls, reportFolder: out.deletingLastPathComponent(), title: title)
            do {
                try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create the folder of \(out.path): \(error.localizedDescription)")
            }
            try ResultWriter.text(page.render(), to: out)
            print("wrote \(out.path) (\(page.sections.count) section(s): \(page.sections.map(\.title).joined(separator: "; ")))")
        } catch let e as WMError { throw CLIError(e.description) }
    }

    func defaultOutput(_ first: URL) -> URL {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: first.path, isDirectory: &isDir), isDir.boolValue {
            return first.appendingPathComponent("report.html")
        }
        return first.deletingPathExtension().appendingPathExtension("report.html")
    }
}
