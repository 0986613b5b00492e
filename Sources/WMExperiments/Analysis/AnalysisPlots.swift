import Foundation
import WMCore

/// The figures of an analysis (docs/analysis.md §6): per network the 16 trial trajectories in
/// the plane of their first two principal components with the fixed points marked by
/// stability, the eigenvalues at those points, and ‖dx/dt‖ over the autonomous run; per
/// population the forgetting and noise curves per mechanism and the mechanisms per parameter.
public enum AnalysisPlots {
    /// Principal components of `samples` (rows of N): the mean, the first `k` unit loadings and
    /// the share of variance each explains. Computed from the samples' Gram matrix (S × S), which
    /// is small when there are fewer samples than neurons.
    public static func principalComponents(_ samples: [[Double]], k: Int) throws -> (mean: [Double], loadings: [[Double]], explained: [Double]) {
        let s = samples.count
        guard s >= 2, let n = samples.first?.count, n >= 1 else {
            throw WMError.invalidParameter(name: "samples", value: "\(samples.count)", expected: "at least 2 states")
        }
        let mean = (0..<n).map { i in samples.reduce(0.0) { $0 + $1[i] } / Double(s) }
        let c = samples.map { zip($0, mean).map { $0 - $1 } }
        var gram = [Double](repeating: 0, count: s * s)
        for a in 0..<s { for b in a..<s { let v = zip(c[a], c[b]).reduce(0.0) { $0 + $1.0 * $1.1 }; gram[a * s + b] = v; gram[b * s + a] = v } }
        let eig = try SymmetricEigen(gram, n: s)
        let total = Swift.max(eig.values.reduce(0) { $0 + Swift.max($1, 0) }, 1e-300)
        var loadings: [[Double]] = [], explained: [Double] = []
        for j in (0..<s).reversed().prefix(k) {
            let lambda = eig.values[j]
            guard lambda > 1e-12 * total else { break }
            let sigma = lambda.squareRoot()
            let v = (0..<n).map { i in (0..<s).reduce(0.0) { $0 + c[$1][i] * eig.vectors[$1 * s + j] } / sigma }
            loadings.append(v)
            explained.append(lambda / total)
        }
        return (mean, loadings, explained)
    }

    static let typeNames = TrialType.all.map { "(\($0.first),\($0.second))" }

    /// Trajectories (`[case][step][N]`, case = 4·start + type) and the points in PC1–PC2.
    public static func phasePortrait(trajectories: [[[Double]]], points: [FixedPoint], title: String) throws -> SVGLinePlot {
        let samples = trajectories.flatMap { $0 }
        let pca = try principalComponents(samples, k: 2)
        func project(_ x: [Double], _ k: Int) -> Double {
            guard k < pca.loadings.count else { return 0 }
            return zip(zip(x, pca.mean), pca.loadings[k]).reduce(0.0) { $0 + ($1.0.0 - $1.0.1) * $1.1 }
        }
        let share = pca.explained.map { String(format: "%.0f%%", 100 * $0) }
        var plot = SVGLinePlot(title: title, xLabel: "PC1 (\(share.first ?? "—") of variance)", yLabel: "PC2 (\(share.count > 1 ? share[1] : "—"))")
        for (c, traj) in trajectories.enumerated() {
            let type = c % 4
            plot.series.append(.init(name: c < 4 ? "trial type \(typeNames[type])" : "", x: traj.map { project($0, 0) }, y: traj.map { project($0, 1) },
                                     color: SVGLinePlot.palette[type]))
        }
        plot.series = plot.series.filter { !$0.name.isEmpty } + plot.series.filter { $0.name.isEmpty }
        let fixed = points.filter(\.isFixed)
        plot.series.append(.init(name: "stable fixed point", x: fixed.filter(\.stable).map { project($0.state, 0) },
                                 y: fixed.filter(\.stable).map { project($0.state, 1) }, color: "#000000", markersOnly: true))
        plot.series.append(.init(name: "unstable fixed point", x: fixed.filter { !$0.stable }.map { project($0.state, 0) },
                                 y: fixed.filter { !$0.stable }.map { project($0.state, 1) }, color: "#000000", markersOnly: true, hollow: true))
        let slow = points.filter { !$0.isFixed }
        plot.series.append(.init(name: "slow point", x: slow.map { project($0.state, 0) }, y: slow.map { project($0.state, 1) },
                                 color: "#7f7f7f", markersOnly: true, hollow: true))
        return plot
    }

    /// The leading eigenvalues of the Jacobian at each fixed point (stable points filled).
    public static func spectrum(_ points: [FixedPoint], title: String) -> SVGLinePlot {
        var plot = SVGLinePlot(title: title, xLabel: "Re λ (1/τ)", yLabel: "Im λ (1/τ)")
        let fixed = points.filter(\.isFixed)
        for (name, set, hollow, color) in [("at stable points", fixed.filter(\.stable), false, "#1f77b4"), ("at unstable points", fixed.filter { !$0.stable }, true, "#d62728")] {
            let e = set.flatMap(\.leadingEigenvalues)
            plot.series.append(.init(name: name, x: e.map { $0[0] }, y: e.map { $0[1] }, color: color, markersOnly: true, hollow: hollow))
        }
        plot.series.append(.init(name: "Re λ = 0", x: [0, 0], y: [-1, 1].map { $0 * Swift.max(1e-3, fixed.flatMap(\.leadingEigenvalues).map { abs($0[1]) }.max() ?? 1) },
                                 color: "#7f7f7f", dashed: true))
        return plot
    }

    /// log₁₀ ‖dx/dt‖ from each trial-end state over the autonomous run.
    public static func slowness(_ result: MechanismResult, steps: [Int], dt: Double, title: String) -> SVGLinePlot {
        var plot = SVGLinePlot(title: title, xLabel: "time without input (τ)", yLabel: "log₁₀ ‖dx/dt‖")
        for (k, curve) in result.slowness.enumerated() {
            plot.series.append(.init(name: "from the end of \(typeNames[k])", x: steps.prefix(curve.count).map { Double($0) * dt },
                                     y: curve.map { $0 > 0 ? Foundation.log10($0) : -.infinity }, color: SVGLinePlot.palette[k]))
        }
        return plot
    }

    /// Per mechanism, the mean share of runs failing at each level of a test.
    public static func robustnessCurves(_ rows: [AnalysisRow], test: KeyPath<RobustnessResult, RobustnessCurve>, title: String, xLabel: String, logX: Bool) -> SVGLinePlot {
        var plot = SVGLinePlot(title: title, xLabel: xLabel, yLabel: "share of runs failing", yRange: 0...1)
        plot.logX = logX
        for (i, m) in Mechanism.allCases.enumerated() {
            let curves = rows.compactMap { r -> RobustnessCurve? in
                guard r.classification?.mechanism == m, let rb = r.robustness else { return nil }
                return rb[keyPath: test]
            }
            guard let first = curves.first else { continue }
            let mean = first.levels.indices.map { k in curves.reduce(0.0) { $0 + Double($1.failing[k]) / Double($1.runs) } / Double(curves.count) }
            plot.series.append(.init(name: "\(m.rawValue) (\(curves.count))", x: first.levels, y: mean, color: SVGLinePlot.palette[i]))
        }
        return plot
    }

    /// The share of each mechanism at each value of `parameter`.
    public static func mechanismShares(_ rows: [AnalysisRow], parameter: String) -> SVGLinePlot? {
        let ok = rows.filter { $0.classification != nil && $0.params[parameter] != nil }
        let values = Set(ok.map { $0.params[parameter]! }).sorted()
        guard values.count > 1 else { return nil }
        var plot = SVGLinePlot(title: "Mechanisms against \(parameter) (\(ok.count) networks)", xLabel: parameter, yLabel: "share of networks", yRange: 0...1)
        for (i, m) in Mechanism.allCases.enumerated() {
            let y = values.map { v -> Double in
                let at = ok.filter { $0.params[parameter] == v }
                return Double(at.filter { $0.classification!.mechanism == m }.count) / Double(at.count)
            }
            if y.contains(where: { $0 > 0 }) { plot.series.append(.init(name: m.rawValue, x: values, y: y, color: SVGLinePlot.palette[i])) }
        }
        return plot
    }

    /// Every population figure of `rows`, by file name.
    public static func population(_ rows: [AnalysisRow]) -> [(String, SVGLinePlot)] {
        var out: [(String, SVGLinePlot)] = []
        if rows.contains(where: { $0.robustness != nil }) {
            out.append(("forgetting.svg", robustnessCurves(rows, test: \.delay, title: "Forgetting: cases failing against the extra delay", xLabel: "extra delay (τ)", logX: false)))
            out.append(("noise.svg", robustnessCurves(rows, test: \.noise, title: "Stimulus noise: runs failing against σ", xLabel: "noise σ", logX: true)))
            out.append(("silencing.svg", robustnessCurves(rows, test: \.silencing, title: "Silencing: cases failing against the share silenced", xLabel: "share of neurons without input in stimulus 1", logX: false)))
        }
        for p in ["N", "g", "pg", "fb", "alpha"] {
            if let plot = mechanismShares(rows, parameter: p) { out.append(("mechanisms_by_\(p).svg", plot)) }
        }
        return out
    }
}
