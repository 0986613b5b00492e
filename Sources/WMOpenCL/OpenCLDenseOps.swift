import Foundation
import WMCore

/// A device buffer for `OpenCLDenseOps`.
public final class OpenCLDenseStorage: DenseStorage, @unchecked Sendable {
    public let count: Int
    public let buffer: CLBuffer

    init(buffer: CLBuffer, count: Int) {
        self.buffer = buffer
        self.count = count
    }
}

/// `DenseOps` on an OpenCL device, with the kernels of `Kernels/dense.cl`: tiled SGEMM (16×16
/// work-groups, 2×4 outputs per work-item, local-memory tiles)
/// (NN/NT/TN/TT), a forward GEMM with fused bias and activation, a backward GEMM with the
/// activation derivative fused, and element-wise helpers. Work is enqueued on the backend's
/// in-order queue; `download` and `sumOfSquares` wait for it.
///
/// Kernel arguments are shared state, so every launch holds this object's lock.
public final class OpenCLDenseOps: DenseOps, @unchecked Sendable {
    public let backend: OpenCLBackend
    public let label: String
    let program: CLProgram
    private let lock = NSLock()
    private let gemmKernels: [CLKernel]  // nn, nt, tn, tt
    private let forwardKernel: CLKernel
    private let backwardKernel: CLKernel
    private let actBackwardKernel: CLKernel
    private let activationKernel: CLKernel
    private let colsumKernel: CLKernel
    private let gatherKernel: CLKernel
    private let mseKernel: CLKernel
    private let adamKernel: CLKernel
    private let sumsqKernel: CLKernel
    private let reduceLocal: Int
    private var indexBuffer: CLBuffer?
    private var partialBuffer: CLBuffer?
    /// A 4-byte buffer bound to unused pointer arguments.
    private let dummy: CLBuffer

    static let tile = 16
    static let rowsPerItem = 2
    static let colsPerItem = 4
    static let reduceGroups = 64

    /// Builds (or reuses) the backend's `dense` program and creates its kernels.
    /// - Throws: `WMError.unsupported` when the device cannot run 16×16 work-groups;
    ///   `CLBuildError`/`CLError` otherwise.
    public init(backend: OpenCLBackend) throws {
        self.backend = backend
        let info = backend.device.info
        label = "opencl: \(info.deviceName)"
        let program = try backend.program(families: [.dense], options: KernelLibrary.options(index16: true, fp64: info.hasFP64))
        self.program = program
        guard info.maxWorkGroupSize >= OpenCLDenseOps.tile * OpenCLDenseOps.tile else {
            throw WMError.unsupported("device '\(info.deviceName)' allows work-groups of \(info.maxWorkGroupSize) items; the dense kernels need 256")
        }
        gemmKernels = try ["dense_gemm_nn", "dense_gemm_nt", "dense_gemm_tn", "dense_gemm_tt"].map { try program.kernel($0) }
        forwardKernel = try program.kernel("dense_forward_nn")
        backwardKernel = try program.kernel("dense_backward_nt")
        actBackwardKernel = try program.kernel("mlp_act_backward")
        activationKernel = try program.kernel("dense_activation")
        colsumKernel = try program.kernel("dense_colsum")
        gatherKernel = try program.kernel("dense_gather_rows")
        mseKernel = try program.kernel("mlp_mse_grad")
        adamKernel = try program.kernel("mlp_adam")
        sumsqKernel = try program.kernel("dense_sumsq_partial")
        var l = 1
        let limit = min(256, try sumsqKernel.workGroupInfo().maxWorkGroupSize)
        while l * 2 <= limit { l *= 2 }
        reduceLocal = l
        dummy = try CLBuffer(context: backend.context, bytes: 4)
    }

    // MARK: helpers

    private enum Arg {
        case buffer(CLBuffer)
        case int(Int32)
        case float(Float)
        case local(Int)
    }

    private func buf(_ m: DenseMatrix) throws -> CLBuffer {
        guard let s = m.storage as? OpenCLDenseStorage else {
            throw WMError.unsupported("a DenseMatrix made by another DenseOps (\(type(of: m.storage))) was passed to OpenCLDenseOps")
        }
        guard s.buffer.context === backend.context else {
            throw WMError.unsupported("a DenseMatrix from another OpenCL context was passed to OpenCLDenseOps")
        }
        return s.buffer
    }

    private func i32(_ v: Int, _ what: String) throws -> Int32 {
        guard v >= 0, v < Int(Int32.max) else { throw DenseShape.fail(what, "\(v)", "0..<2³¹ (32-bit kernel indices)") }
        return Int32(v)
    }

    /// The (buffer, offset) argument pair of a matrix.
    private func mat(_ m: DenseMatrix) throws -> [Arg] {
        _ = try i32(m.offset + m.count, "matrix extent")
        return [.buffer(try buf(m)), .int(Int32(m.offset))]
    }

    private func launch(_ k: CLKernel, _ args: [Arg], global: [Int], local: [Int]?) throws {
        lock.lock()
        defer { lock.unlock() }
        for (i, a) in args.enumerated() {
            switch a {
            case .buffer(let b): try k.setArg(i, b)
            case .int(let v): try k.setArg(i, v)
            case .float(let v): try k.setArg(i, v)
            case .local(let bytes): try k.setLocal(i, bytes: bytes)
            }
        }
        try backend.queue.enqueue(k, global: global, local: local)
    }

    private static func roundUp(_ n: Int, _ m: Int) -> Int { (n + m - 1) / m * m }

    /// 1-D launch over n items (rounded up to a multiple of 64; the kernels bound-check).
    private func launch1D(_ k: CLKernel, _ args: [Arg], n: Int) throws {
        guard n > 0 else { return }
        try launch(k, args, global: [OpenCLDenseOps.roundUp(n, 64)], local: nil)
    }

    /// NDRange of the tiled kernels: 16 × 16 work-items per group, each computing 2 × 4 outputs,
    /// so a group covers 32 rows × 64 columns of C (DENSE_RM, DENSE_RN in dense.cl).
    private func tiles(m: Int, n: Int) -> (global: [Int], local: [Int]) {
        let t = OpenCLDenseOps.tile
        let groupsX = (n + t * OpenCLDenseOps.colsPerItem - 1) / (t * OpenCLDenseOps.colsPerItem)
        let groupsY = (m + t * OpenCLDenseOps.rowsPerItem - 1) / (t * OpenCLDenseOps.rowsPerItem)
        return ([groupsX * t, groupsY * t], [t, t])
    }

    // MARK: memory

    public func allocate(rows: Int, cols: Int) throws -> DenseMatrix {
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard rows >= 0, cols >= 0, !overflow else { throw DenseShape.fail("matrix size", "\(rows)×\(cols)", "non-negative sizes") }
        let b = try CLBuffer(context: backend.context, bytes: count * 4)
        try b.fillZero(queue: backend.queue)
        return DenseMatrix(storage: OpenCLDenseStorage(buffer: b, count: count), offset: 0, rows: rows, cols: cols)
    }

    public func upload(_ values: [Float], rows: Int, cols: Int) throws -> DenseMatrix {
        guard rows >= 0, cols >= 0, values.count == rows * cols else {
            throw DenseShape.fail("upload", "\(values.count) values", "\(rows)×\(cols)")
        }
        let b = try CLBuffer(context: backend.context, copying: values)
        return DenseMatrix(storage: OpenCLDenseStorage(buffer: b, count: values.count), offset: 0, rows: rows, cols: cols)
    }

    public func write(_ values: [Float], into m: DenseMatrix) throws {
        try DenseShape.count("write", m, values.count)
        try buf(m).write(values, queue: backend.queue, offsetElements: m.offset)
    }

    public func download(_ m: DenseMatrix) throws -> [Float] {
        try buf(m).read(Float.self, count: m.count, queue: backend.queue, offsetElements: m.offset)
    }

    public func copy(_ src: DenseMatrix, into dst: DenseMatrix) throws {
        try DenseShape.count("copy", dst, src.count)
        // A device-side copy as a gemm-free gather would need a kernel; a round trip is simple and rare.
        try write(try download(src), into: dst)
    }

    // MARK: products

    public func gemm(transA: Bool, transB: Bool, alpha: Float, _ a: DenseMatrix, _ b: DenseMatrix,
                     beta: Float, _ c: DenseMatrix) throws {
        let (m, n, k) = try DenseShape.gemm(transA: transA, transB: transB, a, b, c)
        guard m > 0, n > 0 else { return }
        let kernel = gemmKernels[(transA ? 2 : 0) + (transB ? 1 : 0)]
        let args: [Arg] = [.int(try i32(m, "M")), .int(try i32(n, "N")), .int(try i32(k, "K")), .float(alpha)]
            + (try mat(a)) + (try mat(b)) + [.float(beta)] + (try mat(c))
        let g = tiles(m: m, n: n)
        try launch(kernel, args, global: g.global, local: g.local)
    }

    public func denseForward(_ x: DenseMatrix, _ w: DenseMatrix, bias: DenseMatrix, activation: DenseActivation,
                             h: DenseMatrix?, z: DenseMatrix?) throws {
        try DenseShape.forward(x, w, bias, h, z)
        let m = x.rows, n = w.cols, k = x.cols
        guard m > 0, n > 0 else { return }
        let dummyArgs: [Arg] = [.buffer(dummy), .int(0)]
        let args: [Arg] = [.int(try i32(m, "M")), .int(try i32(n, "N")), .int(try i32(k, "K"))]
            + (try mat(x)) + (try mat(w)) + (try mat(bias)) + [.int(activation.code)]
            + (try h.map { try mat($0) } ?? dummyArgs) + [.int(h == nil ? 0 : 1)]
            + (try z.map { try mat($0) } ?? dummyArgs) + [.int(z == nil ? 0 : 1)]
        let g = tiles(m: m, n: n)
        try launch(forwardKernel, args, global: g.global, local: g.local)
    }

    public func denseBackward(_ dZnext: DenseMatrix, _ w: DenseMatrix, activation: DenseActivation,
                              h: DenseMatrix, dZ: DenseMatrix) throws {
        try DenseShape.backward(dZnext, w, h, dZ)
        let m = dZ.rows, n = dZ.cols, k = dZnext.cols
        guard m > 0, n > 0 else { return }
        let args: [Arg] = [.int(try i32(m, "M")), .int(try i32(n, "N")), .int(try i32(k, "K"))]
            + (try mat(dZnext)) + (try mat(w)) + [.int(activation.code)] + (try mat(h)) + (try mat(dZ))
        let g = tiles(m: m, n: n)
        try launch(backwardKernel, args, global: g.global, local: g.local)
    }

    // MARK: element-wise

    public func activation(_ x: DenseMatrix, _ activation: DenseActivation, into y: DenseMatrix) throws {
        try DenseShape.same("activation X/Y", x, y)
        let args: [Arg] = [.int(try i32(x.count, "n"))] + (try mat(x)) + [.int(activation.code)] + (try mat(y))
        try launch1D(activationKernel, args, n: x.count)
    }

    public func activationBackward(dH: DenseMatrix, h: DenseMatrix, activation: DenseActivation, dZ: DenseMatrix) throws {
        try DenseShape.same("activationBackward dH/H", dH, h)
        try DenseShape.same("activationBackward dZ", dZ, h)
        let args: [Arg] = [.int(try i32(h.count, "n"))] + (try mat(dH)) + (try mat(h)) + [.int(activation.code)] + (try mat(dZ))
        try launch1D(actBackwardKernel, args, n: h.count)
    }

    public func columnSums(_ x: DenseMatrix, into out: DenseMatrix) throws {
        try DenseShape.count("columnSums output", out, x.cols)
        let args: [Arg] = [.int(try i32(x.rows, "rows")), .int(try i32(x.cols, "cols"))] + (try mat(x)) + (try mat(out))
        try launch1D(colsumKernel, args, n: x.cols)
    }

    public func gatherRows(_ src: DenseMatrix, indices: [Int32], into dst: DenseMatrix) throws {
        try DenseShape.gather(src, indices, dst)
        guard dst.count > 0 else { return }
        let idx: CLBuffer
        lock.lock()
        if let b = indexBuffer, b.byteCount >= indices.count * 4 {
            idx = b
        } else {
            do {
                idx = try CLBuffer(context: backend.context, bytes: indices.count * 4)
            } catch { lock.unlock(); throw error }
            indexBuffer = idx
        }
        lock.unlock()
        // Blocking write; the queue is in order, so an earlier gather has already read the old indices.
        try idx.write(indices, queue: backend.queue)
        let args: [Arg] = [.int(try i32(dst.rows, "rows")), .int(try i32(dst.cols, "cols"))] + (try mat(src))
            + [.buffer(idx)] + (try mat(dst))
        try launch1D(gatherKernel, args, n: dst.count)
    }

    public func mseGradient(prediction: DenseMatrix, target: DenseMatrix, scale: Float, gradient: DenseMatrix,
                            squaredError: DenseMatrix?) throws {
        try DenseShape.same("mseGradient target", prediction, target)
        try DenseShape.same("mseGradient gradient", prediction, gradient)
        if let s = squaredError { try DenseShape.count("mseGradient squaredError", s, prediction.count) }
        let args: [Arg] = [.int(try i32(prediction.count, "n"))] + (try mat(prediction)) + (try mat(target))
            + [.float(scale)] + (try mat(gradient))
            + (try squaredError.map { try mat($0) } ?? [.buffer(dummy), .int(0)]) + [.int(squaredError == nil ? 0 : 1)]
        try launch1D(mseKernel, args, n: prediction.count)
    }

    public func adamStep(parameters: DenseMatrix, gradients: DenseMatrix, m: DenseMatrix, v: DenseMatrix,
                         _ step: AdamStep) throws {
        try DenseShape.adam(parameters, gradients, m, v, step)
        let c = step.constants
        let args: [Arg] = [.int(try i32(parameters.count, "n"))] + (try mat(parameters)) + (try mat(gradients))
            + (try mat(m)) + (try mat(v))
            + [.float(c.lrc1), .float(c.c2), .float(c.b1), .float(c.omb1), .float(c.b2), .float(c.omb2),
               .float(c.eps), .float(c.wd), .int(Int32(clamping: step.decayCount))]
        try launch1D(adamKernel, args, n: parameters.count)
    }

    public func sumOfSquares(_ a: DenseMatrix, minus b: DenseMatrix?) throws -> Double {
        if let b { try DenseShape.count("sumOfSquares b", b, a.count) }
        guard a.count > 0 else { return 0 }
        let l = reduceLocal
        let groups = max(1, min(OpenCLDenseOps.reduceGroups, (a.count + l - 1) / l))
        lock.lock()
        let partials: CLBuffer
        if let p = partialBuffer {
            partials = p
        } else {
            do {
                partials = try CLBuffer(context: backend.context, bytes: OpenCLDenseOps.reduceGroups * 4)
            } catch { lock.unlock(); throw error }
            partialBuffer = partials
        }
        lock.unlock()
        let args: [Arg] = [.int(try i32(a.count, "n"))] + (try mat(a))
            + (try b.map { try mat($0) } ?? [.buffer(dummy), .int(0)]) + [.int(b == nil ? 0 : 1)]
            + [.buffer(partials), .local(l * 4)]
        try launch(sumsqKernel, args, global: [groups * l], local: [l])
        let host = try partials.read(Float.self, count: groups, queue: backend.queue)
        return host.reduce(0.0) { $0 + Double($1) }
    }

    public func finish() throws { try backend.queue.finish() }
}
