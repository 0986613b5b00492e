import WMCore

/// A percentile bootstrap confidence interval.
public struct BootstrapInterval: Codable, Sendable, Hashable {
    /// The statistic on the original data (here the OLS slope).
    public var estimate: Double
    /// Lower end: the (1 − level)/2 quantile of the bootstrap statistics.
    public var lower: Double
    /// Upper end: the (1 + level)/2 quantile of the bootstrap statistics.
    public var upper: Double
    /// Nominal coverage, e.g. 0.95.
    public var level: Double
    /// Number of bootstrap resamples (all used).
    public var resamples: Int
    /// How many draws were rejected and redrawn because x was constant in them.
    public var redrawn: Int
    /// The Philox seed.
    public var seed: UInt64
}

/// Nonparametric bootstrap, deterministic for a seed.
public enum Bootstrap {
    /// Third Philox counter word of every bootstrap draw, separating these streams from others
    /// keyed by the same seed ("BOOT").
    public static let streamTag: UInt32 = 0x424F_4F54

    /// Redraws allowed for one resample whose x values are all equal before giving up.
    public static let maxRedraws = 64

    /// Percentile bootstrap interval for the OLS slope of y on x (y = α + βx + ε), resampling
    /// (x, y) pairs with replacement.
    ///
    /// Resample r takes observation i from Philox4x32(seed) at counter (r, i, `streamTag`, attempt):
    /// the first two output words form a 64-bit w and the index is ⌊w · n / 2⁶⁴⌋ (bias below n/2⁶⁴).
    /// A resample whose x values are all equal has no slope; it is redrawn with attempt + 1 (counted
    /// in `redrawn`), so exactly `resamples` slopes enter the interval. Its ends are the
    /// (1 − level)/2 and (1 + level)/2 quantiles of the sorted slopes with linear interpolation
    /// between order statistics (NumPy's default `quantile` method).
    /// - Throws: `WMError.invalidParameter` for mismatched lengths, n < 3, non-finite values, a
    ///   constant x, `resamples` outside 10…2³², `level` outside (0, 1), or (practically impossible
    ///   unless nearly all x are equal) `maxRedraws` constant draws in a row.
    public static func slopeCI(
        x: [Double], y: [Double], resamples: Int = 2000, level: Double = 0.95, seed: UInt64
    ) throws -> BootstrapInterval {
        try StatsInput.requireSameLength(x, y, names: ("x", "y"))
        try StatsInput.requireCount(x, atLeast: 3, name: "x", why: "a slope with residual variation")
        try StatsInput.requireFinite(x, name: "x")
        try StatsInput.requireFinite(y, name: "y")
        guard !StatsInput.isConstant(x) else {
            throw WMError.invalidParameter(name: "x", value: "constant (all \(x[0]))", expected: "at least two distinct values (the slope is undefined)")
        }
        guard resamples >= 10 && resamples <= Int(UInt32.max) + 1 else {
            throw WMError.invalidParameter(name: "resamples", value: "\(resamples)", expected: "10 … 2³² (usually ≥ 1000)")
        }
        guard level > 0 && level < 1 else {
            throw WMError.invalidParameter(name: "level", value: "\(level)", expected: "a coverage in (0, 1), e.g. 0.95")
        }
        guard x.count <= Int(UInt32.max) + 1 else {
            throw WMError.invalidParameter(name: "x", value: "\(x.count) values", expected: "at most 2³² values")
        }
        let n = x.count
        let generator = Philox4x32(seed: seed)
        var slopes = [Double](repeating: 0, count: resamples)
        var bx = [Double](repeating: 0, count: n), by = [Double](repeating: 0, count: n)
        var redrawn = 0
        for r in 0..<resamples {
            var attempt = 0
            while true {
                for i in 0..<n {
                    let w = generator.block(UInt32(truncatingIfNeeded: r), UInt32(truncatingIfNeeded: i), streamTag, UInt32(attempt))
                    let word = (UInt64(w.0) << 32) | UInt64(w.1)
                    let k = Int(word.multipliedFullWidth(by: UInt64(n)).high)
                    bx[i] = x[k]; by[i] = y[k]
                }
                if !StatsInput.isConstant(bx) { break }
                attempt += 1
                redrawn += 1
                guard attempt < maxRedraws else {
                    throw WMError.invalidParameter(
                        name: "x", value: "\(maxRedraws) constant bootstrap resamples in a row",
                        expected: "x values that are not nearly all equal")
                }
            }
            slopes[r] = slope(x: bx, y: by)
        }
        slopes.sort()
        let alpha = 1 - level
        return BootstrapInterval(
            estimate: slope(x: x, y: y), lower: quantile(sorted: slopes, 0.5 * alpha),
            upper: quantile(sorted: slopes, 1 - 0.5 * alpha), level: level, resamples: resamples,
            redrawn: redrawn, seed: seed)
    }

    /// OLS slope Σ(x − x̄)(y − ȳ) / Σ(x − x̄)² of a non-constant x.
    static func slope(x: [Double], y: [Double]) -> Double {
        let mx = StatsInput.mean(x), my = StatsInput.mean(y)
        var sxy = 0.0, sxx = 0.0
        for i in x.indices {
            let dx = x[i] - mx
            sxy += dx * (y[i] - my)
            sxx += dx * dx
        }
        return sxy / sxx
    }

    /// Quantile q of sorted values, linear interpolation at position q (m − 1).
    static func quantile(sorted v: [Double], _ q: Double) -> Double {
        let h = q * Double(v.count - 1)
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, v.count - 1)
        return v[lo] + (h - Double(lo)) * (v[hi] - v[lo])
    }
}
