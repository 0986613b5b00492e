import Foundation
import WMCore

/// The classes of a trial's two stimuli.
public struct TrialType: Hashable, Sendable, Codable, CustomStringConvertible {
    public var first: Int
    public var second: Int

    public init(_ first: Int, _ second: Int) {
        self.first = first
        self.second = second
    }

    /// The four types in a fixed order: (0,0), (0,1), (1,0), (1,1).
    public static let all = [TrialType(0, 0), TrialType(0, 1), TrialType(1, 0), TrialType(1, 1)]

    /// Index in `all`.
    public var index: Int { 2 * first + second }
    public var sum: Int { first + second }
    public var description: String { "(\(first),\(second))" }
}

/// Inputs, targets and learning masks of one trial, step by step.
public struct TaskTrial: Sendable {
    public var type: TrialType
    /// Steps in the trial.
    public var steps: Int
    /// Input u(t), `[steps][2]`: the stimulus codes, zero outside the stimuli.
    public var input: [Float]
    /// Main target, `[steps]`: the encoded sum in the response window, zero elsewhere.
    public var target: [Float]
    /// Dummy targets, `[steps][2]`: stimulus 1's class mean during delay 1, stimulus 2's during
    /// delay 2, zero elsewhere.
    public var dummyTarget: [Float]
    /// Where the main readout learns (the response window).
    public var outputMask: [Bool]
    /// Where the dummy readouts learn (the two delays).
    public var dummyMask: [Bool]
}

/// The task generator: balanced, shuffled trial types and each trial's stimuli, targets and masks.
/// Everything is a pure function of the spec, the codes and a seed.
public struct SequentialTask: Sendable {
    public let spec: SequentialTaskSpec
    public let codes: ClassCodes

    /// The task `spec` describes (its code files are read here).
    public init(_ spec: SequentialTaskSpec) throws {
        self.spec = spec
        codes = try ClassCodes(spec)
    }

    /// `count` trial types, as balanced as `count` allows (each type ⌊count/4⌋ times, the first
    /// `count mod 4` types of `TrialType.all` once more), in an order shuffled by `seed`
    /// (Fisher–Yates on Philox uniforms).
    public static func trialTypes(count: Int, seed: UInt64) -> [TrialType] {
        var out = (0..<Swift.max(0, count)).map { TrialType.all[$0 % 4] }
        let rng = Philox4x32(seed: seed)
        var i = out.count - 1
        while i > 0 {
            let w = rng.block(UInt32(truncatingIfNeeded: i), 0, 0, RandomStream.taskOrder.rawValue)
            let j = Swift.min(i, Int(RandomBits.unitDouble(w.0, w.1) * Double(i + 1)))
            out.swapAt(i, j)
            i -= 1
        }
        return out
    }

    /// Trial number `index` of type `type`, its stimulus samples drawn from `seed`.
    public func trial(_ type: TrialType, index: Int, seed: UInt64) -> TaskTrial {
        let n = spec.trialSteps
        var t = TaskTrial(type: type, steps: n, input: [Float](repeating: 0, count: 2 * n), target: [Float](repeating: 0, count: n),
                          dummyTarget: [Float](repeating: 0, count: 2 * n), outputMask: [Bool](repeating: false, count: n),
                          dummyMask: [Bool](repeating: false, count: n))
        let response = Float(spec.responseTargets[type.sum])
        var s = 0
        for p in spec.periods {
            for _ in 0..<spec.steps(p) {
                switch p {
                case .stimulus1, .stimulus2:
                    let (a, b) = codes.sample(p == .stimulus1 ? type.first : type.second, seed: seed, trial: index, step: s)
                    t.input[2 * s] = a
                    t.input[2 * s + 1] = b
                case .delay1, .delay2:
                    let m = codes.mean(p == .delay1 ? type.first : type.second)
                    t.dummyTarget[2 * s] = m[0]
                    t.dummyTarget[2 * s + 1] = m[1]
                    t.dummyMask[s] = true
                case .response:
                    t.target[s] = response
                    t.outputMask[s] = true
                }
                s += 1
            }
        }
        return t
    }
}
