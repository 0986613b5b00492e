import Foundation
import WMCore

extension ReportSections {
    /// `wmsim sweep`/`merge`: the design, MC (and r at each X) per point — means over
    /// replicates, derived — and the failures.
    static func sweep(_ url: URL, source: String) throws -> HTMLReport.Section {
        let results = try SweepResults.read(url)
        let header = Self.header(url, source: source)
        let plan = try results.header.spec.plan()
        let spec = results.header.spec
        var o = "<p>\(plan.points.count) point(s) × \(plan.replicates) replicate network(s) (\(spec.mode.rawValue)); "
            + "\(results.rows.count) row(s) in the file, \(results.rows.filter(\.isError).count) failed.</p>\n"
        o += H.table(["axis", "values", "scale"], spec.axes.map { [H.esc($0.parameter.rawValue), H.esc($0.values.map { H.format($0) }.joined(separator: ", ")),
                                                                 $0.logScale ? "log" : "linear"] }, numericFrom: 3)
        let decoders = spec.base.decoders
        var rows: [[String]] = []
        for p in plan.points {
            let mine = results.rows.filter { $0.point == p.index }
            var row = [H.esc(p.values.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\(H.format($0.value))" }.joined(separator: " ")),
                       "\(mine.filter { !$0.isError }.count)/\(plan.replicates)"]
            for d in decoders {
                row.append(H.derivedInterval(mine.compactMap { $0.mc(d) }.filter(\.isFinite), clipAtZero: true))
                // X is a readout axis: r at each X is what varies with it, MC does not.
                for lag in plan.lags { row.append(H.derivedInterval(mine.compactMap { $0.r(lag: lag, decoder: d) }.filter(\.isFinite), clipAtZero: false)) }
            }
            rows.append(row)
        }
        let heads = decoders.flatMap { d in ["\(d.rawValue) MC"] + plan.lags.map { "\(d.rawValue) r(X=\($0))" } }
        let table = H.table(["point", "networks"] + heads, rows,
                            caption: "Mean [95 % CI] over the replicate networks of each point (derived from the rows; MC bounds clipped at 0)")
        o += rows.count > 24 ? details("Means at each of the \(rows.count) points", table) : table
        let errors = results.rows.filter(\.isError)
        if !errors.isEmpty {
            o += details("\(errors.count) failed network(s)", H.table(["point", "replicate", "error"], errors.prefix(200).map { ["\($0.point)", "\($0.replicate)", H.esc($0.error ?? "")] }, numericFrom: 3))
        }
        o += H.warnings(results.warnings)
        o += details("Base settings", H.settings(header["spec"]["base"]))
        let flat = SweepCSV.table(results)
        let csv = try DelimitedText.csvText(header: flat.header, rows: flat.rows, path: url.path)
        o += "<p>Data: " + H.attachment(Data(csv.utf8), name: url.deletingPathExtension().lastPathComponent + ".csv", mime: "text/csv")
            + " (one row per network, as <code>wmsim export</code> writes it)</p>\n"
        o += provenance(header: header, backends: results.rows.compactMap(\.backend), result: url)
        return .init(title: "Sweep — \(source)", anchor: anchor("sweep", source), html: o)
    }

    /// `wmsim stats`: each parameter's effect with its tests, interactions, and the figures,
    /// checked against the results file it was made from.
    static func stats(_ url: URL, source: String) throws -> HTMLReport.Section {
        let doc = try JSONNode.read(url, source: source)
        let a = doc["analysis"]
        let dir = url.deletingLastPathComponent()
        var o = "<p>Metric: \(H.esc(a["metric"].text)); \(H.num(a["rows"])) row(s), \(H.num(a["failedRows"])) without a result. "
        var stale: [String] = []
        if let path = doc["provenance"]["results"].string {
            o += "Results file: <code>\(H.esc(path))</code>."
            // Statistics are a snapshot: say when the file has changed since, or is another sweep's.
            if let results = try? SweepResults.read(URL(fileURLWithPath: path)) {
                if let fp = a["fingerprint"].string, fp != results.header.fingerprint {
                    stale.append("these statistics were made from another sweep (fingerprint \(fp)) than the one now at \(path) (\(results.header.fingerprint))")
                } else if let n = a["rows"].int, n != results.rows.count {
                    stale.append("these statistics were made when the results file had \(n) row(s); it has \(results.rows.count) now: rerun wmsim stats")
                }
            } else {
                stale.append("the results file these statistics were made from is not readable at \(path)")
            }
        }
        o += "</p>\n<p class=\"note\">\(H.esc(a["correction"].text))</p>\n" + H.warnings(stale)
        var rows: [[String]] = []
        for e in a["effects"].array {
            let slope = e["slope"]
            rows.append([H.esc(e["parameter"].text), H.esc(e["design"].text), H.num(e["observations"]),
                         H.num(e["spearman"]["estimate"]), H.num(e["spearman"]["pValue"]), H.num(e["spearmanAdjusted"]),
                         H.num(e["pearson"]["estimate"]), H.num(e["pearson"]["pValue"]), H.num(e["pearsonAdjusted"]),
                         H.num(slope["estimate"]) + " [" + H.num(slope["lower"]) + ", " + H.num(slope["upper"]) + "]",
                         e["significant"].bool == true ? "<b>yes</b>" : "no"])
        }
        if !rows.isEmpty {
            o += H.table(["parameter", "design", "observations", "Spearman ρ", "Spearman p", "Spearman p adj", "Pearson r", "Pearson p", "Pearson p adj",
                          "OLS slope [95 % bootstrap CI]", "significant"], rows, numericFrom: 2)
        }
        var inter: [[String]] = []
        for i in a["interactions"].array {
            inter.append([H.esc("\(i["a"].text) × \(i["b"].text)"), H.num(i["interactionP"]), H.num(i["interactionAdjusted"]), H.num(i["fit"]["rSquared"]),
                          i["significant"].bool == true ? "<b>yes</b>" : "no"])
        }
        if !inter.isEmpty { o += "<h3>Interactions</h3>" + H.table(["pair (y ~ a + b + a:b, centred)", "a:b p", "a:b p adj", "R²", "significant"], inter) }
        o += H.warnings(a["warnings"].strings)
        for e in a["effects"].array {
            guard let p = e["parameter"].string else { continue }
            // The caption says what this figure has: files from before points and levels were
            // recorded show the mean and CI only.
            var parts = ["\(a["metric"].text) against \(p)"]
            if e["levels"][0]["values"].exists { parts.append("each network as a point") }
            parts.append("the mean over all networks with its 95 % CI")
            if let by = e["byLevel"]["parameter"].string { parts.append("dashed: the mean at each level of \(by), the parameter with the smallest interaction p-value") }
            o += figures(dir, [("effect_\(p).svg", parts.joined(separator: "; "))])
        }
        o += figures(dir, svgs(in: dir, prefix: "map_").map { ($0, "Mean \(a["metric"].text) over two parameters") })
        o += downloads([url, dir.appendingPathComponent("effects.csv"), dir.appendingPathComponent("interactions.csv")])
        // The command names the results file (relative to where it ran), not the stats folder.
        o += provenance(doc["provenance"], result: doc["provenance"]["results"].string.map { URL(fileURLWithPath: $0) } ?? url)
        return .init(title: "Parameter effects — \(source)", anchor: anchor("stats", source), html: o)
    }
}
