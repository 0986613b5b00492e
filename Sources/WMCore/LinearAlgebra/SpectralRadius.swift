import CLAPACK

/// Spectral radius of recurrent weight matrices.
public enum SpectralRadius {
    /// Largest N for which the exact (dense eigenvalue) computation is offered.
    public static let maxExactN = 4096

    /// All eigenvalues of a square row-major dense matrix (LAPACK dgeev, double precision).
    public static func eigenvalues(dense a: [Double], n: Int) throws -> [(re: Double, im: Double)] {
        guard a.count == n * n else { throw WMError.invalidParameter(name: "matrix", value: "\(a.count) entries", expected: "\(n)×\(n)") }
        if n == 0 { return [] }
        var m = a
        var wr = [Double](repeating: 0, count: n)
        var wi = [Double](repeating: 0, count: n)
        var dummy = [Double](repeating: 0, count: 1)
        var dummy2 = [Double](repeating: 0, count: 1)
        let info = LAPACKE_dgeev(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "N")), Int32(n), &m, Int32(n),
            &wr, &wi, &dummy, 1, &dummy2, 1)
        guard info == 0 else { throw WMError.unsupported("eigenvalue computation failed (LAPACK dgeev info \(info))") }
        return (0..<n).map { (wr[$0], wi[$0]) }
    }

    /// Exact spectral radius of J (dense eigenvalues; N ≤ `maxExactN`).
    public static func exact(_ j: CSRMatrix) throws -> Double {
        guard j.rows == j.cols else { throw WMError.invalidParameter(name: "J", value: "\(j.rows)×\(j.cols)", expected: "a square matrix") }
        guard j.rows <= maxExactN else {
            throw WMError.unsupported("exact spectral radius for N = \(j.rows) (dense eigenvalues are offered up to N = \(maxExactN)); use the default g/√(N·sp) scaling")
        }
        let d = j.dense().map(Double.init)
        return try eigenvalues(dense: d, n: j.rows).map { ($0.re * $0.re + $0.im * $0.im).squareRoot() }.max() ?? 0
    }

    /// Estimate by power iteration: ‖Jᵏx‖^(1/k) growth over `iterations` steps (works for complex
    /// leading eigenvalues too, converging like O(1/k)). Used for large N where dense is too costly.
    public static func powerEstimate(_ j: CSRMatrix, iterations: Int = 300, seed: UInt64 = 99) -> Double {
        let n = j.rows
        guard n > 0 else { return 0 }
        let rng = Philox4x32(seed: seed)
        var x = (0..<n).map { i -> Double in let b = rng.block(UInt32(i), 0, 0, 99); return Double(RandomBits.normal(b.0, b.1)) }
        var y = [Double](repeating: 0, count: n)
        var logGrowth = 0.0
        let burn = iterations / 3
        var counted = 0
        for it in 0..<iterations {
            for i in 0..<n {
                var s = 0.0
                for p in Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1]) { s += Double(j.values[p]) * x[Int(j.colIndex[p])] }
                y[i] = s
            }
            let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let prev = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm == 0 { return 0 }
            if it >= burn { logGrowth += Foundation.log(norm / prev); counted += 1 }
            for i in 0..<n { x[i] = y[i] / norm }
        }
        return Foundation.exp(logGrowth / Double(counted))
    }

    /// The factor that brings J's spectral radius exactly to `target`.
    public static func rescaleGain(_ j: CSRMatrix, target: Double) throws -> Float {
        let rho = try exact(j)
        guard rho > 0 else {
            throw WMError.invalidParameter(name: "spectralRadius", value: "\(target)", expected: "a network whose J has a non-zero eigenvalue (this draw has spectral radius 0; raise sp or N)")
        }
        return Float(target / rho)
    }
}

import Foundation
