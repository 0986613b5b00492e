import Foundation
import WMCore

/// B trajectories of one `ClosedLoopModel` advanced together on a backend's dense ops (float32;
/// the CPU's OpenBLAS or the device's GEMM kernels), one step being
///
///     X ← (1 − a)·X + a·R·W_effᵀ (+ a·U·wiᵀ),   R = tanh(X),   Z = R·[wo wd₁ wd₂]
///
/// with the states as the rows of X [B × N]. The analysis runs hundreds of starts of one
/// network, so a step is one GEMM instead of B matrix-vector products.
public final class ClosedLoopSimulator {
    public let model: ClosedLoopModel
    public let trajectories: Int
    private let ops: any DenseOps
    private let w: DenseMatrix, wiT: DenseMatrix, readout: DenseMatrix
    private let a: Float
    private let x: DenseMatrix, r: DenseMatrix, z: DenseMatrix, u: DenseMatrix
    /// Steps taken since the last `setStates`.
    public private(set) var steps = 0

    /// Bytes the simulator holds on the device.
    public static func bytes(n: Int, trajectories b: Int) -> Int { 4 * (n * n + 5 * n + 2 * b * n + 5 * b) }

    public init(model: ClosedLoopModel, trajectories b: Int, ops: any DenseOps) throws {
        guard b >= 1 else { throw WMError.invalidParameter(name: "trajectories", value: "\(b)", expected: "≥ 1") }
        self.model = model
        trajectories = b
        self.ops = ops
        let n = model.n
        a = Float(model.step)
        w = try ops.upload(model.weff.map { Float($0) }, rows: n, cols: n)
        wiT = try ops.upload(Self.scaledInputWeights(model, silenced: 0), rows: 2, cols: n)
        readout = try ops.upload(model.readout.map { Float($0) }, rows: n, cols: 3)
        x = try ops.allocate(rows: b, cols: n)
        r = try ops.allocate(rows: b, cols: n)
        z = try ops.allocate(rows: b, cols: 3)
        u = try ops.allocate(rows: b, cols: 2)
    }

    /// a·wiᵀ [2][N] with the input weights of neurons 0..<silenced set to zero.
    static func scaledInputWeights(_ model: ClosedLoopModel, silenced: Int) -> [Float] {
        let n = model.n
        var wt = [Float](repeating: 0, count: 2 * n)
        for i in silenced..<n { wt[i] = Float(model.step * model.input[2 * i]); wt[n + i] = Float(model.step * model.input[2 * i + 1]) }
        return wt
    }

    /// Silences the input weights of neurons 0..<count (0 restores them), for every trajectory.
    public func silenceInputs(_ count: Int) throws {
        guard count >= 0, count <= model.n else { throw WMError.invalidParameter(name: "silenced neurons", value: "\(count)", expected: "0…\(model.n)") }
        try ops.write(Self.scaledInputWeights(model, silenced: count), into: wiT)
    }

    /// Sets every trajectory's state (`[B][N]`, row-major) and its rates.
    public func setStates(_ states: [Double]) throws {
        guard states.count == trajectories * model.n else {
            throw WMError.invalidParameter(name: "states", value: "\(states.count) values", expected: "\(trajectories) × \(model.n)")
        }
        try ops.write(states.map { Float($0) }, into: x)
        try ops.activation(x, .tanh, into: r)
        steps = 0
    }

    /// The states, `[B][N]`.
    public func states() throws -> [Float] { try ops.download(x) }

    /// The readouts (z, zd₁, zd₂) of every trajectory, `[B][3]`.
    public func outputs() throws -> [Float] {
        try ops.gemm(transA: false, transB: false, alpha: 1, r, readout, beta: 0, z)
        return try ops.download(z)
    }

    /// The states of the trajectories `rows`, `[rows.count][N]` in double (exact: they are
    /// float32), to continue them apart (`settledOutputs`).
    public func states(rows: [Int]) throws -> [Double] {
        guard rows.allSatisfy({ (0..<trajectories).contains($0) }) else {
            throw WMError.invalidParameter(name: "rows", value: "\(rows.filter { !(0..<trajectories).contains($0) })", expected: "trajectories 0..<\(trajectories)")
        }
        guard !rows.isEmpty else { return [] }
        let n = model.n, all = try states()
        return rows.flatMap { r in all[(r * n)..<((r + 1) * n)].map(Double.init) }
    }

    /// z (the first readout) of each of the `states` (`[B][N]`) after `count` input-free steps,
    /// in a simulator of its own. The robustness tests continue only their failing runs this
    /// way, after the batch they came from is released.
    public static func settledOutputs(_ model: ClosedLoopModel, states: [Double], steps count: Int, ops: any DenseOps) throws -> [Float] {
        let b = states.count / model.n
        guard b > 0 else { return [] }
        let sim = try ClosedLoopSimulator(model: model, trajectories: b, ops: ops)
        try sim.setStates(states)
        try sim.run(count, input: nil)
        let z = try sim.outputs()
        return (0..<b).map { z[3 * $0] }
    }

    /// Advances every trajectory `count` steps. `input(s)` gives the input of step s of this call,
    /// the same for every trajectory (nil: no input); `observe(s)` is called after step s when
    /// `observeStep(s)` is true, to read outputs or states.
    public func run(_ count: Int, input: ((Int) -> (Float, Float))? = nil, observeStep: (Int) -> Bool = { _ in false },
                    observe: (Int) throws -> Void = { _ in }) throws {
        let b = trajectories
        try run(count, inputs: input.map { f in { s in let (u0, u1) = f(s); return u0 == 0 && u1 == 0 ? nil : [Float]((0..<b).flatMap { _ in [u0, u1] }) } },
                observeStep: observeStep, observe: observe)
    }

    /// As `run`, with each trajectory's own input: `inputs(s)` is `[B][2]` (nil: no input at step s).
    public func run(_ count: Int, inputs: ((Int) -> [Float]?)?, observeStep: (Int) -> Bool = { _ in false },
                    observe: (Int) throws -> Void = { _ in }) throws {
        for s in 0..<count {
            try ops.gemm(transA: false, transB: true, alpha: a, r, w, beta: 1 - a, x)
            if let uh = inputs?(s) {
                guard uh.count == 2 * trajectories else {
                    throw WMError.invalidParameter(name: "inputs", value: "\(uh.count) values", expected: "\(trajectories) × 2")
                }
                try ops.write(uh, into: u)
                try ops.gemm(transA: false, transB: false, alpha: 1, u, wiT, beta: 1, x)
            }
            try ops.activation(x, .tanh, into: r)
            steps += 1
            if observeStep(s) { try observe(s) }
        }
    }
}
