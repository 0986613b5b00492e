import Foundation
import XCTest
@testable import WMCore

/// The CPU reference of FORCE: recursive least squares, the feedback network's draw and step.
final class FeedbackTrainingTests: XCTestCase {
    /// Deterministic values in [−1, 1).
    func uniform(_ count: Int, seed: UInt64) -> [Double] {
        let r = Philox4x32(seed: seed)
        return (0..<count).map { Double(RandomBits.unitFloat(r.block(UInt32($0), 0, 0, 0).0)) * 2 - 1 }
    }

    /// RLS from P₀ = I/α with a-priori errors is recursive ridge regression: after T updates the
    /// weights solve (αI + Σ r rᵀ) w = Σ r y and P = (αI + Σ r rᵀ)⁻¹. Checked against a direct
    /// solve (LAPACK-free Gaussian elimination in double) to 1e-9.
    func testRLSEqualsRidgeSolution() throws {
        let n = 7, steps = 53, alpha = 0.5
        let rs = uniform(n * steps, seed: 1), ys = uniform(2 * steps, seed: 2)
        var rls = try RecursiveLeastSquares(n: n, alpha: alpha)
        var w = [Double](repeating: 0, count: 2 * n)
        for t in 0..<steps {
            let r = Array(rs[(t * n)..<((t + 1) * n)])
            let e = (0..<2).map { j in (0..<n).reduce(0.0) { $0 + w[$1 * 2 + j] * r[$1] } - ys[2 * t + j] }
            try r.withUnsafeBufferPointer { try rls.update(rates: $0, errors: e, weights: &w, outputs: 2) }
        }
        XCTAssertEqual(rls.updates, steps)
        // A = αI + Σ r rᵀ, B = Σ r yᵀ.
        var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n * 2)
        for i in 0..<n { a[i * n + i] = alpha }
        for t in 0..<steps {
            for i in 0..<n {
                for j in 0..<n { a[i * n + j] += rs[t * n + i] * rs[t * n + j] }
                for k in 0..<2 { b[i * 2 + k] += rs[t * n + i] * ys[2 * t + k] }
            }
        }
        let solved = solve(a, b, n: n, columns: 2)
        for i in 0..<(2 * n) { XCTAssertEqual(w[i], solved[i], accuracy: 1e-9 * max(1, abs(solved[i])), "w[\(i)]") }
        // P·A = I.
        let p = rls.matrix
        for i in 0..<n {
            for j in 0..<n {
                let v = (0..<n).reduce(0.0) { $0 + p[i * n + $1] * a[$1 * n + j] }
                XCTAssertEqual(v, i == j ? 1 : 0, accuracy: 1e-9, "(P·A)[\(i)][\(j)]")
            }
        }
    }

    /// Gauss–Jordan with partial pivoting on [A | B].
    func solve(_ a0: [Double], _ b0: [Double], n: Int, columns c: Int) -> [Double] {
        var a = a0, b = b0
        for col in 0..<n {
            let piv = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) }!
            for j in 0..<n { a.swapAt(col * n + j, piv * n + j) }
            for k in 0..<c { b.swapAt(col * c + k, piv * c + k) }
            for row in 0..<n where row != col {
                let f = a[row * n + col] / a[col * n + col]
                for j in 0..<n { a[row * n + j] -= f * a[col * n + j] }
                for k in 0..<c { b[row * c + k] -= f * b[col * c + k] }
            }
        }
        return (0..<(n * c)).map { b[$0] / a[($0 / c) * n + $0 / c] }
    }

    func testRLSRefusesANonFiniteUpdateAndKeepsItsState() throws {
        var rls = try RecursiveLeastSquares(n: 3, alpha: 1)
        var w = [1.0, 2.0, 3.0]
        let before = rls.matrix
        XCTAssertThrowsError(try [1.0, .nan, 0].withUnsafeBufferPointer { try rls.update(rates: $0, errors: [0.5], weights: &w, outputs: 1) })
        XCTAssertEqual(rls.matrix, before)
        XCTAssertEqual(w, [1, 2, 3])
        XCTAssertEqual(rls.updates, 0)
        // A diverged readout (non-finite error) is refused too.
        XCTAssertThrowsError(try [0.1, 0.2, 0.3].withUnsafeBufferPointer { try rls.update(rates: $0, errors: [.infinity], weights: &w, outputs: 1) })
        XCTAssertEqual(w, [1, 2, 3])
        XCTAssertEqual(rls.matrix, before)
        XCTAssertThrowsError(try RecursiveLeastSquares(n: 3, alpha: 0))
        XCTAssertThrowsError(try RecursiveLeastSquares(n: 3, alpha: -1))
    }

    func testExactCountDrawHasExactlyRoundPgNSquaredEntries() throws {
        for (n, pg, seed) in [(1, 1.0, 1 as UInt64), (7, 0.3, 2), (61, 0.9, 3), (200, 0.07, 4), (97, 0.5, 5)] {
            var s = FeedbackNetworkSpec()
            s.n = n; s.pg = pg; s.seed = seed
            let j = FeedbackNetworkGenerator.recurrent(s)
            XCTAssertEqual(j.nnz, Int((pg * Double(n * n)).rounded()), "N = \(n), pg = \(pg)")
            XCTAssertEqual(j.rowPtr.last.map(Int.init), j.nnz)
            for i in 0..<n {
                let cols = j.colIndex[Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1])]
                XCTAssertEqual(Array(cols), cols.sorted(), "row \(i) in column order")
                XCTAssertEqual(Set(cols).count, cols.count, "row \(i) without repeats")
            }
            XCTAssertEqual(FeedbackNetworkGenerator.recurrent(s), j, "deterministic")
        }
        // Positions are spread over the whole matrix (not the first rows): every row of a 200 × 200
        // draw at pg = 0.5 holds 100 ± 6σ entries.
        var s = FeedbackNetworkSpec()
        s.n = 200; s.pg = 0.5; s.seed = 9
        let j = FeedbackNetworkGenerator.recurrent(s)
        for i in 0..<200 { XCTAssertEqual(Double(j.rowPtr[i + 1] - j.rowPtr[i]), 100, accuracy: 6 * 50.squareRoot(), "row \(i)") }
        // Values N(0, 1)/√(pg·N).
        let v = j.values.map(Double.init)
        let variance = v.reduce(0) { $0 + $1 * $1 } / Double(v.count)
        XCTAssertEqual(variance * 0.5 * 200, 1, accuracy: 0.05)
    }

    func testBernoulliDrawAndTheOtherWeights() throws {
        var s = FeedbackNetworkSpec()
        s.n = 300; s.pg = 0.2; s.seed = 3; s.connectivity = .bernoulli; s.fb = 4; s.inputScale = 50
        let net = try FeedbackNetworkGenerator.generate(s)
        XCTAssertEqual(Double(net.recurrent.nnz), 0.2 * 90_000, accuracy: 6 * (90_000 * 0.2 * 0.8).squareRoot())
        func sd(_ v: [Float]) -> Double { (v.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(v.count)).squareRoot() }
        XCTAssertEqual(net.input.count, 600)
        XCTAssertEqual(sd(net.input), 1 / 50, accuracy: 0.15 / 50)
        XCTAssertEqual(net.feedback.count, 300)
        XCTAssertEqual(sd(net.feedback), 1 / 4, accuracy: 0.15 / 4)
        XCTAssertEqual(net.dummyFeedback.count, 600)
        XCTAssertEqual(sd(net.dummyFeedback), 1 / 4, accuracy: 0.15 / 4)
        XCTAssertEqual(sd(net.initialState), 0.1, accuracy: 0.015)
        XCTAssertEqual(net.output, [Double](repeating: 0, count: 300))
        XCTAssertNotEqual(net.input, net.dummyFeedback.map { $0 * 4 / 50 }, "independent draws")
        s.fb = 0
        XCTAssertThrowsError(try FeedbackNetworkGenerator.generate(s)) { XCTAssertTrue("\($0)".contains("fb"), "\($0)") }
    }

    /// Two steps of a 3-neuron network by hand, with learning on the second.
    func testRunnerStepsAndLearnsAsWritten() throws {
        var s = FeedbackNetworkSpec()
        s.n = 3; s.g = 1.5; s.pg = 1; s.dt = 0.1
        var net = try FeedbackNetworkGenerator.generate(s)
        net.output = [0.3, -0.2, 0.1]
        net.dummyOutput = [0.1, 0, 0, 0.2, -0.1, 0.1]
        let runner = try FeedbackRunner(net, alpha: 1)
        // Reference in double.
        let j = net.recurrent.dense().map(Double.init), wi = net.input.map(Double.init)
        let wf = net.feedback.map(Double.init), wfd = net.dummyFeedback.map(Double.init)
        var x = net.initialState.map(Double.init), r = x.map { tanh($0) }
        var z = (0..<3).reduce(0.0) { $0 + net.output[$1] * r[$1] }
        var zd = (0..<2).map { d in (0..<3).reduce(0.0) { $0 + net.dummyOutput[$1 * 2 + d] * r[$1] } }
        let u: [Float] = [0.7, -0.4, 0.2, 0.9]
        for step in 0..<2 {
            let h = (0..<3).map { i -> Double in
                var v = 1.5 * (0..<3).reduce(0.0) { $0 + j[i * 3 + $1] * r[$1] } + wf[i] * z
                v += wfd[2 * i] * zd[0] + wfd[2 * i + 1] * zd[1] + wi[2 * i] * Double(u[2 * step]) + wi[2 * i + 1] * Double(u[2 * step + 1])
                return v
            }
            x = (0..<3).map { x[$0] + 0.1 * (h[$0] - x[$0]) }
            r = x.map { tanh($0) }
            z = (0..<3).reduce(0.0) { $0 + net.output[$1] * r[$1] }
            zd = (0..<2).map { d in (0..<3).reduce(0.0) { $0 + net.dummyOutput[$1 * 2 + d] * r[$1] } }
        }
        // Learning happens at global step 2 at the earliest (every = 2, step ≥ 2): two steps learn nothing.
        let teacher = FeedbackRunner.Teacher(target: [1, 1], dummyTarget: [1, 1, 1, 1], outputMask: [true, true], dummyMask: [true, true], every: 2)
        XCTAssertTrue(runner.run(count: 2, input: u, teacher: teacher))
        for i in 0..<3 { XCTAssertEqual(runner.x[i], x[i], accuracy: 1e-12) }
        XCTAssertEqual(runner.z, z, accuracy: 1e-12)
        XCTAssertEqual(runner.zd[1], zd[1], accuracy: 1e-12)
        XCTAssertEqual(runner.updates.output, 0)
        XCTAssertEqual(runner.network.output, [0.3, -0.2, 0.1])
        // Step 2 learns both readouts; step 3 (odd) does not.
        XCTAssertTrue(runner.run(count: 2, input: u, teacher: teacher))
        XCTAssertEqual(runner.updates.output, 1)
        XCTAssertEqual(runner.updates.dummy, 1)
        XCTAssertNotEqual(runner.network.output, [0.3, -0.2, 0.1])
        XCTAssertEqual(runner.step, 4)
    }
}
