import CLAPACK

/// Eigendecomposition C = B diag(e) Bᵀ of a symmetric d×d matrix (row-major) by `LAPACKE_dsyevd`:
/// the one LAPACK call for symmetric matrices (ridge readouts, CMA-ES covariance).
public struct SymmetricEigen: Sendable {
    /// Eigenvalues, ascending.
    public var values: [Double]
    /// Eigenvectors B, row-major: column j (`vectors[i*n + j]`) is eigenvector j.
    public var vectors: [Double]

    /// Decomposes `matrix` (only its upper triangle is read).
    public init(_ matrix: [Double], n: Int) throws {
        var a = matrix
        var w = [Double](repeating: 0, count: n)
        let info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(n), &a, Int32(n), &w)
        guard info == 0 else { throw WMError.unsupported("symmetric eigendecomposition failed (LAPACK dsyevd info \(info))") }
        values = w
        vectors = a
    }
}
