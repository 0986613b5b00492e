import Foundation
import WMCore

/// Forgetting and noise robustness per mechanism over a population of analysed networks, and the
/// seed's claim tested: do slow-manifold networks forget yet resist noise better than
/// fixed-point networks? (docs/analysis.md §5)
///
/// Per network: the extra delay at which half the 16 cases fail (τ; +∞ when that never happens
/// within the tested extensions) and the noise σ at which half the runs fail (+∞ likewise).
/// Per mechanism: the median with its distribution-free 95 % interval (at least 6 networks).
/// Between slow manifold and fixed points: the two-sided Mann–Whitney U test (at least 5 each),
/// chosen because the measures are censored at the largest level tested and far from normal;
/// ranks handle both.
///
/// Efficiency of the attractor landscape (the seed's "more efficient in leveraging their
/// attractor landscape"): the 4 memories of the task (the trial types held through delay 2) per
/// distinct stable fixed point the network has, 4 / stable points (+∞ with none), over the
/// networks whose fixed points were searched. Higher is more memories held per attractor.
public struct MechanismComparison: Sendable {
    public struct Group: Sendable {
        public var mechanism: Mechanism
        public var networks: Int
        public var delayHalf: [Double]
        public var noiseHalf: [Double]
        public var delayMedian: MedianInterval?
        public var noiseMedian: MedianInterval?
        /// Distinct stable fixed points per network (the attractors its landscape offers), for the
        /// networks whose fixed points were searched (the others are not counted as 0).
        public var stablePoints: [Int]
        public var stableMedian: MedianInterval?
        /// 4 / stable points per network (+∞ with none).
        public var memoriesPerStablePoint: [Double]
        public var efficiencyMedian: MedianInterval?
    }

    public var groups: [Group]
    /// Slow manifold against fixed points (nil with fewer than 5 networks in either).
    public var delayTest: MannWhitney?
    public var noiseTest: MannWhitney?
    public var efficiencyTest: MannWhitney?
    /// Which networks were compared ("learned" or "all analysed").
    public var population: String

    /// Compares the networks of `rows` with a classification and robustness results; only the
    /// ones that learned when `learnedOnly`.
    public init(_ rows: [AnalysisRow], learnedOnly: Bool = true) {
        let ok = rows.filter { $0.classification != nil && $0.robustness != nil && (!learnedOnly || $0.learned == true) }
        population = learnedOnly ? "learned" : "all analysed"
        groups = Mechanism.allCases.compactMap { m in
            let rs = ok.filter { $0.classification!.mechanism == m }
            guard !rs.isEmpty else { return nil }
            let d = rs.map { $0.robustness!.delay.halfFailing ?? .infinity }
            let s = rs.map { $0.robustness!.noise.halfFailing ?? .infinity }
            let stable = rs.compactMap { $0.fixedPoints.map { $0.points.filter { $0.isFixed && $0.stable }.count } }
            let efficiency = stable.map { $0 == 0 ? Double.infinity : 4 / Double($0) }
            return Group(mechanism: m, networks: rs.count, delayHalf: d, noiseHalf: s, delayMedian: MedianInterval(d), noiseMedian: MedianInterval(s),
                         stablePoints: stable, stableMedian: MedianInterval(stable.map(Double.init)),
                         memoriesPerStablePoint: efficiency, efficiencyMedian: MedianInterval(efficiency))
        }
        let sm = groups.first { $0.mechanism == .slowManifold }, fp = groups.first { $0.mechanism == .fixedPoints }
        delayTest = sm.flatMap { a in fp.flatMap { b in MannWhitney(a.delayHalf, b.delayHalf) } }
        noiseTest = sm.flatMap { a in fp.flatMap { b in MannWhitney(a.noiseHalf, b.noiseHalf) } }
        efficiencyTest = sm.flatMap { a in fp.flatMap { b in MannWhitney(a.memoriesPerStablePoint, b.memoriesPerStablePoint) } }
    }

    /// The table and the statement.
    public var text: String {
        func median(_ m: MedianInterval?, _ unit: String) -> String {
            guard let m else { return "— (< 6 networks)" }
            func f(_ v: Double) -> String { v.isFinite ? String(format: "%.3g", v) : "never" }
            return "\(f(m.median))\(unit) [\(f(m.low)), \(f(m.high))]"
        }
        let header = ["mechanism", "networks", "half failing at extra delay (median [95% CI])", "half failing at noise σ",
                      "stable points", "memories per stable point"]
        let rows = groups.map { g in
            [g.mechanism.rawValue, String(g.networks), median(g.delayMedian, " τ"), median(g.noiseMedian, ""),
             g.stablePoints.isEmpty ? "— (not searched)" : median(g.stableMedian, ""),
             g.stablePoints.isEmpty ? "— (not searched)" : median(g.efficiencyMedian, "").replacingOccurrences(of: "never", with: "∞ (no stable point)")]
        }
        var out = "Robustness per mechanism (\(population) networks):\n" + SweepTable.table(header, rows)
        guard let d = delayTest, let s = noiseTest,
              let sm = groups.first(where: { $0.mechanism == .slowManifold }), let fp = groups.first(where: { $0.mechanism == .fixedPoints }) else {
            out += "\nThe claim (slow manifolds forget yet resist noise better than fixed points) is not tested: it needs at least \(MannWhitney.minimumSize) \(population) networks of each mechanism, and values that do not all tie (networks that never half-fail all count as +∞)."
            return out
        }
        func med(_ v: [Double]) -> Double {
            let s = v.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        func rel(_ a: [Double], _ b: [Double]) -> String {
            let ma = med(a), mb = med(b)
            return ma < mb ? "lower" : ma > mb ? "higher" : "equal"
        }
        out += String(format: "\nSlow manifold (n = %d) against fixed points (n = %d), two-sided Mann–Whitney U:", sm.networks, fp.networks)
        out += String(format: "\n  delay at which half the cases fail: %@ for slow manifolds (U = %.1f, p = %.3g)", rel(sm.delayHalf, fp.delayHalf), d.u, d.p)
        out += String(format: "\n  noise σ at which half the runs fail: %@ for slow manifolds (U = %.1f, p = %.3g)", rel(sm.noiseHalf, fp.noiseHalf), s.u, s.p)
        let forget = rel(sm.delayHalf, fp.delayHalf) == "lower" && d.p < 0.05
        let resist = rel(sm.noiseHalf, fp.noiseHalf) == "higher" && s.p < 0.05
        if let e = efficiencyTest {
            out += String(format: "\n  memories per stable point (4 / stable fixed points): %@ for slow manifolds (U = %.1f, p = %.3g)",
                          rel(sm.memoriesPerStablePoint, fp.memoriesPerStablePoint), e.u, e.p)
            let efficient = rel(sm.memoriesPerStablePoint, fp.memoriesPerStablePoint) == "higher" && e.p < 0.05
            out += "\n  the claim: slow manifolds use their attractor landscape more efficiently — \(efficient ? "supported" : "not supported") (p < 0.05)"
        } else {
            out += "\n  attractor-landscape efficiency not compared: it needs fixed points searched in at least \(MannWhitney.minimumSize) networks of each mechanism, and values that do not all tie"
        }
        out += "\n  the claim: slow manifolds forget sooner — \(forget ? "supported" : "not supported") (p < 0.05); resist noise better — \(resist ? "supported" : "not supported")"
        return out
    }
}
