import Foundation

/// A share k/n with its 95 % Wilson score interval. Wilson rather than the normal approximation
/// because population cells are small (a handful of seeds) and shares are often 0 or 1, where the
/// normal interval collapses to a point.
public struct ProportionInterval: Sendable, Hashable {
    public var successes: Int
    public var trials: Int
    /// k/n (NaN when n = 0).
    public var share: Double { trials > 0 ? Double(successes) / Double(trials) : .nan }
    /// Bounds of the 95 % interval (NaN when n = 0).
    public var low: Double
    public var high: Double

    public init(successes k: Int, trials n: Int, z: Double = 1.959963984540054) {
        precondition(k >= 0 && k <= n, "successes within 0…trials")
        successes = k
        trials = n
        guard n > 0 else { low = .nan; high = .nan; return }
        let p = Double(k) / Double(n), nn = Double(n), z2 = z * z
        let centre = (p + z2 / (2 * nn)) / (1 + z2 / nn)
        let half = z / (1 + z2 / nn) * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot()
        low = k == 0 ? 0 : Swift.max(0, centre - half)
        high = k == n ? 1 : Swift.min(1, centre + half)
    }
}
