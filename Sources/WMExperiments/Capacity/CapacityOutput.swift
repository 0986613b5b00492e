import Foundation
import WMCore

/// Files and tables of a capacity result.
public enum CapacityOutput {
    struct File: Encodable {
        var provenance: Provenance
        var result: CapacityResult
    }

    /// Per-lag 95 % CI half-width of r across the networks that succeeded (NaN below two finite values).
    public static func rHalfWidth(_ d: DecoderResult) -> [Double] {
        let ok = d.perNetwork.compactMap { $0 }
        return d.mean.lags.indices.map { i in MeanInterval(ok.map { $0.r[i] }.filter(\.isFinite)).halfWidth }
    }

    /// capacity.json, memory_curve.csv and memory_curve.svg.
    public static func write(_ r: CapacityResult, to dir: URL, logLags: Bool = false) throws {
        try ResultWriter.json(File(provenance: Provenance(backend: r.backend), result: r), to: dir.appendingPathComponent("capacity.json"))
        // CSV: one row per lag, three columns per decoder kind, empty where a decoder did not
        // run or did not decode that lag.
        let halfWidths = r.decoders.mapValues(rHalfWidth)
        func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "" } ?? "" }
        let allLags = Set(r.decoders.values.flatMap(\.mean.lags)).sorted()
        let rows: [[String]] = allLags.map { lag in
            ["\(lag)"] + DecoderKind.allCases.flatMap { kind -> [String] in
                guard let d = r[kind], let i = d.mean.lags.firstIndex(of: lag) else { return ["", "", ""] }
                return [f(d.mean.r[i]), f(d.mean.r2[i]), f(halfWidths[kind]?[i])]
            }
        }
        let header = ["lag"] + DecoderKind.allCases.flatMap { ["\($0.rawValue)_r", "\($0.rawValue)_r2", "\($0.rawValue)_r_ci95_halfwidth"] }
        try DelimitedText.writeTable(header: header, rows: rows, to: dir.appendingPathComponent("memory_curve.csv"))
        try plot(r, logLags: logLags).write(to: dir.appendingPathComponent("memory_curve.svg"))
    }

    /// Memory curve plot: r (solid, with its 95 % CI band over networks) and r² (dashed) versus
    /// lag, ridge and MLP side by side, each decoder's MC over its own lags in the legend, and the
    /// chance level of |r| (1/√n over the n test samples) dotted. `logLags` puts the lag axis on a
    /// log scale (short lags spread out).
    public static func plot(_ r: CapacityResult, logLags: Bool = false) -> SVGLinePlot {
        let s = r.spec.network
        var p = SVGLinePlot(title: "Memory curve: N=\(s.n) g=\(SweepPoint.format(s.g)) sp=\(SweepPoint.format(s.sp)) gIn=\(SweepPoint.format(s.gIn)) spIn=\(SweepPoint.format(s.spIn)) (\(r.spec.networks) networks)",
                            xLabel: "lag k (decode u(t−k) from x(t))", yLabel: "r (solid) and r² (dashed)", yRange: -0.05...1.0)
        p.logX = logLags
        p.width = 820
        var lagRange: ClosedRange<Double>? = nil
        for (i, d) in r.ordered.enumerated() {
            let x = d.mean.lags.map(Double.init)
            let h = rHalfWidth(d)
            let band = (lower: zip(d.mean.r, h).map { $0.1.isFinite ? $0.0 - $0.1 : $0.0 }, upper: zip(d.mean.r, h).map { $0.1.isFinite ? $0.0 + $0.1 : $0.0 })
            let c = SVGLinePlot.palette[i]
            let lags = d.mean.lags
            let over = lags == Array(1...Swift.max(1, lags.last ?? 1)) ? "k = 1…\(lags.last ?? 1)" : "\(lags.count) lags"
            p.series.append(.init(name: "\(d.decoder) r (MC \(String(format: "%.2f", d.memoryCapacity)) over \(over))", x: x, y: d.mean.r, band: band, color: c))
            p.series.append(.init(name: "\(d.decoder) r²", x: x, y: d.mean.r2, color: c, dashed: true))
            if let lo = x.first, let hi = x.last { lagRange = Swift.min(lagRange?.lowerBound ?? lo, lo)...Swift.max(lagRange?.upperBound ?? hi, hi) }
        }
        if let lr = lagRange {
            let chance = 1 / Double(Swift.max(r.spec.testSamples, 2)).squareRoot()
            var c = SVGLinePlot.Series(name: String(format: "chance |r| ≈ 1/√n = %.3f", chance), x: [lr.lowerBound, lr.upperBound], y: [chance, chance], color: "#555555")
            c.dotted = true
            p.series.append(c)
        }
        return p
    }

    /// The stdout table: r, its 95 % CI half-width and r² per decoder at a spread of lags (all
    /// with `allLags`), then one line of MC per decoder.
    public static func table(_ r: CapacityResult, allLags: Bool) -> String {
        var lines: [String] = []
        let spread: Set<Int> = [1, 2, 3, 4, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 150, 200, 300, 500]
        let lagSet = Set(r.decoders.values.flatMap(\.mean.lags))
        let shown = lagSet.sorted().filter { allLags || spread.contains($0) || $0 == lagSet.max() }
        let decoders = r.ordered
        let halfWidths = decoders.map(rHalfWidth)
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        func row(_ cells: [String]) -> String { pad(cells[0], 5) + cells.dropFirst().map { "  " + pad($0, 9) }.joined() }
        func number(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "nan" }
        lines.append(row(["lag"] + decoders.flatMap { ["\($0.decoder.rawValue) r", "±95%", "\($0.decoder.rawValue) r²"] }))
        for lag in shown {
            lines.append(row(["\(lag)"] + decoders.indices.flatMap { j -> [String] in
                let d = decoders[j]
                guard let i = d.mean.lags.firstIndex(of: lag) else { return ["", "", ""] }
                return [number(d.mean.r[i]), halfWidths[j][i].isFinite ? String(format: "%.4f", halfWidths[j][i]) : "", number(d.mean.r2[i])]
            }))
        }
        lines.append("")
        for d in decoders {
            let ci = d.memoryCapacityCI95
            let ok = d.perNetwork.compactMap { $0 }.count
            let ciText: String
            if ok < MeanInterval.minimumCount || ci.count != 2 || !ci[0].isFinite {
                ciText = " (no 95% CI: \(ok) network(s), a CI needs ≥ \(MeanInterval.minimumCount))"
            } else if ci[0] < 0 {
                ciText = String(format: " (95%% CI 0.00–%.2f; the t-interval's lower bound %.2f is clipped at 0, the least MC can be)", ci[1], ci[0])
            } else {
                ciText = String(format: " (95%% CI %.2f–%.2f)", ci[0], ci[1])
            }
            let lags = d.mean.lags
            let lagsText = lags == Array(1...Swift.max(1, r.spec.maxLag)) ? " over k = 1…\(r.spec.maxLag)" : " over lags \(lags.map(String.init).joined(separator: ","))"
            let below = d.firstLagBelowThreshold.map { "; r < \(r.spec.threshold) from lag \($0)" } ?? ""
            let inputs = d.decoder == .mlp ? (r.spec.mlp.standardize ? "; inputs z-scored" : "; inputs not z-scored") : ""
            lines.append(String(format: "%@: MC = Σ r² = %.2f", d.decoder.rawValue, d.memoryCapacity) + ciText + lagsText + below
                + String(format: " [%d networks, %.1f s%@]", d.perNetwork.compactMap { $0 }.count, d.seconds, inputs))
        }
        let testSamples = r.spec.testSamples
        lines.append(String(format: "chance level: a readout of unrelated states scores MC ≈ maxLag/(samples − 1) = %.3f on these %d test samples",
                            Double(r.spec.maxLag) / Double(Swift.max(testSamples - 1, 1)), testSamples))
        lines.append("convention: \(r.convention)")
        lines.append(String(format: "simulated in %.1f s on %@ (%@, %@)", r.simulateSeconds, r.backend.kind, r.backend.device, r.format)
                     + (r.moments == "device" && r[.ridge] != nil ? "; ridge moments accumulated on the device" : ""))
        return lines.joined(separator: "\n")
    }
}
