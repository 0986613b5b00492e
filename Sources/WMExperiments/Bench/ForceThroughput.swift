import Foundation
import WMCore

/// The throughput of FORCE training (workload F): `networks` networks of N = `n` (pg = 0.7,
/// g = 1.2, fb = 10, the reference setting) trained together on the reference task timeline
/// (350-step trials, learning every 2nd step in the masks), evaluation not included.
///
/// Figure of merit: network-steps per second = networks · steps / seconds, steps being the
/// training steps each network took. Effective GB/s counts the compulsory traffic of the
/// runner (`FeedbackTraffic`): the recurrent weights every step and P for every rank-1 update.
public struct ForceThroughputResult: Codable, Sendable, Hashable {
    public var workload = "F"
    public var networks: Int
    public var n: Int
    public var backend: String
    public var device: String
    /// Training steps each network takes per timed repeat.
    public var steps: Int
    public var repeats: Int
    /// Median repeat time, s.
    public var seconds: Double
    public var allSeconds: [Double]
    /// Network generation and runner construction, s.
    public var setupSeconds: Double
    /// networks · steps / seconds.
    public var networkStepsPerSecond: Double
    /// Rank-1 updates (Pw and Pd) of one network per repeat.
    public var updatesPerRepeat: Int
    /// Compulsory bytes per repeat over all networks / 1e9 / seconds.
    public var effectiveGBPerSecond: Double

    /// "F-b8 cpu: 4.1 k network-steps/s, 31.2 GB/s".
    public var summary: String {
        "F-b\(networks) \(backend): " + String(format: "%.0f network-steps/s, %.2f GB/s, %.3f s per repeat (setup %.2f s)",
                                               networkStepsPerSecond, effectiveGBPerSecond, seconds, setupSeconds)
    }
}

public enum ForceThroughput {
    /// Trials per timed repeat (`quick`: 2).
    public static func trials(quick: Bool) -> Int { quick ? 2 : 20 }

    /// Trains `networks` networks of N = `n` for one untimed warm-up trial, then `repeats` timed
    /// blocks of `trials` trials; the median block is reported.
    public static func run(networks m: Int, n: Int = 1000, trials: Int, repeats: Int, backend: any Backend) throws -> ForceThroughputResult {
        guard m >= 1, trials >= 1, repeats >= 1 else {
            throw WMError.invalidParameter(name: "FORCE workload", value: "\(m) networks, \(trials) trials, \(repeats) repeats", expected: "each ≥ 1")
        }
        var spec = ForceTrainingSpec()
        spec.network.n = n
        try backend.feedbackMemory(networks: m, n: n, pg: spec.network.pg)
            .check(capabilities: backend.capabilities, what: "workload F: FORCE training of \(m) network(s) of N = \(n)")
        let t0 = Date()
        let nets = try (0..<m).map { k -> FeedbackNetwork in
            var s = spec.network
            s.seed = UInt64(k)
            return try FeedbackNetworkGenerator.generate(s)
        }
        let runner = try backend.makeFeedbackRunner(networks: nets, alpha: spec.alpha)
        let setup = Date().timeIntervalSince(t0)
        let task = try SequentialTask(spec.task)
        let total = 1 + repeats * trials
        let types = SequentialTask.trialTypes(count: total, seed: spec.taskSeed)
        let teachers = (0..<total).map { k -> (input: [Float], teacher: FeedbackRunner.Teacher) in
            let t = task.trial(types[k], index: k, seed: spec.taskSeed)
            return (t.input, FeedbackRunner.Teacher(target: t.target, dummyTarget: t.dummyTarget, outputMask: t.outputMask,
                                                    dummyMask: t.dummyMask, every: spec.learnEvery))
        }
        let steps = spec.task.trialSteps
        try runner.run(count: steps, input: teachers[0].input, teacher: teachers[0].teacher, observe: nil)
        var times: [Double] = []
        var updates = 0
        for r in 0..<repeats {
            let before = runner.updateCounts[0]
            let tr = Date()
            for k in 0..<trials {
                let t = teachers[1 + r * trials + k]
                try runner.run(count: steps, input: t.input, teacher: t.teacher, observe: nil)
            }
            _ = try runner.states()   // waits for the device
            times.append(Date().timeIntervalSince(tr))
            let after = runner.updateCounts[0]
            updates = after.output + after.dummy - before.output - before.dummy
        }
        if let f = runner.failures.compactMap({ $0 }).first {
            throw WMError.invalidParameter(name: "workload F", value: "training failed at step \(f.step)", expected: "a stable run (\(f.reason))")
        }
        let median = times.sorted()[times.count / 2]
        let stepsTimed = trials * steps
        let bytes = Double(m) * (Double(stepsTimed) * Double(runner.traffic.stepBytes) + Double(updates) * Double(runner.traffic.updateBytes))
        return ForceThroughputResult(networks: m, n: n, backend: backend.info.kind, device: backend.info.device, steps: stepsTimed, repeats: repeats,
                                     seconds: median, allSeconds: times, setupSeconds: setup,
                                     networkStepsPerSecond: Double(m * stepsTimed) / median, updatesPerRepeat: updates,
                                     effectiveGBPerSecond: bytes / median / 1e9)
    }
}
