import Foundation
import WMCore

/// Forgetting and noise robustness per mechanism over a population of analysed networks, and the
/// seed's claim tested: do slow-manifold networks forget yet resist noise better than
/// fixed-point networks? (docs/analysis.md §5)
///
/// Per network:
/// - forgetting: the share of the delay-extension cases that fail, over all tested extensions
///   (`RobustnessCurve.failingShare`, in [0, 1], never censored), and the extra delay at which
///   half the 16 cases fail (τ; +∞ when that never happens within the tested extensions);
/// - noise robustness: the σ at which half the noisy runs fail (+∞ likewise);
/// - efficiency of the attractor landscape (the seed's "more efficient in leveraging their
///   attractor landscape"): the 4 memories of the task (the trial types held through delay 2)
///   per distinct stable fixed point, 4 / stable points (+∞ with none), over the networks whose
///   fixed points were searched.
/// Per mechanism: the median with its distribution-free 95 % interval (at least 6 networks).
/// Between slow manifold and fixed points: the two-sided Mann–Whitney U test of each measure on
/// its own (at least 5 networks each, and values that do not all tie), chosen because the
/// measures are censored at the largest level tested and far from normal; ranks handle both.
/// A measure that cannot be tested (every network ties, e.g. none ever half-fails) is said so,
/// and the others are still tested.
///
/// Mechanism and training parameters are confounded (fixed points appear at low g and strong
/// feedback), so each measure is also tested within matched parameters: only networks trained
/// at the same point (every parameter but the seed) are compared, by `StratifiedRankTest`
/// (van Elteren's statistic, exact or Monte Carlo permutation p within points).
public struct MechanismComparison: Sendable, Encodable {
    public struct Group: Sendable, Encodable {
        public var mechanism: Mechanism
        public var networks: Int
        public var delayShare: [Double]
        public var delayHalf: [Double]
        public var noiseHalf: [Double]
        public var delayShareMedian: MedianInterval?
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

    /// One measure compared between slow manifolds and fixed points, pooled and within matched
    /// parameters.
    public struct MeasureTest: Sendable, Encodable {
        /// `delayShare`, `delayHalf`, `noiseHalf` or `memoriesPerStablePoint`.
        public var measure: String
        /// The direction the claim expects for slow manifolds ("higher" or "lower").
        public var expected: String
        /// Slow manifold against fixed points (nil: fewer than 5 networks in either group, or
        /// every value tied).
        public var pooled: MannWhitney?
        /// U / (n₁n₂): the chance a slow-manifold value exceeds a fixed-point one (ties ½).
        public var pooledShareGreater: Double?
        /// Within matched parameters (nil: fewer than 5 networks of either mechanism at points
        /// that hold both, or every value tied within points).
        public var matched: StratifiedRankTest?
        /// The slow-manifold and fixed-point networks at points holding both (what `matched`
        /// compares, also when it is not run).
        public var matchedSlowManifold: Int
        public var matchedFixedPoints: Int

        /// "higher", "lower" or "neither higher nor lower" from a share of pairs.
        static func direction(_ share: Double) -> String { share > 0.5 ? "higher" : share < 0.5 ? "lower" : "neither higher nor lower" }
        /// The expected direction at p < 0.05 (nil: not tested).
        public var pooledSupports: Bool? {
            guard let t = pooled, let share = pooledShareGreater else { return nil }
            return Self.direction(share) == expected && t.p < 0.05
        }
        /// Nil also when the design cannot reach p < 0.05 at all (too few relabellings).
        public var matchedSupports: Bool? {
            guard let m = matched, m.smallestP < 0.05 else { return nil }
            return Self.direction(m.shareAGreater) == expected && m.p < 0.05
        }
    }

    /// The three parts of the claim, each "supported" (true), "not supported" (false) or not
    /// tested (nil).
    public struct Verdicts: Sendable, Encodable {
        public var forgetsSooner: Bool?
        public var resistsNoiseBetter: Bool?
        public var moreEfficient: Bool?
    }

    public var groups: [Group]
    /// Per measure: the share of delay cases failing, the half-failing delay, the half-failing
    /// noise σ, memories per stable point.
    public var tests: [MeasureTest]
    /// Which networks were compared ("learned" or "all analysed").
    public var population: String
    /// The claim's parts from the pooled tests (share, noise, efficiency).
    public var verdicts: Verdicts {
        Verdicts(forgetsSooner: tests[0].pooledSupports, resistsNoiseBetter: tests[2].pooledSupports, moreEfficient: tests[3].pooledSupports)
    }
    /// The same from the matched tests: what a confounded population should be judged by.
    public var matchedVerdicts: Verdicts {
        Verdicts(forgetsSooner: tests[0].matchedSupports, resistsNoiseBetter: tests[2].matchedSupports, moreEfficient: tests[3].matchedSupports)
    }

    public var delayShareTest: MannWhitney? { tests[0].pooled }
    public var delayTest: MannWhitney? { tests[1].pooled }
    public var noiseTest: MannWhitney? { tests[2].pooled }
    public var efficiencyTest: MannWhitney? { tests[3].pooled }
    public var matchedDelayShareTest: StratifiedRankTest? { tests[0].matched }
    public var matchedDelayTest: StratifiedRankTest? { tests[1].matched }
    public var matchedNoiseTest: StratifiedRankTest? { tests[2].matched }
    public var matchedEfficiencyTest: StratifiedRankTest? { tests[3].matched }

    /// The parameter point a network was trained at: every parameter but its seed.
    static func stratum(_ r: AnalysisRow) -> String {
        r.params.filter { $0.key != "seed" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Per measure, its value for a network (nil: not available, e.g. fixed points not searched).
    static let measures: [(name: String, expected: String, value: @Sendable (AnalysisRow) -> Double?)] = [
        ("delayShare", "higher", { $0.robustness!.delay.failingShare }),
        ("delayHalf", "lower", { $0.robustness!.delay.halfFailing ?? .infinity }),
        ("noiseHalf", "higher", { $0.robustness!.noise.halfFailing ?? .infinity }),
        ("memoriesPerStablePoint", "higher", { r in
            r.fixedPoints.map { f in let k = f.points.filter { $0.isFixed && $0.stable }.count; return k == 0 ? .infinity : 4 / Double(k) } }),
    ]

    /// Compares the networks of `rows` with a classification and robustness results; only the
    /// ones that learned when `learnedOnly`.
    public init(_ rows: [AnalysisRow], learnedOnly: Bool = true) {
        let ok = rows.filter { $0.classification != nil && $0.robustness != nil && (!learnedOnly || $0.learned == true) }
        population = learnedOnly ? "learned" : "all analysed"
        groups = Mechanism.allCases.compactMap { m in
            let rs = ok.filter { $0.classification!.mechanism == m }
            guard !rs.isEmpty else { return nil }
            let share = rs.map { $0.robustness!.delay.failingShare }
            let d = rs.map { $0.robustness!.delay.halfFailing ?? .infinity }
            let s = rs.map { $0.robustness!.noise.halfFailing ?? .infinity }
            let stable = rs.compactMap { $0.fixedPoints.map { $0.points.filter { $0.isFixed && $0.stable }.count } }
            let efficiency = stable.map { $0 == 0 ? Double.infinity : 4 / Double($0) }
            return Group(mechanism: m, networks: rs.count, delayShare: share, delayHalf: d, noiseHalf: s,
                         delayShareMedian: MedianInterval(share), delayMedian: MedianInterval(d), noiseMedian: MedianInterval(s),
                         stablePoints: stable, stableMedian: MedianInterval(stable.map(Double.init)),
                         memoriesPerStablePoint: efficiency, efficiencyMedian: MedianInterval(efficiency))
        }
        let compared = ok.filter { [.slowManifold, .fixedPoints].contains($0.classification!.mechanism) }
        let points = Dictionary(grouping: compared, by: Self.stratum)
        tests = Self.measures.map { m in
            let sm = compared.filter { $0.classification!.mechanism == .slowManifold }.compactMap(m.value)
            let fp = compared.filter { $0.classification!.mechanism == .fixedPoints }.compactMap(m.value)
            let pooled = MannWhitney(sm, fp)
            let strata = points.keys.sorted().map { k in
                let rs = points[k]!
                return (a: rs.filter { $0.classification!.mechanism == .slowManifold }.compactMap(m.value),
                        b: rs.filter { $0.classification!.mechanism == .fixedPoints }.compactMap(m.value))
            }
            let counts = StratifiedRankTest.informativeCounts(strata)
            return MeasureTest(measure: m.name, expected: m.expected, pooled: pooled,
                               pooledShareGreater: pooled.map { $0.u / Double(sm.count * fp.count) },
                               matched: StratifiedRankTest(strata), matchedSlowManifold: counts.a, matchedFixedPoints: counts.b)
        }
    }

    private static func verdict(_ v: Bool?) -> String { v.map { $0 ? "supported" : "not supported" } ?? "not tested" }

    /// The table and the statement.
    public var text: String {
        func median(_ m: MedianInterval?, _ unit: String, digits: String = "%.3g") -> String {
            guard let m else { return "— (< 6 networks)" }
            func f(_ v: Double) -> String { v.isFinite ? String(format: digits, v) : "never" }
            return "\(f(m.median))\(unit) [\(f(m.low)), \(f(m.high))]"
        }
        let header = ["mechanism", "networks", "delay cases failing (share)", "half failing at extra delay (median [95% CI])",
                      "half failing at noise σ", "stable points", "memories per stable point"]
        let rows = groups.map { g in
            [g.mechanism.rawValue, String(g.networks), median(g.delayShareMedian, "", digits: "%.3f"), median(g.delayMedian, " τ"),
             median(g.noiseMedian, ""),
             g.stablePoints.isEmpty ? "— (not searched)" : median(g.stableMedian, ""),
             g.stablePoints.isEmpty ? "— (not searched)" : median(g.efficiencyMedian, "").replacingOccurrences(of: "never", with: "∞ (no stable point)")]
        }
        var out = "Robustness per mechanism (\(population) networks):\n" + SweepTable.table(header, rows)
        guard let sm = groups.first(where: { $0.mechanism == .slowManifold }), let fp = groups.first(where: { $0.mechanism == .fixedPoints }),
              sm.networks >= MannWhitney.minimumSize, fp.networks >= MannWhitney.minimumSize else {
            out += "\nThe claim (slow manifolds forget yet resist noise better than fixed points) is not tested: it needs at least \(MannWhitney.minimumSize) \(population) networks of each mechanism."
            return out
        }
        /// The direction for slow manifolds from U (not the medians, which tie when most values
        /// are 0 or +∞); "supported" needs the expected side and p < 0.05.
        func line(_ name: String, _ t: MeasureTest, whyNot: String) -> String {
            guard let u = t.pooled, let share = t.pooledShareGreater else { return "\n  \(name): not testable — \(whyNot)" }
            return String(format: "\n  %@: %@ for slow manifolds (U = %.1f, P(slow manifold > fixed points) = %.2f, p = %.3g)",
                          name, MeasureTest.direction(share), u.u, share, u.p)
        }
        let tied = "every network of both mechanisms has the same value"
        let never = "no network of either mechanism reaches half failing within the tested levels (all +∞)"
        let allNever = { (g: [Double]) in g.allSatisfy { !$0.isFinite } }
        out += String(format: "\nSlow manifold (n = %d) against fixed points (n = %d), two-sided Mann–Whitney U per measure:", sm.networks, fp.networks)
        out += line("share of delay cases failing", tests[0], whyNot: tied)
        out += line("extra delay at which half the cases fail", tests[1], whyNot: allNever(sm.delayHalf + fp.delayHalf) ? never : tied)
        out += line("noise σ at which half the runs fail", tests[2], whyNot: allNever(sm.noiseHalf + fp.noiseHalf) ? never : tied)
        if sm.stablePoints.count >= MannWhitney.minimumSize, fp.stablePoints.count >= MannWhitney.minimumSize {
            out += line("memories per stable point (4 / stable fixed points)", tests[3], whyNot: tied)
        } else {
            out += "\n  memories per stable point: not compared — it needs fixed points searched in at least \(MannWhitney.minimumSize) networks of each mechanism"
        }
        let v = verdicts
        out += "\n  the claim, each part at p < 0.05: slow manifolds forget sooner (share of delay cases failing) — \(Self.verdict(v.forgetsSooner));"
        out += " resist noise better — \(Self.verdict(v.resistsNoiseBetter)); use their attractor landscape more efficiently — \(Self.verdict(v.moreEfficient))"
        out += matchedText
        return out
    }

    /// The matched-parameter tests: each measure compared only within parameter points that hold
    /// both mechanisms.
    var matchedText: String {
        var out = "\nWithin matched parameters (only networks trained at the same point — every parameter but the seed — compared; "
            + "stratified permutation test, van Elteren's statistic):"
        func line(_ name: String, _ m: MeasureTest) -> String {
            guard let t = m.matched else {
                let minimum = StratifiedRankTest.minimumSize
                let why = m.matchedSlowManifold < minimum || m.matchedFixedPoints < minimum
                    ? "points holding both mechanisms have \(m.matchedSlowManifold) slow-manifold and \(m.matchedFixedPoints) fixed-point networks (at least \(minimum) of each needed)"
                    : "every value ties within every point"
                return "\n  \(name): not testable — \(why)"
            }
            let how = t.exact ? "exact over \(t.relabellings) relabellings" : "\(t.relabellings) random relabellings"
            var text = String(format: "\n  %@: %@ for slow manifolds (P(slow manifold > fixed points) within points = %.2f, T = %.3g, p = %.3g, %@; %d points, %d vs %d networks)",
                              name, MeasureTest.direction(t.shareAGreater), t.shareAGreater, t.statistic, t.p, how, t.strata, t.countA, t.countB)
            if t.smallestP >= 0.05 { text += String(format: "; not judged: the smallest p these points allow is %.3g", t.smallestP) }
            return text
        }
        out += line("share of delay cases failing", tests[0]) + line("extra delay at which half the cases fail", tests[1])
            + line("noise σ at which half the runs fail", tests[2]) + line("memories per stable point", tests[3])
        let v = matchedVerdicts
        out += "\n  the claim within matched parameters, each part at p < 0.05: forget sooner — \(Self.verdict(v.forgetsSooner)); resist noise better — \(Self.verdict(v.resistsNoiseBetter)); "
            + "more efficient — \(Self.verdict(v.moreEfficient))"
        return out
    }
}
