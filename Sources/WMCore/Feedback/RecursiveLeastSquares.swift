import CFeedbackKernels
import Foundation

/// The inverse-correlation matrix P of FORCE's recursive least squares and its rank-1 update
/// (docs/training.md §2), the CPU reference:
///
///     k = P r,  c = 1/(1 + rᵀk),  P ← P − c·k·kᵀ,  w_j ← w_j − c·e_j·k  (a-priori errors e_j)
///
/// P starts at I/α. It is kept in double precision on the CPU: over the ~10⁵ rank-1 downdates of
/// a training run a float32 P drifts from symmetric positive definite (the update subtracts
/// nearly equal numbers once P has learned). Only the upper triangle is stored and updated
/// (row-major); the lower triangle is never read.
///
/// The update is bound by P's memory traffic, so each update's P ← P − c·k·kᵀ is deferred and
/// applied in the same pass over P that computes the next update's k = P·r (one read and one
/// write of the triangle per update instead of two reads and a write). `matrix` applies a pending
/// update before returning P. k is summed over a fixed split of the rows (8 blocks of equal
/// triangle area when N ≥ 256, one block below), so results do not depend on the core count.
public struct RecursiveLeastSquares: Sendable {
    public let n: Int
    /// P, row-major; entries with j ≥ i hold the matrix (before a pending update).
    private var p: [Double]
    /// The update not yet applied to `p`: P ← P − pendingC·pendingK·pendingKᵀ.
    private var pendingK: [Double]
    private var pendingC = 0.0
    private var hasPending = false
    /// Row boundaries of the blocks k is summed over.
    private let blocks: [Int32]
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
        pendingK = [Double](repeating: 0, count: n)
        blocks = Self.triangleBlocks(n: n, count: n >= 256 ? 8 : 1)
    }

    /// Row boundaries [0, b₁, …, n] of `count` blocks of nearly equal upper-triangle area.
    static func triangleBlocks(n: Int, count: Int) -> [Int32] {
        let total = Double(n) * Double(n + 1) / 2
        var bounds = [0]
        var area = 0.0, i = 0
        for t in 1..<count {
            while i < n && area < total * Double(t) / Double(count) { area += Double(n - i); i += 1 }
            bounds.append(i)
        }
        bounds.append(n)
        return bounds.map { Int32($0) }
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

    /// Applies the pending update and returns k = P·r (P after that update).
    private mutating func applyPendingAndMultiply(_ r: UnsafeBufferPointer<Double>) -> [Double] {
        let n = self.n, count = blocks.count - 1, pending: Int32 = hasPending ? 1 : 0, c = pendingC
        var acc = [Double](repeating: 0, count: count * n)
        p.withUnsafeMutableBufferPointer { pp in
            pendingK.withUnsafeBufferPointer { kp in
                acc.withUnsafeMutableBufferPointer { ap in
                    blocks.withUnsafeBufferPointer { bp in
                        wm_rls_pass(Int32(n), pp.baseAddress, pending, kp.baseAddress, c, r.baseAddress, ap.baseAddress, Int32(count), bp.baseAddress)
                    }
                }
            }
        }
        hasPending = false
        guard count > 1 else { return acc }
        var k = Array(acc[0..<n])
        for t in 1..<count { for j in 0..<n { k[j] += acc[t * n + j] } }
        return k
    }

    /// One update with rates `r` [N]; each readout `weights[j]` ([N], row-major [N][outputs] when
    /// `outputs` > 1) moves against its a-priori error `errors[j]`. P (after the previous
    /// accepted update) and the weights are left unchanged when the update is refused.
    public mutating func update(rates r: UnsafeBufferPointer<Double>, errors: [Double], weights: inout [Double], outputs: Int) throws(Failure) {
        precondition(r.count == n && errors.count == outputs && weights.count == n * outputs, "RLS shapes")
        let k = applyPendingAndMultiply(r)
        var rk = 0.0
        for i in 0..<n { rk += r[i] * k[i] }
        let denominator = 1 + rk
        guard denominator > 0, denominator.isFinite, k.allSatisfy(\.isFinite) else { throw .notPositiveDefinite(denominator: denominator) }
        guard errors.allSatisfy(\.isFinite) else { throw .nonFiniteError(errors) }
        let c = 1 / denominator
        weights.withUnsafeMutableBufferPointer { w in
            for j in 0..<outputs {
                // w[:, j] −= c·e_j·k (column j of the row-major [N][outputs] block).
                let f = c * errors[j]
                for i in 0..<n { w[i * outputs + j] -= f * k[i] }
            }
        }
        pendingK = k
        pendingC = c
        hasPending = true
        updates += 1
    }

    /// The full symmetric P after every accepted update, row-major (for tests and archives).
    public var matrix: [Double] {
        var full = p
        if hasPending {
            for i in 0..<n { for j in i..<n { full[i * n + j] -= pendingC * pendingK[i] * pendingK[j] } }
        }
        for i in 0..<n { for j in 0..<i { full[i * n + j] = full[j * n + i] } }
        return full
    }
}
