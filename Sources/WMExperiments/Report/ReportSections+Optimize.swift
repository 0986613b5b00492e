import Foundation
import WMCore

extension ReportSections {
    /// `wmsim optimize`: the search, its best point, and the fresh-seed comparison with the base
    /// (the unbiased result: the search's own best is optimistic, selected on the seeds it saw).
    static func optimize(_ url: URL, source: String) throws -> HTMLReport.Section {
        let doc = try JSONNode.read(url, source: source)
        let r = doc["result"], spec = r["spec"]
        let dir = url.deletingLastPathComponent()
        var o = "<p>CMA-ES maximising \(H.esc(spec["decoder"].text)) \(H.esc(spec["objective"].text)) over "
        o += spec["parameters"].array.map { "\(H.esc($0["parameter"].text)) ∈ [\(H.num($0["lower"])), \(H.num($0["upper"]))]" }.joined(separator: ", ")
        o += "; \(H.num(r["evaluations"])) evaluation(s) of \(H.num(spec["seedsPerEvaluation"])) network seed(s) in \(H.num(r["generations"])) generation(s) "
            + "(budget \(H.num(spec["cmaes"]["maxEvaluations"]))); stopped: \(H.esc(r["stopReason"].text)).</p>\n"
        let names = spec["parameters"].array.compactMap { $0["parameter"].string }
        // Parameters in full: they are what a reader copies into the next run.
        func params(_ p: JSONNode) -> String { names.map { "\(H.esc($0)) = \(H.num(p[$0], full: true))" }.joined(separator: ", ") }
        let nonNegative = spec["objective"].string == "mc"
        o += H.table(["", "parameters", "\(spec["objective"].text) on \(spec["finalSeeds"].text) fresh seeds (mean [95 % CI])"], [
            ["best of the search", params(r["bestFresh"]["params"]), H.interval(r["bestFresh"]["mean"], r["bestFresh"]["ci95"], clipAtZero: nonNegative)],
            ["base (defaults)", params(r["baseFresh"]["params"]), H.interval(r["baseFresh"]["mean"], r["baseFresh"]["ci95"], clipAtZero: nonNegative)],
            ["paired improvement best − base", "", H.interval(r["improvement"], r["improvementCI95"])],
        ], numericFrom: 2)
        o += "<p class=\"note\">The search's own best score, \(H.num(r["best"]["objective"])) (generation \(H.num(r["best"]["generation"]))), was selected on the seeds it saw and is optimistic; the fresh-seed rows above are the result.</p>\n"
        o += H.warnings(r["warnings"].strings)
        o += figures(dir, [("trace.svg", "Optimisation trace: best and generation scores, and the fresh-seed best against base")])
        let cands = r["candidates"].array.map { c in ["\(H.num(c["generation"]))", params(c["params"]), H.num(c["objective"]), H.num(c["failedSeeds"])] }
        if !cands.isEmpty { o += details("All \(cands.count) candidates", H.table(["generation", "parameters", "objective", "failed seeds"], cands, numericFrom: 2)) }
        o += details("Base settings", H.settings(spec["base"]))
        o += downloads([url, dir.appendingPathComponent("trace.csv")])
        o += provenance(doc["provenance"], result: url)
        return .init(title: "Optimisation — \(source)", anchor: anchor("optimize", source), html: o)
    }
}
