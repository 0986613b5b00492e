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
    /// Saturation alone (`TrialTrajectories.run` measures it in the same pass as the trajectories).
    public static func measure(_ model: ClosedLoopModel, startStates: [[Double]], task spec: SequentialTaskSpec, taskSeed: UInt64,
                               threshold: Double = 0.8, ops: any DenseOps) throws -> SaturationResult {
        try TrialTrajectories.run(model, startStates: startStates, task: spec, taskSeed: taskSeed, every: Int.max, saturationThreshold: threshold, ops: ops).saturation
    }
}
