import Foundation
import WMCore

/// M feedback networks stepped and trained together on an OpenCL device (`Kernels/feedback.cl`
/// and `rls.cl`), the batched twin of `FeedbackRunner`: the same step order, the same learning
/// rule, one task stream shared by the batch. State and fixed weights are float; readouts, P and
/// W double where the device has fp64. On steps where a mask is set the M outputs come back to
/// the host (errors and observers); otherwise nothing is transferred.
public final class OpenCLFeedbackRunner: FeedbackBatchRunner, @unchecked Sendable {
    public let networks: [FeedbackNetwork]
    /// Global step index.
    public private(set) var step = 0
    /// Per network, the step at which training failed and why.
    public private(set) var failures: [(step: Int, reason: String)?]
    public private(set) var updateCounts: [(output: Int, dummy: Int)]
    public var networkCount: Int { m }
    /// Dense float g·Jᵀ per step; the whole P (double with fp64) per update.
    public var traffic: FeedbackTraffic { FeedbackTraffic(stepBytes: n * n * 4, updateBytes: 3 * n * n * (pw.isDouble ? 8 : 4)) }

    let backend: OpenCLBackend
    private let n: Int, m: Int
    private let gJT: CLBuffer, wi: CLBuffer, wf: CLBuffer, wfd: CLBuffer, x: CLBuffer, z: CLBuffer, zd: CLBuffer
    private var rA: CLBuffer, rB: CLBuffer
    private let pw: OpenCLRLSBatch, pd: OpenCLRLSBatch
    private let stepKernel: CLKernel, readoutKernel: CLKernel
    private let a: Float

    /// A batch of networks of one N and one dt/τ, each at its initial state, Pw = Pd = I/α.
    public init(backend: OpenCLBackend, networks: [FeedbackNetwork], alpha: Double) throws {
        guard let first = networks.first else { throw WMError.invalidParameter(name: "networks", value: "[]", expected: "at least one") }
        for net in networks {
            try net.spec.validate()
            guard net.spec.n == first.spec.n, net.spec.dt / net.spec.tau == first.spec.dt / first.spec.tau else {
                throw WMError.incompatibleEnsemble("networks of one batch share N and dt/τ")
            }
        }
        let n = first.spec.n, m = networks.count
        let info = backend.device.info
        try backend.feedbackMemory(networks: m, n: n, pg: networks.map(\.spec.pg).max() ?? 1)
            .check(capabilities: backend.capabilities, what: "FORCE training of \(m) network(s) of N = \(n)")
        self.backend = backend
        self.networks = networks
        self.n = n
        self.m = m
        a = Float(first.spec.dt / first.spec.tau)
        failures = Array(repeating: nil, count: m)
        updateCounts = Array(repeating: (0, 0), count: m)
        pw = try OpenCLRLSBatch(backend: backend, networks: m, n: n, outputs: 1, alpha: alpha)
        pd = try OpenCLRLSBatch(backend: backend, networks: m, n: n, outputs: FeedbackNetworkSpec.dummies, alpha: alpha)
        var jt = [Float](repeating: 0, count: m * n * n)
        for (mm, net) in networks.enumerated() {
            let j = net.recurrent, g = Float(net.spec.g)
            for i in 0..<n {
                for q in Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1]) { jt[(mm * n + Int(j.colIndex[q])) * n + i] = g * j.values[q] }
            }
        }
        let ctx = backend.context
        gJT = try CLBuffer(context: ctx, copying: jt)
        wi = try CLBuffer(context: ctx, copying: networks.flatMap(\.input))
        wf = try CLBuffer(context: ctx, copying: networks.flatMap(\.feedback))
        wfd = try CLBuffer(context: ctx, copying: networks.flatMap(\.dummyFeedback))
        let x0 = networks.flatMap(\.initialState)
        x = try CLBuffer(context: ctx, copying: x0)
        rA = try CLBuffer(context: ctx, copying: x0.map { Foundation.tanh($0) })
        rB = try CLBuffer(context: ctx, bytes: m * n * 4)
        let size = pw.isDouble ? 8 : 4
        z = try CLBuffer(context: ctx, bytes: m * size)
        zd = try CLBuffer(context: ctx, bytes: m * 2 * size)
        // Untrained readouts are zero, so z = zd = 0 at the start (as on the host).
        try z.fillZero(queue: backend.queue)
        try zd.fillZero(queue: backend.queue)
        let options = KernelLibrary.options(index16: false, fp64: info.hasFP64) + (pw.isDouble ? " -DRLS_DOUBLE" : "")
        let program = try backend.program(families: [.feedback], options: options)
        stepKernel = try program.kernel("fb_step")
        readoutKernel = try program.kernel("fb_readout")
    }

    private static func round(_ x: Int, _ k: Int) -> Int { (x + k - 1) / k * k }

    private func readDouble(_ b: CLBuffer, count: Int) throws -> [Double] {
        pw.isDouble ? try b.read(Double.self, count: count, queue: backend.queue)
            : try b.read(Float.self, count: count, queue: backend.queue).map(Double.init)
    }

    /// Runs `count` steps of every network with the shared inputs `input` ([count][2]), learning
    /// from `teacher` when given. `observe(s, z, zd)` gets every network's outputs (`[M]`,
    /// `[M][2]`) on the steps where a mask of the teacher is set (every step without a teacher).
    public func run(count: Int, input u: [Float], teacher: FeedbackRunner.Teacher?,
                    observe: ((Int, [Double], [Double]) -> Void)?) throws {
        let q = backend.queue, n32 = Int32(n), m32 = Int32(m)
        for s in 0..<count {
            try stepKernel.setArg(0, n32); try stepKernel.setArg(1, m32); try stepKernel.setArg(2, a)
            try stepKernel.setArg(3, u[2 * s]); try stepKernel.setArg(4, u[2 * s + 1])
            try stepKernel.setArg(5, gJT); try stepKernel.setArg(6, wi); try stepKernel.setArg(7, wf); try stepKernel.setArg(8, wfd)
            try stepKernel.setArg(9, z); try stepKernel.setArg(10, zd); try stepKernel.setArg(11, x)
            try stepKernel.setArg(12, rA); try stepKernel.setArg(13, rB)
            try q.enqueue(stepKernel, global: [Self.round(n, 64), m], local: [64, 1])
            swap(&rA, &rB)
            try computeOutputs()
            let masked = teacher.map { $0.outputMask[s] || $0.dummyMask[s] } ?? true
            if masked && (observe != nil || teacher != nil) {
                let zs = try readDouble(z, count: m), zds = try readDouble(zd, count: 2 * m)
                observe?(s, zs, zds)
                if let t = teacher, step % t.every == 0, step >= t.every {
                    let live = failures.map { $0 == nil }
                    if t.dummyMask[s] {
                        let e = (0..<(2 * m)).map { zds[$0] - Double(t.dummyTarget[2 * s + $0 % 2]) }
                        record(try pd.update(ratesOnDevice: rA, errors: e, apply: live), apply: live, dummy: true)
                    }
                    if t.outputMask[s] {
                        let e = zs.map { $0 - Double(t.target[s]) }
                        let alive = failures.map { $0 == nil }
                        record(try pw.update(ratesOnDevice: rA, errors: e, apply: alive), apply: alive, dummy: false)
                    }
                }
            }
            step += 1
        }
        try q.finish()
    }

    private func record(_ outcome: [RecursiveLeastSquares.Failure?], apply: [Bool], dummy: Bool) {
        for (mm, f) in outcome.enumerated() where apply[mm] {
            if let f {
                if failures[mm] == nil { failures[mm] = (step, "\(f)") }
            } else if dummy {
                updateCounts[mm].dummy += 1
            } else {
                updateCounts[mm].output += 1
            }
        }
    }

    /// Recomputes z and zd from the current rates.
    private func computeOutputs() throws {
        try readoutKernel.setArg(0, Int32(n)); try readoutKernel.setArg(1, Int32(m)); try readoutKernel.setArg(2, rA)
        try readoutKernel.setArg(3, pw.w); try readoutKernel.setArg(4, pd.w); try readoutKernel.setArg(5, z); try readoutKernel.setArg(6, zd)
        try backend.queue.enqueue(readoutKernel, global: [m])
    }

    public func setStates(_ states: [Double]) throws {
        guard states.count == m * n else { throw WMError.invalidParameter(name: "states", value: "\(states.count) values", expected: "\(m) × \(n)") }
        let xs = states.map(Float.init)
        try x.write(xs, queue: backend.queue)
        try rA.write(xs.map { Foundation.tanh($0) }, queue: backend.queue)
        try computeOutputs()
        try backend.queue.finish()
    }

    public func states() throws -> [Double] { try x.read(Float.self, count: m * n, queue: backend.queue).map(Double.init) }

    public func trainedNetworks() throws -> [FeedbackNetwork] {
        let (wo, wd) = try readouts()
        return networks.enumerated().map { mm, net in
            var t = net
            t.output = Array(wo[(mm * n)..<((mm + 1) * n)])
            t.dummyOutput = Array(wd[(2 * mm * n)..<(2 * (mm + 1) * n)])
            return t
        }
    }

    /// The state x, `[M][N]`.
    public func state() throws -> [Float] { try x.read(Float.self, count: m * n, queue: backend.queue) }

    /// The trained readouts: wo `[M][N]` and wd `[M][N][2]`, in double.
    public func readouts() throws -> (output: [Double], dummy: [Double]) {
        (try pw.matrices().weights, try pd.matrices().weights)
    }
}
