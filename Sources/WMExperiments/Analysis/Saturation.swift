import Foundation
import WMCore

/// Saturation of a trained network (the reference's measure, docs/analysis.md §2): per case
/// (4 trial-end states × 4 trial types, case = 4·start + type), the share of neurons whose mean
/// rate |mean r| exceeds `threshold` over delay 1 and over the response window.
public struct SaturationResult: Codable, Sendable {
    public var threshold: Double
    public var delay1: [Double]
    public var response: [Double]
}

public enum Saturation {
    public static func measure(_ model: ClosedLoopModel, startStates: [[Double]], task spec: SequentialTaskSpec, taskSeed: UInt64,
                               threshold: Double = 0.8, ops: any DenseOps) throws -> SaturationResult {
        guard startStates.count == 4, startStates.allSatisfy({ $0.count == model.n }) else {
            throw WMError.invalidParameter(name: "start states", value: "\(startStates.count)", expected: "4 states of N = \(model.n)")
        }
        guard threshold.isFinite, threshold >= 0, threshold < 1 else {
            throw WMError.invalidParameter(name: "saturation threshold", value: "\(threshold)", expected: "in [0, 1)")
        }
        let n = model.n, task = try SequentialTask(spec)
        let d1 = spec.stimulus1..<(spec.stimulus1 + spec.delay1)
        let resp = (spec.trialSteps - spec.response)..<spec.trialSteps
        var delayShare = [Double](repeating: 0, count: 16), responseShare = delayShare
        for type in TrialType.all {
            let trial = task.trial(type, index: type.index, seed: taskSeed &+ 0xA11A)
            let sim = try ClosedLoopSimulator(model: model, trajectories: 4, ops: ops)
            try sim.setStates(startStates.flatMap { $0 })
            var sumD = [Double](repeating: 0, count: 4 * n), sumR = sumD
            try sim.run(spec.trialSteps, input: { s in (trial.input[2 * s], trial.input[2 * s + 1]) },
                        observeStep: { d1.contains($0) || resp.contains($0) }) { s in
                let x = try sim.states()
                if d1.contains(s) { for i in 0..<(4 * n) { sumD[i] += Foundation.tanh(Double(x[i])) } }
                if resp.contains(s) { for i in 0..<(4 * n) { sumR[i] += Foundation.tanh(Double(x[i])) } }
            }
            for start in 0..<4 {
                let c = 4 * start + type.index
                // An empty window has no mean rate: NaN, not 0 %.
                delayShare[c] = d1.isEmpty ? .nan : Double((0..<n).filter { abs(sumD[start * n + $0] / Double(d1.count)) > threshold }.count) / Double(n)
                responseShare[c] = resp.isEmpty ? .nan : Double((0..<n).filter { abs(sumR[start * n + $0] / Double(resp.count)) > threshold }.count) / Double(n)
            }
        }
        return SaturationResult(threshold: threshold, delay1: delayShare, response: responseShare)
    }
}
