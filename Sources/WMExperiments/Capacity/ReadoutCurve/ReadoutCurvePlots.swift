import Foundation
import WMCore

/// The two figures of a readout curve.
public enum ReadoutCurvePlots {
    /// readout_curve.svg: each decoder's MC (mean over networks, 95 % CI band clipped at 0)
    /// against the number of readout neurons n on a log axis, with ticks at the sizes measured and
    /// each decoder's chance level dotted.
    public static func capacity(_ r: ReadoutCurveResult) -> SVGLinePlot {
        let s = r.spec.capacity.network
        var p = SVGLinePlot(title: "Memory capacity vs readout neurons: N=\(s.n) g=\(SweepPoint.format(s.g)) sp=\(SweepPoint.format(s.sp)) gIn=\(SweepPoint.format(s.gIn)) (\(r.spec.capacity.networks) networks)",
                            xLabel: "readout neurons n (nested random subsets of the N neurons)", yLabel: "MC = Σ r² (mean over networks)")
        p.logX = true
        p.width = 820
        let x = r.points.map { Double($0.readoutNeurons) }
        p.xTickValues = x.count <= 10 ? x : nil
        let samples = Double(Swift.max(r.spec.capacity.testSamples - 1, 1))
        var top = 0.0
        for (i, kind) in r.decoderKinds.enumerated() {
            let results = r.points.map { $0[kind] }
            let mc = results.map { $0?.memoryCapacity ?? .nan }
            let ci = results.map { d -> [Double] in d.map { $0.memoryCapacityCI95.count == 2 ? $0.memoryCapacityCI95 : [.nan, .nan] } ?? [.nan, .nan] }
            let clipped = ci.contains { $0[0] < 0 }
            let hasBand = ci.contains { $0[0].isFinite && $0[1].isFinite }
            let lags = results.compactMap { $0?.mean.lags.count }.first ?? 0
            var line = SVGLinePlot.Series(name: "\(kind) MC over \(lags) lag(s)", x: x, y: mc,
                                          band: hasBand ? (lower: ci.map { Swift.max(0, $0[0]) }, upper: ci.map { $0[1] }) : nil,
                                          color: SVGLinePlot.palette[i % SVGLinePlot.palette.count])
            if clipped { line.bandLabel = "95 % CI, clipped at 0" }
            p.series.append(line)
            var chance = SVGLinePlot.Series(name: String(format: "\(kind) chance ≈ lags/(samples − 1) = %.3f", Double(lags) / samples),
                                            x: [x.first ?? 1, x.last ?? 1], y: [Double(lags) / samples, Double(lags) / samples],
                                            color: SVGLinePlot.palette[i % SVGLinePlot.palette.count])
            chance.dotted = true
            p.series.append(chance)
            top = Swift.max(top, (mc + ci.map { $0[1] }).filter(\.isFinite).max() ?? 0)
        }
        p.yRange = 0...Swift.max(top * 1.08, 0.1)
        return p
    }

    /// memory_curves_by_n.svg: the mean r² per lag for every size, one colour per n (solid:
    /// ridge over 1…K; dashed with points: the MLP over its lags), each size's MC in the legend.
    public static func memoryCurves(_ r: ReadoutCurveResult, logLags: Bool = false) -> SVGLinePlot {
        let s = r.spec.capacity.network
        var p = SVGLinePlot(title: "Memory curves by readout size: N=\(s.n) g=\(SweepPoint.format(s.g)) sp=\(SweepPoint.format(s.sp)) gIn=\(SweepPoint.format(s.gIn)) (\(r.spec.capacity.networks) networks)",
                            xLabel: "lag k (decode u(t−k) from x(t))", yLabel: "r² (mean over networks)", yRange: 0...1)
        p.logX = logLags
        p.width = 820
        let kinds = r.decoderKinds
        for (i, point) in r.points.enumerated() {
            let colour = colour(i, of: r.points.count)
            for (j, kind) in kinds.enumerated() {
                guard let d = point[kind] else { continue }
                // One legend entry per size (the first decoder's), the others named once below.
                let mcs = kinds.compactMap { k in point[k].map { "\(k) " + String(format: "%.2f", $0.memoryCapacity) } }
                let name = j == 0 ? "n = \(point.readoutNeurons) (MC \(mcs.joined(separator: ", ")))" : ""
                p.series.append(.init(name: name, x: d.mean.lags.map(Double.init), y: d.mean.r2, color: colour, dashed: j > 0))
            }
        }
        if kinds.count > 1 {
            // A legend key for the dashed lines (no data of its own).
            p.series.append(.init(name: "dashed: \(kinds[1]) r² at its lags", x: [], y: [], color: "#555555", dashed: true))
        }
        p.height = Swift.max(440, 120 + 20 * Double(p.series.filter { !$0.name.isEmpty }.count))
        return p
    }

    /// The colour of size `i` of `count`: the palette for up to 8 sizes, else a blue-to-red ramp
    /// in size order.
    static func colour(_ i: Int, of count: Int) -> String {
        if count <= SVGLinePlot.palette.count { return SVGLinePlot.palette[i] }
        let t = Double(i) / Double(Swift.max(count - 1, 1))
        let from = (31.0, 119.0, 180.0), to = (214.0, 39.0, 40.0)
        func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * t).rounded()) }
        return String(format: "#%02x%02x%02x", mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
    }
}
