import CLAPACK

/// The inverse-correlation matrix P of FORCE's recursive least squares and its rank-1 update
/// (docs/training.md §2), the CPU reference:
///
///     k = P r,  c = 1/(1 + rᵀk),  P ← P − c·k·kᵀ,  w_j ← w_j − c·e_j·k  (a-priori errors e_j)
///
/// P starts at I/α. It is kept in double precision on the CPU: over the ~10⁵ rank-1 downdates of
/// a training run a float32 P drifts from symmetric positive definite (the update subtracts
/// nearly equal numbers once P has learned), and double costs only bandwidth (dsymv and dsyr read
/// the upper triangle, 4·N² bytes each per update at N = 1000). Only the upper triangle is
/// stored and updated (row-major); the lower triangle is never read.
public struct RecursiveLeastSquares: Sendable {
    public let n: Int
    /// P, row-major; entries with j ≥ i hold the matrix.
    public private(set) var p: [Double]
    /// Updates applied so far.
    public private(set) var updates = 0

    /// P = I/α.
    public init(n: Int, alpha: Double) throws {
        guard n >= 1 else { throw WMError.invalidParameter(name: "N", value: "\(n)", expected: "≥ 1") }
        guard alpha.isFinite, alpha > 0 else {
            throw WMError.invalidParameter(name: "α", value: "\(alpha)", expected: "a finite value > 0 (P starts at I/α)")
        }
        self.n = n
        p = [Double](repeating: 0, count: n * n)
        for i in 0..<n { p[i * n + i] = 1 / alpha }
    }

    /// Why an update was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// 1 + rᵀPr ≤ 0 or not finite: P is no longer positive definite (or overflowed).
        case notPositiveDefinite(denominator: Double)
        /// A readout's error is NaN or infinite (the network diverged).
        case nonFiniteError([Double])
        public var description: String {
            switch self {
            case let .notPositiveDefinite(d): return "P lost positive definiteness (1 + rᵀPr = \(d))"
            case let .nonFiniteError(e): return "a readout error is not finite (\(e)): the network diverged"
            }
        }
    }

    /// One update with rates `r` [N]; each readout `weights[j]` ([N], row-major [N][outputs] when
    /// `outputs` > 1) moves against its a-priori error `errors[j]`. P and the weights are left
    /// unchanged when the update is refused.
    public mutating func update(rates r: UnsafeBufferPointer<Double>, errors: [Double], weights: inout [Double], outputs: Int) throws(Failure) {
        precondition(r.count == n && errors.count == outputs && weights.count == n * outputs, "RLS shapes")
        let n32 = Int32(n)
        var k = [Double](repeating: 0, count: n)
        p.withUnsafeBufferPointer { pp in
            cblas_dsymv(CblasRowMajor, CblasUpper, n32, 1, pp.baseAddress, n32, r.baseAddress, 1, 0, &k, 1)
        }
        let denominator = 1 + cblas_ddot(n32, r.baseAddress, 1, k, 1)
        guard denominator > 0, denominator.isFinite, k.allSatisfy(\.isFinite) else { throw .notPositiveDefinite(denominator: denominator) }
        guard errors.allSatisfy(\.isFinite) else { throw .nonFiniteError(errors) }
        let c = 1 / denominator
        p.withUnsafeMutableBufferPointer { pp in
            cblas_dsyr(CblasRowMajor, CblasUpper, n32, -c, k, 1, pp.baseAddress, n32)
        }
        weights.withUnsafeMutableBufferPointer { w in
            for j in 0..<outputs {
                // w[:, j] −= c·e_j·k (column j of the row-major [N][outputs] block).
                cblas_daxpy(n32, -c * errors[j], k, 1, w.baseAddress! + j, Int32(outputs))
            }
        }
        updates += 1
    }

    /// The full symmetric P, row-major (for tests and archives).
    public var matrix: [Double] {
        var full = p
        for i in 0..<n { for j in 0..<i { full[i * n + j] = p[j * n + i] } }
        return full
    }
}
