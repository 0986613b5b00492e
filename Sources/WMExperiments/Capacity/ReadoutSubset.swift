import WMCore

/// The recorded neurons a capacity readout reads when `CapacitySpec.readoutNeurons` is set, so
/// that a network of N = 10⁶ is decoded from n ≪ N states without an N × N Gram matrix.
///
/// Rule (docs/model.md §2): selection sampling (Knuth's Algorithm S) over i = 0…N−1, keeping
/// neuron i when u_i · (N − i) < n − kept, u_i the 53-bit uniform of Philox block
/// (i, 0, 0, `RandomStream.readoutSubset`) under the fixed key 0. So the subset is exactly n
/// neurons in increasing order, uniform over all subsets of size n, and a function of (N, n)
/// alone: the same for every network, seed, backend and run (the networks of one engine share one
/// record request), and n = N reads every neuron.
public enum ReadoutSubset {
    /// The Philox key of the draw (fixed, see the type's rule).
    public static let key: UInt64 = 0

    /// The `count` neurons of a network of `n` neurons, increasing.
    public static func neurons(_ count: Int, of n: Int) -> [Int] {
        let rng = Philox4x32(seed: key)
        var out: [Int] = []
        out.reserveCapacity(count)
        for i in 0..<n where out.count < count {
            let b = rng.block(UInt32(truncatingIfNeeded: i), 0, 0, RandomStream.readoutSubset.rawValue)
            if RandomBits.unitDouble(b.0, b.1) * Double(n - i) < Double(count - out.count) { out.append(i) }
        }
        return out
    }
}
