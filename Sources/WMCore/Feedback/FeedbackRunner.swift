import Foundation

/// Runs one feedback network on the host, step by step, and learns by FORCE where asked: the CPU
/// reference of training (docs/training.md). Everything is in double precision except the stored
/// recurrent weights, which are the generator's float32 values of J: J·r is summed in double
/// from them (reading half the bytes of a double matrix) and scaled by g.
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
    private let stepper: FeedbackStep

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
        stepper = FeedbackStep(network)
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
        precondition(ins == 2 && dums == 2, "two inputs and two dummy outputs")
        var rNext = [Double](repeating: 0, count: n)
        for s in 0..<count {
            stepper.advance(x: &x, r: r, rNext: &rNext, u0: Double(u[ins * s]), u1: Double(u[ins * s + 1]), z: z, zd0: zd[0], zd1: zd[1])
            swap(&r, &rNext)
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
