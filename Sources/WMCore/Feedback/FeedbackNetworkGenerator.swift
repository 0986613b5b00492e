import Foundation

/// Draws feedback networks from their spec with Philox: the same (spec, seed) gives the same
/// network everywhere. Entry values depend on (seed, i, j) only, as in `NetworkGenerator`; which
/// positions the exact-count draw keeps depends on the draws before them (selection sampling).
public enum FeedbackNetworkGenerator {
    /// The whole untrained network.
    public static func generate(_ spec: FeedbackNetworkSpec) throws -> FeedbackNetwork {
        try spec.validate()
        let n = spec.n, rng = Philox4x32(seed: spec.seed)
        func normals(_ matrix: UInt32, columns: Int, scale: Double) -> [Float] {
            (0..<(n * columns)).map { idx in
                let b = rng.block(UInt32(truncatingIfNeeded: idx / columns), UInt32(truncatingIfNeeded: idx % columns), matrix,
                                  RandomStream.feedbackWeight.rawValue)
                return Float(Double(RandomBits.normal(b.0, b.1)) * scale)
            }
        }
        let ins = FeedbackNetworkSpec.inputs, dums = FeedbackNetworkSpec.dummies
        return FeedbackNetwork(
            spec: spec, recurrent: recurrent(spec),
            input: normals(0, columns: ins, scale: 1 / spec.inputScale),
            feedback: normals(1, columns: 1, scale: 1 / spec.fb),
            dummyFeedback: normals(2, columns: dums, scale: 1 / spec.fb),
            initialState: normals(3, columns: 1, scale: 0.1),
            output: [Double](repeating: 0, count: n), dummyOutput: [Double](repeating: 0, count: n * dums))
    }

    /// J in CSR form, values N(0, 1)/√(pg·N) (g is applied by the model).
    public static func recurrent(_ spec: FeedbackNetworkSpec) -> CSRMatrix {
        switch spec.connectivity {
        case .bernoulli:
            var s = NetworkSpec()
            s.n = spec.n; s.sp = spec.pg; s.g = 1; s.seed = spec.seed
            return NetworkGenerator.recurrent(s)
        case .exactCount:
            return exactCount(spec)
        }
    }

    /// Selection sampling (Knuth's algorithm S) over the N² positions in row order: position p is
    /// kept with probability (K − kept)/(N² − p), so exactly K = round(pg·N²) positions are kept,
    /// every K-subset equally likely. Sequential in p (O(N²) uniforms): drawn on the host.
    static func exactCount(_ spec: FeedbackNetworkSpec) -> CSRMatrix {
        let n = spec.n, total = n * n, k = spec.exactCount
        let rng = Philox4x32(seed: spec.seed)
        let scale = Float(1 / (spec.pg * Double(n)).squareRoot())
        var rowPtr = [Int32](repeating: 0, count: n + 1)
        var cols: [Int32] = [], vals: [Float] = []
        cols.reserveCapacity(k)
        vals.reserveCapacity(k)
        var kept = 0
        for i in 0..<n {
            for j in 0..<n where kept < k {
                let p = i * n + j
                let b = rng.block(UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: j), 0, RandomStream.feedbackStructure.rawValue)
                // A position that must be kept (as many left as still needed) is kept whatever u is.
                if total - p <= k - kept || RandomBits.unitDouble(b.0, b.1) * Double(total - p) < Double(k - kept) {
                    cols.append(Int32(j))
                    vals.append(NetworkGenerator.recurrentNormal(row: i, col: j, rng: rng) * scale)
                    kept += 1
                }
            }
            rowPtr[i + 1] = Int32(cols.count)
        }
        precondition(kept == k, "selection sampling kept \(kept) of \(k) positions")
        return CSRMatrix(rows: n, cols: n, rowPtr: rowPtr, colIndex: cols, values: vals)
    }
}
