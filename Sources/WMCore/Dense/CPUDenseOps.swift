import CLAPACK
import Foundation

/// Host memory for `CPUDenseOps` (64-byte aligned, zero-filled).
public final class CPUDenseStorage: DenseStorage, @unchecked Sendable {
    public let count: Int
    let base: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        base = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
    }

    deinit { base.deallocate() }
}

/// Pointers handed to worker threads; each worker touches a disjoint range.
private struct SharedPointers: @unchecked Sendable {
    var p0: UnsafeMutablePointer<Float>
    var p1: UnsafeMutablePointer<Float>
    var p2: UnsafeMutablePointer<Float>
    var p3: UnsafeMutablePointer<Float>
}

/// The host reference: OpenBLAS `cblas_sgemm` for products, plain loops (split over the cores for
/// large element-wise work) for the rest, with the same float operations as `Kernels/dense.cl`
/// (no fma in element-wise code: Swift does not contract a·b + c, and the kernels use FP_CONTRACT OFF).
public final class CPUDenseOps: DenseOps, @unchecked Sendable {
    public let label = "cpu (OpenBLAS)"
    /// Element-wise work below this many elements stays on one thread.
    let parallelThreshold = 1 << 16
    /// Element-wise work never fans out (one instance per core).
    let singleThreaded: Bool

    /// `singleThreaded`: element-wise work stays on the calling thread (for one instance per core).
    public init(singleThreaded: Bool = false) {
        self.singleThreaded = singleThreaded
    }

    func ptr(_ m: DenseMatrix) throws -> UnsafeMutablePointer<Float> {
        guard let s = m.storage as? CPUDenseStorage else {
            throw WMError.unsupported("a DenseMatrix made by another DenseOps (\(type(of: m.storage))) was passed to CPUDenseOps")
        }
        return s.base + m.offset
    }

    /// Runs `body(range)` over 0..<n, on all cores when n is large.
    private func forRanges(_ n: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let workers = ProcessInfo.processInfo.activeProcessorCount
        if n < parallelThreshold || workers < 2 || singleThreaded {
            if n > 0 { body(0..<n) }
            return
        }
        let chunks = workers * 2
        let size = (n + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * size, hi = min(n, lo + size)
            if lo < hi { body(lo..<hi) }
        }
    }

    public func allocate(rows: Int, cols: Int) throws -> DenseMatrix {
        guard rows >= 0, cols >= 0, rows.multipliedReportingOverflow(by: cols).overflow == false else {
            throw DenseShape.fail("matrix size", "\(rows)×\(cols)", "non-negative sizes")
        }
        return DenseMatrix(storage: CPUDenseStorage(count: rows * cols), offset: 0, rows: rows, cols: cols)
    }

    public func upload(_ values: [Float], rows: Int, cols: Int) throws -> DenseMatrix {
        let m = try allocate(rows: rows, cols: cols)
        try write(values, into: m)
        return m
    }

    public func write(_ values: [Float], into m: DenseMatrix) throws {
        try DenseShape.count("write", m, values.count)
        let p = try ptr(m)
        values.withUnsafeBufferPointer { v in if let b = v.baseAddress { p.update(from: b, count: v.count) } }
    }

    public func download(_ m: DenseMatrix) throws -> [Float] {
        let p = try ptr(m)
        return Array(UnsafeBufferPointer(start: p, count: m.count))
    }

    public func copy(_ src: DenseMatrix, into dst: DenseMatrix) throws {
        try DenseShape.count("copy", dst, src.count)
        try ptr(dst).update(from: try ptr(src), count: src.count)
    }

    public func gemm(transA: Bool, transB: Bool, alpha: Float, _ a: DenseMatrix, _ b: DenseMatrix,
                     beta: Float, _ c: DenseMatrix) throws {
        let (m, n, k) = try DenseShape.gemm(transA: transA, transB: transB, a, b, c)
        try sgemm(transA, transB, m, n, k, alpha, try ptr(a), try ptr(b), beta, try ptr(c))
    }

    /// Row-major `cblas_sgemm` on raw pointers (handles the degenerate sizes itself).
    private func sgemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                       _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                       _ beta: Float, _ c: UnsafeMutablePointer<Float>) throws {
        guard m > 0, n > 0 else { return }
        guard max(m, n, k) < Int(Int32.max) else {
            throw DenseShape.fail("gemm size", "\(m)×\(n)×\(k)", "dimensions below 2³¹")
        }
        if k == 0 {  // C = β·C (BLAS semantics: C not read when β = 0)
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        let lda = ta ? m : k, ldb = tb ? k : n
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
    }

    public func denseForward(_ x: DenseMatrix, _ w: DenseMatrix, bias: DenseMatrix, activation: DenseActivation,
                             h: DenseMatrix?, z: DenseMatrix?) throws {
        try DenseShape.forward(x, w, bias, h, z)
        let rows = x.rows, cols = w.cols
        let zp = try z.map { try ptr($0) }, hp = try h.map { try ptr($0) }
        let out = zp ?? hp!
        try sgemm(false, false, rows, cols, x.cols, 1, try ptr(x), try ptr(w), 0, out)
        let sh = SharedPointers(p0: out, p1: try ptr(bias), p2: hp ?? out, p3: out)
        let storeH = hp != nil, storeZ = zp != nil
        let rowChunk = max(1, parallelThreshold / max(cols, 1))
        forRanges((rows + rowChunk - 1) / rowChunk) { chunks in
            for ch in chunks {
                for i in (ch * rowChunk)..<min(rows, (ch + 1) * rowChunk) {
                    let acc = sh.p0 + i * cols, hrow = sh.p2 + i * cols
                    if activation == .tanh {
                        // z = acc + b in place (or straight into h), then the vectorised tanh.
                        let zrow = storeZ ? acc : hrow
                        for j in 0..<cols { zrow[j] = acc[j] + sh.p1[j] }
                        if storeH { VectorMath.tanh(UnsafeBufferPointer(start: zrow, count: cols), into: UnsafeMutableBufferPointer(start: hrow, count: cols)) }
                        continue
                    }
                    for j in 0..<cols {
                        let zz = acc[j] + sh.p1[j]
                        if storeZ { acc[j] = zz }
                        if storeH { hrow[j] = activation.apply(zz) }
                    }
                }
            }
        }
    }

    public func denseBackward(_ dZnext: DenseMatrix, _ w: DenseMatrix, activation: DenseActivation,
                              h: DenseMatrix, dZ: DenseMatrix) throws {
        try DenseShape.backward(dZnext, w, h, dZ)
        let out = try ptr(dZ)
        try sgemm(false, true, dZ.rows, dZ.cols, dZnext.cols, 1, try ptr(dZnext), try ptr(w), 0, out)
        let sh = SharedPointers(p0: out, p1: try ptr(h), p2: out, p3: out)
        forRanges(dZ.count) { r in
            for i in r { sh.p0[i] = sh.p0[i] * activation.derivative(output: sh.p1[i]) }
        }
    }

    /// tanh runs vectorised (`VectorMath.tanh`, ≤ 1.3 ulp): the analysis applies it to every
    /// state of every start at every step.
    public func activation(_ x: DenseMatrix, _ activation: DenseActivation, into y: DenseMatrix) throws {
        try DenseShape.same("activation X/Y", x, y)
        let sh = SharedPointers(p0: try ptr(x), p1: try ptr(y), p2: try ptr(y), p3: try ptr(y))
        forRanges(x.count) { r in
            if activation == .tanh {
                VectorMath.tanh(UnsafeBufferPointer(start: sh.p0 + r.lowerBound, count: r.count),
                                into: UnsafeMutableBufferPointer(start: sh.p1 + r.lowerBound, count: r.count))
            } else {
                for i in r { sh.p1[i] = activation.apply(sh.p0[i]) }
            }
        }
    }

    public func activationBackward(dH: DenseMatrix, h: DenseMatrix, activation: DenseActivation, dZ: DenseMatrix) throws {
        try DenseShape.same("activationBackward dH/H", dH, h)
        try DenseShape.same("activationBackward dZ", dZ, h)
        let sh = SharedPointers(p0: try ptr(dZ), p1: try ptr(h), p2: try ptr(dH), p3: try ptr(dZ))
        forRanges(h.count) { r in
            for i in r { sh.p0[i] = sh.p2[i] * activation.derivative(output: sh.p1[i]) }
        }
    }

    public func columnSums(_ x: DenseMatrix, into out: DenseMatrix) throws {
        try DenseShape.count("columnSums output", out, x.cols)
        let xp = try ptr(x), op = try ptr(out), cols = x.cols
        // Row order per column, like dense_colsum: s_j = ((0 + x0j) + x1j) + …
        for j in 0..<cols { op[j] = 0 }
        for i in 0..<x.rows {
            let row = xp + i * cols
            for j in 0..<cols { op[j] = op[j] + row[j] }
        }
    }

    public func gatherRows(_ src: DenseMatrix, indices: [Int32], into dst: DenseMatrix) throws {
        try DenseShape.gather(src, indices, dst)
        let sp = try ptr(src), dp = try ptr(dst), cols = src.cols
        for (r, i) in indices.enumerated() {
            (dp + r * cols).update(from: sp + Int(i) * cols, count: cols)
        }
    }

    public func mseGradient(prediction: DenseMatrix, target: DenseMatrix, scale: Float, gradient: DenseMatrix,
                            squaredError: DenseMatrix?) throws {
        try DenseShape.same("mseGradient target", prediction, target)
        try DenseShape.same("mseGradient gradient", prediction, gradient)
        if let s = squaredError { try DenseShape.count("mseGradient squaredError", s, prediction.count) }
        let gp = try ptr(gradient), sp = try squaredError.map { try ptr($0) }
        let sh = SharedPointers(p0: try ptr(prediction), p1: try ptr(target), p2: gp, p3: sp ?? gp)
        let storeSquares = sp != nil
        forRanges(prediction.count) { r in
            // Eight lanes at a time, the same IEEE operations as the tail and mlp_mse_grad.
            typealias V = SIMD8<Float>
            let sv = V(repeating: scale)
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let d = UnsafeRawPointer(sh.p0 + i).loadUnaligned(as: V.self) - UnsafeRawPointer(sh.p1 + i).loadUnaligned(as: V.self)
                if storeSquares { UnsafeMutableRawPointer(sh.p3 + i).storeBytes(of: d * d, as: V.self) }
                UnsafeMutableRawPointer(sh.p2 + i).storeBytes(of: sv * d, as: V.self)
                i += 8
            }
            while i < r.upperBound {
                let d = sh.p0[i] - sh.p1[i]
                if storeSquares { sh.p3[i] = d * d }
                sh.p2[i] = scale * d
                i += 1
            }
        }
    }

    public func adamStep(parameters: DenseMatrix, gradients: DenseMatrix, m: DenseMatrix, v: DenseMatrix,
                         _ step: AdamStep) throws {
        try DenseShape.adam(parameters, gradients, m, v, step)
        let c = step.constants
        let decayCount = step.decayCount
        let sh = SharedPointers(p0: try ptr(parameters), p1: try ptr(gradients), p2: try ptr(m), p3: try ptr(v))
        forRanges(parameters.count) { r in
            // Eight lanes at a time with the same IEEE operations as the scalar tail (and as
            // mlp_adam in dense.cl): no fused multiply-adds.
            typealias V = SIMD8<Float>
            var i = r.lowerBound
            let decayEnd = Swift.min(Swift.max(decayCount, r.lowerBound), r.upperBound)
            func lanes(_ lo: Int, _ hi: Int, decay: Bool) {
                let b1 = V(repeating: c.b1), omb1 = V(repeating: c.omb1), b2 = V(repeating: c.b2), omb2 = V(repeating: c.omb2)
                let lrc1 = V(repeating: c.lrc1), c2 = V(repeating: c.c2), eps = V(repeating: c.eps), wd = V(repeating: c.wd)
                var k = lo
                while k + 8 <= hi {
                    let p = UnsafeRawPointer(sh.p0 + k).loadUnaligned(as: V.self)
                    var g = UnsafeRawPointer(sh.p1 + k).loadUnaligned(as: V.self)
                    if decay { g = g + wd * p }
                    let mm = b1 * UnsafeRawPointer(sh.p2 + k).loadUnaligned(as: V.self) + omb1 * g
                    let vv = b2 * UnsafeRawPointer(sh.p3 + k).loadUnaligned(as: V.self) + omb2 * (g * g)
                    UnsafeMutableRawPointer(sh.p2 + k).storeBytes(of: mm, as: V.self)
                    UnsafeMutableRawPointer(sh.p3 + k).storeBytes(of: vv, as: V.self)
                    UnsafeMutableRawPointer(sh.p0 + k).storeBytes(of: p - (lrc1 * mm) / ((c2 * vv).squareRoot() + eps), as: V.self)
                    k += 8
                }
                while k < hi {
                    let p = sh.p0[k]
                    var g = sh.p1[k]
                    if decay { g = g + c.wd * p }
                    let mm = c.b1 * sh.p2[k] + c.omb1 * g
                    let vv = c.b2 * sh.p3[k] + c.omb2 * (g * g)
                    sh.p2[k] = mm
                    sh.p3[k] = vv
                    sh.p0[k] = p - (c.lrc1 * mm) / ((c.c2 * vv).squareRoot() + c.eps)
                    k += 1
                }
            }
            lanes(i, decayEnd, decay: true)
            i = decayEnd
            lanes(i, r.upperBound, decay: false)
        }
    }

    public func sumOfSquares(_ a: DenseMatrix, minus b: DenseMatrix?) throws -> Double {
        if let b { try DenseShape.count("sumOfSquares b", b, a.count) }
        let ap = try ptr(a), bp = try b.map { try ptr($0) }
        var s = 0.0
        if let bp {
            for i in 0..<a.count { let d = Double(ap[i] - bp[i]); s += d * d }
        } else {
            for i in 0..<a.count { let d = Double(ap[i]); s += d * d }
        }
        return s
    }

    public func finish() throws {}
}

extension CPUDenseOps {
    /// Rows per part at least: a GEMM of fewer rows loses too much of OpenBLAS's rate.
    static let rowsPerPart = 64

    /// One part per core (at most 8, a SLURM task's `--cpus-per-task`), each of at least
    /// `rowsPerPart` rows; 1 inside a worker that is already single-threaded or while other
    /// work runs side by side (`SingleThreadedBLAS.isActive`), whose threads hold the cores.
    public func sideBySideParts(rows: Int) -> Int {
        guard !singleThreaded, !SingleThreadedBLAS.isActive else { return 1 }
        return Swift.max(1, Swift.min(HostWorkers.count(bytesPerWorker: 0), rows / Self.rowsPerPart))
    }

    /// Parts side by side, one core each with single-threaded BLAS and element-wise loops
    /// (`HostWorkers`, part i on worker i): one GEMM per part and no hand-over between BLAS
    /// threads and the element-wise workers at every operation, where OpenBLAS's idle threads spin.
    public func sideBySide<T: Sendable>(_ parts: Int, _ body: @Sendable (Int, any DenseOps) throws -> T) throws -> [T] {
        guard parts > 1, !singleThreaded else { return try (0..<Swift.max(0, parts)).map { try body($0, self) } }
        return try HostWorkers.map(parts, workers: parts) { i in try body(i, CPUDenseOps(singleThreaded: true)) }
    }

    /// Runs `body` on `workers` threads at once, each with its own single-threaded ops, while
    /// OpenBLAS runs on one thread (restored afterwards): many small independent problems (one
    /// MLP per network) use the cores better this way than one problem with BLAS threads.
    public static func concurrentWorkers(_ workers: Int, _ body: @Sendable (CPUDenseOps) -> Void) {
        SingleThreadedBLAS.run {
            DispatchQueue.concurrentPerform(iterations: Swift.max(1, workers)) { _ in body(CPUDenseOps(singleThreaded: true)) }
        }
    }
}

