import Foundation
import WMCore

/// `RLSBatch` on an OpenCL device (`Kernels/rls.cl`): P and W of every network stay on the device;
/// an update uploads the rates and errors, computes k = P r and the denominators, downloads the
/// M denominators to decide which networks may update, then applies the rank-1 updates.
/// P is double on devices with fp64 (as the CPU reference), float otherwise.
public final class OpenCLRLSBatch: RLSBatch, @unchecked Sendable {
    public let networks: Int, n: Int, outputs: Int
    public let precision: String
    let backend: OpenCLBackend
    private let double: Bool
    private let p: CLBuffer, k: CLBuffer, d: CLBuffer, r: CLBuffer, e: CLBuffer, active: CLBuffer
    /// The readouts W, `[M][N][outputs]` in the batch's precision (read by the feedback step).
    let w: CLBuffer
    /// Whether P and W are double.
    var isDouble: Bool { double }
    private let gemv: CLKernel, denominator: CLKernel, rank1: CLKernel, weights: CLKernel
    private let lock = NSLock()

    /// `double`: nil picks double where the device has fp64.
    public init(backend: OpenCLBackend, networks: Int, n: Int, outputs: Int, alpha: Double, double: Bool? = nil) throws {
        try Self.checkShape(networks: networks, n: n, outputs: outputs, alpha: alpha)
        let info = backend.device.info
        let useDouble = double ?? info.hasFP64
        if useDouble && !info.hasFP64 { throw WMError.unsupported("double-precision RLS on \(info.deviceName), which has no fp64") }
        self.backend = backend
        self.networks = networks
        self.n = n
        self.outputs = outputs
        self.double = useDouble
        precision = useDouble ? "double" : "float"
        let size = useDouble ? 8 : 4
        let pBytes = networks * n * n * size
        try MemoryCheck.device(bytes: pBytes, device: info, what: "\(networks) inverse-correlation matrices P of N = \(n) (\(precision))")
        guard pBytes <= Int(info.globalMemBytes) / 2 else {
            throw WMError.insufficientMemory(needed: pBytes, available: Int(info.globalMemBytes) / 2, what: "P of \(networks) networks on \(info.deviceName) (half its memory)")
        }
        let options = KernelLibrary.options(index16: false, fp64: info.hasFP64) + (useDouble ? " -DRLS_DOUBLE" : "")
        let program = try backend.program(families: [.rls], options: options)
        gemv = try program.kernel("rls_gemv")
        denominator = try program.kernel("rls_denominator")
        rank1 = try program.kernel("rls_rank1")
        weights = try program.kernel("rls_weights")
        let ctx = backend.context
        var identity = [Double](repeating: 0, count: networks * n * n)
        for m in 0..<networks { for i in 0..<n { identity[(m * n + i) * n + i] = 1 / alpha } }
        p = useDouble ? try CLBuffer(context: ctx, copying: identity) : try CLBuffer(context: ctx, copying: identity.map(Float.init))
        w = try CLBuffer(context: ctx, bytes: networks * n * outputs * size)
        try w.fillZero(queue: backend.queue)
        k = try CLBuffer(context: ctx, bytes: networks * n * size)
        d = try CLBuffer(context: ctx, bytes: networks * size)
        r = try CLBuffer(context: ctx, bytes: networks * n * 4)
        e = try CLBuffer(context: ctx, bytes: networks * outputs * size)
        active = try CLBuffer(context: ctx, bytes: networks * 4)
    }

    private static func round(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

    public func update(rates: [Float], errors: [Double], apply: [Bool]) throws -> [RecursiveLeastSquares.Failure?] {
        try checkUpdate(rates: rates, errors: errors, apply: apply)
        lock.lock()
        defer { lock.unlock() }
        try r.write(rates, queue: backend.queue)
        return try update(ratesOnDevice: r, errors: errors, apply: apply)
    }

    /// An update with rates already on the device (`[M][N]` floats); the caller holds the lock or
    /// owns the batch.
    func update(ratesOnDevice r: CLBuffer, errors: [Double], apply: [Bool]) throws -> [RecursiveLeastSquares.Failure?] {
        let q = backend.queue, n32 = Int32(n), m32 = Int32(networks)
        if double { try e.write(errors, queue: q) } else { try e.write(errors.map(Float.init), queue: q) }
        try gemv.setArg(0, n32); try gemv.setArg(1, m32); try gemv.setArg(2, p); try gemv.setArg(3, r); try gemv.setArg(4, k)
        try q.enqueue(gemv, global: [Self.round(n, 64), networks], local: [64, 1])
        try denominator.setArg(0, n32); try denominator.setArg(1, m32); try denominator.setArg(2, r); try denominator.setArg(3, k); try denominator.setArg(4, d)
        try q.enqueue(denominator, global: [networks])
        let ds: [Double] = double ? try d.read(Double.self, count: networks, queue: q) : try d.read(Float.self, count: networks, queue: q).map(Double.init)
        var out = [RecursiveLeastSquares.Failure?](repeating: nil, count: networks)
        var flags = [Int32](repeating: 0, count: networks)
        for m in 0..<networks where apply[m] {
            let em = Array(errors[(m * outputs)..<((m + 1) * outputs)])
            if !(ds[m] > 0 && ds[m].isFinite) {
                out[m] = .notPositiveDefinite(denominator: ds[m])
            } else if !em.allSatisfy(\.isFinite) {
                out[m] = .nonFiniteError(em)
            } else {
                flags[m] = 1
            }
        }
        guard flags.contains(1) else { return out }
        try active.write(flags, queue: q)
        try rank1.setArg(0, n32); try rank1.setArg(1, m32); try rank1.setArg(2, p); try rank1.setArg(3, k); try rank1.setArg(4, d); try rank1.setArg(5, active)
        try q.enqueue(rank1, global: [Self.round(n, 16), Self.round(n, 16), networks], local: [16, 16, 1])
        try weights.setArg(0, n32); try weights.setArg(1, m32); try weights.setArg(2, Int32(outputs)); try weights.setArg(3, w)
        try weights.setArg(4, k); try weights.setArg(5, d); try weights.setArg(6, e); try weights.setArg(7, active)
        try q.enqueue(weights, global: [Self.round(n, 64), networks], local: [64, 1])
        try q.finish()
        return out
    }

    public func matrices() throws -> (p: [Double], weights: [Double]) {
        lock.lock()
        defer { lock.unlock() }
        let q = backend.queue
        if double {
            return (try p.read(Double.self, count: networks * n * n, queue: q), try w.read(Double.self, count: networks * n * outputs, queue: q))
        }
        return (try p.read(Float.self, count: networks * n * n, queue: q).map(Double.init),
                try w.read(Float.self, count: networks * n * outputs, queue: q).map(Double.init))
    }
}
