import CLAPACK
import Foundation

/// Runs one feedback network on the host, step by step, and learns by FORCE where asked: the CPU
/// reference of training (docs/training.md). Everything is in double precision.
///
/// One step i, in the reference's order:
///
///     x ← x + (dt/τ)·(−x + g·J·r + wf·z + wfd·zd + wi·u(i)),  r = tanh(x),  z = wo·r,  zd = wdᵀr
///     if the step learns (its mask is set, i mod k = 0 and i ≥ k): RLS updates with the a-priori
///     errors z − target(i) (Pw, wo) and zd − dummy(i) (Pd shared by both dummies, wd)
///
/// The feedback of the next step uses the readouts computed before the update.
public final class FeedbackRunner {
    public private(set) var network: FeedbackNetwork
    /// Global step index (steps taken since the start).
    public private(set) var step = 0
    /// State x, rates r = tanh(x), outputs z and zd of the current step.
    public private(set) var x: [Double]
    public private(set) var r: [Double]
    public private(set) var z = 0.0
    public private(set) var zd = [Double](repeating: 0, count: FeedbackNetworkSpec.dummies)
    /// The step at which a P failed, and why (training stops there).
    public private(set) var failure: (step: Int, reason: String)?

    private var pw: RecursiveLeastSquares
    private var pd: RecursiveLeastSquares
    private let denseJ: [Double]
    private let input: [Double], feedback: [Double], dummyFeedback: [Double]

    /// A runner at the network's initial state, with Pw = Pd = I/α.
    public init(_ network: FeedbackNetwork, alpha: Double) throws {
        try network.spec.validate()
        let n = network.spec.n
        guard n * n <= 1 << 26 else {
            throw WMError.insufficientMemory(needed: n * n * 8 * 3, available: MemoryEstimate.hostAvailable,
                                            what: "the CPU FORCE reference keeps J, Pw and Pd as dense N×N doubles (N ≤ 8192)")
        }
        self.network = network
        pw = try RecursiveLeastSquares(n: n, alpha: alpha)
        pd = try RecursiveLeastSquares(n: n, alpha: alpha)
        let g = network.spec.g
        var j = [Double](repeating: 0, count: n * n)
        let m = network.recurrent
        for i in 0..<n {
            for q in Int(m.rowPtr[i])..<Int(m.rowPtr[i + 1]) { j[i * n + Int(m.colIndex[q])] = g * Double(m.values[q]) }
        }
        denseJ = j
        input = network.input.map(Double.init)
        feedback = network.feedback.map(Double.init)
        dummyFeedback = network.dummyFeedback.map(Double.init)
        x = network.initialState.map(Double.init)
        r = []
        setState(x)
    }

    /// Replaces the state and recomputes r, z and zd from it (the step counter is unchanged).
    public func setState(_ state: [Double]) {
        precondition(state.count == network.spec.n, "state of \(state.count) values for N = \(network.spec.n)")
        x = state
        r = x.map { Foundation.tanh($0) }
        readouts()
    }

    private func readouts() {
        let n = network.spec.n
        z = zip(network.output, r).reduce(0) { $0 + $1.0 * $1.1 }
        for d in 0..<zd.count {
            var s = 0.0
            for i in 0..<n { s += network.dummyOutput[i * zd.count + d] * r[i] }
            zd[d] = s
        }
    }

    /// What one call of `run` learns from, step by step (`count` steps).
    public struct Teacher {
        public var target: [Float]
        public var dummyTarget: [Float]
        public var outputMask: [Bool]
        public var dummyMask: [Bool]
        /// Learn on every k-th global step.
        public var every: Int

        public init(target: [Float], dummyTarget: [Float], outputMask: [Bool], dummyMask: [Bool], every: Int) {
            self.target = target
            self.dummyTarget = dummyTarget
            self.outputMask = outputMask
            self.dummyMask = dummyMask
            self.every = every
        }
    }

    /// Runs `count` steps with inputs `input` ([count][2]); learns from `teacher` when given.
    /// `observe(s, z, zd)` sees each step's outputs. Returns false when a P failed (the network
    /// stops learning and running; `failure` says where).
    @discardableResult
    public func run(count: Int, input u: [Float], teacher: Teacher? = nil,
                    observe: ((Int, Double, [Double]) -> Void)? = nil) -> Bool {
        guard failure == nil else { return false }
        let n = network.spec.n, ins = FeedbackNetworkSpec.inputs, dums = FeedbackNetworkSpec.dummies
        let a = network.spec.dt / network.spec.tau
        var h = [Double](repeating: 0, count: n)
        for s in 0..<count {
            denseJ.withUnsafeBufferPointer { jp in
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(n), 1, jp.baseAddress, Int32(n), r, 1, 0, &h, 1)
            }
            let u0 = Double(u[ins * s]), u1 = Double(u[ins * s + 1])
            for i in 0..<n {
                var drive = h[i] + feedback[i] * z + input[ins * i] * u0 + input[ins * i + 1] * u1
                for d in 0..<dums { drive += dummyFeedback[dums * i + d] * zd[d] }
                x[i] += a * (drive - x[i])
                r[i] = Foundation.tanh(x[i])
            }
            readouts()
            observe?(s, z, zd)
            if let t = teacher, step % t.every == 0, step >= t.every {
                do {
                    try r.withUnsafeBufferPointer { rp in
                        if t.dummyMask[s] {
                            let e = (0..<dums).map { zd[$0] - Double(t.dummyTarget[dums * s + $0]) }
                            try pd.update(rates: rp, errors: e, weights: &network.dummyOutput, outputs: dums)
                        }
                        if t.outputMask[s] {
                            try pw.update(rates: rp, errors: [z - Double(t.target[s])], weights: &network.output, outputs: 1)
                        }
                    }
                } catch {
                    failure = (step, "\(error)")
                    return false
                }
            }
            step += 1
        }
        return true
    }

    /// Rank-1 updates applied to Pw and Pd.
    public var updates: (output: Int, dummy: Int) { (pw.updates, pd.updates) }
}
