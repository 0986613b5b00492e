import Foundation
import WMCore

/// The HTML of each kind of result. One file per kind (ReportSections+Kind.swift).
enum ReportSections {
    typealias H = HTMLReport

    static func section(for a: ReportArtefact, source: String) throws -> HTMLReport.Section {
        switch a {
        case .capacity(let u): return try capacity(u, source: source)
        case .readoutCurve(let u): return try readoutCurve(u, source: source)
        case .sweep(let u): return try sweep(u, source: source)
        case .stats(let u): return try stats(u, source: source)
        case .optimize(let u): return try optimize(u, source: source)
        case .trainingPopulation(let u): return try trainingPopulation(u, source: source)
        case .trainedNetwork(let u): return try trainedNetwork(u, source: source)
        case .analysis(let u): return try analysis(u, source: source)
        case .unreadable(_, let why):
            return .init(title: "Not shown — \(source)", anchor: anchor("unreadable", source), html: H.warnings(["\(source) could not be shown: \(why)"]))
        }
    }

    /// An anchor from a source path.
    static func anchor(_ kind: String, _ source: String) -> String {
        kind + "-" + String(source.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// The provenance table of a `provenance` object (capacity, optimize, stats, trained).
    static func provenance(_ p: JSONNode, result: URL) -> String {
        let backend = p["backend"].exists ? [p["backend"]["kind"].string, p["backend"]["device"].string].compactMap { $0 }.joined(separator: ": ") : nil
        return "<h3>Provenance</h3>" + H.provenance(command: p["command"].strings, commit: p["commit"].string, version: p["version"].string,
                                                  created: p["date"].string, host: p["host"].string, backend: backend, result: result)
    }

    /// The provenance of a results file: its header, and where its rows ran.
    static func provenance(header h: JSONNode, backends: [String], result: URL) -> String {
        let set = Array(Set(backends)).sorted()
        return "<h3>Provenance</h3>" + H.provenance(command: h["command"].strings, commit: h["commit"].string, version: h["version"].string,
                                                  created: h["created"].string, host: h["host"].string,
                                                  backend: set.isEmpty ? nil : set.joined(separator: "; "), result: result)
    }

    /// The header line of a results file, read alone (the rows are read by the typed reader).
    static func header(_ url: URL, source: String) -> JSONNode {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return JSONNode(value: nil, source: source) }
        defer { try? h.close() }
        var data = Data()
        while let chunk = try? h.read(upToCount: 1 << 16), !chunk.isEmpty {
            if let nl = chunk.firstIndex(of: 0x0A) { data.append(chunk[chunk.startIndex..<nl]); break }
            data.append(chunk)
        }
        return JSONNode(value: try? JSONDecoder().decode(JSONValue.self, from: data), source: source, line: 0)
    }

    /// The result lines of a results file, one per network as the typed readers keep them: a
    /// later result replaces an error row of the same network (a retry), otherwise the first stays.
    static func latestRows(_ url: URL, source: String) throws -> [JSONNode] {
        var kept: [String: Int] = [:]
        var rows: [JSONNode] = []
        for line in try JSONNode.readLines(url, source: source) where line["type"].string == "result" {
            let unit = "\(line["point"].text)/\(line["replicate"].text)"
            if let k = kept[unit] {
                if rows[k]["error"].exists && !line["error"].exists { rows[k] = line }
            } else {
                kept[unit] = rows.count
                rows.append(line)
            }
        }
        return rows
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
