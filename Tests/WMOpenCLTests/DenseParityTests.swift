import Foundation
import XCTest
import WMTestSupport
import WMCore
import WMOpenCL

/// CPU (OpenBLAS + loops) versus OpenCL (Kernels/dense.cl) for the MLP decoder's dense operations.
/// The decoder's training on both is tested in WMExperimentsTests (MLPDecoderBackendTests).
///
/// Tolerances (float32, ε = 2⁻²³):
/// - GEMM: |C_cpu − C_cl| ≤ 2·K·ε·(|α|·Σ_p |a_ip||b_pj| + |β||c_ij|) + 1e-30 per element (both sum K
///   products in different orders; each is within K·ε·Σ|a||b| of the exact value). Both are also
///   checked against a double-precision reference with the same bound.
/// - fused forward/backward: the GEMM bound, plus 4 ulp of the output for tanh;
/// - column sums, gathers, MSE gradient: exact (same float operations in the same order);
/// - Adam: moments after the first step exact; after 5 steps parameters 1e-6 relative + 1e-9, moments
///   1e-6·(|x| + max|x|) (device sqrt/divide may round differently, e.g. NVIDIA; PoCL matches exactly);
/// - sum of squares: 1e-5 relative (float partials on the device, double on the host).
final class DenseParityTests: XCTestCase {
    func opencl() throws -> OpenCLDenseOps { try TestBackends.requireOpenCLDenseOps() }

    let cpu = CPUDenseOps()
    static let eps = Double(Float.ulpOfOne)

    /// Double-precision reference of α·op(A)·op(B) + β·C and the bound Σ|α a b| + |β c|.
    func referenceGemm(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], b: [Float],
                       beta: Float, c: [Float]) -> (value: [Double], scale: [Double]) {
        var out = [Double](repeating: 0, count: m * n), mag = out
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, s1 = 0.0
                for p in 0..<k {
                    let av = Double(ta ? a[p * m + i] : a[i * k + p])
                    let bv = Double(tb ? b[j * k + p] : b[p * n + j])
                    s += av * bv
                    s1 += abs(av * bv)
                }
                let cv = beta == 0 ? 0 : Double(c[i * n + j])
                out[i * n + j] = Double(alpha) * s + Double(beta) * cv
                mag[i * n + j] = abs(Double(alpha)) * s1 + abs(Double(beta) * cv)
            }
        }
        return (out, mag)
    }

    // MARK: GEMM

    func testGemmAllTransposesAgreeOnRaggedSizes() throws {
        let cl = try opencl()
        let sizes = [(1, 1, 1), (7, 13, 5), (61, 33, 129), (300, 257, 65), (16, 16, 16), (5, 3, 0)]
        var seed: UInt64 = 100
        for (m, n, k) in sizes {
            for ta in [false, true] {
                for tb in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.7, -1.3)] {
                        seed += 1
                        let a = TestData.uniform(m * k, seed: seed), b = TestData.uniform(k * n, seed: seed + 1000), c0 = TestData.uniform(m * n, seed: seed + 2000)
                        let (ar, ac) = ta ? (k, m) : (m, k)
                        let (br, bc) = tb ? (n, k) : (k, n)
                        var results: [[Float]] = []
                        for ops in [cpu, cl] as [any DenseOps] {
                            let A = try ops.upload(a, rows: ar, cols: ac), B = try ops.upload(b, rows: br, cols: bc)
                            let C = try ops.upload(c0, rows: m, cols: n)
                            try ops.gemm(transA: ta, transB: tb, alpha: alpha, A, B, beta: beta, C)
                            results.append(try ops.download(C))
                        }
                        let ref = referenceGemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c0)
                        let tag = "\(m)×\(n)×\(k) \(ta ? "T" : "N")\(tb ? "T" : "N") α=\(alpha) β=\(beta)"
                        var worst = (cl: 0.0, cpuRef: 0.0, clRef: 0.0)
                        for e in 0..<(m * n) {
                            let tol = 2 * Double(max(k, 1)) * DenseParityTests.eps * ref.scale[e] + 1e-30
                            worst.cl = max(worst.cl, abs(Double(results[0][e]) - Double(results[1][e])) / tol)
                            worst.cpuRef = max(worst.cpuRef, abs(Double(results[0][e]) - ref.value[e]) / tol)
                            worst.clRef = max(worst.clRef, abs(Double(results[1][e]) - ref.value[e]) / tol)
                        }
                        XCTAssertLessThanOrEqual(worst.cl, 1, "\(tag): CPU vs OpenCL, worst difference / tolerance")
                        XCTAssertLessThanOrEqual(worst.cpuRef, 1, "\(tag): CPU vs double reference")
                        XCTAssertLessThanOrEqual(worst.clRef, 1, "\(tag): OpenCL vs double reference")
                    }
                }
            }
        }
    }

    func testGemmOnViewsWithOffsets() throws {
        let cl = try opencl()
        // Operands inside larger storages (the trainer's packed parameters are views).
        let m = 9, n = 7, k = 11
        let store = TestData.uniform(3 + m * k + k * n + 5, seed: 42)
        var outs: [[Float]] = []
        for ops in [cpu, cl] as [any DenseOps] {
            let all = try ops.upload(store, rows: 1, cols: store.count)
            let a = all.view(start: 3, rows: m, cols: k), b = all.view(start: 3 + m * k, rows: k, cols: n)
            let cbig = try ops.allocate(rows: m + 2, cols: n)
            try ops.gemm(transA: false, transB: false, alpha: 1, a, b, beta: 0, cbig.rows(1, m))
            outs.append(try ops.download(cbig))
        }
        for e in 0..<n { XCTAssertEqual(outs[1][e], 0); XCTAssertEqual(outs[1][(m + 1) * n + e], 0) }
        for e in 0..<outs[0].count { XCTAssertEqual(outs[0][e], outs[1][e], accuracy: 1e-5) }
    }

    // MARK: layer pieces

    func testForwardBackwardPiecesAgree() throws {
        let cl = try opencl()
        let r = 61, nIn = 129, nOut = 33, kNext = 5
        let x = TestData.uniform(r * nIn, seed: 1), w = TestData.uniform(nIn * nOut, seed: 2).map { $0 * 0.2 }, bias = TestData.uniform(nOut, seed: 3)
        let dZn = TestData.uniform(r * kNext, seed: 4), wNext = TestData.uniform(nOut * kNext, seed: 5)
        let dH = TestData.uniform(r * nOut, seed: 6)
        for act in DenseActivation.allCases {
            var z: [[Float]] = [], h: [[Float]] = [], hOnly: [[Float]] = [], dz: [[Float]] = [], dzElem: [[Float]] = []
            for ops in [cpu, cl] as [any DenseOps] {
                let X = try ops.upload(x, rows: r, cols: nIn), W = try ops.upload(w, rows: nIn, cols: nOut)
                let B = try ops.upload(bias, rows: 1, cols: nOut)
                let Z = try ops.allocate(rows: r, cols: nOut), H = try ops.allocate(rows: r, cols: nOut), H2 = try ops.allocate(rows: r, cols: nOut)
                try ops.denseForward(X, W, bias: B, activation: act, h: H, z: Z)
                try ops.denseForward(X, W, bias: B, activation: act, h: H2, z: nil)
                let DZn = try ops.upload(dZn, rows: r, cols: kNext), WN = try ops.upload(wNext, rows: nOut, cols: kNext)
                let DZ = try ops.allocate(rows: r, cols: nOut)
                try ops.denseBackward(DZn, WN, activation: act, h: H, dZ: DZ)
                let DH = try ops.upload(dH, rows: r, cols: nOut), DZe = try ops.allocate(rows: r, cols: nOut)
                try ops.activationBackward(dH: DH, h: H, activation: act, dZ: DZe)
                z.append(try ops.download(Z)); h.append(try ops.download(H)); hOnly.append(try ops.download(H2))
                dz.append(try ops.download(DZ)); dzElem.append(try ops.download(DZe))
            }
            XCTAssertEqual(h[0], hOnly[0], "\(act): storing Z must not change H (cpu)")
            XCTAssertEqual(h[1], hOnly[1], "\(act): storing Z must not change H (opencl)")
            for i in 0..<r {
                for j in 0..<nOut {
                    let e = i * nOut + j
                    var s1 = abs(Double(bias[j]))
                    for p in 0..<nIn { s1 += abs(Double(x[i * nIn + p]) * Double(w[p * nOut + j])) }
                    let tolZ = 2 * Double(nIn + 1) * DenseParityTests.eps * s1
                    XCTAssertEqual(Double(z[0][e]), Double(z[1][e]), accuracy: tolZ, "\(act) Z[\(i),\(j)]")
                    XCTAssertEqual(Double(h[0][e]), Double(h[1][e]), accuracy: tolZ + 4 * Double(abs(h[0][e]).ulp), "\(act) H[\(i),\(j)]")
                    // dZ = (dZn·Wnextᵀ) ⊙ act'(H): H differs slightly, so allow for both sources.
                    var s2 = 0.0, g = 0.0
                    for p in 0..<kNext {
                        s2 += abs(Double(dZn[i * kNext + p]) * Double(wNext[j * kNext + p]))
                        g += Double(dZn[i * kNext + p]) * Double(wNext[j * kNext + p])
                    }
                    let dh = abs(Double(h[0][e]) - Double(h[1][e]))
                    let tolD = 2 * Double(kNext) * DenseParityTests.eps * s2 * 2 + 2 * dh * abs(g) + 1e-12
                    XCTAssertEqual(Double(dz[0][e]), Double(dz[1][e]), accuracy: tolD, "\(act) dZ[\(i),\(j)]")
                    let tolE = 2 * dh * abs(Double(dH[e])) + 2 * Double(abs(dzElem[0][e]).ulp)
                    XCTAssertEqual(Double(dzElem[0][e]), Double(dzElem[1][e]), accuracy: tolE, "\(act) dH⊙act'[\(i),\(j)]")
                }
            }
            // Derivative formulas against finite differences on the host.
            for zv: Float in [-1.5, -0.3, 0.2, 0.9] {
                let hv = act.apply(zv)
                let fd = (Double(act.apply(zv + 1e-3)) - Double(act.apply(zv - 1e-3))) / 2e-3
                XCTAssertEqual(Double(act.derivative(output: hv)), fd, accuracy: 1e-3, "\(act) derivative at \(zv)")
            }
        }
    }

    func testActivationAgreesWithinAFewUlpInPlaceToo() throws {
        let cl = try opencl()
        let rows = 37, cols = 53   // 1961 entries: not a multiple of the 64-item launch
        let x = TestData.uniform(rows * cols, seed: 41).map { $0 * 6 }
        for act in DenseActivation.allCases {
            var out: [[Float]] = []
            for ops in [cpu, cl] as [any DenseOps] {
                let X = try ops.upload(x, rows: rows, cols: cols), Y = try ops.allocate(rows: rows, cols: cols)
                try ops.activation(X, act, into: Y)
                try ops.activation(X, act, into: X)
                let y = try ops.download(Y)
                XCTAssertEqual(y, try ops.download(X), "\(act): in place equals out of place (\(ops.label))")
                out.append(y)
            }
            for (e, v) in x.enumerated() {
                XCTAssertEqual(Double(out[0][e]), Double(act.apply(v)), accuracy: 2 * Double(abs(act.apply(v)).ulp) + 1e-30, "\(act): the CPU applies the host formula")
                XCTAssertEqual(Double(out[0][e]), Double(out[1][e]), accuracy: 4 * Double(abs(out[0][e]).ulp) + 1e-30, "\(act)(\(v))")
            }
        }
    }

    func testElementwiseHelpersAgreeExactly() throws {
        let cl = try opencl()
        let rows = 77, cols = 19
        let x = TestData.uniform(rows * cols, seed: 11), t = TestData.uniform(rows * cols, seed: 12)
        let idx: [Int32] = (0..<50).map { Int32(($0 * 31 + 7) % rows) }
        var sums: [[Float]] = [], gathered: [[Float]] = [], grads: [[Float]] = [], sq: [[Float]] = []
        var sos: [Double] = [], sos2: [Double] = []
        for ops in [cpu, cl] as [any DenseOps] {
            let X = try ops.upload(x, rows: rows, cols: cols), T = try ops.upload(t, rows: rows, cols: cols)
            let S = try ops.allocate(rows: 1, cols: cols)
            try ops.columnSums(X, into: S)
            sums.append(try ops.download(S))
            let G = try ops.allocate(rows: idx.count, cols: cols)
            try ops.gatherRows(X, indices: idx, into: G)
            gathered.append(try ops.download(G))
            let D = try ops.allocate(rows: rows, cols: cols), Q = try ops.allocate(rows: rows, cols: cols)
            try ops.mseGradient(prediction: X, target: T, scale: 0.37, gradient: D, squaredError: Q)
            grads.append(try ops.download(D)); sq.append(try ops.download(Q))
            sos.append(try ops.sumOfSquares(X, minus: T))
            sos2.append(try ops.sumOfSquares(X.rows(3, 40), minus: nil))
        }
        XCTAssertEqual(sums[0], sums[1])
        XCTAssertEqual(gathered[0], gathered[1])
        XCTAssertEqual(gathered[0][0..<cols].map { $0 }, Array(x[(7 * cols)..<(8 * cols)]))
        XCTAssertEqual(grads[0], grads[1])
        XCTAssertEqual(sq[0], sq[1])
        let exact = zip(x, t).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        XCTAssertEqual(sos[0], exact, accuracy: 1e-9 * exact)
        XCTAssertEqual(sos[1], exact, accuracy: 1e-5 * exact)
        XCTAssertEqual(sos2[0], sos2[1], accuracy: 1e-5 * sos2[0])
        // Above the host's threshold for splitting over cores (and its eight-lane loop), in place.
        let big1 = TestData.uniform(100_003, seed: 14), big2 = TestData.uniform(100_003, seed: 15)
        var inPlace: [[Float]] = []
        for ops in [cpu, cl] as [any DenseOps] {
            let P = try ops.upload(big1, rows: 1, cols: big1.count), T = try ops.upload(big2, rows: 1, cols: big2.count)
            try ops.mseGradient(prediction: P, target: T, scale: 2, gradient: P, squaredError: nil)
            inPlace.append(try ops.download(P))
        }
        XCTAssertEqual(inPlace[0], inPlace[1])
        XCTAssertEqual(inPlace[0][100_002], 2 * (big1[100_002] - big2[100_002]))
        // A large reduction (grid-stride loop over many groups).
        let big = TestData.uniform(300_001, seed: 13)
        let ref = big.reduce(0.0) { $0 + Double($1) * Double($1) }
        let dev = try cl.sumOfSquares(try cl.upload(big, rows: 1, cols: big.count), minus: nil)
        XCTAssertEqual(dev, ref, accuracy: 1e-5 * ref)
    }

    func testAdamStepAgrees() throws {
        let cl = try opencl()
        let n = 1000
        let p0 = TestData.uniform(n, seed: 21), gs = (0..<5).map { TestData.uniform(n, seed: 30 + UInt64($0)).map { $0 * 0.01 } }
        var finals: [[Float]] = [], ms: [[Float]] = [], vs: [[Float]] = [], firstStep: [[Float]] = []
        for ops in [cpu, cl] as [any DenseOps] {
            let P = try ops.upload(p0, rows: 1, cols: n), G = try ops.allocate(rows: 1, cols: n)
            let M = try ops.allocate(rows: 1, cols: n), V = try ops.allocate(rows: 1, cols: n)
            for (t, g) in gs.enumerated() {
                try ops.write(g, into: G)
                try ops.adamStep(parameters: P, gradients: G, m: M, v: V,
                                 AdamStep(learningRate: 1e-2, weightDecay: 0.1, decayCount: 600, step: t + 1))
                if t == 0 { firstStep.append(try ops.download(M) + ops.download(V)) }
            }
            finals.append(try ops.download(P)); ms.append(try ops.download(M)); vs.append(try ops.download(V))
        }
        // Step 1 starts from equal parameters: the moments are the same float operations, bit for bit.
        XCTAssertEqual(zip(firstStep[0], firstStep[1]).filter { $0 != $1 }.count, 0, "moments after step 1 differ")
        // Later steps see parameters that may differ by the device's sqrt/divide rounding (a few ulp).
        /// Elements with |a − b| > 1e-6·(|a| + max|a|).
        func mismatches(_ a: [Float], _ b: [Float]) -> Int {
            let scale = a.map { abs($0) }.max() ?? 0
            return zip(a, b).filter { abs($0 - $1) > 1e-6 * (abs($0) + scale) }.count
        }
        XCTAssertEqual(mismatches(ms[0], ms[1]), 0, "first moments")
        XCTAssertEqual(mismatches(vs[0], vs[1]), 0, "second moments")
        for i in 0..<n { XCTAssertEqual(finals[0][i], finals[1][i], accuracy: 1e-6 * abs(finals[0][i]) + 1e-9) }
        // First step of Adam moves each parameter by ≈ lr against the gradient's sign (no decay part).
        let P = try cpu.upload(p0, rows: 1, cols: n), G = try cpu.upload(gs[0], rows: 1, cols: n)
        let M = try cpu.allocate(rows: 1, cols: n), V = try cpu.allocate(rows: 1, cols: n)
        try cpu.adamStep(parameters: P, gradients: G, m: M, v: V, AdamStep(learningRate: 1e-2, step: 1))
        let p1 = try cpu.download(P)
        for i in 0..<n where abs(gs[0][i]) > 1e-5 {
            XCTAssertEqual(p1[i] - p0[i], gs[0][i] > 0 ? -1e-2 : 1e-2, accuracy: 1e-5)
        }
    }

    func testMismatchedOperandsAreRefused() throws {
        let cl = try opencl()
        let a = try cpu.allocate(rows: 2, cols: 3), b = try cpu.allocate(rows: 4, cols: 2), c = try cpu.allocate(rows: 2, cols: 2)
        XCTAssertThrowsError(try cpu.gemm(transA: false, transB: false, alpha: 1, a, b, beta: 0, c))
        let d = try cl.allocate(rows: 3, cols: 2), c3 = try cl.allocate(rows: 3, cols: 3)
        XCTAssertThrowsError(try cl.gemm(transA: false, transB: false, alpha: 1, d, a, beta: 0, c3)) { e in
            XCTAssertTrue("\(e)".contains("another DenseOps"), "\(e)")
        }
        XCTAssertThrowsError(try cpu.gatherRows(a, indices: [0, 5], into: c))
    }
}
