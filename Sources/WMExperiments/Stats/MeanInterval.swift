/// A sample mean with its two-sided 95 % confidence interval from Student's t:
/// m ± t_{0.975, n−1} · sd / √n (sd with n − 1 in the denominator). The one place wmsim
/// computes such an interval (memory capacities, per-lag r, sweep tables).
public struct MeanInterval: Sendable, Hashable {
    public var mean: Double
    /// Half the interval's width; NaN below two values.
    public var halfWidth: Double
    public var count: Int

    /// The interval of `values` (NaN mean for none, NaN half-width for fewer than two).
    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else { mean = .nan; halfWidth = .nan; return }
        let n = Double(values.count)
        mean = values.reduce(0, +) / n
        guard values.count >= 2 else { halfWidth = .nan; return }
        let m = mean
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        halfWidth = StudentT.quantile(0.975, df: n - 1) * (variance / n).squareRoot()
    }

    public var low: Double { mean - halfWidth }
    public var high: Double { mean + halfWidth }
}
