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
public struct MechanismComparison: Sendable {
    public struct Group: Sendable {
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

    public var groups: [Group]
    /// Slow manifold against fixed points, one test per measure (nil: fewer than 5 networks in
    /// either group, or every value tied).
    public var delayShareTest: MannWhitney?
    public var delayTest: MannWhitney?
    public var noiseTest: MannWhitney?
    public var efficiencyTest: MannWhitney?
    /// The same measures within matched parameters (nil: fewer than 5 networks of either
    /// mechanism at points that hold both, or every value tied within points).
    public var matchedDelayShareTest: StratifiedRankTest?
    public var matchedDelayTest: StratifiedRankTest?
    public var matchedNoiseTest: StratifiedRankTest?
    public var matchedEfficiencyTest: StratifiedRankTest?
    /// Per measure (share, half delay, noise, efficiency), the slow-manifold and fixed-point
    /// networks at points holding both: what the matched tests compare, also when not run.
    public var matchedCounts: [(a: Int, b: Int)] = []
    /// Which networks were compared ("learned" or "all analysed").
    public var population: String

    /// The parameter point a network was trained at: every parameter but its seed.
    static func stratum(_ r: AnalysisRow) -> String {
        r.params.filter { $0.key != "seed" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

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
        let sm = groups.first { $0.mechanism == .slowManifold }, fp = groups.first { $0.mechanism == .fixedPoints }
        func test(_ v: (Group) -> [Double]) -> MannWhitney? { sm.flatMap { a in fp.flatMap { b in MannWhitney(v(a), v(b)) } } }
        delayShareTest = test(\.delayShare)
        delayTest = test(\.delayHalf)
        noiseTest = test(\.noiseHalf)
        efficiencyTest = test(\.memoriesPerStablePoint)

        let points = Dictionary(grouping: ok.filter { [.slowManifold, .fixedPoints].contains($0.classification!.mechanism) }, by: Self.stratum)
        func strata(_ value: (AnalysisRow) -> Double?) -> [(a: [Double], b: [Double])] {
            points.keys.sorted().map { k in
                let rs = points[k]!
                return (a: rs.filter { $0.classification!.mechanism == .slowManifold }.compactMap(value),
                        b: rs.filter { $0.classification!.mechanism == .fixedPoints }.compactMap(value))
            }
        }
        let measures: [(AnalysisRow) -> Double?] = [
            { $0.robustness!.delay.failingShare },
            { $0.robustness!.delay.halfFailing ?? .infinity },
            { $0.robustness!.noise.halfFailing ?? .infinity },
            { r in r.fixedPoints.map { f in let k = f.points.filter { $0.isFixed && $0.stable }.count; return k == 0 ? .infinity : 4 / Double(k) } },
        ]
        let s = measures.map(strata)
        matchedCounts = s.map(StratifiedRankTest.informativeCounts)
        matchedDelayShareTest = StratifiedRankTest(s[0])
        matchedDelayTest = StratifiedRankTest(s[1])
        matchedNoiseTest = StratifiedRankTest(s[2])
        matchedEfficiencyTest = StratifiedRankTest(s[3])
    }

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
        /// are 0 or +∞): U / (n₁n₂) is the chance that a slow-manifold network's value exceeds a
        /// fixed-point network's (ties counting ½); "supported" needs the expected side and p < 0.05.
        func line(_ name: String, _ t: MannWhitney?, _ a: [Double], _ b: [Double], expect: String, whyNot: String) -> (String, Bool?) {
            guard let t else { return ("\n  \(name): not testable — \(whyNot)", nil) }
            let pairs = Double(a.count * b.count), share = t.u / pairs
            let rel = share > 0.5 ? "higher" : share < 0.5 ? "lower" : "neither higher nor lower"
            return (String(format: "\n  %@: %@ for slow manifolds (U = %.1f, P(slow manifold > fixed points) = %.2f, p = %.3g)", name, rel, t.u, share, t.p),
                    rel == expect && t.p < 0.05)
        }
        let tied = "every network of both mechanisms has the same value"
        let never = "no network of either mechanism reaches half failing within the tested levels (all +∞)"
        let allNever = { (g: [Double]) in g.allSatisfy { !$0.isFinite } }
        out += String(format: "\nSlow manifold (n = %d) against fixed points (n = %d), two-sided Mann–Whitney U per measure:", sm.networks, fp.networks)
        let (shareLine, forget) = line("share of delay cases failing", delayShareTest, sm.delayShare, fp.delayShare, expect: "higher", whyNot: tied)
        let (halfLine, _) = line("extra delay at which half the cases fail", delayTest, sm.delayHalf, fp.delayHalf, expect: "lower",
                                 whyNot: allNever(sm.delayHalf + fp.delayHalf) ? never : tied)
        let (noiseLine, resist) = line("noise σ at which half the runs fail", noiseTest, sm.noiseHalf, fp.noiseHalf, expect: "higher",
                                       whyNot: allNever(sm.noiseHalf + fp.noiseHalf) ? never : tied)
        out += shareLine + halfLine + noiseLine
        var efficient: Bool? = nil
        if sm.stablePoints.count >= MannWhitney.minimumSize, fp.stablePoints.count >= MannWhitney.minimumSize {
            let (l, e) = line("memories per stable point (4 / stable fixed points)", efficiencyTest, sm.memoriesPerStablePoint,
                              fp.memoriesPerStablePoint, expect: "higher", whyNot: tied)
            out += l
            efficient = e
        } else {
            out += "\n  memories per stable point: not compared — it needs fixed points searched in at least \(MannWhitney.minimumSize) networks of each mechanism"
        }
        func verdict(_ v: Bool?) -> String { v.map { $0 ? "supported" : "not supported" } ?? "not tested" }
        out += "\n  the claim, each part at p < 0.05: slow manifolds forget sooner (share of delay cases failing) — \(verdict(forget));"
        out += " resist noise better — \(verdict(resist)); use their attractor landscape more efficiently — \(verdict(efficient))"
        out += matchedText
        return out
    }

    /// The matched-parameter tests: each measure compared only within parameter points that hold
    /// both mechanisms.
    var matchedText: String {
        let sets = Set(groups.filter { [.slowManifold, .fixedPoints].contains($0.mechanism) }.map(\.mechanism))
        guard sets.count == 2 else { return "" }
        var out = "\nWithin matched parameters (only networks trained at the same point — every parameter but the seed — compared; "
            + "stratified permutation test, van Elteren's statistic):"
        func line(_ name: String, _ t: StratifiedRankTest?, _ counts: (a: Int, b: Int), expect: String) -> (String, Bool?) {
            guard let t else {
                let why = counts.a < StratifiedRankTest.minimumSize || counts.b < StratifiedRankTest.minimumSize
                    ? "points holding both mechanisms have \(counts.a) slow-manifold and \(counts.b) fixed-point networks (at least \(StratifiedRankTest.minimumSize) of each needed)"
                    : "every value ties within every point"
                return ("\n  \(name): not testable — \(why)", nil)
            }
            let rel = t.shareAGreater > 0.5 ? "higher" : t.shareAGreater < 0.5 ? "lower" : "neither higher nor lower"
            let how = t.exact ? "exact over \(t.relabellings) relabellings" : "\(t.relabellings) random relabellings"
            return (String(format: "\n  %@: %@ for slow manifolds (P(slow manifold > fixed points) within points = %.2f, T = %.3g, p = %.3g, %@; %d points, %d vs %d networks)",
                           name, rel, t.shareAGreater, t.statistic, t.p, how, t.strata, t.countA, t.countB),
                    rel == expect && t.p < 0.05)
        }
        let (a, forget) = line("share of delay cases failing", matchedDelayShareTest, matchedCounts[0], expect: "higher")
        let (b, _) = line("extra delay at which half the cases fail", matchedDelayTest, matchedCounts[1], expect: "lower")
        let (c, resist) = line("noise σ at which half the runs fail", matchedNoiseTest, matchedCounts[2], expect: "higher")
        let (d, efficient) = line("memories per stable point", matchedEfficiencyTest, matchedCounts[3], expect: "higher")
        out += a + b + c + d
        func verdict(_ v: Bool?) -> String { v.map { $0 ? "supported" : "not supported" } ?? "not tested" }
        out += "\n  the claim within matched parameters, each part at p < 0.05: forget sooner — \(verdict(forget)); resist noise better — \(verdict(resist)); "
            + "more efficient — \(verdict(efficient))"
        return out
    }
}
