import Foundation
import WMCore

/// A two-sample rank test within strata: does sample A tend to exceed sample B when only
/// observations of the same stratum (e.g. networks trained at the same parameter point) are
/// compared? Two-sided, for confounded comparisons where the plain Mann–Whitney test would mix
/// a parameter's effect into the groups'.
///
/// The statistic is van Elteren's: T = Σₛ (Wₛ − E[Wₛ]) / (Nₛ + 1), Wₛ the rank sum of A within
/// stratum s (mid-ranks for ties), Nₛ its size; with the weight 1/(Nₛ + 1) each observation
/// counts about equally (van Elteren's locally most powerful choice). Strata holding only one
/// sample say nothing about the difference and are dropped. The p-value is a permutation p under "labels are exchangeable
/// within each stratum": exact over every within-stratum relabelling when there are at most
/// `exactLimit` of them, else from `draws` seeded random relabellings (Philox, so reproducible),
/// as (1 + hits) / (1 + draws). No normal approximation, so small strata are fine.
public struct StratifiedRankTest: Sendable, Hashable, Codable {
    /// van Elteren's T (positive: A ranks higher within strata).
    public var statistic: Double
    /// Two-sided permutation p: P(|T*| ≥ |T|) over within-stratum relabellings.
    public var p: Double
    /// The share of within-stratum (A, B) pairs in which A is larger, ties counting ½, each
    /// stratum's pairs weighted 1/(Nₛ + 1) as in T: Σ Uₛ/(Nₛ+1) / Σ nₐnᵦ/(Nₛ+1) = ½ + T / Σ nₐnᵦ/(Nₛ+1),
    /// so it is above ½ exactly when T > 0 (the direction the p-value is about).
    public var shareAGreater: Double
    /// The smallest p any relabelling could give (exact: the share of relabellings reaching the
    /// largest |T|; Monte Carlo: 1 / (1 + draws)). Above 0.05 the design cannot show a
    /// difference at that level, whatever the data.
    public var smallestP: Double
    /// Strata holding both samples, and how many observations of each they hold.
    public var strata: Int
    public var countA: Int
    public var countB: Int
    /// True when every relabelling was enumerated; false for the Monte Carlo estimate.
    public var exact: Bool
    /// Relabellings enumerated (exact) or drawn.
    public var relabellings: Int

    /// The smallest number of observations of each sample, over the strata holding both.
    public static let minimumSize = 5
    public static let exactLimit = 2_000_000
    /// Random relabellings drawn by default when the exact count is too large.
    public static let draws = 100_000

    /// Observations of A and of B in the strata that hold both (NaN dropped): what the test
    /// would compare, also when it is not run.
    public static func informativeCounts(_ strata: [(a: [Double], b: [Double])]) -> (a: Int, b: Int) {
        var a = 0, b = 0
        for s in strata {
            let na = s.a.filter { !$0.isNaN }.count, nb = s.b.filter { !$0.isNaN }.count
            if na > 0 && nb > 0 { a += na; b += nb }
        }
        return (a: a, b: b)
    }

    /// Nil when either sample has fewer than `minimumSize` observations in strata that also
    /// hold the other, or when every value ties within every such stratum (nothing to rank).
    /// NaN values are dropped.
    public init?(_ strata: [(a: [Double], b: [Double])], seed: UInt64 = 0x5eed, draws: Int = StratifiedRankTest.draws) {
        let informative = strata.map { (a: $0.a.filter { !$0.isNaN }, b: $0.b.filter { !$0.isNaN }) }
            .filter { !$0.a.isEmpty && !$0.b.isEmpty }
        countA = informative.reduce(0) { $0 + $1.a.count }
        countB = informative.reduce(0) { $0 + $1.b.count }
        precondition(draws > 0, "StratifiedRankTest needs at least one random relabelling")
        guard countA >= Self.minimumSize, countB >= Self.minimumSize else { return nil }
        let ranked = informative.map(Stratum.init)
        guard ranked.contains(where: { !$0.allTied }) else { return nil }
        self.strata = informative.count
        statistic = ranked.reduce(0) { $0 + $1.contribution(of: $1.labelsA) }
        let weightedPairs = informative.reduce(0.0) { $0 + Double($1.a.count * $1.b.count) / Double($1.a.count + $1.b.count + 1) }
        shareAGreater = 0.5 + statistic / weightedPairs

        // Contributions that differ only by round-off must count as equal (ties in the null).
        let observed = abs(statistic) - 1e-9 * Swift.max(1, abs(statistic))
        var total = 1.0
        for s in ranked { total *= s.arrangements; if total > Double(Self.exactLimit) { break } }
        if total <= Double(Self.exactLimit) {
            // Every relabelling: the product of each stratum's list of possible contributions.
            let lists = ranked.map { $0.everyContribution() }
            var hits = 0, count = 0
            var sums: [Double] = []
            sums.reserveCapacity(Int(total))
            func walk(_ k: Int, _ sum: Double) {
                if k == lists.count {
                    count += 1
                    sums.append(abs(sum))
                    if abs(sum) >= observed { hits += 1 }
                    return
                }
                for v in lists[k] { walk(k + 1, sum + v) }
            }
            walk(0, 0)
            exact = true
            relabellings = count
            p = Double(hits) / Double(count)
            let largest = sums.max() ?? 0
            let extreme = largest - 1e-9 * Swift.max(1, largest)
            smallestP = Double(sums.filter { $0 >= extreme }.count) / Double(count)
        } else {
            let philox = Philox4x32(seed: seed)
            var hits = 0
            var labels = ranked.map(\.labelsA)
            for d in 0..<draws {
                var sum = 0.0
                for (k, s) in ranked.enumerated() {
                    s.shuffle(&labels[k], philox: philox, draw: UInt32(truncatingIfNeeded: d), stratum: UInt32(k))
                    sum += s.contribution(of: labels[k])
                }
                if abs(sum) >= observed { hits += 1 }
            }
            exact = false
            smallestP = 1 / Double(1 + draws)
            relabellings = draws
            p = Double(1 + hits) / Double(1 + draws)
        }
    }

    /// One stratum's values with their mid-ranks; A's observations come first.
    private struct Stratum {
        var ranks: [Double]
        var nA: Int
        var allTied: Bool
        var labelsA: [Bool] { (0..<ranks.count).map { $0 < nA } }
        var arrangements: Double {
            var c = 1.0
            for i in 0..<nA { c = c * Double(ranks.count - i) / Double(i + 1) }
            return c
        }

        init(_ s: (a: [Double], b: [Double])) {
            let values = s.a + s.b
            nA = s.a.count
            let order = values.indices.sorted { values[$0] < values[$1] }
            ranks = [Double](repeating: 0, count: values.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
                for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
                i = j + 1
            }
            allTied = Set(values).count == 1
        }

        /// (W − E[W]) / (N + 1) for the observations labelled A.
        func contribution(of labels: [Bool]) -> Double {
            let n = Double(ranks.count)
            var w = 0.0
            for (r, isA) in zip(ranks, labels) where isA { w += r }
            return (w - Double(nA) * (n + 1) / 2) / (n + 1)
        }

        /// The contribution of every choice of nA observations as A, in lexicographic order.
        func everyContribution() -> [Double] {
            var out: [Double] = []
            var pick = Array(0..<nA)
            let n = ranks.count
            let scale = Double(n + 1), expected = Double(nA) * Double(n + 1) / 2
            while true {
                out.append((pick.reduce(0.0) { $0 + ranks[$1] } - expected) / scale)
                var i = nA - 1
                while i >= 0 && pick[i] == n - nA + i { i -= 1 }
                if i < 0 { return out }
                pick[i] += 1
                for j in (i + 1)..<nA { pick[j] = pick[j - 1] + 1 }
            }
        }

        /// A uniform random relabelling (Fisher–Yates on Philox words at counter (draw, stratum, i)).
        func shuffle(_ labels: inout [Bool], philox: Philox4x32, draw: UInt32, stratum: UInt32) {
            var i = labels.count - 1
            while i > 0 {
                let w = philox.block(draw, stratum, UInt32(i), 0x57a7)
                let j = Int((UInt64(w.0) << 32 | UInt64(w.1)) % UInt64(i + 1))
                labels.swapAt(i, j)
                i -= 1
            }
        }
    }
}
