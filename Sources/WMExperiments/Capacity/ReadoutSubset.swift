import WMCore

/// The recorded neurons a capacity readout reads when `CapacitySpec.readoutNeurons` is set, so
/// that a network of N = 10⁶ is decoded from n ≪ N states without an N × N Gram matrix.
///
/// Rule (docs/model.md §2): every neuron i gets the key w(i) = (w₀ << 32) | w₁ from the words 0
/// and 1 of Philox block (i, 0, 0, `RandomStream.readoutSubset`) under the fixed key 0; the
/// subset of size n is the n neurons of smallest key (ties, which 64-bit keys make practically
/// impossible, by index), listed in increasing index order. So the subset is exactly n neurons,
/// uniform over all subsets of size n (the keys' order is a uniform random permutation), a
/// function of (N, n) alone — the same for every network, seed, backend and run (the networks of
/// one engine share one record request) — n = N reads every neuron, and the subsets are
/// **nested**: the subset of n lies inside the subset of every n′ > n. A memory curve over n
/// (`ReadoutCurveMeasurement`) therefore adds neurons to one readout instead of drawing a new
/// one per n, and its single points are the runs of `--readout-neurons n`.
public enum ReadoutSubset {
    /// The Philox key of the draw (fixed, see the type's rule).
    public static let key: UInt64 = 0

    /// The `count` neurons of a network of `n` neurons, increasing.
    public static func neurons(_ count: Int, of n: Int) -> [Int] {
        ranked(count, of: n).sorted()
    }

    /// The `count` neurons of smallest key, in key order (the first c of them are the subset of
    /// size c, for every c ≤ count).
    public static func ranked(_ count: Int, of n: Int) -> [Int] {
        let count = Swift.max(0, Swift.min(count, n))
        guard count > 0 else { return [] }
        if count == n { return rankAll(Array(0..<n)) }
        // The count smallest of n uniform keys lie below about count/n of the key range: keep the
        // candidates under a threshold a few standard deviations above that, so that only they
        // are sorted (O(N) for N = 10⁷); a threshold that keeps too few falls back to all.
        let expected = Double(count) + 6 * Double(count).squareRoot() + 16
        let fraction = Swift.min(1, expected / Double(n))
        let threshold = fraction >= 1 ? UInt64.max : UInt64(fraction * 18_446_744_073_709_551_615.0)
        var candidates: [(key: UInt64, index: Int)] = []
        candidates.reserveCapacity(Int(Swift.min(Double(n), expected * 1.2)))
        let rng = Philox4x32(seed: key)
        for i in 0..<n {
            let k = keyOf(i, rng)
            if k <= threshold { candidates.append((k, i)) }
        }
        if candidates.count < count {
            candidates = (0..<n).map { (keyOf($0, rng), $0) }
        }
        candidates.sort { ($0.key, $0.index) < ($1.key, $1.index) }
        return candidates.prefix(count).map(\.index)
    }

    /// `indices` in key order.
    private static func rankAll(_ indices: [Int]) -> [Int] {
        let rng = Philox4x32(seed: key)
        return indices.map { (keyOf($0, rng), $0) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.1)
    }

    /// Neuron i's 64-bit key.
    static func keyOf(_ i: Int, _ rng: Philox4x32) -> UInt64 {
        let b = rng.block(UInt32(truncatingIfNeeded: i), 0, 0, RandomStream.readoutSubset.rawValue)
        return (UInt64(b.0) << 32) | UInt64(b.1)
    }

    /// Where the neurons of `subset` sit in `superset` (both increasing, `subset` ⊆ `superset`):
    /// the columns of the superset's recorded states that hold the subset.
    public static func positions(of subset: [Int], in superset: [Int]) throws -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(subset.count)
        var j = 0
        for i in subset {
            while j < superset.count && superset[j] < i { j += 1 }
            guard j < superset.count && superset[j] == i else {
                throw WMError.invalidParameter(name: "readout subset", value: "neuron \(i)", expected: "a neuron of the larger subset (the subsets are nested)")
            }
            out.append(j)
        }
        return out
    }
}
