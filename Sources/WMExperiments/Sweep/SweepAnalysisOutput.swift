import Foundation
import WMCore

/// Tables and files of a sweep analysis: stats.json, effects.csv, interactions.csv,
/// effect_<parameter>.svg (mean ± 95 % CI per value) and map_<a>_<b>.svg (2-D means).
public enum SweepAnalysisOutput {
    static func f(_ v: Double, _ digits: Int = 3) -> String {
        guard v.isFinite else { return "—" }
        if v != 0 && abs(v) < 1e-3 { return String(format: "%.2e", v) }
        return String(format: "%.\(digits)f", v)
    }

    /// The printed summary.
    public static func table(_ a: SweepAnalysis) -> String {
        var out = "metric: \(a.metric); \(a.rows) row(s)\(a.failedRows > 0 ? ", \(a.failedRows) without a result" : "")\n"
        if !a.effects.isEmpty {
            out += "\none parameter at a time\n"
            let rows = a.effects.map { e -> [String] in
                [e.parameter + (e.regressor == "value" ? "" : " (log10)"), "\(e.observations)",
                 f(e.spearman.estimate), f(e.spearman.pValue), f(e.spearmanAdjusted), f(e.pearson.estimate), f(e.pearson.pValue),
                 "\(f(e.slope.estimate, 4)) [\(f(e.slope.lower, 4)), \(f(e.slope.upper, 4))]", e.significant ? "yes" : "no"]
            }
            out += SweepTable.table(["parameter", "n", "spearman ρ", "p", "p adj", "pearson r", "p", "slope [95% bootstrap CI]", "significant"], rows) + "\n"
            out += "design: " + Set(a.effects.map(\.design)).sorted().joined(separator: "; ") + "\n"
        }
        if !a.interactions.isEmpty {
            out += "\ninteractions (OLS y ~ a + b + a:b, centred)\n"
            let rows = a.interactions.map { i -> [String] in
                func term(_ name: String) -> String {
                    guard let k = i.fit.terms.firstIndex(of: name) else { return "—" }
                    return "\(f(i.fit.coefficients[k], 4)) (p \(f(i.fit.pValues[k])))"
                }
                return ["\(i.a) × \(i.b)", "\(i.fit.n)", term(i.a), term(i.b), term("\(i.a):\(i.b)"), f(i.interactionAdjusted), f(i.fit.rSquared), i.significant ? "yes" : "no"]
            }
            out += SweepTable.table(["pair", "n", "a", "b", "a:b", "p adj", "R²", "interaction"], rows) + "\n"
        }
        out += "correction: \(a.correction)\n"
        return out
    }

    /// Writes stats.json (with `provenance` alongside), CSVs and SVG plots into `dir`.
    public static func write<P: Encodable>(_ a: SweepAnalysis, provenance: P, to dir: URL) throws -> [String] {
        var files = ["stats.json"]
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw WMError.file(path: dir.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        try ResultWriter.json(StatsDocument(provenance: provenance, analysis: a), to: dir.appendingPathComponent("stats.json"))
        var csv = "parameter,value,mean,ci_low,ci_high,n\n"
        for e in a.effects { for l in e.levels { csv += "\(e.parameter),\(l.value),\(l.mean),\(l.ci95[0]),\(l.ci95[1]),\(l.n)\n" } }
        try save(csv, dir.appendingPathComponent("effects.csv"))
        files.append("effects.csv")
        for e in a.effects {
            var plot = SVGLinePlot(title: "\(a.metric) vs \(e.parameter) (ρ = \(f(e.spearman.estimate, 2)), p adj = \(f(e.spearmanAdjusted)))",
                                   xLabel: e.regressor == "value" ? e.parameter : "\(e.parameter) (log axis)", yLabel: a.metric)
            // A log regressor is drawn on a log axis with the swept values as ticks (1, 3.162, 10),
            // not as log10 values; one colour for every effect plot.
            plot.logX = e.regressor != "value"
            let values = e.levels.map(\.value)
            if values.count <= 12 { plot.xTickValues = values }
            plot.series = effectSeries(e)
            let name = "effect_\(e.parameter).svg"
            try plot.write(to: dir.appendingPathComponent(name))
            files.append(name)
        }
        if !a.interactions.isEmpty {
            var ic = "a,b,a_value,b_value,mean\n"
            for i in a.interactions {
                for (j, bv) in i.bValues.enumerated() { for (k, av) in i.aValues.enumerated() { ic += "\(i.a),\(i.b),\(av),\(bv),\(i.map[j][k])\n" } }
                var map = SVGHeatmap(title: "\(a.metric): \(i.a) × \(i.b) (a:b p adj = \(f(i.interactionAdjusted)))", xLabel: i.a, yLabel: i.b,
                                     xValues: i.aValues.map { SweepPoint.format($0) }, yValues: i.bValues.map { SweepPoint.format($0) }, values: i.map)
                map.valueLabel = "mean \(a.metric)"
                let name = "map_\(i.a)_\(i.b).svg"
                try map.write(to: dir.appendingPathComponent(name))
                files.append(name)
            }
            try save(ic, dir.appendingPathComponent("interactions.csv"))
            files.append("interactions.csv")
        }
        return files
    }

    static func save(_ text: String, _ url: URL) throws {
        try ResultWriter.text(text, to: url)
    }
}

/// stats.json: where the numbers came from, and the analysis.
struct StatsDocument<P: Encodable>: Encodable {
    var provenance: P
    var analysis: SweepAnalysis
}

extension SweepAnalysisOutput {
    /// An effect plot's series: every network as a faint point, the pooled mean with its 95 % CI
    /// (the tested marginal effect) and, in grids, one line per level of the other parameter
    /// that interacts most with this one, so a pooled trend hiding opposite trends shows.
    static func effectSeries(_ e: ParameterEffect) -> [SVGLinePlot.Series] {
        let values = e.levels.map(\.value)
        var out: [SVGLinePlot.Series] = []
        let pointsX = e.levels.flatMap { l in (l.values ?? []).map { _ in l.value } }
        let pointsY = e.levels.flatMap { $0.values ?? [] }
        if !pointsY.isEmpty {
            var points = SVGLinePlot.Series(name: "one network", x: pointsX, y: pointsY, color: "#888888", markersOnly: true, hollow: true)
            points.markerRadius = 2.5
            points.markerOpacity = 0.7
            points.jitter = 6
            out.append(points)
        }
        if let by = e.byLevel {
            for (k, level) in by.levels.enumerated() {
                var line = SVGLinePlot.Series(name: "\(by.parameter) = \(SweepPoint.format(level))", x: values, y: by.means[k],
                                              color: levelColors[k % levelColors.count], dashed: true)
                line.thin = true
                out.append(line)
            }
        }
        // No band (and no "± 95 % CI" in the legend) when no level has an interval (< 3 networks).
        let hasCI = e.levels.contains { $0.ci95.count == 2 && $0.ci95[0].isFinite && $0.ci95[1].isFinite }
        out.append(.init(name: e.byLevel == nil ? "mean over networks" : "mean over all networks", x: values, y: e.levels.map(\.mean),
                         band: hasCI ? (e.levels.map { $0.ci95[0] }, e.levels.map { $0.ci95[1] }) : nil, color: SVGLinePlot.palette[0]))
        return out
    }

    /// Eight distinct colours for the levels of the other parameter: none is the pooled mean's
    /// blue or the points' grey.
    static let levelColors = ["#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2", "#bcbd22"]
}
