import Foundation
import WMCore

extension ReportSections {
    /// `wmsim train` over a grid: success per point and every network's outcome.
    static func trainingPopulation(_ url: URL, source: String) throws -> HTMLReport.Section {
        let results = try TrainingResults.read(url)
        let header = Self.header(url, source: source)
        let rows = try latestRows(url, source: source)
        let dir = url.deletingLastPathComponent()
        var o = "<p>\(results.rows.count) network(s) in the file: \(results.rows.filter { $0.learned == true }.count) learned, "
            + "\(results.rows.filter(\.isError).count) failed to run.</p>\n"
        // `wmsim train` writes success.csv beside results.jsonl; `wmsim merge` writes <stem>.success.csv.
        let stem = url.deletingPathExtension().lastPathComponent
        let successURL = dir.appendingPathComponent(stem == "results" ? "success.csv" : stem + ".success.csv")
        if let text = try? String(contentsOf: successURL, encoding: .utf8) {
            let table = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            if let head = table.first {
                o += H.table(head, table.dropFirst().map { $0.map { Double($0).map { H.format($0) } ?? H.esc($0) } },
                             caption: "Success per point (\(successURL.lastPathComponent): share learned with its Wilson 95 % CI)")
            }
        } else {
            o += "<p class=\"note\">No \(H.esc(successURL.lastPathComponent)) beside the results (it is written when training ends).</p>\n"
        }
        let netRows = rows.prefix(2000).map { r -> [String] in
            [H.esc(r["archive"].text), H.esc(r["params"].text), H.num(r["learned"]),
             H.num(r["rmseMedian"]), H.num(r["referenceErrorMax"]), H.esc(r["error"].exists ? r["error"].text : r["failure"].exists ? r["failure"].text : "")]
        }
        o += details("Every network" + (rows.count > 2000 ? " (the first 2000)" : ""),
                     H.table(["archive", "parameters", "learned", "median RMSE", "max reference error", "failure"], Array(netRows), numericFrom: 2))
        if let first = rows.first(where: { !$0["error"].exists })?["archive"].string {
            let archive = URL(fileURLWithPath: first, relativeTo: dir)
            o += figures(archive, [("example_trials.svg", "Example evaluation trials of \(first)")])
        }
        o += H.warnings(results.warnings)
        o += details("Base settings", H.settings(header["spec"]["base"]))
        o += downloads([successURL])
        o += provenance(header: header, backends: results.rows.compactMap(\.backend), result: url)
        return .init(title: "Trained population — \(source)", anchor: anchor("train", source), html: o)
    }

    /// `wmsim train` of one network: its evaluation.
    static func trainedNetwork(_ url: URL, source: String) throws -> HTMLReport.Section {
        let doc = try JSONNode.read(url, source: source)
        let r = doc["result"], net = doc["spec"]["network"]
        let dir = url.deletingLastPathComponent()
        var o = "<p>N = \(H.num(net["n"])), g = \(H.num(net["g"])), pg = \(H.num(net["pg"])), fb = \(H.num(net["fb"])), seed \(H.num(net["seed"])); "
            + "learned: \(H.num(r["learned"])) over \(H.num(r["runs"])) evaluation run(s).</p>\n"
        let eps = doc["spec"]["epsilons"].array
        if !eps.isEmpty {
            o += H.table(["tolerance ε", "share of runs failing"], eps.indices.map { [H.num(eps[$0]), H.num(r["failingShare"][$0])] }, numericFrom: 0)
        }
        o += figures(dir, [("example_trials.svg", "Example evaluation trials: target and output")])
        o += details("All settings", H.settings(doc["spec"]))
        o += downloads([url])
        o += provenance(doc["provenance"], result: url)
        return .init(title: "Trained network — \(source)", anchor: anchor("trained", source), html: o)
    }

    /// `wmsim analyze`: mechanisms, their comparison (the seed's claim), every network, figures.
    static func analysis(_ url: URL, source: String) throws -> HTMLReport.Section {
        let results = try AnalysisResults.read(url)
        let header = Self.header(url, source: source)
        let rows = try latestRows(url, source: source)
        let dir = url.deletingLastPathComponent()
        var o = "<p>\(results.rows.count) network(s) in the file, \(results.rows.filter(\.isError).count) not analysed.</p>\n"
        o += "<h3>Mechanisms and the seed's claim (derived from the rows)</h3><pre>\(H.esc(MechanismTable(results.rows).text))</pre>\n"
        o += "<pre>\(H.esc(MechanismComparison(results.rows).text))</pre>\n"
        let netRows = rows.prefix(2000).map { r -> [String] in
            let stable = r["fixedPoints"]["points"].array.filter { $0["stable"].bool == true && $0["isFixed"].bool == true }.count
            return [H.esc(r["archive"].text), H.esc(r["params"].text), H.num(r["learned"]), H.num(r["classification"]["mechanism"]),
                    r["fixedPoints"].exists ? "\(stable)" : "—", H.num(r["robustness"]["noise"]["halfFailing"]),
                    H.num(r["robustness"]["silencing"]["halfFailing"]), H.esc(r["error"].exists ? r["error"].text : "")]
        }
        o += details("Every network" + (rows.count > 2000 ? " (the first 2000)" : ""),
                     H.table(["archive", "parameters", "learned", "mechanism", "stable fixed points", "noise σ with half the cases failing",
                              "silencing level with half failing", "error"], Array(netRows), numericFrom: 2))
        // The figures folder is named after the results file (analysis.jsonl → analysis-plots/).
        let plots = dir.appendingPathComponent(AnalysisRunner.companion(url, "plots"))
        o += figures(plots, [("forgetting.svg", "Forgetting: failing share against delay extension, per mechanism"),
                             ("noise.svg", "Stimulus noise: failing share against σ, per mechanism"),
                             ("silencing.svg", "Silencing: failing share against the share of silenced neurons, per mechanism")])
        o += figures(plots, svgs(in: plots, prefix: "mechanisms_by_").map { ($0, "Share of networks per mechanism") })
        let perNetwork = svgs(in: plots, prefix: "network-")
        let shown = Array(Set(perNetwork.map { String($0.prefix(13)) })).sorted().prefix(2)
        for n in shown {
            o += figures(plots, [("\(n)-pca.svg", "\(n): trials in PCA space with fixed points by stability"),
                                 ("\(n)-eigenvalues.svg", "\(n): Jacobian eigenvalues at its fixed points"),
                                 ("\(n)-slowness.svg", "\(n): slowness ‖dx/dt‖ over time")])
        }
        if perNetwork.count > shown.count * 3 { o += "<p class=\"note\">Figures of the other networks are in \(H.esc(plots.lastPathComponent))/.</p>\n" }
        o += H.warnings(results.warnings)
        o += details("Analysis settings", H.settings(header["spec"], skip: ["archives"]))
        o += downloads([url])
        o += provenance(header: header, backends: results.rows.compactMap(\.backend), result: url)
        return .init(title: "Network analysis — \(source)", anchor: anchor("analysis", source), html: o)
    }
}
