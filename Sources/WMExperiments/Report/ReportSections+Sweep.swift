import Foundation
import WMCore

extension ReportSections {
    /// `wmsim sweep`/`merge`: the design, MC per point (mean over replicates, derived), failures.
    static func sweep(_ url: URL, source: String) throws -> HTMLReport.Section {
        let results = try SweepResults.read(url)
        let lines = try JSONNode.readLines(url, source: source)
        let header = lines.first ?? JSONNode(value: nil, source: source)
        let plan = try results.header.spec.plan()
        let spec = results.header.spec
        var o = "<p>\(plan.points.count) point(s) × \(plan.replicates) replicate network(s) (\(spec.mode.rawValue)); "
            + "\(results.rows.count) row(s) in the file, \(results.rows.filter(\.isError).count) failed.</p>\n"
        o += H.table(["axis", "values", "scale"], spec.axes.map { [H.esc($0.parameter.rawValue), H.esc($0.values.map(SweepPoint.format).joined(separator: ", ")), $0.logScale ? "log" : "linear"] },
                     numericFrom: 3)
        let decoders = spec.base.decoders
        var rows: [[String]] = []
        for p in plan.points {
            let mine = results.rows.filter { $0.point == p.index }
            var row = [H.esc(p.label), "\(mine.filter { !$0.isError }.count)/\(plan.replicates)"]
            for d in decoders {
                let v = mine.compactMap { $0.mc(d) }.filter(\.isFinite)
                let m = SweepTable.meanCI(v)
                row.append(v.isEmpty ? "—" : H.format(m.mean) + (m.lo.map { " [\(H.format($0)), \(H.format(m.hi ?? .nan))]" } ?? " <span class=\"note\">(no CI: \(v.count) value(s))</span>"))
            }
            rows.append(row)
        }
        o += H.table(["point", "networks"] + decoders.map { "\($0.rawValue) MC (mean [95 % CI], derived)" }, rows)
        let errors = results.rows.filter(\.isError)
        if !errors.isEmpty {
            o += details("\(errors.count) failed network(s)", H.table(["point", "replicate", "error"], errors.map { ["\($0.point)", "\($0.replicate)", H.esc($0.error ?? "")] }, numericFrom: 3))
        }
        o += H.warnings(results.warnings)
        o += details("Base settings", H.settings(header["spec"]["base"]))
        let table = SweepCSV.table(results)
        let csv = try DelimitedText.csvText(header: table.header, rows: table.rows, path: url.path)
        o += "<p>Data: " + H.attachment(Data(csv.utf8), name: url.deletingPathExtension().lastPathComponent + ".csv", mime: "text/csv")
            + " (one row per network, as <code>wmsim export</code> writes it)</p>\n"
        o += provenance(header: header, rows: Array(lines.dropFirst()))
        return .init(title: "Sweep — \(source)", anchor: anchor("sweep", source), html: o)
    }

    /// `wmsim stats`: each parameter's effect with its tests, interactions, and the figures.
    static func stats(_ url: URL, source: String) throws -> HTMLReport.Section {
        let doc = try JSONNode.read(url, source: source)
        let a = doc["analysis"]
        let dir = url.deletingLastPathComponent()
        var o = "<p>Metric: \(H.esc(a["metric"].text)); \(H.num(a["rows"])) row(s), \(H.num(a["failedRows"])) without a result. "
        if let results = doc["provenance"]["results"].string { o += "Results file: <code>\(H.esc(results))</code>." }
        o += "</p>\n<p class=\"note\">\(H.esc(a["correction"].text))</p>\n"
        var rows: [[String]] = []
        for e in a["effects"].array {
            let slope = e["slope"]
            rows.append([H.esc(e["parameter"].text), H.esc(e["design"].text), H.num(e["observations"]),
                         H.num(e["spearman"]["estimate"]), H.num(e["spearman"]["pValue"]), H.num(e["spearmanAdjusted"]),
                         H.num(e["pearson"]["estimate"]), H.num(e["pearsonAdjusted"]),
                         H.num(slope["estimate"]) + " [" + H.num(slope["lower"]) + ", " + H.num(slope["upper"]) + "]",
                         e["significant"].bool == true ? "<b>yes</b>" : "no"])
        }
        if !rows.isEmpty {
            o += H.table(["parameter", "observations", "n", "Spearman ρ", "p", "p adj", "Pearson r", "p adj", "OLS slope [95 % bootstrap CI]", "significant"], rows, numericFrom: 2)
        }
        var inter: [[String]] = []
        for i in a["interactions"].array {
            inter.append([H.esc("\(i["a"].text) × \(i["b"].text)"), H.num(i["interactionP"]), H.num(i["interactionAdjusted"]), H.num(i["fit"]["rSquared"]),
                          i["significant"].bool == true ? "<b>yes</b>" : "no"])
        }
        if !inter.isEmpty { o += "<h3>Interactions</h3>" + H.table(["pair (y ~ a + b + a:b, centred)", "a:b p", "p adj", "R²", "significant"], inter) }
        o += H.warnings(a["warnings"].strings)
        let effects = a["effects"].array.compactMap { $0["parameter"].string }
        o += figures(dir, effects.map { ("effect_\($0).svg", "\(a["metric"].text) against \($0): each network (points), the mean with its 95 % CI and, in grids, the mean per level of the parameter that interacts most") })
        o += figures(dir, svgs(in: dir, prefix: "map_").map { ($0, "Mean \(a["metric"].text) over two parameters") })
        o += downloads([url, dir.appendingPathComponent("effects.csv"), dir.appendingPathComponent("interactions.csv")])
        o += provenance(doc["provenance"])
        return .init(title: "Parameter effects — \(source)", anchor: anchor("stats", source), html: o)
    }
}
