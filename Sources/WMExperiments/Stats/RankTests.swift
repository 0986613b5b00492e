import Foundation

/// The Mann–Whitney U test of two independent samples (two-sided), normal approximation with
/// the tie correction and a continuity correction, as `scipy.stats.mannwhitneyu(x, y,
/// method="asymptotic")`. Rank-based, so a censored value (a network that never failed, +∞)
/// counts as larger than every observed one.
public struct MannWhitney: Sendable, Hashable, Codable {
    /// U of the first sample (the number of pairs it wins, ties counting ½).
    public var u: Double
    public var z: Double
    public var p: Double

    /// The smallest sample size for which the normal approximation is used.
    public static let minimumSize = 5

    /// Nil when a sample has fewer than `minimumSize` values or every value ties.
    public init?(_ x: [Double], _ y: [Double]) {
        let n1 = Double(x.count), n2 = Double(y.count)
        guard x.count >= Self.minimumSize, y.count >= Self.minimumSize, !(x + y).contains(where: \.isNaN) else { return nil }
        let all = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: all.count)
        var tieTerm = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[k] = r }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let r1 = zip(all, ranks).filter { $0.0.1 == 0 }.reduce(0.0) { $0 + $1.1 }
        u = r1 - n1 * (n1 + 1) / 2
        let n = n1 + n2
        let mean = n1 * n2 / 2
        let variance = n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return nil }
        let d = abs(u - mean) - 0.5
        z = (u - mean >= 0 ? 1 : -1) * Swift.max(d, 0) / variance.squareRoot()
        p = Swift.min(1, 2 * StandardNormal.sf(abs(z)))
    }
}

/// The median with its distribution-free 95 % interval from order statistics: the widest-coverage
/// pair x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎ with P(Binomial(n, ½) < j) ≤ 2.5 %. Nil below 6 values (no such pair has
/// 95 % coverage).
public struct MedianInterval: Sendable, Hashable, Codable {
    public var median: Double
    public var low: Double
    public var high: Double
    public var count: Int

    public init?(_ values: [Double]) {
        let v = values.filter { !$0.isNaN }.sorted()
        let n = v.count
        guard n >= 6 else { return nil }
        count = n
        median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
        // Largest j with P(B ≤ j − 1) ≤ 0.025, B ~ Binomial(n, 1/2).
        var cdf = 0.0, j = 0
        var term = Foundation.pow(0.5, Double(n))   // P(B = 0)
        for k in 0..<n {
            if cdf + term > 0.025 { j = k; break }
            cdf += term
            term *= Double(n - k) / Double(k + 1)
        }
        let lo = Swift.max(j, 1)
        low = v[lo - 1]
        high = v[n - lo]
    }
}
