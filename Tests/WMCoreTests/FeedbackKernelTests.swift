import CFeedbackKernels
import Foundation
import XCTest
@testable import WMCore

/// The C loops of the CPU FORCE reference: the vectorised and the portable path against a plain
/// double-precision Swift reference, on random inputs whose sizes are not multiples of the
/// vector widths (4 and 16).
final class FeedbackKernelTests: XCTestCase {
    func uniform(_ count: Int, seed: UInt64) -> [Double] {
        let p = Philox4x32(seed: seed)
        return (0..<count).map { Double(RandomBits.unitFloat(p.block(UInt32($0), 7, 0, 0).0)) * 2 - 1 }
    }

    override func tearDown() { wm_feedback_kernels_use_vectorised(1) }

    func testMatVecSumsFloatWeightsInDoubleOnBothPaths() {
        for (rows, n) in [(1, 1), (13, 37), (61, 1003), (5, 16)] {
            let j = uniform(rows * n, seed: 1).map { Float($0) }, r = uniform(n, seed: 2)
            let reference = (0..<rows).map { i in (0..<n).reduce(0.0) { $0 + Double(j[i * n + $1]) * r[$1] } }
            for vectorised in [1, 0] as [Int32] {
                wm_feedback_kernels_use_vectorised(vectorised)
                var h = [Double](repeating: .nan, count: rows)
                wm_matvec_f32_f64(Int32(rows), Int32(n), j, n, r, &h)
                let scale = (0..<rows).map { i in (0..<n).reduce(0.0) { $0 + abs(Double(j[i * n + $1]) * r[$1]) } }
                for i in 0..<rows {
                    // Double sums of n products in another order: within n·ε of the absolute sum.
                    XCTAssertEqual(h[i], reference[i], accuracy: Double(n) * 2.3e-16 * scale[i], "rows \(rows) n \(n) row \(i) vectorised \(vectorised)")
                }
            }
        }
    }

    func testFusedRLSPassAppliesThePendingUpdateAndMultiplies() {
        for n in [1, 7, 37, 258] {
            // A symmetric P (upper triangle used), a pending update c·k·kᵀ and rates r.
            let a = uniform(n * n, seed: 3), k = uniform(n, seed: 4), r = uniform(n, seed: 5), c = 0.37
            var sym = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for q in i..<n { sym[i * n + q] = a[i * n + q]; sym[q * n + i] = a[i * n + q] } }
            let updated = (0..<(n * n)).map { e in sym[e] - c * k[e / n] * k[e % n] }
            let reference = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + updated[i * n + $1] * r[$1] } }
            for vectorised in [1, 0] as [Int32] {
                wm_feedback_kernels_use_vectorised(vectorised)
                var p = sym
                // Two blocks split at an odd row, summed like RecursiveLeastSquares does.
                let split = Int32(n / 3)
                var acc = [Double](repeating: 0, count: 2 * n)
                acc.withUnsafeMutableBufferPointer { ap in
                    wm_rls_rows(Int32(n), 0, split, &p, n, 1, k, c, r, ap.baseAddress!)
                    wm_rls_rows(Int32(n), split, Int32(n), &p, n, 1, k, c, r, ap.baseAddress! + n)
                }
                for i in 0..<n {
                    XCTAssertEqual(acc[i] + acc[n + i], reference[i], accuracy: 1e-12 * Double(n), "n \(n) k'[\(i)] vectorised \(vectorised)")
                    for q in i..<n { XCTAssertEqual(p[i * n + q], updated[i * n + q], accuracy: 1e-15, "P[\(i),\(q)] updated in place") }
                }
            }
        }
    }
}
