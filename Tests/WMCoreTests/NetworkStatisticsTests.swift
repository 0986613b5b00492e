import XCTest
@testable import WMCore

/// Statistical checks of generated networks (docs/model.md §1):
/// `J[i,j] = z·b·g/√(N·sp)`, `Jin[i,k] = z·b·gIn/√(nIn·spIn)`, z ~ N(0,1), b ~ Bernoulli.
///
/// Every seed is fixed, so each test is deterministic; the tolerances are nonetheless set
/// from the sampling distributions (binomial / normal standard errors) with at least a 5σ
/// margin, so that any *correct* sampler passes for any seed with probability > 1 − 10⁻⁶,
/// while a wrong scaling (e.g. a missing √sp, or a density off by a few percent) fails.
final class NetworkStatisticsTests: XCTestCase {

    // MARK: helpers

    private func spec(n: Int, sp: Double, g: Double = 0.95, seed: UInt64 = 1) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n
        s.sp = sp
        s.g = g
        s.seed = seed
        return s
    }

    /// Mean and unbiased variance in double precision.
    private func moments(_ v: [Float]) -> (mean: Double, variance: Double) {
        let n = Double(v.count)
        var s = 0.0
        for x in v { s += Double(x) }
        let m = s / n
        var q = 0.0
        for x in v { let d = Double(x) - m; q += d * d }
        return (m, q / (n - 1))
    }

    // MARK: density

    /// nnz ~ Binomial(N², sp) for an exact Bernoulli(sp) sampler, so
    /// |nnz − N²·sp| ≤ 5·√(N²·sp·(1−sp)) with probability 1 − 6·10⁻⁷.
    /// (2000, 0.25): mean 10⁶, σ ≈ 866 → tolerance ±4330 (0.43 %).
    /// (3000, 0.01): mean 90 000, σ ≈ 298 → tolerance ±1492 (1.7 %).
    /// (500, 1.0): σ = 0; the skip sampler must give exactly N² entries.
    func testDensityMatchesSp() throws {
        for (n, sp) in [(2000, 0.25), (3000, 0.01), (500, 1.0)] {
            let s = spec(n: n, sp: sp, seed: 11)
            let j = NetworkGenerator.recurrent(s)
            let n2 = Double(n) * Double(n)
            let mean = n2 * sp
            let sigma = (n2 * sp * (1 - sp)).squareRoot()
            XCTAssertEqual(j.rows, n)
            XCTAssertEqual(j.cols, n)
            XCTAssertEqual(j.values.count, j.nnz)
            if sp == 1 {
                XCTAssertEqual(j.nnz, n * n, "sp = 1 must give every one of the N² entries")
                // Every row is complete: columns 0..<N in order.
                for i in [0, 1, n / 2, n - 1] {
                    let row = j.colIndex[Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1])].map(Int.init)
                    XCTAssertEqual(row, Array(0..<n), "row \(i) of a dense (sp = 1) network")
                }
            } else {
                XCTAssertEqual(Double(j.nnz), mean, accuracy: 5 * sigma,
                               "N = \(n), sp = \(sp): nnz \(j.nnz), expected \(mean) ± 5σ (σ = \(sigma))")
            }
        }
    }

    /// Row lengths are i.i.d. Binomial(N, sp): for N = 2000, sp = 0.05, mean 100, variance
    /// N·sp·(1−sp) = 95. Over R = 2000 rows:
    /// - SE of the sample mean = √(95/2000) ≈ 0.218 → tolerance 5·SE ≈ 1.09;
    /// - SE of the sample variance ≈ √((μ₄ − σ⁴)/R), with the binomial
    ///   μ₄ = 3σ⁴ + σ²(1 − 6pq) → √((2·95² + 95·(1 − 6·0.0475))/2000) ≈ 3.01 → tolerance ≈ 15.
    /// A sampler drawing rows of fixed length (variance 0) or Poisson-like rows with the wrong
    /// dispersion by > 16 % fails.
    func testRowLengthDistributionIsBinomial() throws {
        let n = 2000, sp = 0.05
        let j = NetworkGenerator.recurrent(spec(n: n, sp: sp, seed: 5))
        let lengths = (0..<n).map { Float(j.rowPtr[$0 + 1] - j.rowPtr[$0]) }
        let (m, v) = moments(lengths)
        let p = sp, q = 1 - sp
        let mu = Double(n) * p
        let sigma2 = Double(n) * p * q
        let seMean = (sigma2 / Double(n)).squareRoot()
        let mu4 = 3 * sigma2 * sigma2 + sigma2 * (1 - 6 * p * q)
        let seVar = ((mu4 - sigma2 * sigma2) / Double(n)).squareRoot()
        XCTAssertEqual(m, mu, accuracy: 5 * seMean, "row-length mean")
        XCTAssertEqual(v, sigma2, accuracy: 5 * seVar, "row-length variance")
    }

    // MARK: weight values

    /// Nonzero J entries are g/√(N·sp)·z, z ~ N(0,1). With n ≈ 10⁶ entries (N = 2000, sp = 0.25):
    /// - SE of the mean = σ/√n → 5·SE ≈ 0.005·σ;
    /// - relative SE of the sample variance = √(2/(n−1)) ≈ 0.14 % → 5·SE ≈ 0.71 %.
    /// A second spec (N = 3000, sp = 0.01, g = 1.7, n ≈ 9·10⁴) checks the sp and g dependence:
    /// relative 5·SE ≈ 2.4 %. A scaling of g/√N (missing √sp) would be off by a factor 100.
    func testRecurrentWeightMomentsMatchScaling() throws {
        for (n, sp, g) in [(2000, 0.25, 0.95), (3000, 0.01, 1.7)] {
            let s = spec(n: n, sp: sp, g: g, seed: 21)
            let j = NetworkGenerator.recurrent(s)
            let count = Double(j.nnz)
            let (m, v) = moments(j.values)
            let want = g * g / (Double(n) * sp)
            let sd = want.squareRoot()
            XCTAssertEqual(m, 0, accuracy: 5 * sd / count.squareRoot(), "mean of J entries, N = \(n), sp = \(sp)")
            XCTAssertEqual(v / want, 1, accuracy: 5 * (2 / (count - 1)).squareRoot(),
                           "variance of J entries, N = \(n), sp = \(sp): \(v) vs g²/(N·sp) = \(want)")
            // Cross-check with the spec's own scale.
            XCTAssertEqual(s.recurrentScale * s.recurrentScale, want, accuracy: want * 1e-12)
        }
    }

    /// Jin: each of the N·nIn entries exists with probability spIn, value gIn/√(nIn·spIn)·z.
    /// N = 5000, nIn = 20, spIn = 0.1: 10⁵ Bernoulli draws, nonzero count ~ Binomial with
    /// σ = √(10⁵·0.1·0.9) ≈ 94.9 → tolerance 5σ ≈ 474 around 10⁴ (4.7 %).
    /// The ≈10⁴ nonzero values: relative 5·SE of the variance = 5·√(2/10⁴) ≈ 7.1 %,
    /// mean within 5·σ/√10⁴ = 0.05·σ of 0. Second case (nIn = 3, spIn = 0.5, gIn = 2) too.
    func testInputWeightStatistics() throws {
        for (n, nIn, spIn, gIn) in [(5000, 20, 0.1, 10.0), (4000, 3, 0.5, 2.0)] {
            var s = spec(n: n, sp: 0.01, seed: 33)
            s.nIn = nIn
            s.spIn = spIn
            s.gIn = gIn
            let w = NetworkGenerator.input(s)
            XCTAssertEqual(w.count, n * nIn)
            let nz = w.filter { $0 != 0 }
            let draws = Double(n * nIn)
            let sigmaCount = (draws * spIn * (1 - spIn)).squareRoot()
            XCTAssertEqual(Double(nz.count), draws * spIn, accuracy: 5 * sigmaCount,
                           "nonzero input weights, nIn = \(nIn), spIn = \(spIn)")
            let (m, v) = moments(nz)
            let want = gIn * gIn / (Double(nIn) * spIn)
            let k = Double(nz.count)
            XCTAssertEqual(m, 0, accuracy: 5 * want.squareRoot() / k.squareRoot(), "mean of Jin entries")
            XCTAssertEqual(v / want, 1, accuracy: 5 * (2 / (k - 1)).squareRoot(),
                           "variance of Jin entries: \(v) vs gIn²/(nIn·spIn) = \(want)")
        }
    }

    /// spIn = 1: every input weight exists.
    func testInputDensityOneIsFull() throws {
        var s = spec(n: 300, sp: 0.1)
        s.nIn = 4
        s.spIn = 1
        let w = NetworkGenerator.input(s)
        XCTAssertEqual(w.filter { $0 == 0 }.count, 0)
    }

    // MARK: spectral radius

    /// Circular law: the eigenvalues of J fill a disc of radius g (up to O(N^−1/2) edge
    /// fluctuations, ≈ 3 % at N = 1500), so the exact radius is within 10 % of g.
    func testSpectralRadiusNearG() throws {
        let s = spec(n: 1500, sp: 0.25, g: 0.95, seed: 3)
        let net = try NetworkGenerator.generate(s)
        XCTAssertEqual(net.recurrentGain, 1)
        let rho = try SpectralRadius.exact(net.recurrent)
        XCTAssertEqual(rho, s.g, accuracy: 0.1 * s.g, "exact spectral radius \(rho) vs g = \(s.g)")
    }

    /// The power-iteration estimate tracks the exact radius within 15 % at N = 400,
    /// and scales linearly with the matrix.
    func testPowerEstimateNearExact() throws {
        for seed: UInt64 in [1, 2] {
            let s = spec(n: 400, sp: 0.25, g: 1.2, seed: seed)
            let j = NetworkGenerator.recurrent(s)
            let exact = try SpectralRadius.exact(j)
            let est = SpectralRadius.powerEstimate(j)
            XCTAssertEqual(est, exact, accuracy: 0.15 * exact, "seed \(seed): power \(est) vs exact \(exact)")
            var half = j
            half.values = half.values.map { $0 * 0.5 }
            XCTAssertEqual(SpectralRadius.powerEstimate(half), 0.5 * est, accuracy: 1e-3 * est)
        }
    }

    /// Exact radius of a hand-made matrix with a complex pair: [[0, −2], [2, 0]] has ±2i,
    /// [[0.5, 0], [0, −3]] has radius 3.
    func testExactRadiusOfKnownMatrices() throws {
        let rot = CSRMatrix(dense: [0, -2, 2, 0], rows: 2, cols: 2)
        XCTAssertEqual(try SpectralRadius.exact(rot), 2, accuracy: 1e-12)
        let diag = CSRMatrix(dense: [0.5, 0, 0, -3], rows: 2, cols: 2)
        XCTAssertEqual(try SpectralRadius.exact(diag), 3, accuracy: 1e-12)
    }

    /// With `spectralRadius = 0.8` the effective recurrent matrix gain·J has exact radius 0.8
    /// (float32 rounding of the gain and weights: relative error ~10⁻⁷, far below 10⁻⁴).
    func testSpectralRadiusOptionRescalesExactly() throws {
        for seed: UInt64 in [1, 2, 3, 4, 5] {
            var s = spec(n: 100, sp: 0.25, g: 0.95, seed: seed)
            s.spectralRadius = 0.8
            let net = try NetworkGenerator.generate(s)
            XCTAssertNotEqual(net.recurrentGain, 1, "seed \(seed): a rescaling gain is expected")
            let rho = try SpectralRadius.exact(net.effectiveRecurrent)
            XCTAssertEqual(rho, 0.8, accuracy: 1e-4, "seed \(seed)")
            // The stored J itself is unchanged by the option.
            var plain = s
            plain.spectralRadius = nil
            XCTAssertEqual(net.recurrent, NetworkGenerator.recurrent(plain))
        }
    }

    /// Without the option a single draw at N = 100 fluctuates around g: finite-size deviations
    /// are several percent, so at least one of 10 seeds differs from g by more than 10⁻³
    /// (otherwise the option above would be pointless — or the default is already rescaling).
    func testWithoutOptionRadiusFluctuates() throws {
        var maxDev = 0.0
        for seed: UInt64 in 1...10 {
            let net = try NetworkGenerator.generate(spec(n: 100, sp: 0.25, g: 0.95, seed: seed))
            XCTAssertEqual(net.recurrentGain, 1)
            let rho = try SpectralRadius.exact(net.effectiveRecurrent)
            maxDev = max(maxDev, abs(rho - 0.95))
        }
        XCTAssertGreaterThan(maxDev, 1e-3)
    }

    // MARK: structure and determinism

    /// Column indices strictly increasing and in 0..<N in every row, values finite.
    func testCSRInvariantsHold() throws {
        for (n, sp) in [(1, 1.0), (2, 0.5), (37, 0.3), (700, 0.02), (1000, 0.9), (300, 1.0)] {
            let j = NetworkGenerator.recurrent(spec(n: n, sp: sp, seed: 8))
            XCTAssertNoThrow(try j.validate(name: "J(N=\(n), sp=\(sp))"))
            // Independent check of the invariant.
            for i in 0..<n {
                var last = -1
                for p in Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1]) {
                    let c = Int(j.colIndex[p])
                    XCTAssertGreaterThan(c, last)
                    XCTAssertLessThan(c, n)
                    last = c
                }
            }
        }
        // validate must actually detect violations (so the checks above can fail).
        let bad = CSRMatrix(rows: 2, cols: 2, rowPtr: [0, 2, 2], colIndex: [1, 0], values: [1, 1])
        XCTAssertThrowsError(try bad.validate(name: "bad"))
        let out = CSRMatrix(rows: 2, cols: 2, rowPtr: [0, 1, 1], colIndex: [2], values: [1])
        XCTAssertThrowsError(try out.validate(name: "out"))
    }

    func testSameSeedSameNetworkDifferentSeedDifferentNetwork() throws {
        var s = spec(n: 200, sp: 0.2, seed: 42)
        s.nIn = 5
        s.spIn = 0.3
        let a = try NetworkGenerator.generate(s)
        let b = try NetworkGenerator.generate(s)
        XCTAssertEqual(a, b)
        var s2 = s
        s2.seed = 43
        let c = try NetworkGenerator.generate(s2)
        // Compare the weights (the specs differ by construction).
        XCTAssertNotEqual(a.recurrent, c.recurrent)
        XCTAssertNotEqual(a.input, c.input)
        XCTAssertNotEqual(a.recurrent.colIndex, c.recurrent.colIndex, "structure must depend on the seed")
        // Seeds that differ only in the high word also give different networks.
        var s3 = s
        s3.seed = 42 | (1 << 40)
        XCTAssertNotEqual(NetworkGenerator.recurrent(s3), a.recurrent)
    }

    /// Rows are drawn in parallel blocks; the result must not depend on that split:
    /// rows of an N = 600 network equal the rows generated one by one with forEachColumn.
    func testParallelBlocksMatchRowByRowGeneration() throws {
        let s = spec(n: 600, sp: 0.1, seed: 9)
        let j = NetworkGenerator.recurrent(s)
        let rng = Philox4x32(seed: s.seed)
        let lnq = NetworkGenerator.skipConstant(s.sp)
        for i in 0..<s.n {
            var cols: [Int32] = []
            NetworkGenerator.forEachColumn(row: i, cols: s.n, lnq: lnq, rng: rng) { cols.append(Int32($0)) }
            XCTAssertEqual(Array(j.colIndex[Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1])]), cols, "row \(i)")
        }
    }
}
