/// A sample mean with its two-sided 95 % confidence interval from Student's t:
/// m ± t_{0.975, n−1} · sd / √n (sd with n − 1 in the denominator). The one place wmsim
/// computes such an interval (memory capacities, per-lag r, sweep tables).
public struct MeanInterval: Sendable, Hashable {
    public var mean: Double
    /// Half the interval's width; NaN below `minimumCount` values.
    public var halfWidth: Double
    public var count: Int

    /// The fewest values given an interval. With two, the t quantile is 12.7 and the interval a
    /// formality (it routinely leaves the quantity's range, e.g. a negative MC); wmsim reports
    /// none rather than that.
    public static let minimumCount = 3

    /// The interval of `values` (NaN mean for none, NaN half-width for fewer than `minimumCount`).
    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else { mean = .nan; halfWidth = .nan; return }
        let n = Double(values.count)
        mean = values.reduce(0, +) / n
        guard values.count >= Self.minimumCount else { halfWidth = .nan; return }
        let m = mean
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        halfWidth = StudentT.quantile(0.975, df: n - 1) * (variance / n).squareRoot()
    }

    public var low: Double { mean - halfWidth }
    public var high: Double { mean + halfWidth }

    /// "1.270 [0.500, 2.630]" with `decimals`; without an interval it says why ("no CI: 2
    /// values, needs ≥ 3"); a lower bound below `floor` (the least the quantity can be) is shown
    /// clipped, and said so.
    public static func text(mean: Double, low: Double, high: Double, count: Int, of total: Int? = nil, decimals: Int = 3, floor: Double? = nil) -> String {
        guard mean.isFinite else { return "—" }
        let f = "%.\(decimals)f"
        let m = String(format: f, mean)
        let counted = total.map { "\(count) of \($0)" } ?? "\(count)"
        guard count >= minimumCount, low.isFinite, high.isFinite else {
            return m + " [no CI: \(counted) value(s), a 95 % CI needs ≥ \(minimumCount)]"
        }
        if let floor, low < floor {
            return m + " [" + String(format: f, floor) + ", " + String(format: f, high) + "] (t-interval clipped at " + String(format: f, floor) + ")"
        }
        return m + " [" + String(format: f, low) + ", " + String(format: f, high) + "]"
    }
}
