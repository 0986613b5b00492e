import CLAPACK

/// Eigenvalues of a general real square matrix (`LAPACKE_dgeev`, no eigenvectors).
public enum GeneralEigen {
    /// The eigenvalues (real, imaginary parts) of the row-major n × n `matrix`, sorted by
    /// decreasing real part. A matrix passed as a temporary is overwritten in place, not copied.
    public static func eigenvalues(_ matrix: consuming [Double], n: Int) throws -> [(re: Double, im: Double)] {
        guard n >= 1, matrix.count == n * n else {
            throw WMError.invalidParameter(name: "matrix", value: "\(matrix.count) values", expected: "\(n) × \(n)")
        }
        guard matrix.allSatisfy(\.isFinite) else { throw WMError.invalidParameter(name: "matrix", value: "NaN or infinite entries", expected: "finite entries") }
        var a = consume matrix
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var vl = [Double](repeating: 0, count: 1), vr = [Double](repeating: 0, count: 1)
        // Read as column-major, the buffer is Aᵀ, whose eigenvalues are A's: LAPACKE would
        // otherwise transpose a row-major matrix into a second N×N copy.
        let info = LAPACKE_dgeev(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "N")), Int32(n), &a, Int32(n), &wr, &wi,
                                 &vl, 1, &vr, 1)
        guard info == 0 else { throw WMError.unsupported("LAPACKE_dgeev failed (info \(info))") }
        return zip(wr, wi).map { (re: $0.0, im: $0.1) }.sorted { $0.re > $1.re }
    }
}

/// Solves A x = b for a general real square A (LU with partial pivoting: `LAPACKE_dgetrf`,
/// `LAPACKE_dgetrs`).
public enum LinearSolve {
    /// x with `matrix`·x = `rhs` (`matrix` row-major n × n); throws when A is singular. A matrix
    /// passed as a temporary is factorised in place, not copied.
    public static func solve(_ matrix: consuming [Double], n: Int, _ rhs: [Double]) throws -> [Double] {
        guard matrix.count == n * n, rhs.count == n, n >= 1 else {
            throw WMError.invalidParameter(name: "linear system", value: "\(matrix.count), \(rhs.count) values", expected: "an \(n) × \(n) matrix and \(n) values")
        }
        guard matrix.allSatisfy(\.isFinite), rhs.allSatisfy(\.isFinite) else {
            throw WMError.invalidParameter(name: "linear system", value: "NaN or infinite entries", expected: "finite entries")
        }
        var a = consume matrix, b = rhs
        var piv = [Int32](repeating: 0, count: n)
        // Read as column-major, the buffer is Aᵀ: factorise it in place and solve with its
        // transpose, A·x = b, instead of letting LAPACKE transpose into a second N×N copy.
        let info = LAPACKE_dgetrf(LAPACK_COL_MAJOR, Int32(n), Int32(n), &a, Int32(n), &piv)
        guard info == 0 else { throw WMError.unsupported(info > 0 ? "singular matrix (pivot \(info) is zero)" : "LAPACKE_dgetrf failed (info \(info))") }
        let solved = LAPACKE_dgetrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "T")), Int32(n), 1, &a, Int32(n), &piv, &b, Int32(n))
        guard solved == 0 else { throw WMError.unsupported("LAPACKE_dgetrs failed (info \(solved))") }
        return b
    }
}
