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
        w = try ops.upload(model.weff.map { Float($0) }, rows: n, cols: n)
        var wt = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n { wt[i] = Float(model.step * model.input[2 * i]); wt[n + i] = Float(model.step * model.input[2 * i + 1]) }
        wiT = try ops.upload(wt, rows: 2, cols: n)
        readout = try ops.upload(model.readout.map { Float($0) }, rows: n, cols: 3)
        x = try ops.allocate(rows: b, cols: n)
        r = try ops.allocate(rows: b, cols: n)
        z = try ops.allocate(rows: b, cols: 3)
        u = try ops.allocate(rows: b, cols: 2)
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

    /// Advances every trajectory `count` steps. `input(s)` gives the input of step s of this call,
    /// the same for every trajectory (nil: no input); `observe(s)` is called after step s when
    /// `observeStep(s)` is true, to read outputs or states.
    public func run(_ count: Int, input: ((Int) -> (Float, Float))? = nil, observeStep: (Int) -> Bool = { _ in false },
                    observe: (Int) throws -> Void = { _ in }) throws {
        let a = Float(model.step)
        var uh = [Float](repeating: 0, count: 2 * trajectories)
        for s in 0..<count {
            try ops.gemm(transA: false, transB: true, alpha: a, r, w, beta: 1 - a, x)
            if let input {
                let (u0, u1) = input(s)
                if u0 != 0 || u1 != 0 {
                    for b in 0..<trajectories { uh[2 * b] = u0; uh[2 * b + 1] = u1 }
                    try ops.write(uh, into: u)
                    try ops.gemm(transA: false, transB: false, alpha: 1, u, wiT, beta: 1, x)
                }
            }
            try ops.activation(x, .tanh, into: r)
            steps += 1
            if observeStep(s) { try observe(s) }
        }
    }
}
