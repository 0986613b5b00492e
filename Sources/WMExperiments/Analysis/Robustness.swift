import Foundation
import WMCore

/// The robustness tests of a trained network (docs/analysis.md §4): delay extension
/// (forgetting), stimulus noise and input silencing, each over the 16 cases (4 trial-end states
/// × 4 trial types).
///
/// One failure rule for all: a run fails when |ref − z| > `failThreshold` at the last response
/// step; a failure is "asymptotic" when |ref − z| > `asymptoticThreshold` after one more trial
/// length without input, else "fixed time".
public struct RobustnessOptions: Codable, Sendable, Hashable {
    /// Extra delay inserted at the end of delay 1, in τ (default 1, 1.5, …, 199.5: 398 values).
    public var extensions: [Double] = stride(from: 1.0, through: 199.5, by: 0.5).map { $0 }
    /// Noise levels σ (default 21 values from 0.1 to 40, log-spaced): U[0,1)·σ + 0.5 is added to
    /// both input channels at every step of stimulus 1.
    public var sigmas: [Double] = (0..<21).map { 0.1 * Foundation.pow(400.0, Double($0) / 20) }
    public var repeats = 10
    /// Shares of the neurons whose input weights are zero during stimulus 1 (default 0.1…0.9:
    /// the reference's 100…900 of 1000).
    public var silenced: [Double] = (1...9).map { Double($0) / 10 }
    public var failThreshold = 0.1
    public var asymptoticThreshold = 0.3
    /// Seed of the noise (Philox stream `analysisStart`, counters (trajectory, step, 3)).
    public var seed: UInt64 = 0

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable { case extensions, sigmas, repeats, silenced, failThreshold, asymptoticThreshold, seed }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&extensions, .extensions); try c.fill(&sigmas, .sigmas); try c.fill(&repeats, .repeats); try c.fill(&silenced, .silenced)
        try c.fill(&failThreshold, .failThreshold); try c.fill(&asymptoticThreshold, .asymptoticThreshold); try c.fill(&seed, .seed)
    }

    public func validate() throws {
        func bad(_ n: String, _ v: Any, _ e: String) -> WMError { .invalidParameter(name: n, value: "\(v)", expected: e) }
        func increasing(_ v: [Double]) -> Bool { !v.isEmpty && zip(v, v.dropFirst()).allSatisfy { $0 < $1 } }
        guard increasing(extensions), extensions.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 100_000 }) else {
            throw bad("delay extensions", extensions, "increasing values in (0, 100000] τ")
        }
        guard increasing(sigmas), sigmas.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw bad("noise levels", sigmas, "increasing finite values ≥ 0") }
        guard increasing(silenced) else { throw bad("silenced shares", silenced, "increasing values") }
        guard repeats >= 1, repeats <= 10_000 else { throw bad("repeats", repeats, "1…10000") }
        guard silenced.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw bad("silenced shares", silenced, "values in [0, 1]") }
        guard failThreshold.isFinite, failThreshold > 0, asymptoticThreshold.isFinite, asymptoticThreshold > 0 else {
            throw bad("thresholds", "\(failThreshold), \(asymptoticThreshold)", "finite values > 0")
        }
    }
}

/// The outcome of one test at each of its levels.
public struct RobustnessCurve: Codable, Sendable {
    /// The levels (τ of extra delay, σ, silenced share).
    public var levels: [Double]
    /// Runs at each level, and how many failed, asymptotically or at fixed time.
    public var runs: Int
    public var failing: [Int]
    public var asymptotic: [Int]
    public var fixedTime: [Int]
    /// The first level at which half the runs fail (linear interpolation between levels; nil
    /// when never).
    public var halfFailing: Double?
    /// The smallest level at which any run fails (nil when none).
    public var firstFailure: Double?

    /// The share of all runs at all levels that fail, in [0, 1]: never censored, unlike
    /// `halfFailing` (for the delay test, how much the network forgets over the tested range).
    public var failingShare: Double {
        levels.isEmpty || runs == 0 ? 0 : Double(failing.reduce(0, +)) / Double(runs * levels.count)
    }

    init(levels: [Double], runs: Int, outcomes: [[Outcome]]) {
        self.levels = levels
        self.runs = runs
        failing = outcomes.map { $0.filter { $0 != .pass }.count }
        asymptotic = outcomes.map { $0.filter { $0 == .asymptotic }.count }
        fixedTime = outcomes.map { $0.filter { $0 == .fixedTime }.count }
        firstFailure = zip(levels, failing).first { $0.1 > 0 }?.0
        halfFailing = nil
        let half = Double(runs) / 2
        for k in levels.indices where Double(failing[k]) >= half {
            if k == 0 { halfFailing = levels[0] } else {
                let f0 = Double(failing[k - 1]), f1 = Double(failing[k])
                halfFailing = levels[k - 1] + (half - f0) / Swift.max(f1 - f0, 1e-300) * (levels[k] - levels[k - 1])
            }
            break
        }
    }

    enum Outcome { case pass, fixedTime, asymptotic }
}

public struct RobustnessResult: Codable, Sendable {
    public var delay: RobustnessCurve
    public var noise: RobustnessCurve
    public var silencing: RobustnessCurve
    /// The network's own z at the end of each nominal case (4·start + type): the delay test's ref.
    public var nominalOutput: [Double]
    public var seconds: Double
}

/// Runs the three tests of `RobustnessOptions` on `ops`, each level of each test as one batch.
public enum RobustnessTests {
    /// The delay test's outputs: per extension (in steps) and case (4·start + type), z at the
    /// end of the trial and, where `settle(extension, case, z at the end)` is true, after one
    /// more trial length without input (nil elsewhere: only failures need it, and that second
    /// run costs more than the rest of the trial). Each case runs to the end of delay 1 once,
    /// then without input; the state after each extension starts the rest of the trial, every
    /// extension of a trial type in one batch.
    public static func delayOutputs(_ model: ClosedLoopModel, startStates: [[Double]], trials: [TaskTrial], task spec: SequentialTaskSpec,
                                    extensionSteps extSteps: [Int], ops: any DenseOps,
                                    settle: (Int, Int, Double) -> Bool = { _, _, _ in true }) throws -> (end: [[Double]], settled: [[Double?]]) {
        let steps = spec.trialSteps, delay1End = spec.stimulus1 + spec.delay1, k = extSteps.count
        guard k > 0, extSteps.allSatisfy({ $0 >= 1 }) else {
            throw WMError.invalidParameter(name: "delay extensions", value: "\(extSteps) steps", expected: "at least one extension of ≥ 1 step (dt/τ = \(model.step))")
        }
        var end = [[Double]](repeating: [Double](repeating: 0, count: 16), count: k)
        var settled = [[Double?]](repeating: [Double?](repeating: nil, count: 16), count: k)
        let starts = startStates.flatMap { $0 }
        for t in 0..<4 {
            let input = { (s: Int, b: Int) -> [Float]? in
                let u0 = trials[t].input[2 * s], u1 = trials[t].input[2 * s + 1]
                return u0 == 0 && u1 == 0 ? nil : [Float]((0..<b).flatMap { _ in [u0, u1] })
            }
            let sim = try ClosedLoopSimulator(model: model, trajectories: 4, ops: ops)
            try sim.setStates(starts)
            try sim.run(delay1End, inputs: { input($0, 4) })
            var snapshots = [[Float]](repeating: [], count: k)
            try sim.run(extSteps.max() ?? 0, input: nil, observeStep: { extSteps.contains($0 + 1) }) { s in
                let x = try sim.states()
                for (e, len) in extSteps.enumerated() where len == s + 1 { snapshots[e] = x }
            }
            // The branches are released before the runs that settle go on, so the two batches
            // are never held at once.
            var rows: [Int] = []
            let toSettle: [Double] = try {
                let branches = try ClosedLoopSimulator(model: model, trajectories: 4 * k, ops: ops)
                try branches.setStates(snapshots.flatMap { $0.map(Double.init) })
                try branches.run(steps - delay1End, inputs: { input(delay1End + $0, 4 * k) })
                let zEnd = try branches.outputs()
                for e in 0..<k {
                    for s in 0..<4 {
                        end[e][4 * s + t] = Double(zEnd[3 * (4 * e + s)])
                        if settle(e, 4 * s + t, end[e][4 * s + t]) { rows.append(4 * e + s) }
                    }
                }
                return try branches.states(rows: rows)
            }()
            let zSettled = try ClosedLoopSimulator.settledOutputs(model, states: toSettle, steps: steps, ops: ops)
            for (row, z) in zip(rows, zSettled) { settled[row / 4][4 * (row % 4) + t] = Double(z) }
        }
        return (end, settled)
    }

    public static func run(_ model: ClosedLoopModel, startStates: [[Double]], task spec: SequentialTaskSpec, taskSeed: UInt64,
                           options o: RobustnessOptions = RobustnessOptions(), ops: any DenseOps,
                           progress: ((Double) -> Void)? = nil) throws -> RobustnessResult {
        try o.validate()
        guard startStates.count == 4, startStates.allSatisfy({ $0.count == model.n }) else {
            throw WMError.invalidParameter(name: "start states", value: "\(startStates.count)", expected: "4 states of N = \(model.n)")
        }
        let t0 = Date()
        let task = try SequentialTask(spec)
        let trials = TrialType.all.map { task.trial($0, index: $0.index, seed: taskSeed &+ 0xB0B) }
        let n = model.n, steps = spec.trialSteps
        let perTau = 1 / model.step
        let extSteps = o.extensions.map { Int(($0 * perTau).rounded()) }
        let stim1 = spec.stimulus1

        func fails(_ ref: Double, _ end: Double) -> Bool { !(abs(ref - end) <= o.failThreshold) }
        /// z at the last step of `count` steps from `states` (B rows), then, for the rows whose
        /// end fails against `refs(row)` (none without refs), the settled z after one more trial
        /// length without input.
        func endAndSettled(_ states: [Double], count: Int, refs: ((Int) -> Double)?, inputs: @escaping (Int) -> [Float]?) throws -> (end: [Double], settled: [Double?]) {
            let b = states.count / n
            var end: [Double] = [], rows: [Int] = []
            let toSettle: [Double] = try {
                let sim = try ClosedLoopSimulator(model: model, trajectories: b, ops: ops)
                try sim.setStates(states)
                try sim.run(count, inputs: inputs)
                let z = try sim.outputs()
                end = (0..<b).map { Double(z[3 * $0]) }
                rows = refs.map { ref in (0..<b).filter { fails(ref($0), end[$0]) } } ?? []
                return try sim.states(rows: rows)
            }()
            var settled = [Double?](repeating: nil, count: b)
            for (row, zs) in zip(rows, try ClosedLoopSimulator.settledOutputs(model, states: toSettle, steps: steps, ops: ops)) { settled[row] = Double(zs) }
            return (end, settled)
        }
        func outcome(_ ref: Double, _ end: Double, _ settled: Double?) -> RobustnessCurve.Outcome {
            guard fails(ref, end) else { return .pass }
            // Every failing run was settled.
            assert(settled != nil, "a failing run without its settled output")
            let s = settled ?? .nan
            // NaN anywhere (a diverged run or reference) is asymptotic, as a distance beyond the threshold.
            return !(abs(ref - s) <= o.asymptoticThreshold) ? .asymptotic : .fixedTime
        }
        let starts = startStates.flatMap { $0 }
        func shared(_ t: Int, from: Int) -> (Int) -> [Float]? {
            { s in
                let u0 = trials[t].input[2 * (from + s)], u1 = trials[t].input[2 * (from + s) + 1]
                return u0 == 0 && u1 == 0 ? nil : [Float]((0..<4).flatMap { _ in [u0, u1] })
            }
        }

        // Nominal runs: the network's own output at the end of each case.
        var nominal = [Double](repeating: 0, count: 16)
        for t in 0..<4 {
            let (end, _) = try endAndSettled(starts, count: steps, refs: nil, inputs: shared(t, from: 0))
            for s in 0..<4 { nominal[4 * s + t] = end[s] }
        }
        progress?(0.05)

        // Delay extension: the network's own nominal output is the reference.
        let (delayEnd, delaySettled) = try delayOutputs(model, startStates: startStates, trials: trials, task: spec, extensionSteps: extSteps, ops: ops,
                                                        settle: { _, c, end in fails(nominal[c], end) })
        let delayOutcomes = (0..<o.extensions.count).map { e in (0..<16).map { c in outcome(nominal[c], delayEnd[e][c], delaySettled[e][c]) } }
        progress?(0.5)

        // Stimulus noise: every σ × repeat × start of a type as one batch; ref = the target.
        let philox = Philox4x32(seed: o.seed)
        var noiseOutcomes = [[RobustnessCurve.Outcome]](repeating: [], count: o.sigmas.count)
        for t in 0..<4 {
            let b = o.sigmas.count * o.repeats * 4
            let states = (0..<(o.sigmas.count * o.repeats)).flatMap { _ in starts }
            let target = Double(trials[t].target[steps - 1])
            let (end, settled) = try endAndSettled(states, count: steps, refs: { _ in target }, inputs: { s in
                let u0 = trials[t].input[2 * s], u1 = trials[t].input[2 * s + 1]
                guard s < stim1 else { return u0 == 0 && u1 == 0 ? nil : [Float]((0..<b).flatMap { _ in [u0, u1] }) }
                var out = [Float](repeating: 0, count: 2 * b)
                for j in 0..<b {
                    let sigma = o.sigmas[j / (o.repeats * 4)]
                    let w = philox.block(UInt32(j + b * t), UInt32(s), 3, RandomStream.analysisStart.rawValue)
                    out[2 * j] = u0 + Float(Double(RandomBits.unitFloat(w.0)) * sigma + 0.5)
                    out[2 * j + 1] = u1 + Float(Double(RandomBits.unitFloat(w.1)) * sigma + 0.5)
                }
                return out
            })
            for j in 0..<b { noiseOutcomes[j / (o.repeats * 4)].append(outcome(target, end[j], settled[j])) }
            progress?(0.5 + 0.4 * Double(t + 1) / 4)
        }

        // Silencing: the input weights of the first share of the neurons are zero during stimulus 1.
        var silenceOutcomes = [[RobustnessCurve.Outcome]](repeating: [], count: o.silenced.count)
        for (li, share) in o.silenced.enumerated() {
            for t in 0..<4 {
                let sim = try ClosedLoopSimulator(model: model, trajectories: 4, ops: ops)
                try sim.setStates(starts)
                try sim.silenceInputs(Int((share * Double(n)).rounded()))
                try sim.run(stim1, inputs: shared(t, from: 0))
                try sim.silenceInputs(0)
                try sim.run(steps - stim1, inputs: shared(t, from: stim1))
                let z = try sim.outputs()
                let target = Double(trials[t].target[steps - 1])
                let rows = (0..<4).filter { fails(target, Double(z[3 * $0])) }
                var settled = [Double?](repeating: nil, count: 4)
                let toSettle = try sim.states(rows: rows)
                for (row, zs) in zip(rows, try ClosedLoopSimulator.settledOutputs(model, states: toSettle, steps: steps, ops: ops)) { settled[row] = Double(zs) }
                for s in 0..<4 { silenceOutcomes[li].append(outcome(target, Double(z[3 * s]), settled[s])) }
            }
        }
        progress?(1)
        return RobustnessResult(delay: RobustnessCurve(levels: o.extensions, runs: 16, outcomes: delayOutcomes),
                                noise: RobustnessCurve(levels: o.sigmas, runs: 16 * o.repeats, outcomes: noiseOutcomes),
                                silencing: RobustnessCurve(levels: o.silenced, runs: 16, outcomes: silenceOutcomes),
                                nominalOutput: nominal, seconds: Date().timeIntervalSince(t0))
    }
}
