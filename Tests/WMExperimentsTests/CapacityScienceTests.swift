import XCTest
import WMCore
import WMOpenCL
import WMTestSupport
@testable import WMExperiments

/// Known truths of memory capacity, measured through the real engines (CPU and OpenCL).
final class CapacityScienceTests: XCTestCase {
    func backends() -> [any Backend] { TestBackends.all() }

    /// A linear network from explicit weights (leaky rule, a = 1, linear f): x(t+1) = J x(t) + Jin u(t).
    func linearNetwork(j: [Float], jin: [Float], n: Int, seed: UInt64 = 1) -> Network {
        var s = NetworkSpec()
        s.n = n; s.nIn = 1; s.rule = .leaky; s.leak = 1; s.activation = .linear; s.seed = seed
        s.sp = 1; s.spIn = 1; s.g = 1; s.gIn = 1
        return Network(spec: s, recurrent: CSRMatrix(dense: j, rows: n, cols: n), input: jin)
    }

    func spec(train: Int, test: Int, maxLag: Int) -> CapacitySpec {
        var c = CapacitySpec()
        c.decoders = [.ridge]
        c.washout = max(200, maxLag)
        c.train = train
        c.validation = 2000
        c.test = test
        c.maxLag = maxLag
        c.network.nIn = 1
        return c
    }

    /// One linear unit x(t+1) = a·x(t) + u(t): with our convention (x(t) first sees u(t−1)),
    /// r²_k = a^(2(k−1))·(1 − a²) for k ≥ 1, and Σ_k r²_k → 1.
    func testSingleLinearUnitMatchesAnalyticCurve() throws {
        for backend in backends() {
            for a in [0.5, 0.8] as [Float] {
                let net = linearNetwork(j: [a], jin: [1], n: 1)
                let r = try CapacityMeasurement.run(spec(train: 20_000, test: 20_000, maxLag: 15), backend: backend,
                                                    input: InputSource(spec: InputSpec(), nIn: 1), networks: [net])
                let curve = try XCTUnwrap(r[.ridge]).mean
                for (i, k) in curve.lags.enumerated() {
                    let expected = pow(Double(a), Double(2 * (k - 1))) * (1 - Double(a * a))
                    XCTAssertEqual(curve.r2[i], expected, accuracy: 0.01, "\(backend.info.kind) a=\(a) lag \(k)")
                }
                XCTAssertEqual(curve.memoryCapacity, 1, accuracy: 0.02, "\(backend.info.kind) a=\(a)")
            }
        }
    }

    /// Random orthogonal matrix (Gram–Schmidt on a Philox Gaussian matrix), row-major.
    func orthogonal(_ n: Int, seed: UInt64) -> [Double] {
        let rng = Philox4x32(seed: seed)
        var q = [[Double]]()
        for i in 0..<n {
            var v = (0..<n).map { j -> Double in let b = rng.block(UInt32(i), UInt32(j), 0, 77); return Double(RandomBits.normal(b.0, b.1)) }
            for u in q {
                let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<n { v[j] -= d * u[j] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q.append(v.map { $0 / norm })
        }
        return q.flatMap { $0 }
    }

    /// A linear network with W = ρ·Q (Q orthogonal) and i.i.d. input reaches MC close to N
    /// (Jaeger 2002; numerically just below N because the state covariance is ill-conditioned,
    /// Ballarin et al. 2023), and never exceeds N beyond finite-sample error.
    func testOrthogonalLinearNetworkReachesNearlyN() throws {
        let n = 20
        let q = orthogonal(n, seed: 3)
        let rho = 0.9
        let j = q.map { Float($0 * rho) }
        let rng = Philox4x32(seed: 4)
        let jin = (0..<n).map { i -> Float in let b = rng.block(UInt32(i), 0, 0, 78); return RandomBits.normal(b.0, b.1) }
        for backend in backends() {
            let r = try CapacityMeasurement.run(spec(train: 30_000, test: 20_000, maxLag: 80), backend: backend,
                                                input: InputSource(spec: InputSpec(), nIn: 1), networks: [linearNetwork(j: j, jin: jin, n: n)])
            let mc = try XCTUnwrap(r[.ridge]).memoryCapacity
            XCTAssertGreaterThan(mc, 0.9 * Double(n), backend.info.kind)
            // Spurious r² per lag ≈ 1/T_test; 80 lags → ≈ 0.004 above the true value at most a few times that.
            XCTAssertLessThan(mc, Double(n) + 0.05, backend.info.kind)
        }
    }

    /// Random tanh networks never exceed MC = N beyond finite-sample error.
    func testRandomNetworksStayBelowN() throws {
        var c = spec(train: 6000, test: 4000, maxLag: 40)
        c.network.n = 12
        c.network.sp = 0.5
        c.network.g = 0.9
        c.network.rule = .leaky
        c.network.gIn = 0.5
        c.network.spIn = 1
        c.networks = 3
        let r = try CapacityMeasurement.run(c, backend: CPUBackend(), input: InputSource(spec: InputSpec(), nIn: 1))
        for curve in try XCTUnwrap(r[.ridge]).perNetwork.compactMap({ $0 }) {
            XCTAssertLessThan(curve.memoryCapacity, 12 + 40.0 * 4 / 4000, "MC ≤ N + spurious")
            XCTAssertGreaterThan(curve.memoryCapacity, 1, "a contracting tanh network remembers something")
        }
    }

    /// Ridge and MLP agree between backends (same networks, same initial MLP weights).
    func testBackendsAgreeOnCapacity() throws {
        let cl = try TestBackends.requireOpenCL()
        var c = CapacitySpec()
        c.network.n = 61
        c.network.sp = 0.2
        c.network.rule = .leaky
        c.network.leak = 0.8
        c.network.gIn = 1
        c.network.spIn = 0.5
        c.networks = 2
        c.washout = 100; c.train = 1500; c.validation = 500; c.test = 800; c.maxLag = 20
        c.mlp.epochs = 5
        c.mlp.hidden1 = 16; c.mlp.hidden2 = 8
        c.mlpLags = [1, 3, 7]
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let a = try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)
        let b = try CapacityMeasurement.run(c, backend: cl, input: input)
        let ra = try XCTUnwrap(a[.ridge]), rb = try XCTUnwrap(b[.ridge])
        for (x, y) in zip(ra.mean.r, rb.mean.r) { XCTAssertEqual(x, y, accuracy: 1e-3) }
        XCTAssertEqual(ra.memoryCapacity, rb.memoryCapacity, accuracy: 1e-3 * max(1, ra.memoryCapacity))
        let ma = try XCTUnwrap(a[.mlp]), mb = try XCTUnwrap(b[.mlp])
        for (ha, hb) in zip(try XCTUnwrap(ma.histories), try XCTUnwrap(mb.histories)) {
            XCTAssertEqual(ha.trainLoss.count, hb.trainLoss.count)
            for (x, y) in zip(ha.trainLoss, hb.trainLoss) { XCTAssertEqual(x, y, accuracy: 1e-3 * max(x, 1e-3)) }
        }
        for (x, y) in zip(ma.mean.r, mb.mean.r) { XCTAssertEqual(x, y, accuracy: 1e-2) }
    }

    /// One MLP per lag: one training history per (network, lag), a finite r per lag, and on a
    /// strongly remembering network the first lag decodes well either way.
    func testPerLagMLPOption() throws {
        var c = CapacitySpec()
        c.network.n = 40; c.network.sp = 0.3; c.network.rule = .leaky; c.network.gIn = 0.5; c.network.spIn = 1; c.network.g = 0.8
        c.networks = 2
        c.washout = 50; c.train = 1200; c.validation = 300; c.test = 400; c.maxLag = 10
        c.decoders = [.mlp]
        c.mlpLags = [1, 4, 9]
        c.mlp.epochs = 15; c.mlp.hidden1 = 16; c.mlp.hidden2 = 8
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        c.mlpPerLag = true
        let per = try XCTUnwrap(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)[.mlp])
        XCTAssertEqual(per.histories?.count, 2 * 3)
        XCTAssertEqual(per.histories?.first?.device.isEmpty, false)
        XCTAssertEqual(per.mean.lags, [1, 4, 9])
        XCTAssertTrue(per.mean.r.allSatisfy(\.isFinite))
        c.mlpPerLag = false
        let multi = try XCTUnwrap(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)[.mlp])
        XCTAssertEqual(multi.histories?.count, 2)
        XCTAssertGreaterThan(per.mean.r[0], 0.8)
        XCTAssertGreaterThan(multi.mean.r[0], 0.8)
    }

    /// A network whose state diverges is dropped with a warning; the others are still measured
    /// (on OpenCL CPU devices both run in one group, which is rerun without the bad one).
    func testDivergingNetworkIsDroppedNotFatal() throws {
        let good = linearNetwork(j: [0.5], jin: [1], n: 1, seed: 1)
        let bad = linearNetwork(j: [1e20], jin: [1], n: 1, seed: 2)
        for backend in backends() {
            let r = try CapacityMeasurement.run(spec(train: 2000, test: 1000, maxLag: 5), backend: backend,
                                                input: InputSource(spec: InputSpec(), nIn: 1), networks: [good, bad])
            let ridge = try XCTUnwrap(r[.ridge])
            XCTAssertNotNil(ridge.perNetwork[0], backend.info.kind)
            XCTAssertNil(ridge.perNetwork[1], backend.info.kind)
            XCTAssertTrue(r.warnings.contains { $0.contains("dropped") && $0.contains("non-finite") }, "\(r.warnings)")
            XCTAssertEqual(ridge.memoryCapacity, 1, accuracy: 0.05)
        }
        XCTAssertThrowsError(try CapacityMeasurement.run(spec(train: 500, test: 200, maxLag: 5), backend: CPUBackend(),
                                                         input: InputSource(spec: InputSpec(), nIn: 1), networks: [bad]))
    }

    /// Bad settings give clear errors; saturated states give a warning or an error, never garbage.
    func testBadSettings() throws {
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        var c = spec(train: 50, test: 50, maxLag: 100)
        XCTAssertThrowsError(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)) { e in
            XCTAssertTrue("\(e)".contains("maxLag"), "\(e)")
        }
        c = spec(train: 500, test: 0, maxLag: 10)
        XCTAssertThrowsError(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)) { e in XCTAssertTrue("\(e)".contains("test")) }
        c = spec(train: 500, test: 100, maxLag: 10)
        c.lambda = -1
        XCTAssertThrowsError(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)) { e in XCTAssertTrue("\(e)".contains("λ")) }
        c.lambda = nil
        c.washout = 5
        XCTAssertThrowsError(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)) { e in XCTAssertTrue("\(e)".contains("washout")) }
        // All units pinned at tanh(50) = 1: constant states.
        c = spec(train: 500, test: 200, maxLag: 5)
        c.network.n = 20
        c.network.bias = 50
        c.network.rule = .leaky
        c.network.gIn = 0.01
        XCTAssertThrowsError(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)) { e in
            XCTAssertTrue("\(e)".contains("saturated") || "\(e)".contains("degenerate"), "\(e)")
        }
    }

    /// An absolute λ equal to the relative λ times trace(G)/N gives the same curve; the initial
    /// state range reaches the engine; half a range or both λ kinds are refused.
    func testAbsoluteLambdaAndInitialStateAreHonoured() throws {
        var c = spec(train: 3000, test: 2000, maxLag: 10)
        c.network.n = 40
        c.networks = 1
        c.lambda = 0.1
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let relative = try XCTUnwrap(try CapacityMeasurement.run(c, backend: CPUBackend(), input: input)[.ridge]?.perNetwork.first ?? nil)
        var a = c
        a.lambda = nil
        a.absoluteLambda = relative.lambda[0]
        let absolute = try XCTUnwrap(try CapacityMeasurement.run(a, backend: CPUBackend(), input: input)[.ridge]?.perNetwork.first ?? nil)
        XCTAssertEqual(absolute.lambda, relative.lambda)
        for (x, y) in zip(absolute.r, relative.r) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        var i = c
        i.initLow = 0.5
        i.initHigh = 0.9
        i.washout = 10   // the start still shows in the train segment
        var d = c
        d.washout = 10
        let fromRange = try XCTUnwrap(try CapacityMeasurement.run(i, backend: CPUBackend(), input: input)[.ridge]?.perNetwork.first ?? nil)
        let fromDefault = try XCTUnwrap(try CapacityMeasurement.run(d, backend: CPUBackend(), input: input)[.ridge]?.perNetwork.first ?? nil)
        XCTAssertNotEqual(fromRange.r, fromDefault.r, "the initial state reached the engine")
        var both = a
        both.lambda = 0.1
        XCTAssertThrowsError(try both.validate())
        var half = c
        half.initLow = 0
        XCTAssertThrowsError(try half.validate())
    }
}
