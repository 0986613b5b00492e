import Foundation
import WMCore

/// The HTML of each kind of result. One file per kind (ReportSections+Kind.swift).
enum ReportSections {
    typealias H = HTMLReport

    static func section(for a: ReportArtefact, source: String) throws -> HTMLReport.Section {
        switch a {
        case .capacity(let u): return try capacity(u, source: source)
        case .sweep(let u): return try sweep(u, source: source)
        case .stats(let u): return try stats(u, source: source)
        case .optimize(let u): return try optimize(u, source: source)
        case .trainingPopulation(let u): return try trainingPopulation(u, source: source)
        case .trainedNetwork(let u): return try trainedNetwork(u, source: source)
        case .analysis(let u): return try analysis(u, source: source)
        }
    }

    /// An anchor from a source path.
    static func anchor(_ kind: String, _ source: String) -> String {
        kind + "-" + String(source.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// The provenance table of a `provenance` object (capacity, optimize, stats, trained).
    static func provenance(_ p: JSONNode) -> String {
        let backend = p["backend"].exists ? [p["backend"]["kind"].string, p["backend"]["device"].string].compactMap { $0 }.joined(separator: ": ") : nil
        return "<h3>Provenance</h3>" + H.provenance(command: p["command"].strings, commit: p["commit"].string, version: p["version"].string,
                                                  created: p["date"].string, host: p["host"].string, backend: backend)
    }

    /// The provenance of a results file: its header, and where its rows ran.
    static func provenance(header h: JSONNode, rows: [JSONNode]) -> String {
        let backends = Array(Set(rows.compactMap { $0["backend"].string })).sorted()
        return "<h3>Provenance</h3>" + H.provenance(command: h["command"].strings, commit: h["commit"].string, version: h["version"].string,
                                                  created: h["created"].string, host: h["host"].string,
                                                  backend: backends.isEmpty ? nil : backends.joined(separator: "; "))
    }

    /// The files next to a result, offered for download.
    static func downloads(_ urls: [URL]) -> String {
        let links = urls.filter { FileManager.default.fileExists(atPath: $0.path) }.map { u -> String in
            let mime = u.pathExtension == "csv" ? "text/csv" : u.pathExtension == "json" ? "application/json" : "text/plain"
            return H.attachment(u, mime: mime)
        }
        return links.isEmpty ? "" : "<p>Data: " + links.joined(separator: " · ") + "</p>\n"
    }

    /// The figures named `names` in `dir` that exist, with captions.
    static func figures(_ dir: URL, _ items: [(String, String)]) -> String {
        items.filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0.0).path) }
            .map { H.figure(dir.appendingPathComponent($0.0), caption: $0.1) }.joined()
    }

    /// SVGs in `dir` whose names start with `prefix`, sorted.
    static func svgs(in dir: URL, prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix(prefix) && $0.hasSuffix(".svg") }.sorted()
    }

    static func details(_ summary: String, _ html: String) -> String {
        "<details><summary>\(H.esc(summary))</summary>\n\(html)</details>\n"
    }
}
