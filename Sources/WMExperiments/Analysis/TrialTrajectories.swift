import Foundation
import WMCore

/// The 16 cases of a trained network (4 start states × 4 trial types) run through one trial of
/// the task it was trained on, with the states recorded (docs/analysis.md §3: the fixed-point
/// search samples its starts from them).
public enum TrialTrajectories {
    /// States `[case][recorded step][N]` every `every` steps (case = 4·start + type), on `ops`.
    public static func run(_ model: ClosedLoopModel, startStates: [[Double]], task spec: SequentialTaskSpec, taskSeed: UInt64,
                           every: Int = 10, ops: any DenseOps) throws -> [[[Double]]] {
        guard startStates.count == 4, every >= 1 else {
            throw WMError.invalidParameter(name: "trial trajectories", value: "\(startStates.count) starts, every \(every)", expected: "4 start states, every ≥ 1")
        }
        let task = try SequentialTask(spec)
        let sim = try ClosedLoopSimulator(model: model, trajectories: 4, ops: ops)
        var out = [[[Double]]](repeating: [], count: 16)
        for type in TrialType.all {
            let trial = task.trial(type, index: type.index, seed: taskSeed &+ 0xA11A)
            try sim.setStates(startStates.flatMap { $0 })
            try sim.run(spec.trialSteps, input: { s in (trial.input[2 * s], trial.input[2 * s + 1]) }, observeStep: { $0 % every == every - 1 }) { _ in
                let x = try sim.states()
                for start in 0..<4 { out[4 * start + type.index].append((0..<model.n).map { Double(x[start * model.n + $0]) }) }
            }
        }
        return out
    }

    /// `count` states drawn with replacement from `pool`, each + N(0, noise²) (Philox stream
    /// `analysisStart`, counters offset past the classification's starts).
    public static func sample(_ pool: [[Double]], count: Int, noise: Double, seed: UInt64) -> [[Double]] {
        guard !pool.isEmpty else { return [] }
        let philox = Philox4x32(seed: seed)
        return (0..<count).map { k in
            let pick = philox.block(UInt32(k), 0, 1, RandomStream.analysisStart.rawValue)
            let base = pool[Int(RandomBits.unitDouble(pick.0, pick.1) * Double(pool.count)) % pool.count]
            return base.enumerated().map { i, x in
                let w = philox.block(UInt32(k), UInt32(i), 2, RandomStream.analysisStart.rawValue)
                return x + noise * Double(RandomBits.normal(w.0, w.1))
            }
        }
    }
}
