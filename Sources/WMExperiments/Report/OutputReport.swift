import Foundation
import WMCore

/// `wmsim report`: one page for the results found in some output folders or files.
public enum OutputReport {
    /// Builds the page for `paths`; `reportFolder` is where the page will be written (sources
    /// are named relative to it).
    public static func build(paths: [URL], reportFolder: URL, title: String? = nil) throws -> HTMLReport {
        var artefacts: [ReportArtefact] = []
        var notes: [String] = []
        for p in paths {
            let found = try ReportArtefact.find(in: p)
            for a in found.artefacts where !artefacts.contains(a) { artefacts.append(a) }
            notes += found.notes
        }
        if artefacts.count == 1, case .unreadable(let u, let why) = artefacts[0] { throw WMError.file(path: u.path, reason: why) }
        guard !artefacts.isEmpty else {
            throw WMError.file(path: paths.map(\.path).joined(separator: ", "),
                               reason: "holds no wmsim results (capacity.json, readout_curve.json, stats.json, optimize.json, trained.json or results .jsonl of sweep, train or analyze)")
        }
        var page = HTMLReport(title: title ?? defaultTitle(artefacts))
        let formatter = ISO8601DateFormatter()
        page.preamble.append("Made by wmsim \(HTMLReport.esc(WMSimVersion.string)) on \(formatter.string(from: Date())) from "
                             + paths.map { "<code>\(HTMLReport.esc($0.path))</code>" }.joined(separator: ", ") + ".")
        for n in notes { page.preamble.append("<span class=\"warn\">\(HTMLReport.esc(n))</span>") }
        var anchors: Set<String> = []
        for (k, a) in artefacts.enumerated() {
            let source = relativePath(a.url, from: reportFolder)
            var section: HTMLReport.Section
            do {
                section = try ReportSections.section(for: a, source: source)
            } catch {
                // One unreadable result does not cost the page the others.
                guard artefacts.count > 1 else { throw error }
                let why = (error as? WMError)?.description ?? "\(error)"
                section = .init(title: "Not shown — \(source)", anchor: ReportSections.anchor("unreadable", source),
                                html: HTMLReport.warnings(["\(source) could not be shown: \(why)"]))
            }
            var anchor = section.anchor
            if anchors.contains(anchor) { anchor += "-\(k)" }
            anchors.insert(anchor)
            section.anchor = anchor
            page.sections.append(section)
        }
        return page
    }

    static func defaultTitle(_ artefacts: [ReportArtefact]) -> String {
        if artefacts.count == 1 {
            switch artefacts[0] {
            case .capacity: return "Memory capacity"
            case .readoutCurve: return "Memory capacity vs readout neurons"
            case .sweep: return "Parameter sweep"
            case .stats: return "Parameter effects"
            case .optimize: return "Parameter optimisation"
            case .trainingPopulation: return "Trained population"
            case .trainedNetwork: return "Trained network"
            case .analysis: return "How trained networks remember"
            case .unreadable: return "wmsim results"
            }
        }
        return "wmsim results"
    }

    /// `url` relative to `folder` when it lies inside it, else its absolute path.
    public static func relativePath(_ url: URL, from folder: URL) -> String {
        let f = folder.standardizedFileURL.resolvingSymlinksInPath().path
        let u = url.standardizedFileURL.resolvingSymlinksInPath().path
        let prefix = f.hasSuffix("/") ? f : f + "/"
        return u.hasPrefix(prefix) ? String(u.dropFirst(prefix.count)) : u
    }
}
