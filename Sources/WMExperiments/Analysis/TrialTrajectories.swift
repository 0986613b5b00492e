import Foundation
import WMCore

/// The 16 cases of a trained network (4 start states × 4 trial types) run through one trial of
/// the task it was trained on, with the states recorded (docs/analysis.md §3: the fixed-point
/// search samples its starts from them).
public enum TrialTrajectories {
    /// One pass over the 16 cases: the states every `every` steps (`[case][recorded step][N]`,
    /// case = 4·start + type) and, from the same run, the saturation (`Saturation`).
    public struct Run: Sendable {
        public var trajectories: [[[Double]]]
        public var saturation: SaturationResult
    }

    /// Runs the 16 cases once on `ops`, recording what the fixed-point search and the saturation need.
    public static func run(_ model: ClosedLoopModel, startStates: [[Double]], task spec: SequentialTaskSpec, taskSeed: UInt64,
                           every: Int = 10, saturationThreshold: Double = 0.8, ops: any DenseOps) throws -> Run {
        guard startStates.count == 4, startStates.allSatisfy({ $0.count == model.n }), every >= 1 else {
            throw WMError.invalidParameter(name: "trial trajectories", value: "\(startStates.count) starts, every \(every)", expected: "4 start states of N = \(model.n), every ≥ 1")
        }
        guard saturationThreshold.isFinite, saturationThreshold >= 0, saturationThreshold < 1 else {
            throw WMError.invalidParameter(name: "saturation threshold", value: "\(saturationThreshold)", expected: "in [0, 1)")
        }
        let n = model.n, task = try SequentialTask(spec)
        let d1 = spec.stimulus1..<(spec.stimulus1 + spec.delay1)
        let resp = (spec.trialSteps - spec.response)..<spec.trialSteps
        let sim = try ClosedLoopSimulator(model: model, trajectories: 4, ops: ops)
        var out = [[[Double]]](repeating: [], count: 16)
        var delayShare = [Double](repeating: 0, count: 16), responseShare = delayShare
        for type in TrialType.all {
            let trial = task.trial(type, index: type.index, seed: taskSeed &+ 0xA11A)
            try sim.setStates(startStates.flatMap { $0 })
            var sumD = [Double](repeating: 0, count: 4 * n), sumR = sumD
            try sim.run(spec.trialSteps, input: { s in (trial.input[2 * s], trial.input[2 * s + 1]) },
                        observeStep: { $0 % every == every - 1 || d1.contains($0) || resp.contains($0) }) { s in
                let x = try sim.states()
                if s % every == every - 1 {
                    for start in 0..<4 { out[4 * start + type.index].append((0..<n).map { Double(x[start * n + $0]) }) }
                }
                if d1.contains(s) { for i in 0..<(4 * n) { sumD[i] += Foundation.tanh(Double(x[i])) } }
                if resp.contains(s) { for i in 0..<(4 * n) { sumR[i] += Foundation.tanh(Double(x[i])) } }
            }
            for start in 0..<4 {
                let c = 4 * start + type.index
                // An empty window has no mean rate: NaN, not 0 %.
                delayShare[c] = d1.isEmpty ? .nan : Double((0..<n).filter { abs(sumD[start * n + $0] / Double(d1.count)) > saturationThreshold }.count) / Double(n)
                responseShare[c] = resp.isEmpty ? .nan : Double((0..<n).filter { abs(sumR[start * n + $0] / Double(resp.count)) > saturationThreshold }.count) / Double(n)
            }
        }
        return Run(trajectories: out, saturation: SaturationResult(threshold: saturationThreshold, delay1: delayShare, response: responseShare))
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
