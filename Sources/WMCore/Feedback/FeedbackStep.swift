import CFeedbackKernels
import Foundation

/// One Euler step of a feedback network on the host (docs/training.md §1), rows in parallel:
///
///     x ← x + (dt/τ)·(−x + g·J·r + wf·z + wfd·zd + wi·u),   r' = tanh(x)
///
/// J is held dense in float32 (the generator's values, without g); J·r is summed in double by
/// `wm_matvec_f32_f64`, so the step is the double-precision step of the float weights at half the
/// memory traffic of a double matrix. Rows are split into one block per core from N = 256 on
/// (`wm_parallel_for`, a spinning pool: a step takes ~0.1 ms at N = 1000); every row's result
/// is independent of the split.
final class FeedbackStep: @unchecked Sendable {
    let n: Int
    private let j: UnsafeMutablePointer<Float>
    private let wi: UnsafeMutablePointer<Double>, wf: UnsafeMutablePointer<Double>, wfd: UnsafeMutablePointer<Double>
    private let g: Double, a: Double
    private let blocks: [Int32]

    init(_ network: FeedbackNetwork) {
        let n = network.spec.n
        self.n = n
        g = network.spec.g
        a = network.spec.dt / network.spec.tau
        j = .allocate(capacity: n * n)
        j.initialize(repeating: 0, count: n * n)
        let m = network.recurrent
        for i in 0..<n {
            for q in Int(m.rowPtr[i])..<Int(m.rowPtr[i + 1]) { j[i * n + Int(m.colIndex[q])] = m.values[q] }
        }
        func copy(_ v: [Float]) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, v.count))
            for (i, x) in v.enumerated() { p[i] = Double(x) }
            return p
        }
        wi = copy(network.input)
        wf = copy(network.feedback)
        wfd = copy(network.dummyFeedback)
        let workers = n >= 256 ? Int(wm_parallel_threads()) : 1
        blocks = (0...workers).map { Int32($0 * n / workers) }
    }

    deinit {
        j.deallocate()
        wi.deallocate()
        wf.deallocate()
        wfd.deallocate()
    }

    /// Advances `x` in place and writes the new rates into `rNext`, from the rates `r`, the inputs
    /// (u0, u1) and the previous step's readouts.
    func advance(x: inout [Double], r: [Double], rNext: inout [Double], u0: Double, u1: Double, z: Double, zd0: Double, zd1: Double) {
        precondition(x.count == n && r.count == n && rNext.count == n, "state of N values")
        x.withUnsafeMutableBufferPointer { xp in
            r.withUnsafeBufferPointer { rp in
                rNext.withUnsafeMutableBufferPointer { rn in
                    blocks.withUnsafeBufferPointer { bp in
                        var args = wm_step_args(n: Int32(n), J: j, wi: wi, wf: wf, wfd: wfd, x: xp.baseAddress, r: rp.baseAddress, r_next: rn.baseAddress,
                                                g: g, a: a, u0: u0, u1: u1, z: z, zd0: zd0, zd1: zd1, blocks: Int32(bp.count - 1), bounds: bp.baseAddress)
                        wm_feedback_step(&args)
                    }
                }
            }
        }
    }
}
