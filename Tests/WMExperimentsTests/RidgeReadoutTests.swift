import Foundation
import WMCore
import XCTest

@testable import WMExperiments

/// Deterministic test random numbers (SplitMix64).
private struct TestRNG {
    var rng: SplitMix64
    init(_ seed: UInt64) { rng = SplitMix64(seed: seed) }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { rng.unit() }
    /// Uniform in (−1, 1).
    mutating func symmetric() -> Double { 2 * unit() - 1 }
    mutating func normal() -> Double {
        let a = max(unit(), 1e-300), b = unit()
        return (-2 * Foundation.log(a)).squareRoot() * Foundation.cos(2 * Double.pi * b)
    }
}

/// Stored data of one segment: rows × N states, rows × K targets.
private struct Stored {
    var rows: Int
    var n: Int
    var k: Int
    var states: [Float]
    var targets: [Float]

    func moments() -> SegmentMoments {
        var m = SegmentMoments(n: n, k: k)
        m.add(states: states, targets: targets, rows: rows)
        return m
    }
}

private func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices {
        sab += (a[i] - ma) * (b[i] - mb)
        saa += (a[i] - ma) * (a[i] - ma)
        sbb += (b[i] - mb) * (b[i] - mb)
    }
    return sab / (saa * sbb).squareRoot()
}

private func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

private func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let scale = max(maxAbs(b), 1e-300)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
}

/// Solves A x = b (dense, row-major n×n) by Gaussian elimination with partial pivoting.
private func solveDense(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
    var m = a, x = b
    for c in 0..<n {
        var p = c
        for r in (c + 1)..<max(n, c + 1) where abs(m[r * n + c]) > abs(m[p * n + c]) { p = r }
        if p != c {
            for j in 0..<n { m.swapAt(c * n + j, p * n + j) }
            x.swapAt(c, p)
        }
        for r in (c + 1)..<max(n, c + 1) {
            let f = m[r * n + c] / m[c * n + c]
            for j in c..<n { m[r * n + j] -= f * m[c * n + j] }
            x[r] -= f * x[c]
        }
    }
    for c in stride(from: n - 1, through: 0, by: -1) {
        var s = x[c]
        for j in (c + 1)..<max(n, c + 1) { s -= m[c * n + j] * x[j] }
        x[c] = s / m[c * n + c]
    }
    return x
}

/// Asserts that `body` throws `WMError.invalidParameter` with the given name.
private func assertInvalidParameter(_ name: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected WMError.invalidParameter(name: \(name)), nothing was thrown", file: file, line: line)
    } catch let WMError.invalidParameter(got, _, _) {
        XCTAssertEqual(got, name, file: file, line: line)
    } catch {
        XCTFail("expected WMError.invalidParameter(name: \(name)), got \(error)", file: file, line: line)
    }
}

/// States of a scalar system driven by i.i.d. uniform(−1, 1) input, and its lag targets.
/// `step(x, u)` maps x(t), u(t) to x(t+1); x(0) = 0. Returns the segments
/// [washout+1 …] split into train / validation / test, each with lag targets 1…maxLag.
private func simulateSegments(
    n: Int, maxLag: Int, washout: Int, lengths: [Int], seed: UInt64, step: (inout [Double], Double) -> Void
) throws -> [SegmentMoments] {
    var rng = TestRNG(seed)
    let total = washout + lengths.reduce(0, +)
    let u = (0..<total).map { _ in Float(rng.symmetric()) }
    var x = [Double](repeating: 0, count: n)
    // states[t] = x(t) for t = 0 ..< total (x(t) has seen u(0) … u(t − 1)).
    var states = [Float](repeating: 0, count: total * n)
    for t in 0..<total {
        for i in 0..<n { states[t * n + i] = Float(x[i]) }
        if t + 1 < total { step(&x, Double(u[t])) }
    }
    var out = [SegmentMoments]()
    var start = washout
    for len in lengths {
        let targets = try MemoryCurve.lagTargets(input: u, times: start..<(start + len), maxLag: maxLag)
        var m = SegmentMoments(n: n, k: maxLag)
        states.withUnsafeBufferPointer { sp in
            targets.withUnsafeBufferPointer { tp in
                let view = UnsafeBufferPointer(rebasing: sp[(start * n)..<((start + len) * n)])
                m.add(states: view, rows: len, rowStride: n, targets: tp, targetStride: maxLag)
            }
        }
        out.append(m)
        start += len
    }
    return out
}

final class RidgeReadoutTests: XCTestCase {
    // MARK: Moments

    /// Random segment with large, feature-dependent means (tests the centred accumulation).
    private func randomSegment(rows: Int, n: Int, k: Int, seed: UInt64) -> Stored {
        var rng = TestRNG(seed)
        let offsets = (0..<n).map { _ in 3 * rng.symmetric() }
        var s = [Float](), y = [Float]()
        for _ in 0..<rows {
            let row = (0..<n).map { Float(offsets[$0] + rng.normal()) }
            s += row
            for j in 0..<k { y.append(Float(0.5 * Double(j) + rng.normal() + Double(row[j % n]))) }
        }
        return Stored(rows: rows, n: n, k: k, states: s, targets: y)
    }

    func testStreamingInChunksMatchesDirectSums() {
        let n = 7, k = 3, rows = 1100  // more rows than SegmentMoments.blockRows
        let d = randomSegment(rows: rows, n: n, k: k, seed: 11)
        var g = [Double](repeating: 0, count: n * n), c = [Double](repeating: 0, count: n * k)
        var ss = [Double](repeating: 0, count: n), sy = [Double](repeating: 0, count: k), syy = [Double](repeating: 0, count: k)
        for r in 0..<rows {
            for i in 0..<n {
                let si = Double(d.states[r * n + i])
                ss[i] += si
                for j in 0..<n { g[i * n + j] += si * Double(d.states[r * n + j]) }
                for j in 0..<k { c[i * k + j] += si * Double(d.targets[r * k + j]) }
            }
            for j in 0..<k { let v = Double(d.targets[r * k + j]); sy[j] += v; syy[j] += v * v }
        }
        // Padded copy (rowStride N + 3, targetStride K + 2) to exercise the strides.
        let ps = n + 3, pt = k + 2
        var padded = [Float](repeating: .nan, count: rows * ps), paddedY = [Float](repeating: .nan, count: rows * pt)
        for r in 0..<rows {
            for i in 0..<n { padded[r * ps + i] = d.states[r * n + i] }
            for j in 0..<k { paddedY[r * pt + j] = d.targets[r * k + j] }
        }
        for chunk in [1, 7, rows] {
            var m = SegmentMoments(n: n, k: k)
            var start = 0
            padded.withUnsafeBufferPointer { sp in
                paddedY.withUnsafeBufferPointer { tp in
                    while start < rows {
                        let len = min(chunk, rows - start)
                        let sv = UnsafeBufferPointer(rebasing: sp[(start * ps)..<((start + len - 1) * ps + n)])
                        let tv = UnsafeBufferPointer(rebasing: tp[(start * pt)..<((start + len - 1) * pt + k)])
                        m.add(states: sv, rows: len, rowStride: ps, targets: tv, targetStride: pt)
                        start += len
                    }
                }
            }
            XCTAssertEqual(m.count, rows)
            XCTAssertLessThan(maxRelativeDifference(m.gram, g), 1e-10, "gram, chunk \(chunk)")
            XCTAssertLessThan(maxRelativeDifference(m.cross, c), 1e-10, "cross, chunk \(chunk)")
            XCTAssertLessThan(maxRelativeDifference(m.sumS, ss), 1e-10, "sumS, chunk \(chunk)")
            XCTAssertLessThan(maxRelativeDifference(m.sumY, sy), 1e-10, "sumY, chunk \(chunk)")
            XCTAssertLessThan(maxRelativeDifference(m.sumYY, syy), 1e-10, "sumYY, chunk \(chunk)")
            // Centred gram equals G − n s̄ s̄ᵀ and is symmetric.
            let cg = m.centeredGram
            var direct = g
            for i in 0..<n { for j in 0..<n { direct[i * n + j] -= ss[i] * ss[j] / Double(rows) } }
            XCTAssertLessThan(maxRelativeDifference(cg, direct), 1e-9)
            for i in 0..<n { for j in 0..<n { XCTAssertEqual(cg[i * n + j], cg[j * n + i]) } }
        }
    }

    func testPoolingTwoHalvesEqualsWhole() {
        let n = 6, k = 4
        let d = randomSegment(rows: 900, n: n, k: k, seed: 12)
        let whole = d.moments()
        var a = SegmentMoments(n: n, k: k), b = SegmentMoments(n: n, k: k)
        let h = 333
        a.add(states: Array(d.states[0..<(h * n)]), targets: Array(d.targets[0..<(h * k)]), rows: h)
        b.add(states: Array(d.states[(h * n)...]), targets: Array(d.targets[(h * k)...]), rows: 900 - h)
        var pooled = a
        pooled.add(b)
        pooled.add(SegmentMoments(n: n, k: k))  // pooling an empty segment changes nothing
        XCTAssertEqual(pooled.count, 900)
        XCTAssertLessThan(maxRelativeDifference(pooled.gram, whole.gram), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(pooled.cross, whole.cross), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(pooled.centeredGram, whole.centeredGram), 1e-10)
        XCTAssertLessThan(maxRelativeDifference(pooled.sumYY, whole.sumYY), 1e-12)
        XCTAssertLessThan(maxRelativeDifference(pooled.targetVariance, whole.targetVariance), 1e-10)
    }

    // MARK: Ridge against a direct solve

    /// Linear target plus noise: y_j = s·β_j + c_j + σ ξ.
    private func linearData(rows: Int, n: Int, k: Int, beta: [Double], seed: UInt64) -> Stored {
        var rng = TestRNG(seed)
        var s = [Float](), y = [Float]()
        for _ in 0..<rows {
            let row = (0..<n).map { i in Float(0.3 * Double(i % 3) + rng.normal()) }
            s += row
            for j in 0..<k {
                var v = 0.2 * Double(j) - 1
                for i in 0..<n { v += Double(row[i]) * beta[i * k + j] }
                y.append(Float(v + 0.5 * rng.normal()))
            }
        }
        return Stored(rows: rows, n: n, k: k, states: s, targets: y)
    }

    func testRidgeMatchesDenseNormalEquations() throws {
        let k = 3
        for (idx, n) in [5, 12, 20].enumerated() {
            var rng = TestRNG(100 + UInt64(n))
            let beta = (0..<(n * k)).map { _ in rng.normal() }
            let train = linearData(rows: 500, n: n, k: k, beta: beta, seed: 200 + UInt64(idx))
            let val = linearData(rows: 300, n: n, k: k, beta: beta, seed: 300 + UInt64(idx))
            let test = linearData(rows: 400, n: n, k: k, beta: beta, seed: 400 + UInt64(idx))

            // Direct centred normal equations in Double on the stored data.
            let rows = Double(train.rows)
            var ms = [Double](repeating: 0, count: n), my = [Double](repeating: 0, count: k)
            for r in 0..<train.rows {
                for i in 0..<n { ms[i] += Double(train.states[r * n + i]) / rows }
                for j in 0..<k { my[j] += Double(train.targets[r * k + j]) / rows }
            }
            var g = [Double](repeating: 0, count: n * n), c = [Double](repeating: 0, count: n * k)
            for r in 0..<train.rows {
                for i in 0..<n {
                    let si = Double(train.states[r * n + i]) - ms[i]
                    for j in 0..<n { g[i * n + j] += si * (Double(train.states[r * n + j]) - ms[j]) }
                    for j in 0..<k { c[i * k + j] += si * (Double(train.targets[r * k + j]) - my[j]) }
                }
            }
            let trace = (0..<n).reduce(0.0) { $0 + g[$1 * n + $1] }
            let lambda = 0.05 * trace / Double(n)
            var gl = g
            for i in 0..<n { gl[i * n + i] += lambda }

            let readout = try RidgeReadout(training: train.moments(), lambda: lambda, validation: val.moments())
            XCTAssertEqual(readout.lambdaScale, trace / Double(n), accuracy: 1e-9 * trace)
            var directW = [Double](repeating: 0, count: n * k), directB = [Double](repeating: 0, count: k)
            for j in 0..<k {
                let w = solveDense(gl, (0..<n).map { c[$0 * k + j] }, n: n)
                for i in 0..<n { directW[i * k + j] = w[i] }
                directB[j] = my[j] - (0..<n).reduce(0.0) { $0 + ms[$1] * w[$1] }
            }
            XCTAssertLessThan(maxRelativeDifference(readout.weights, directW), 1e-8, "weights, N = \(n)")
            XCTAssertLessThan(maxRelativeDifference(readout.intercepts, directB), 1e-8, "intercepts, N = \(n)")
            // The eigenbasis route at another λ agrees with a fresh dense solve too.
            let other = try readout.coefficients(lambda: 3 * lambda)
            var gl3 = g
            for i in 0..<n { gl3[i * n + i] += 3 * lambda }
            let w3 = solveDense(gl3, (0..<n).map { c[$0 * k] }, n: n)
            XCTAssertLessThan(maxRelativeDifference((0..<n).map { other.weights[$0 * k] }, w3), 1e-8)

            // Moments-based r and MSE equal those of stored predictions.
            func storedScores(_ seg: Stored, weights: [Double], intercepts: [Double]) -> (r: [Double], mse: [Double]) {
                var r = [Double](), mse = [Double]()
                for j in 0..<k {
                    var pred = [Double](), truth = [Double]()
                    for row in 0..<seg.rows {
                        var p = intercepts[j]
                        for i in 0..<n { p += weights[i * k + j] * Double(seg.states[row * n + i]) }
                        pred.append(p)
                        truth.append(Double(seg.targets[row * k + j]))
                    }
                    r.append(pearson(pred, truth))
                    mse.append(zip(pred, truth).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(seg.rows))
                }
                return (r, mse)
            }
            let scores = try readout.evaluate(test.moments())
            let direct = storedScores(test, weights: directW, intercepts: directB)
            for j in 0..<k {
                XCTAssertEqual(scores[j].lag, j + 1)
                XCTAssertEqual(scores[j].r, direct.r[j], accuracy: 1e-9, "test r, N = \(n), lag \(j + 1)")
                XCTAssertEqual(scores[j].r2, direct.r[j] * direct.r[j], accuracy: 1e-9)
                XCTAssertEqual(scores[j].mse, direct.mse[j], accuracy: 1e-9 * max(1, direct.mse[j]), "test MSE")
                XCTAssertEqual(scores[j].lambda, lambda)
                XCTAssertNil(scores[j].flag)
                // The fit is good: r close to the noise-limited value.
                XCTAssertGreaterThan(scores[j].r, 0.8)
            }
            let directVal = storedScores(val, weights: directW, intercepts: directB)
            for j in 0..<k { XCTAssertEqual(readout.validationR[j], directVal.r[j], accuracy: 1e-9, "validation r") }

            // Grid selection: the chosen λ is the arg-max of the validation r, and the reported
            // validation r matches stored predictions of the selected weights.
            let selected = try RidgeReadout(training: train.moments(), validation: val.moments())
            XCTAssertEqual(selected.lambdaGrid.count, 13)
            XCTAssertEqual(selected.lambdaGrid.first!, 1e-8 * selected.lambdaScale, accuracy: 1e-20 * selected.lambdaScale)
            let sv = storedScores(val, weights: selected.weights, intercepts: selected.intercepts)
            for j in 0..<k {
                XCTAssertEqual(selected.validationR[j], sv.r[j], accuracy: 1e-9)
                let column = (0..<selected.lambdaGrid.count).map { selected.validationRGrid[$0 * k + j] }
                XCTAssertEqual(selected.validationR[j], column.max()!)
                let best = column.firstIndex(of: column.max()!)!
                XCTAssertEqual(selected.lambdas[j], selected.lambdaGrid[best])
            }
            let st = storedScores(test, weights: selected.weights, intercepts: selected.intercepts)
            let sscores = try selected.evaluate(test.moments())
            for j in 0..<k { XCTAssertEqual(sscores[j].r, st.r[j], accuracy: 1e-9, "selected test r") }
        }
    }

    func testSharedLambdaSelection() throws {
        let n = 10, k = 4
        var rng = TestRNG(77)
        let beta = (0..<(n * k)).map { _ in 0.3 * rng.normal() }
        let train = linearData(rows: 60, n: n, k: k, beta: beta, seed: 78).moments()
        let val = linearData(rows: 200, n: n, k: k, beta: beta, seed: 79).moments()
        let shared = try RidgeReadout(training: train, validation: val, selection: .shared)
        XCTAssertEqual(Set(shared.lambdas).count, 1)
        let grid = shared.lambdaGrid
        let scores = (0..<grid.count).map { g in
            (0..<k).reduce(0.0) { s, j in let r = max(shared.validationRGrid[g * k + j], 0); return s + r * r } / Double(k)
        }
        XCTAssertEqual(shared.lambdas[0], grid[scores.firstIndex(of: scores.max()!)!])
        // Per-lag selection is at least as good on validation for every lag.
        let perLag = try RidgeReadout(training: train, validation: val, selection: .perLag)
        for j in 0..<k { XCTAssertGreaterThanOrEqual(perLag.validationR[j], shared.validationR[j] - 1e-12) }
    }

    // MARK: Known capacities

    func testAnalyticLinearUnit() throws {
        // x(t+1) = a x(t) + u(t) gives x(t) = Σ_{j ≥ 0} a^j u(t − 1 − j). The textbook formula
        // MC_k = a^(2k)(1 − a²), k ≥ 0, uses a state that has already seen u(t); in our convention
        // x(t) has seen only u(0)…u(t − 1), so our lag k is the textbook's k − 1:
        // r²_k = a^(2(k−1)) (1 − a²) for k ≥ 1, and Σ_{k ≥ 1} r²_k = 1.
        for a in [0.8, 0.5] {
            let segs = try simulateSegments(n: 1, maxLag: 20, washout: 200, lengths: [20_000, 5_000, 20_000], seed: a == 0.8 ? 5 : 6) { x, u in
                x[0] = a * x[0] + u
            }
            let curve = try MemoryCurve.measure(training: segs[0], validation: segs[1], test: segs[2])
            for (i, lag) in curve.lags.enumerated() {
                let expected = Foundation.pow(a, 2 * Double(lag - 1)) * (1 - a * a)
                XCTAssertEqual(curve.r2[i], expected, accuracy: 0.01, "a = \(a), lag \(lag)")
            }
            XCTAssertEqual(curve.memoryCapacity, 1, accuracy: 0.02, "a = \(a)")
            XCTAssertEqual(curve.lags, Array(1...20))
            XCTAssertTrue(curve.undefinedLags.isEmpty)
        }
    }

    func testDelayLineReachesN() throws {
        let n = 10
        let segs = try simulateSegments(n: n, maxLag: 15, washout: 50, lengths: [5_000, 2_000, 5_000], seed: 9) { x, u in
            for i in stride(from: n - 1, to: 0, by: -1) { x[i] = x[i - 1] }
            x[0] = u
        }
        let curve = try MemoryCurve.measure(training: segs[0], validation: segs[1], test: segs[2])
        for i in 0..<10 { XCTAssertGreaterThan(curve.r[i], 0.999, "lag \(i + 1)") }
        for i in 10..<15 { XCTAssertLessThan(abs(curve.r[i]), 0.05, "lag \(i + 1)") }
        XCTAssertEqual(curve.memoryCapacity, 10, accuracy: 0.1)
        XCTAssertEqual(curve.firstLag(below: 0.5), 11)
        XCTAssertEqual(curve.convention, MemoryCurve.standardConvention)
    }

    func testNoiseFeaturesHaveOnlySpuriousCapacity() throws {
        // Features unrelated to u: the test prediction is independent of the test target, so
        // T_test·r²_k ≈ χ²₁ and T_test·MC over 30 lags ≈ χ²₃₀ (mean 30). P(χ²₃₀ > 70) ≈ 5e-5.
        let n = 8, lags = 30
        var rng = TestRNG(31)
        let tTest = 2_000
        let lengths = [3_000, 1_000, tTest]
        let total = lengths.reduce(0, +) + lags
        let u = (0..<total).map { _ in Float(rng.symmetric()) }
        var segs = [SegmentMoments]()
        var start = lags
        for len in lengths {
            let targets = try MemoryCurve.lagTargets(input: u, times: start..<(start + len), maxLag: lags)
            let states = (0..<(len * n)).map { _ in Float(rng.normal()) }
            var m = SegmentMoments(n: n, k: lags)
            m.add(states: states, targets: targets, rows: len)
            segs.append(m)
            start += len
        }
        let curve = try MemoryCurve.measure(training: segs[0], validation: segs[1], test: segs[2])
        XCTAssertLessThan(curve.memoryCapacity, 70.0 / Double(tTest))
        XCTAssertLessThan(curve.memoryCapacity, Double(n))
        XCTAssertGreaterThan(curve.memoryCapacity, 0)
    }

    // MARK: Degenerate inputs

    func testDegenerateInputsAreRejectedOrFlagged() throws {
        let n = 4, k = 3
        let good = randomSegment(rows: 200, n: n, k: k, seed: 41)
        var constant = good
        constant.states = [Float](repeating: 0.7, count: 200 * n)
        var saturated = good
        saturated.states = (0..<(200 * n)).map { $0 % 2 == 0 ? 1 : -1 }  // every unit stuck at ±1
        assertInvalidParameter("states") { _ = try RidgeReadout(training: constant.moments(), validation: good.moments()) }
        assertInvalidParameter("states") { _ = try RidgeReadout(training: saturated.moments(), lambda: 1) }
        // λ ≤ 0 or non-finite.
        assertInvalidParameter("lambda") { _ = try RidgeReadout(training: good.moments(), lambda: 0) }
        assertInvalidParameter("lambda") { _ = try RidgeReadout(training: good.moments(), lambda: -1) }
        assertInvalidParameter("lambda") { _ = try RidgeReadout(training: good.moments(), lambda: .nan) }
        assertInvalidParameter("lambda") { _ = try RidgeReadout(training: good.moments(), validation: good.moments(), relativeLambdas: [1, 0]) }
        assertInvalidParameter("lambdas") { _ = try RidgeReadout(training: good.moments(), validation: good.moments(), relativeLambdas: []) }
        // K ≥ training count.
        let short = Stored(rows: 3, n: n, k: k, states: Array(good.states[0..<(3 * n)]), targets: Array(good.targets[0..<(3 * k)]))
        assertInvalidParameter("lags") { _ = try RidgeReadout(training: short.moments(), lambda: 1) }
        // Empty segments.
        let empty = SegmentMoments(n: n, k: k)
        assertInvalidParameter("training") { _ = try RidgeReadout(training: empty, lambda: 1) }
        assertInvalidParameter("validation") { _ = try RidgeReadout(training: good.moments(), validation: empty) }
        let readout = try RidgeReadout(training: good.moments(), validation: good.moments())
        assertInvalidParameter("test") { _ = try readout.evaluate(empty) }
        assertInvalidParameter("test") { _ = try readout.evaluate(SegmentMoments(n: n + 1, k: k)) }
        // Non-finite states.
        var broken = good
        broken.states[5] = .nan
        assertInvalidParameter("states") { _ = try RidgeReadout(training: broken.moments(), lambda: 1) }

        // A constant target on the test segment: r undefined, flagged, left out of MC.
        var constTarget = randomSegment(rows: 200, n: n, k: k, seed: 42)
        for r in 0..<200 { constTarget.targets[r * k + 1] = 0.25 }
        let scores = try readout.evaluate(constTarget.moments())
        XCTAssertTrue(scores[1].r.isNaN)
        XCTAssertEqual(scores[1].flag, .constantTarget)
        XCTAssertNil(scores[0].flag)
        let curve = MemoryCurve(scores: scores)
        XCTAssertEqual(curve.undefinedLags, [2])
        XCTAssertEqual(curve.memoryCapacity, scores[0].r2 + scores[2].r2, accuracy: 1e-15)
        // States constant on the test segment only: constant prediction, r := 0.
        let scores2 = try readout.evaluate(constant.moments())
        XCTAssertEqual(scores2[0].flag, .constantPrediction)
        XCTAssertEqual(scores2[0].r, 0)
    }

    // MARK: Statistics and curve helpers

    func testStudentTQuantiles() {
        let table: [(Double, Double)] = [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (30, 2.042), (100, 1.984)]
        for (df, t) in table {
            XCTAssertEqual(StudentT.quantile(0.975, df: df), t, accuracy: 1e-3, "df = \(df)")
            XCTAssertEqual(StudentT.quantile(0.025, df: df), -t, accuracy: 1e-3)
        }
        // Exact closed forms: df = 1 (Cauchy) and df = 2.
        XCTAssertEqual(StudentT.quantile(0.975, df: 1), Foundation.tan(Double.pi * 0.475), accuracy: 1e-8)
        let p = 0.9
        XCTAssertEqual(StudentT.quantile(p, df: 2), (2 * p - 1) * (2 / (4 * p * (1 - p))).squareRoot(), accuracy: 1e-8)
        XCTAssertEqual(StudentT.quantile(0.975, df: 1e6), 1.959964, accuracy: 1e-4)
        XCTAssertEqual(StudentT.cdf(0, df: 3), 0.5, accuracy: 1e-14)
    }

    private func curve(mc: Double, lags: [Int] = [1, 2]) -> MemoryCurve {
        // r² split over the lags so that Σ r² = mc.
        let r2 = lags.map { _ in mc / Double(lags.count) }
        return MemoryCurve(lags: lags, r: r2.map { $0.squareRoot() }, r2: r2, lambda: lags.map { _ in 0.5 }, validationR: r2.map { $0.squareRoot() })
    }

    func testMeanAndConfidenceInterval() throws {
        let (mean, ci) = try MemoryCurve.mean([curve(mc: 1), curve(mc: 2), curve(mc: 3)])
        XCTAssertEqual(mean.memoryCapacity, 2, accuracy: 1e-12)
        let half = 4.303 / Foundation.sqrt(3.0)  // t_{0.975,2} · sd / √M with sd = 1
        XCTAssertEqual(ci[0], 2 - half, accuracy: 1e-3)
        XCTAssertEqual(ci[1], 2 + half, accuracy: 1e-3)
        XCTAssertEqual(mean.networks, 3)
        XCTAssertEqual(mean.r2[0], 1, accuracy: 1e-12)
        XCTAssertEqual(mean.lambda[0], 0.5, accuracy: 1e-12)
        let single = try MemoryCurve.mean([curve(mc: 1)])
        XCTAssertTrue(single.ci95[0].isNaN && single.ci95[1].isNaN)
        XCTAssertThrowsError(try MemoryCurve.mean([]))
        XCTAssertThrowsError(try MemoryCurve.mean([curve(mc: 1), curve(mc: 1, lags: [1, 2, 3])]))
    }

    func testFirstLagLagTargetsAndCoding() throws {
        let c = MemoryCurve(lags: [1, 2, 3, 4], r: [0.9, 0.6, 0.4, 0.1], lambda: [1, 1, 1, 1], validationR: [0.9, 0.6, 0.4, 0.1])
        XCTAssertEqual(c.firstLag(below: 0.5), 3)
        XCTAssertEqual(c.firstLag(below: 0.05), nil)
        XCTAssertEqual(c.memoryCapacity, 0.81 + 0.36 + 0.16 + 0.01, accuracy: 1e-12)

        let u: [Float] = [10, 11, 12, 13, 14, 15]
        // Row for t = 3: u(2), u(1); t = 4: u(3), u(2).
        XCTAssertEqual(try MemoryCurve.lagTargets(input: u, times: 3..<5, maxLag: 2), [12, 11, 13, 12])
        XCTAssertEqual(try MemoryCurve.lagTargets(input: u, times: 6..<7, maxLag: 1), [15])
        assertInvalidParameter("times") { _ = try MemoryCurve.lagTargets(input: u, times: 1..<3, maxLag: 2) }
        assertInvalidParameter("times") { _ = try MemoryCurve.lagTargets(input: u, times: 3..<8, maxLag: 2) }
        assertInvalidParameter("maxLag") { _ = try MemoryCurve.lagTargets(input: u, times: 3..<5, maxLag: 0) }

        // NaN (here the default test MSE) is written as null and read back as NaN.
        let data = try JSONEncoder().encode(c)
        let back = try JSONDecoder().decode(MemoryCurve.self, from: data)
        XCTAssertEqual(back.r, c.r)
        XCTAssertEqual(back.memoryCapacity, c.memoryCapacity)
        XCTAssertTrue(back.testMSE.allSatisfy(\.isNaN))
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"testMSE\":[null,null,null,null]"))
    }
}
