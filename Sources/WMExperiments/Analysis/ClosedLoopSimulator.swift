import Foundation
import WMCore

/// B trajectories of one `ClosedLoopModel` advanced together on a backend's dense ops (float32;
/// the CPU's OpenBLAS or the device's GEMM kernels), one step being
///
///     X ← (1 − a)·X + a·R·W_effᵀ (+ a·U·wiᵀ),   R = tanh(X),   Z = R·[wo wd₁ wd₂]
///
/// with the states as the rows of X [B × N]. The analysis runs hundreds of starts of one
/// network, so a step is one GEMM (per part) instead of B matrix-vector products.
///
/// Trajectories are independent rows, so they run in the parts the ops prefers
/// (`DenseOps.sideBySideParts`: one per core on host BLAS, one launch on a device); the parts
/// run side by side between the steps that are observed, at most `chunkSteps` at a time.
public final class ClosedLoopSimulator {
    public let model: ClosedLoopModel
    public let trajectories: Int
    private let ops: any DenseOps
    private let w: DenseMatrix, wiT: DenseMatrix, readout: DenseMatrix
    private let a: Float
    /// Each part's rows of X, R = tanh X, Z and U, and where its rows start (`bounds[p]..<bounds[p + 1]`).
    private let rows: [PartRows]
    private let bounds: [Int]
    /// Steps taken since the last `setStates`.
    public private(set) var steps = 0
    /// Steps the parts run between two meetings at most (their inputs are held meanwhile).
    static let chunkSteps = 100

    struct PartRows: Sendable {
        var x, r, z, u: DenseMatrix
    }

    /// Bytes the simulator holds on the device.
    public static func bytes(n: Int, trajectories b: Int) -> Int { 4 * (n * n + 5 * n + 2 * b * n + 5 * b) }

    /// `parts` overrides the ops' choice (tests).
    public init(model: ClosedLoopModel, trajectories b: Int, ops: any DenseOps, parts: Int? = nil) throws {
        guard b >= 1 else { throw WMError.invalidParameter(name: "trajectories", value: "\(b)", expected: "≥ 1") }
        self.model = model
        trajectories = b
        self.ops = ops
        let n = model.n
        a = Float(model.step)
        w = try ops.upload(model.weff.map { Float($0) }, rows: n, cols: n)
        wiT = try ops.upload(Self.scaledInputWeights(model, silenced: 0), rows: 2, cols: n)
        readout = try ops.upload(model.readout.map { Float($0) }, rows: n, cols: 3)
        let count = Swift.max(1, Swift.min(parts ?? ops.sideBySideParts(rows: b), b))
        let bounds = (0...count).map { $0 * b / count }
        self.bounds = bounds
        rows = try (0..<count).map { p in
            let m = bounds[p + 1] - bounds[p]
            return PartRows(x: try ops.allocate(rows: m, cols: n), r: try ops.allocate(rows: m, cols: n),
                            z: try ops.allocate(rows: m, cols: 3), u: try ops.allocate(rows: m, cols: 2))
        }
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
        let n = model.n
        for (p, part) in rows.enumerated() {
            try ops.write(states[(bounds[p] * n)..<(bounds[p + 1] * n)].map { Float($0) }, into: part.x)
            try ops.activation(part.x, .tanh, into: part.r)
        }
        steps = 0
    }

    /// The states, `[B][N]`.
    public func states() throws -> [Float] { try rows.flatMap { try ops.download($0.x) } }

    /// The readouts (z, zd₁, zd₂) of every trajectory, `[B][3]`.
    public func outputs() throws -> [Float] {
        try rows.flatMap { part in
            try ops.gemm(transA: false, transB: false, alpha: 1, part.r, readout, beta: 0, part.z)
            return try ops.download(part.z)
        }
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
    /// Each of `inputs` and `observeStep` is called once per step, in step order; with several
    /// parts a stretch's calls come before the stretch runs, so they must not depend on the
    /// states (every caller's are functions of s). `observe(s)` runs after step s with every
    /// part at that step. After an error the parts may be at different steps: `setStates` again.
    public func run(_ count: Int, inputs: ((Int) -> [Float]?)?, observeStep: (Int) -> Bool = { _ in false },
                    observe: (Int) throws -> Void = { _ in }) throws {
        guard count >= 0 else { throw WMError.invalidParameter(name: "steps", value: "\(count)", expected: "≥ 0") }
        let b = trajectories
        func input(_ s: Int) throws -> [Float]? {
            guard let uh = inputs?(s) else { return nil }
            guard uh.count == 2 * b else {
                throw WMError.invalidParameter(name: "inputs of step \(s)", value: "\(uh.count) values", expected: "\(b) × 2")
            }
            return uh
        }
        guard rows.count > 1 else {
            for s in 0..<count {
                try Self.step(rows[0], ops, w: w, wiT: wiT, a: a, input: try input(s))
                steps += 1
                if observeStep(s) { try observe(s) }
            }
            return
        }
        var s = 0
        while s < count {
            // A stretch up to the next observed step: the parts run it on their own.
            var end = s, observed = false
            repeat {
                observed = observeStep(end)
                end += 1
            } while !observed && end < count && end - s < Self.chunkSteps
            let stretch = try (s..<end).map(input)
            let bounds = self.bounds, parts = rows, w = self.w, wiT = self.wiT, a = self.a
            _ = try ops.sideBySide(parts.count) { p, pops in
                for u in stretch {
                    try Self.step(parts[p], pops, w: w, wiT: wiT, a: a, input: u.map { Array($0[(2 * bounds[p])..<(2 * bounds[p + 1])]) })
                }
            }
            steps += end - s
            if observed { try observe(end - 1) }
            s = end
        }
    }

    /// One step of a part's rows on `ops`: X ← (1 − a)·X + a·R·W_effᵀ (+ a·U·wiᵀ), R = tanh X.
    private static func step(_ part: PartRows, _ ops: any DenseOps, w: DenseMatrix, wiT: DenseMatrix, a: Float, input uh: [Float]?) throws {
        try ops.gemm(transA: false, transB: true, alpha: a, part.r, w, beta: 1 - a, part.x)
        if let uh {
            try ops.write(uh, into: part.u)
            try ops.gemm(transA: false, transB: false, alpha: 1, part.u, wiT, beta: 1, part.x)
        }
        try ops.activation(part.x, .tanh, into: part.r)
    }
}
