import Foundation
import WMCore

/// What `wmsim stats` analyses: which score of which decoder, and the test settings.
public struct SweepAnalysisOptions: Codable, Sendable, Hashable {
    /// Memory capacity ("mc") or r at a lag ("r": at every X of the sweep, or at `lag`).
    public var metric: OptimizationObjective = .mc
    public var decoder: DecoderKind = .ridge
    /// Lag for `metric = r` when the sweep has no X axis.
    public var lag: Int? = nil
    /// Family-wise significance level.
    public var alpha = 0.05
    public var correction: MultipleTesting.Method = .holm
    public var resamples = 2000
    public var seed: UInt64 = 1
    public init() {}
}

/// Mean of the metric at one value of a parameter.
public struct EffectLevel: Codable, Sendable, Hashable {
    public var value: Double
    public var mean: Double
    /// 95 % CI of the mean (Student t; NaN with one observation).
    public var ci95: [Double]
    public var n: Int
    /// The observations behind the mean (what the effect plot draws as points); absent in
    /// files written before they were recorded.
    public var values: [Double]? = nil
}

/// Means of the metric per value of an effect's parameter, one line per level of another
/// parameter varied with it: the marginal effect split by the other factor.
public struct EffectByLevel: Codable, Sendable, Hashable {
    /// The other parameter.
    public var parameter: String
    /// Its levels, and per level the mean at each of the effect's values (NaN where empty).
    public var levels: [Double]
    public var means: [[Double]]
}

/// The effect of one parameter on the metric.
public struct ParameterEffect: Codable, Sendable {
    public var parameter: String
    /// "value" or "log10(value)" (axes with scale = "log").
    public var regressor: String
    /// Which observations: "one-at-a-time line (others at base)" or "all points (others vary too: marginal effect)".
    public var design: String
    public var observations: Int
    public var levels: [EffectLevel]
    public var pearson: CorrelationTest
    public var spearman: CorrelationTest
    /// OLS slope of the metric on the regressor with a pairs-bootstrap 95 % CI.
    public var slope: BootstrapInterval
    /// p-values corrected over all parameters tested (see `SweepAnalysis.correction`).
    public var pearsonAdjusted: Double
    public var spearmanAdjusted: Double
    /// Spearman's corrected p below α.
    public var significant: Bool
    /// In grid designs: the same means split by the levels of the other varied parameter with the
    /// smallest a:b interaction p (corrected, then raw), among those with 2–8 levels.
    public var byLevel: EffectByLevel? = nil
}

/// Two parameters varied together: y ~ a + b + a·b (centred) and the 2-D map of means.
public struct InteractionEffect: Codable, Sendable {
    public var a: String
    public var b: String
    public var fit: OLSFit
    /// p of the a:b term, raw and corrected over all pairs.
    public var interactionP: Double
    public var interactionAdjusted: Double
    public var significant: Bool
    public var aValues: [Double]
    public var bValues: [Double]
    /// Mean metric per cell: map[j][i] at (aValues[i], bValues[j]); NaN where empty.
    public var map: [[Double]]
}

/// Everything `wmsim stats` computes from one sweep results file.
public struct SweepAnalysis: Codable, Sendable {
    public var fingerprint: String
    public var metric: String
    public var options: SweepAnalysisOptions
    public var rows: Int
    public var failedRows: Int
    public var effects: [ParameterEffect]
    public var interactions: [InteractionEffect]
    public var warnings: [String]
    /// How p-values were corrected.
    public var correction: String

    /// One observation: parameter values (with X) and the metric.
    struct Observation {
        var values: [SweepParameter: Double]
        var onAxes: Set<SweepParameter>
        var y: Double
    }

    /// Analyses `results`.
    public static func analyze(_ results: SweepResults, options o: SweepAnalysisOptions = SweepAnalysisOptions()) throws -> SweepAnalysis {
        let spec = results.header.spec
        let plan = try spec.plan()
        guard o.alpha > 0 && o.alpha < 1 else { throw WMError.invalidParameter(name: "alpha", value: "\(o.alpha)", expected: "in (0, 1)") }
        guard spec.base.decoders.contains(o.decoder) else {
            throw WMError.invalidParameter(name: "decoder", value: o.decoder.rawValue, expected: "a decoder the sweep measured (\(spec.base.decoders.map(\.rawValue).joined(separator: ", ")))")
        }
        var warnings = results.warnings
        var lags: [Int] = []
        var metricName = "\(o.decoder.rawValue) MC"
        if o.metric == .r {
            if let l = o.lag { lags = [l] } else { lags = plan.lags }
            guard !lags.isEmpty else {
                throw WMError.invalidParameter(name: "lag", value: "none", expected: "--lag X for --metric r (the sweep has no X axis)")
            }
            for l in lags where l < 1 || l > spec.base.maxLag {
                throw WMError.invalidParameter(name: "lag", value: "\(l)", expected: "1…maxLag = \(spec.base.maxLag)")
            }
            metricName = lags.count == 1 ? "\(o.decoder.rawValue) r(X=\(lags[0]))" : "\(o.decoder.rawValue) r(X)"
        } else if !plan.lags.isEmpty {
            warnings.append("X is a readout axis and does not change MC; use --metric r to analyse r at each X")
        }
        let xVaried = o.metric == .r && lags.count > 1
        var obs: [Observation] = []
        var failed = 0
        for row in results.rows {
            // `ResultsFile.read` drops rows outside the plan; rows built in memory are checked too.
            guard row.error == nil, plan.points.indices.contains(row.point) else { failed += 1; continue }
            let p = plan.points[row.point]
            if o.metric == .mc {
                guard let y = row.mc(o.decoder), y.isFinite else { failed += 1; continue }
                obs.append(Observation(values: p.values, onAxes: Set(p.onAxes), y: y))
            } else {
                for l in lags {
                    guard let y = row.r(lag: l, decoder: o.decoder), y.isFinite else { continue }
                    var v = p.values
                    var on = Set(p.onAxes)
                    if xVaried {
                        v[.x] = Double(l)
                        // X lies on every line: it is read out at every point.
                        on.insert(.x)
                    }
                    obs.append(Observation(values: v, onAxes: on, y: y))
                }
            }
        }
        guard !obs.isEmpty else { throw WMError.invalidParameter(name: "results", value: "no usable rows", expected: "rows with a \(metricName) (see the errors in the file)") }

        var params = spec.variedParameters.filter(\.isNetworkParameter)
        if xVaried { params.append(.x) }
        let logScale = Set(spec.axes.filter(\.logScale).map(\.parameter))

        // One effect per parameter.
        var effects: [ParameterEffect] = []
        for p in params {
            let oneAtATime = spec.mode == .oneAtATime && p != .x
            var sel = obs.filter { $0.values[p] != nil && (!oneAtATime || $0.onAxes.contains(p)) }
            if spec.mode == .oneAtATime && p == .x {
                // X at the base point (on every network axis' line).
                let base = sel.filter { $0.onAxes.isSuperset(of: params.filter { $0 != .x }) }
                if !base.isEmpty { sel = base }
            }
            let raw = sel.map { $0.values[p]! }
            guard Set(raw).count >= 2, sel.count >= 3 else {
                warnings.append("\(p.rawValue): fewer than 2 values or 3 observations; no test")
                continue
            }
            let log = logScale.contains(p)
            if log && raw.contains(where: { $0 <= 0 }) { warnings.append("\(p.rawValue): non-positive values on a log axis; tested on the raw values") }
            let useLog = log && !raw.contains(where: { $0 <= 0 })
            let x = useLog ? raw.map { Foundation.log10($0) } : raw
            let y = sel.map(\.y)
            do {
                let pe = try CorrelationTest.pearson(x: x, y: y)
                let sp = try CorrelationTest.spearman(x: x, y: y)
                let slope = try Bootstrap.slopeCI(x: x, y: y, resamples: o.resamples, level: 0.95, seed: o.seed)
                var levels: [EffectLevel] = []
                for v in Set(raw).sorted() {
                    let ys = zip(raw, y).filter { $0.0 == v }.map(\.1)
                    let m = SweepTable.meanCI(ys)
                    levels.append(EffectLevel(value: v, mean: m.mean, ci95: [m.lo ?? .nan, m.hi ?? .nan], n: ys.count, values: ys))
                }
                effects.append(ParameterEffect(parameter: p.rawValue, regressor: useLog ? "log10(value)" : "value",
                                               design: oneAtATime ? "one-at-a-time line (others at base)" : "all points (others vary too: marginal effect)",
                                               observations: sel.count, levels: levels, pearson: pe, spearman: sp, slope: slope,
                                               pearsonAdjusted: .nan, spearmanAdjusted: .nan, significant: false))
            } catch let e as WMError {
                warnings.append("\(p.rawValue): \(e.description)")
            }
        }
        if !effects.isEmpty {
            let ap = try MultipleTesting.adjust(effects.map(\.pearson.pValue), method: o.correction)
            let asp = try MultipleTesting.adjust(effects.map(\.spearman.pValue), method: o.correction)
            for i in effects.indices {
                effects[i].pearsonAdjusted = ap[i]
                effects[i].spearmanAdjusted = asp[i]
                effects[i].significant = asp[i] < o.alpha
            }
        }

        // Pairwise interactions where parameters vary together (grid and list designs).
        var inter: [InteractionEffect] = []
        if spec.mode != .oneAtATime || xVaried {
            for (i, a) in params.enumerated() {
                for b in params[(i + 1)...] {
                    if spec.mode == .oneAtATime && !(a == .x || b == .x) { continue }
                    var sel = obs.filter { $0.values[a] != nil && $0.values[b] != nil }
                    if spec.mode == .oneAtATime {
                        // X with a network axis: that axis' one-at-a-time line, every X.
                        let net = a == .x ? b : a
                        sel = sel.filter { $0.onAxes.contains(net) }
                    }
                    let av = sel.map { $0.values[a]! }, bv = sel.map { $0.values[b]! }
                    guard Set(av).count >= 2, Set(bv).count >= 2, sel.count >= 5 else { continue }
                    let ax = logScale.contains(a) && !av.contains { $0 <= 0 } ? av.map { Foundation.log10($0) } : av
                    let bx = logScale.contains(b) && !bv.contains { $0 <= 0 } ? bv.map { Foundation.log10($0) } : bv
                    do {
                        let fit = try OLS.interaction(y: sel.map(\.y), a: ax, b: bx, names: (a.rawValue, b.rawValue), center: true)
                        let aVals = Set(av).sorted(), bVals = Set(bv).sorted()
                        var map = [[Double]](repeating: [Double](repeating: .nan, count: aVals.count), count: bVals.count)
                        for (j, bb) in bVals.enumerated() {
                            for (k, aa) in aVals.enumerated() {
                                let ys = sel.filter { $0.values[a] == aa && $0.values[b] == bb }.map(\.y)
                                if !ys.isEmpty { map[j][k] = ys.reduce(0, +) / Double(ys.count) }
                            }
                        }
                        let p = fit.pValues[fit.terms.firstIndex(of: "\(a.rawValue):\(b.rawValue)")!]
                        inter.append(InteractionEffect(a: a.rawValue, b: b.rawValue, fit: fit, interactionP: p, interactionAdjusted: .nan,
                                                       significant: false, aValues: aVals, bValues: bVals, map: map))
                    } catch let e as WMError {
                        warnings.append("\(a.rawValue)×\(b.rawValue): \(e.description)")
                    }
                }
            }
            if !inter.isEmpty {
                let adj = try MultipleTesting.adjust(inter.map(\.interactionP), method: o.correction)
                for i in inter.indices {
                    inter[i].interactionAdjusted = adj[i]
                    inter[i].significant = adj[i] < o.alpha
                }
            }
        }
        if spec.mode != .oneAtATime {
            for i in effects.indices { effects[i].byLevel = byLevel(effects[i], params: params, observations: obs, interactions: inter) }
        }
        return SweepAnalysis(fingerprint: spec.fingerprint, metric: metricName, options: o, rows: results.rows.count, failedRows: failed,
                             effects: effects, interactions: inter, warnings: warnings,
                             correction: "\(o.correction.rawValue) over the \(effects.count) parameter test(s) (Spearman and Pearson separately) and over the \(inter.count) interaction test(s); significant: Spearman's corrected p < \(o.alpha)")
    }

    /// The effect's means split by the levels of the other parameter that interacts most with it.
    static func byLevel(_ e: ParameterEffect, params: [SweepParameter], observations obs: [Observation],
                        interactions: [InteractionEffect]) -> EffectByLevel? {
        guard let p = SweepParameter(rawValue: e.parameter) else { return nil }
        // Smallest corrected p, ties (Holm often sets every corrected p to 1) broken by the raw p,
        // so the choice does not depend on the order of the axes.
        func interactionP(_ q: SweepParameter) -> (Double, Double) {
            let i = interactions.first { Set([$0.a, $0.b]) == Set([p.rawValue, q.rawValue]) }
            return (i?.interactionAdjusted ?? 1, i?.interactionP ?? 1)
        }
        let candidates = params.filter { q in
            q != p && (2...8).contains(Set(obs.compactMap { $0.values[q] }).count)
        }
        guard let q = candidates.min(by: { interactionP($0) < interactionP($1) }) else { return nil }
        let levels = Set(obs.compactMap { $0.values[q] }).sorted()
        let means = levels.map { lv in
            e.levels.map { l -> Double in
                let ys = obs.filter { $0.values[p] == l.value && $0.values[q] == lv }.map(\.y)
                return ys.isEmpty ? .nan : ys.reduce(0, +) / Double(ys.count)
            }
        }
        return EffectByLevel(parameter: q.rawValue, levels: levels, means: means)
    }
}
