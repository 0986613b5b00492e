import CLAPACK

/// Householder QR of an n × p matrix given as p columns of n values (`LAPACKE_dgeqrf`), with
/// Qᵀy (`LAPACKE_dormqr`): least squares without forming XᵀX.
public struct HouseholderQR: Sendable {
    public let rows: Int
    public let cols: Int
    /// The factor in LAPACK's column-major layout: R on and above the diagonal, the reflectors below.
    private let factor: [Double]
    private let tau: [Double]

    /// Factors the matrix whose columns are `columns` (each `rows` values long).
    public init(columns: [[Double]]) throws {
        let n = columns.first?.count ?? 0, p = columns.count
        guard n >= p, p >= 1, columns.allSatisfy({ $0.count == n }) else {
            throw WMError.invalidParameter(name: "QR matrix", value: "\(p) column(s) of \(columns.map(\.count)) values",
                                           expected: "p ≥ 1 columns of the same length n ≥ p")
        }
        var a = columns.flatMap { $0 }
        var t = [Double](repeating: 0, count: p)
        let info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(n), Int32(p), &a, Int32(n), &t)
        guard info == 0 else { throw WMError.unsupported("LAPACK dgeqrf failed (info \(info))") }
        rows = n
        cols = p
        factor = a
        tau = t
    }

    /// R[i][j] (upper triangular, j ≥ i).
    public func r(_ i: Int, _ j: Int) -> Double { factor[j * rows + i] }

    /// Qᵀ·y for a vector of `rows` values.
    public func qTransposeTimes(_ y: [Double]) throws -> [Double] {
        guard y.count == rows else {
            throw WMError.invalidParameter(name: "QR right-hand side", value: "\(y.count) values", expected: "\(rows)")
        }
        var a = factor, t = tau, out = y
        let info = LAPACKE_dormqr(
            LAPACK_COL_MAJOR, CChar(truncatingIfNeeded: UInt8(ascii: "L")), CChar(truncatingIfNeeded: UInt8(ascii: "T")),
            Int32(rows), 1, Int32(cols), &a, Int32(rows), &t, &out, Int32(rows))
        guard info == 0 else { throw WMError.unsupported("LAPACK dormqr failed (info \(info))") }
        return out
    }
}
