import Foundation
import WMCore

/// Files and tables of a capacity result.
public enum CapacityOutput {
    struct File: Encodable {
        var provenance: Provenance
        var result: CapacityResult
    }

    /// Per-lag 95 % CI half-width of r across the networks that succeeded (NaN with one network).
    public static func rHalfWidth(_ d: DecoderResult) -> [Double] {
        let ok = d.perNetwork.compactMap { $0 }
        let n = ok.count
        guard n >= 2 else { return [Double](repeating: .nan, count: d.mean.lags.count) }
        let t = MemoryCurve.tQuantile(0.975, df: Double(n - 1))
        return d.mean.lags.indices.map { i in
            let v = ok.map { $0.r[i] }.filter(\.isFinite)
            guard v.count >= 2 else { return .nan }
            let m = v.reduce(0, +) / Double(v.count)
            let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
            return t * sd / Double(v.count).squareRoot()
        }
    }

    /// capacity.json, memory_curve.csv and memory_curve.svg.
    public static func write(_ r: CapacityResult, to dir: URL) throws {
        try JSONOutput.write(File(provenance: Provenance(backend: r.backend), result: r), to: dir.appendingPathComponent("capacity.json"))
        // CSV: one row per lag; MLP columns empty where the MLP did not decode that lag.
        var rows: [[String]] = []
        let lags = r.ridge?.mean.lags ?? r.mlp?.mean.lags ?? []
        let rh = r.ridge.map(rHalfWidth), mh = r.mlp.map(rHalfWidth)
        func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "" } ?? "" }
        var allLags = Set(lags)
        if let m = r.mlp { allLags.formUnion(m.mean.lags) }
        for lag in allLags.sorted() {
            let ri = r.ridge?.mean.lags.firstIndex(of: lag), mi = r.mlp?.mean.lags.firstIndex(of: lag)
            rows.append([
                "\(lag)",
                f(ri.map { r.ridge!.mean.r[$0] }), f(ri.map { r.ridge!.mean.r2[$0] }), f(ri.map { rh![$0] }),
                f(mi.map { r.mlp!.mean.r[$0] }), f(mi.map { r.mlp!.mean.r2[$0] }), f(mi.map { mh![$0] }),
            ])
        }
        try DelimitedText.writeTable(header: ["lag", "ridge_r", "ridge_r2", "ridge_r_ci95_halfwidth", "mlp_r", "mlp_r2", "mlp_r_ci95_halfwidth"],
                                     rows: rows, to: dir.appendingPathComponent("memory_curve.csv"))
        try plot(r).write(to: dir.appendingPathComponent("memory_curve.svg"))
    }

    /// Memory curve plot: r and r² versus lag, ridge and MLP side by side, with 95 % CI bands of r.
    public static func plot(_ r: CapacityResult) -> SVGLinePlot {
        let s = r.spec.network
        var p = SVGLinePlot(title: "Memory curve: N=\(s.n) g=\(s.g) sp=\(s.sp) gIn=\(s.gIn) spIn=\(s.spIn) (\(r.spec.networks) networks)",
                            xLabel: "lag k (decode u(t−k) from x(t))", yLabel: "correlation", yRange: -0.05...1.0)
        for (i, d) in [r.ridge, r.mlp].compactMap({ $0 }).enumerated() {
            let x = d.mean.lags.map(Double.init)
            let h = rHalfWidth(d)
            let band = (lower: zip(d.mean.r, h).map { $0.1.isFinite ? $0.0 - $0.1 : $0.0 }, upper: zip(d.mean.r, h).map { $0.1.isFinite ? $0.0 + $0.1 : $0.0 })
            let c = SVGLinePlot.palette[i]
            p.series.append(.init(name: "\(d.decoder) r (MC \(String(format: "%.1f", d.memoryCapacity)))", x: x, y: d.mean.r, band: band, color: c))
            p.series.append(.init(name: "\(d.decoder) r²", x: x, y: d.mean.r2, color: c, dashed: true))
        }
        return p
    }

    /// The stdout table.
    public static func table(_ r: CapacityResult, allLags: Bool) -> String {
        var lines: [String] = []
        let spread: Set<Int> = [1, 2, 3, 4, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 150, 200, 300, 500]
        var lagSet = Set(r.ridge?.mean.lags ?? [])
        if let m = r.mlp { lagSet.formUnion(m.mean.lags) }
        let shown = lagSet.sorted().filter { allLags || spread.contains($0) || $0 == lagSet.max() }
        let rh = r.ridge.map(rHalfWidth)
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        func row(_ cells: [String]) -> String { pad(cells[0], 5) + cells.dropFirst().map { "  " + pad($0, 9) }.joined() }
        lines.append(row(["lag", "ridge r", "±95%", "ridge r²", "mlp r", "mlp r²"]))
        for lag in shown {
            func cell(_ d: DecoderResult?, _ v: (DecoderResult, Int) -> Double) -> String {
                guard let d, let i = d.mean.lags.firstIndex(of: lag) else { return "" }
                let x = v(d, i)
                return x.isFinite ? String(format: "%.4f", x) : "nan"
            }
            let ci: String = {
                guard let d = r.ridge, let i = d.mean.lags.firstIndex(of: lag), let h = rh?[i], h.isFinite else { return "" }
                return String(format: "%.4f", h)
            }()
            lines.append(row(["\(lag)", cell(r.ridge) { $0.mean.r[$1] }, ci, cell(r.ridge) { $0.mean.r2[$1] },
                              cell(r.mlp) { $0.mean.r[$1] }, cell(r.mlp) { $0.mean.r2[$1] }]))
        }
        lines.append("")
        for d in [r.ridge, r.mlp].compactMap({ $0 }) {
            let ci = d.memoryCapacityCI95
            let ciText = ci.count == 2 && ci[0].isFinite ? String(format: " (95%% CI %.2f–%.2f)", ci[0], ci[1]) : ""
            let lagsText = d.decoder == "mlp" ? " over lags \(d.mean.lags.map(String.init).joined(separator: ","))" : " over k = 1…\(r.spec.maxLag)"
            let below = d.firstLagBelowThreshold.map { "; r < \(r.spec.threshold) from lag \($0)" } ?? ""
            lines.append(String(format: "%@: MC = Σ r² = %.2f", d.decoder, d.memoryCapacity) + ciText + lagsText + below
                + String(format: " [%d networks, %.1f s]", d.perNetwork.compactMap { $0 }.count, d.seconds))
        }
        lines.append("convention: \(r.convention)")
        lines.append(String(format: "simulated in %.1f s on %@ (%@, %@)", r.simulateSeconds, r.backend.kind, r.backend.device, r.format)
                     + (r.moments == "device" && r.ridge != nil ? "; ridge moments accumulated on the device" : ""))
        return lines.joined(separator: "\n")
    }
}
