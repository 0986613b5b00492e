import Foundation
import WMCore

/// A correlation coefficient with its two-sided p-value for H₀: no correlation.
///
/// Both tests follow SciPy (`scipy.stats.pearsonr` and `scipy.stats.spearmanr`, two-sided):
/// the p-value is the exact null distribution of Pearson's r for bivariate normal data,
/// equivalently Student's t = r √((n − 2)/(1 − r²)) with n − 2 degrees of freedom; for Spearman's
/// ρ the same t approximation is applied to the rank correlation.
///
/// Inputs must have the same length n ≥ 3 and only finite values. A constant input (all values
/// equal) leaves the correlation undefined: SciPy returns NaN with a warning; here it throws
/// `WMError.invalidParameter` naming the constant argument, so a sweep cannot silently report NaN.
public struct CorrelationTest: Codable, Sendable, Hashable {
    /// The correlation coefficient, in [−1, 1].
    public var estimate: Double
    /// Two-sided p-value for H₀: ρ = 0.
    public var pValue: Double
    /// Number of (x, y) pairs.
    public var n: Int

    /// A result from its parts.
    public init(estimate: Double, pValue: Double, n: Int) {
        self.estimate = estimate
        self.pValue = pValue
        self.n = n
    }

    /// Pearson's product-moment correlation and its two-sided p-value, P = 2 I_{(1−|r|)/2}(n/2 − 1, n/2 − 1)
    /// (SciPy's beta form of the t test with n − 2 df).
    /// - Throws: `WMError.invalidParameter` for mismatched lengths, n < 3, non-finite or constant input.
    public static func pearson(x: [Double], y: [Double]) throws -> CorrelationTest {
        try validate(x: x, y: y)
        let r = correlation(x, y)
        let half = 0.5 * Double(x.count) - 1
        let tail = SpecialFunctions.incompleteBeta(x: 0.5 * (1 - abs(r)), y: 0.5 * (1 + abs(r)), a: half, b: half).lower
        return CorrelationTest(estimate: r, pValue: min(1, 2 * tail), n: x.count)
    }

    /// Spearman's rank correlation ρ (Pearson's r of the average ranks, so ties are handled) and its
    /// two-sided p-value from t = ρ √((n − 2)/((1 + ρ)(1 − ρ))) with n − 2 df, as `scipy.stats.spearmanr`.
    /// - Throws: `WMError.invalidParameter` for mismatched lengths, n < 3, non-finite or constant input.
    public static func spearman(x: [Double], y: [Double]) throws -> CorrelationTest {
        try validate(x: x, y: y)
        let rho = correlation(averageRanks(x), averageRanks(y))
        let df = Double(x.count - 2)
        let t = rho * max(0, df / ((rho + 1) * (1 - rho))).squareRoot()
        // ρ = ±1 gives t = ±∞ and p = 0.
        return CorrelationTest(estimate: rho, pValue: StudentT.twoSidedPValue(t, df: df), n: x.count)
    }

    /// Ranks 1…n of `values`, tied values sharing the mean of their ranks (SciPy's `rankdata`,
    /// method "average"). NaN values are not allowed (their order is undefined).
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let rank = 0.5 * Double(start + 1 + end)  // mean of ranks start+1 … end
            for k in start..<end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }

    /// Pearson's r of two validated, non-constant arrays, clipped to [−1, 1]. Deviations are scaled by
    /// their largest magnitude first (as SciPy) so huge values cannot overflow the sums of squares.
    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        func scaledDeviations(_ v: [Double]) -> [Double] {
            let m = StatsInput.mean(v)
            let d = v.map { $0 - m }
            let scale = d.reduce(0) { max($0, abs($1)) }
            return scale > 0 ? d.map { $0 / scale } : d
        }
        let dx = scaledDeviations(x), dy = scaledDeviations(y)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for i in dx.indices {
            sxx += dx[i] * dx[i]
            syy += dy[i] * dy[i]
            sxy += dx[i] * dy[i]
        }
        let r = sxy / (sxx.squareRoot() * syy.squareRoot())
        return min(1, max(-1, r))
    }

    static func validate(x: [Double], y: [Double]) throws {
        try StatsInput.requireSameLength(x, y, names: ("x", "y"))
        try StatsInput.requireCount(x, atLeast: 3, name: "x", why: "a correlation test needs n − 2 ≥ 1 degrees of freedom")
        try StatsInput.requireFinite(x, name: "x")
        try StatsInput.requireFinite(y, name: "y")
        for (name, v) in [("x", x), ("y", y)] where StatsInput.isConstant(v) {
            throw WMError.invalidParameter(
                name: name, value: "constant (all \(v[0]))",
                expected: "at least two distinct values: the correlation with a constant is undefined")
        }
    }
}
