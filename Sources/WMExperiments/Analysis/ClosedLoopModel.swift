import Foundation
import WMCore

/// A trained feedback network with its readouts feeding back, as one autonomous system
/// (docs/analysis.md §1):
///
///     x ← x + (dt/τ)·F(x, u),   F(x, u) = −x + W_eff·tanh(x) + wi·u,
///     W_eff = g·J + wf·woᵀ + wfd·wdᵀ
///
/// This is the training step of `FeedbackRunner` with the readouts of the previous step folded
/// into the matrix (z = wo·r feeds back as wf·z = (wf·woᵀ)·r), so the same trajectories follow.
public struct ClosedLoopModel: Sendable {
    public let n: Int
    /// W_eff, [N][N] row-major, double.
    public let weff: [Double]
    /// wi, [N][2] row-major.
    public let input: [Double]
    /// The three readouts (wo, wd₁, wd₂), [N][3] row-major.
    public let readout: [Double]
    /// dt/τ.
    public let step: Double

    /// A model from explicit matrices (hand-built systems in tests, other models).
    public init(n: Int, weff: [Double], input: [Double], readout: [Double], step: Double) throws {
        guard n >= 1, weff.count == n * n, input.count == 2 * n, readout.count == 3 * n else {
            throw WMError.invalidParameter(name: "closed-loop model", value: "N = \(n), \(weff.count)/\(input.count)/\(readout.count) values",
                                           expected: "W_eff N×N, wi N×2 and readouts N×3")
        }
        guard step > 0, step <= 1, step.isFinite else { throw WMError.invalidParameter(name: "dt/τ", value: "\(step)", expected: "in (0, 1]") }
        guard weff.allSatisfy(\.isFinite), input.allSatisfy(\.isFinite), readout.allSatisfy(\.isFinite) else {
            throw WMError.invalidParameter(name: "weights", value: "NaN or infinite", expected: "finite weights (the network diverged in training?)")
        }
        self.n = n
        self.weff = weff
        self.input = input
        self.readout = readout
        self.step = step
    }

    /// The closed loop of a trained network.
    public init(_ net: FeedbackNetwork) throws {
        let n = net.spec.n, g = net.spec.g
        var w = [Double](repeating: 0, count: n * n)
        let j = net.recurrent
        for i in 0..<n {
            for q in Int(j.rowPtr[i])..<Int(j.rowPtr[i + 1]) { w[i * n + Int(j.colIndex[q])] = g * Double(j.values[q]) }
        }
        for i in 0..<n {
            let f = Double(net.feedback[i]), f0 = Double(net.dummyFeedback[2 * i]), f1 = Double(net.dummyFeedback[2 * i + 1])
            for c in 0..<n { w[i * n + c] += f * net.output[c] + f0 * net.dummyOutput[2 * c] + f1 * net.dummyOutput[2 * c + 1] }
        }
        var ro = [Double](repeating: 0, count: 3 * n)
        for i in 0..<n { ro[3 * i] = net.output[i]; ro[3 * i + 1] = net.dummyOutput[2 * i]; ro[3 * i + 2] = net.dummyOutput[2 * i + 1] }
        try self.init(n: n, weff: w, input: net.input.map(Double.init), readout: ro, step: net.spec.dt / net.spec.tau)
    }

    /// F(x, u) = −x + W_eff·tanh(x) + wi·u, in double.
    public func flow(_ x: [Double], u: (Double, Double) = (0, 0)) -> [Double] {
        precondition(x.count == n, "state of N values")
        let r = x.map { Foundation.tanh($0) }
        var f = [Double](repeating: 0, count: n)
        weff.withUnsafeBufferPointer { w in
            for i in 0..<n {
                var s = 0.0
                for c in 0..<n { s += w[i * n + c] * r[c] }
                f[i] = -x[i] + s + input[2 * i] * u.0 + input[2 * i + 1] * u.1
            }
        }
        return f
    }

    /// The readouts (z, zd₁, zd₂) at state x.
    public func outputs(_ x: [Double]) -> (Double, Double, Double) {
        var z = (0.0, 0.0, 0.0)
        for i in 0..<n {
            let r = Foundation.tanh(x[i])
            z.0 += readout[3 * i] * r
            z.1 += readout[3 * i + 1] * r
            z.2 += readout[3 * i + 2] * r
        }
        return z
    }
}
