import Foundation
import WMCore

/// How one network is trained on the sequential task and evaluated (docs/training.md).
public struct ForceTrainingSpec: Codable, Sendable, Hashable {
    public var network = FeedbackNetworkSpec()
    public var task = SequentialTaskSpec()
    /// Training trials (balanced over the four types, shuffled).
    public var trainTrials = 3500
    /// Test trials run after training without learning; the first trial of each type gives an
    /// evaluation start state.
    public var testTrials = 20
    /// P₀ = I/α for Pw and Pd.
    public var alpha = 1.0
    /// Learn on every k-th global step (inside each output's mask, from step k on).
    public var learnEvery = 2
    /// Seed of the trial order and the stimulus samples of training and testing.
    public var taskSeed: UInt64 = 1
    /// Evaluation: fresh-sample seeds, each running every start state × trial type once.
    public var evaluationSeeds = 10
    /// Errors ε at which the share of failing runs is reported.
    public var epsilons: [Double] = [0.005, 0.01, 0.05, 0.1]
    /// The "learned" rule: at most `learnedFraction` of the evaluation runs have an error above
    /// `learnedEpsilon` (reference RMSE). Default: none above 0.1.
    public var learnedEpsilon = 0.1
    public var learnedFraction = 0.0

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case network, task, trainTrials, testTrials, alpha, learnEvery, taskSeed, evaluationSeeds, epsilons, learnedEpsilon, learnedFraction
    }

    /// Decodes a file that names only what differs from the defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&network, .network)
        try c.fill(&task, .task)
        try c.fill(&trainTrials, .trainTrials)
        try c.fill(&testTrials, .testTrials)
        try c.fill(&alpha, .alpha)
        try c.fill(&learnEvery, .learnEvery)
        try c.fill(&taskSeed, .taskSeed)
        try c.fill(&evaluationSeeds, .evaluationSeeds)
        try c.fill(&epsilons, .epsilons)
        try c.fill(&learnedEpsilon, .learnedEpsilon)
        try c.fill(&learnedFraction, .learnedFraction)
    }

    /// The largest N trained: both backends hold g·J, Pw and Pd as dense N × N matrices.
    public static let largestCPUNetwork = 8192

    public func validate() throws {
        try network.validate()
        try task.validate()
        guard network.n <= Self.largestCPUNetwork else {
            throw WMError.invalidParameter(name: "N", value: "\(network.n)",
                                           expected: "≤ \(Self.largestCPUNetwork) (g·J, Pw and Pd are stored dense, N×N each: \(formatBytes(3 * network.n * network.n * 8)) in double)")
        }
        guard trainTrials >= 0, trainTrials <= 100_000_000 else {
            throw WMError.invalidParameter(name: "training trials", value: "\(trainTrials)", expected: "0…100000000")
        }
        guard testTrials >= 4, testTrials <= 1_000_000 else {
            throw WMError.invalidParameter(name: "test trials", value: "\(testTrials)", expected: "4…1000000 (at least one start state per trial type)")
        }
        guard alpha.isFinite, alpha > 0 else { throw WMError.invalidParameter(name: "α", value: "\(alpha)", expected: "a finite value > 0 (P₀ = I/α)") }
        guard learnEvery >= 1 else { throw WMError.invalidParameter(name: "learn every", value: "\(learnEvery)", expected: "≥ 1 step") }
        guard evaluationSeeds >= 1, evaluationSeeds <= 100_000 else {
            throw WMError.invalidParameter(name: "evaluation seeds", value: "\(evaluationSeeds)", expected: "1…100000")
        }
        // The evaluation trials are kept (inputs, targets, masks: 22 bytes a step) and saved.
        let evaluationBytes = Double(evaluationSeeds) * 16 * Double(task.trialSteps) * 22
        guard evaluationBytes <= Double(MemoryEstimate.hostAvailable) / 2 else {
            throw WMError.insufficientMemory(needed: Int(evaluationBytes), available: MemoryEstimate.hostAvailable / 2,
                                            what: "the evaluation trials (\(evaluationSeeds) seeds × 16 runs × \(task.trialSteps) steps); use fewer seeds or a shorter timeline")
        }
        guard epsilons.allSatisfy({ $0.isFinite && $0 > 0 }), learnedEpsilon.isFinite, learnedEpsilon > 0 else {
            throw WMError.invalidParameter(name: "ε", value: "\(epsilons), \(learnedEpsilon)", expected: "finite values > 0")
        }
        guard learnedFraction >= 0, learnedFraction < 1 else {
            throw WMError.invalidParameter(name: "learned fraction", value: "\(learnedFraction)", expected: "in [0, 1)")
        }
    }
}

/// What training and evaluation found.
public struct ForceTrainingResult: Codable, Sendable {
    /// Evaluation runs (seeds × 4 start states × 4 types).
    public var runs: Int
    /// Per run, the reference's error √(Σ_response (z − target)² / runs) (it divides by the number
    /// of runs, not of steps), in the order seed, start state, trial type.
    public var referenceError: [Double]
    /// Per run, the plain per-step RMSE over the response window.
    public var rmse: [Double]
    /// For each ε of the spec, the share of runs whose reference error exceeds it.
    public var failingShare: [Double]
    public var learned: Bool
    /// Training RMSE of the main output over the response windows, per block of 4·⌈trials/40⌉
    /// trials (a learning curve).
    public var trainingCurve: [Double]
    /// Rank-1 updates of Pw and Pd.
    public var updates: [Int]
    /// The step at which training failed, and why (nil when it did not).
    public var failure: String?
    public var seconds: Double
    /// The first test trial of each type with the network's outputs (for plots; not in trained.json).
    public var examples: [ExampleTrial] = []

    enum CodingKeys: String, CodingKey {
        case runs, referenceError, rmse, failingShare, learned, trainingCurve, updates, failure, seconds
    }
}

/// One trial as a trained network ran it: the task's inputs and targets and the outputs z, zd.
public struct ExampleTrial: Sendable {
    public var trial: TaskTrial
    /// z per step, `[steps]`.
    public var output: [Double]
    /// zd per step, `[steps][2]`.
    public var dummyOutput: [Double]
}

/// FORCE training on a backend (`Backend.makeFeedbackRunner`; the CPU backend is the
/// double-precision reference), then the evaluation of §3.4.
public enum ForceTraining {
    /// What one network of a batch came out with.
    public typealias Trained = (network: FeedbackNetwork, startStates: [[Double]], result: ForceTrainingResult)

    /// Trains `spec.network` on `backend` and evaluates it; the trained network and its
    /// evaluation start states come back with the result. `progress(done, total)` counts trials.
    public static func run(_ spec: ForceTrainingSpec, backend: any Backend = CPUBackend(), progress: ((Int, Int) -> Void)? = nil) throws -> Trained {
        try runBatch(spec, networks: [spec.network], backend: backend, progress: progress)[0]
    }

    /// Trains `networks` (one N and dt/τ; `spec.network` is ignored) together on `backend`, on one
    /// task stream, and evaluates each. A network whose training fails is reported in its result
    /// and the others go on.
    public static func runBatch(_ spec: ForceTrainingSpec, networks specs: [FeedbackNetworkSpec], backend: any Backend = CPUBackend(),
                                progress: ((Int, Int) -> Void)? = nil) throws -> [Trained] {
        guard let first = specs.first else { throw WMError.invalidParameter(name: "networks", value: "[]", expected: "at least one") }
        for s in specs {
            var one = spec
            one.network = s
            try one.validate()
            guard s.n == first.n, s.dt / s.tau == first.dt / first.tau else {
                throw WMError.incompatibleEnsemble("networks trained together share N and dt/τ")
            }
        }
        let t0 = Date()
        let task = try SequentialTask(spec.task)
        let m = specs.count, n = first.n
        let runner = try backend.makeFeedbackRunner(networks: try specs.map { try FeedbackNetworkGenerator.generate($0) }, alpha: spec.alpha)
        let steps = spec.task.trialSteps
        let total = spec.trainTrials + spec.testTrials + spec.evaluationSeeds * 16
        var curves = [[Double]](repeating: [], count: m)
        var blockSum = [Double](repeating: 0, count: m), blockCount = 0
        let blockTrials = 4 * Swift.max(1, (spec.trainTrials + 39) / 40)
        func closeBlock(_ mm: Int) {
            if blockCount > 0 && curves[mm].count < (spec.trainTrials + blockTrials - 1) / blockTrials {
                curves[mm].append((blockSum[mm] / Double(blockCount)).squareRoot())
            }
        }

        // Training: trials back to back, learning inside the masks. Training and test trial types
        // are each balanced (so every type appears among ≥ 4 test trials).
        let types = SequentialTask.trialTypes(count: spec.trainTrials, seed: spec.taskSeed)
            + SequentialTask.trialTypes(count: spec.testTrials, seed: spec.taskSeed ^ 0x7E57)
        var stopped = [Bool](repeating: false, count: m)
        for k in 0..<spec.trainTrials {
            let trial = task.trial(types[k], index: k, seed: spec.taskSeed)
            let teacher = FeedbackRunner.Teacher(target: trial.target, dummyTarget: trial.dummyTarget, outputMask: trial.outputMask,
                                                 dummyMask: trial.dummyMask, every: spec.learnEvery)
            var stepsInBlock = 0
            try runner.run(count: steps, input: trial.input, teacher: teacher) { s, z, _ in
                guard trial.outputMask[s] else { return }
                // NaN marks a step a failed network did not run (CPU runner).
                for mm in 0..<m where !z[mm].isNaN { let e = z[mm] - Double(trial.target[s]); blockSum[mm] += e * e }
                stepsInBlock += 1
            }
            blockCount += stepsInBlock
            // A network that failed closes its curve with the partial block it was in.
            for mm in 0..<m where !stopped[mm] && runner.failures[mm] != nil {
                closeBlock(mm)
                stopped[mm] = true
            }
            if (k + 1) % blockTrials == 0 || k + 1 == spec.trainTrials {
                for mm in 0..<m where !stopped[mm] { closeBlock(mm) }
                blockSum = [Double](repeating: 0, count: m)
                blockCount = 0
            }
            progress?(k + 1, total)
            if stopped.allSatisfy({ $0 }) { break }
        }
        let trained = try runner.trainedNetworks()
        var results = (0..<m).map { mm -> ForceTrainingResult in
            let c = runner.updateCounts[mm]
            return ForceTrainingResult(runs: 0, referenceError: [], rmse: [], failingShare: [], learned: false, trainingCurve: curves[mm],
                                       updates: [c.output, c.dummy], failure: runner.failures[mm].map { "step \($0.step): \($0.reason)" },
                                       seconds: 0)
        }
        let live = (0..<m).filter { runner.failures[$0] == nil }
        guard !live.isEmpty else {
            let seconds = Date().timeIntervalSince(t0)
            return (0..<m).map { mm in var r = results[mm]; r.seconds = seconds; return (trained[mm], [], r) }
        }

        // Testing without learning: the state at the end of the first test trial of each type,
        // whose outputs are kept as examples.
        var starts = [[Double]?](repeating: nil, count: 4)   // [M·N] each
        var examples = [[ExampleTrial]](repeating: [], count: m)
        for k in spec.trainTrials..<(spec.trainTrials + spec.testTrials) {
            let trial = task.trial(types[k], index: k, seed: spec.taskSeed)
            let first = starts[trial.type.index] == nil
            var z = [[Double]](repeating: [], count: m), zd = [[Double]](repeating: [], count: m)
            try runner.run(count: steps, input: trial.input, teacher: nil, observe: first ? { _, zs, zds in
                for mm in 0..<m { z[mm].append(zs[mm]); zd[mm] += [zds[2 * mm], zds[2 * mm + 1]] }
            } : nil)
            if first {
                starts[trial.type.index] = try runner.states()
                for mm in 0..<m { examples[mm].append(ExampleTrial(trial: trial, output: z[mm], dummyOutput: zd[mm])) }
            }
            progress?(k + 1, total)
        }
        let startStates = starts.compactMap { $0 }

        // Evaluation: every seed × start state × type, fresh stimulus samples per run.
        let runs = evaluationRuns(spec, task: task)
        var sums = [[Double]](repeating: [], count: m)
        for (k, run) in runs.enumerated() {
            try runner.setStates(startStates[run.start])
            var sum = [Double](repeating: 0, count: m)
            try runner.run(count: steps, input: run.trial.input, teacher: nil) { s, z, _ in
                guard run.trial.outputMask[s] else { return }
                for mm in 0..<m { let e = z[mm] - Double(run.trial.target[s]); sum[mm] += e * e }
            }
            for mm in 0..<m { sums[mm].append(sum[mm]) }
            if k % 4 == 3 { progress?(spec.trainTrials + spec.testTrials + k + 1, total) }
        }
        let seconds = Date().timeIntervalSince(t0)
        return (0..<m).map { mm -> Trained in
            var result = results[mm]
            result.seconds = seconds
            guard result.failure == nil else { return (trained[mm], [], result) }
            result.examples = examples[mm].sorted { $0.trial.type.index < $1.trial.type.index }
            result.runs = runs.count
            result.referenceError = sums[mm].map { ($0 / Double(runs.count)).squareRoot() }
            result.rmse = sums[mm].map { ($0 / Double(spec.task.response)).squareRoot() }
            result.failingShare = spec.epsilons.map { eps in Double(result.referenceError.filter { !($0 <= eps) }.count) / Double(runs.count) }
            let failing = Double(result.referenceError.filter { !($0 <= spec.learnedEpsilon) }.count) / Double(runs.count)
            result.learned = failing <= spec.learnedFraction
            results[mm] = result
            return (trained[mm], startStates.map { Array($0[(mm * n)..<((mm + 1) * n)]) }, result)
        }
    }

    /// One evaluation run: a start state (index into the four, in `TrialType.all` order) and a trial.
    public struct EvaluationRun: Sendable {
        public var start: Int
        public var trial: TaskTrial
    }

    /// The evaluation runs in order: seed, then start state, then trial type. Seed s draws its
    /// stimuli with task seed `taskSeed + 1 + s`, each of its 16 runs with its own trial index
    /// (4·start + type), so every run sees its own samples.
    public static func evaluationRuns(_ spec: ForceTrainingSpec, task: SequentialTask) -> [EvaluationRun] {
        var out: [EvaluationRun] = []
        for seed in 0..<spec.evaluationSeeds {
            for start in 0..<4 {
                for type in TrialType.all {
                    out.append(EvaluationRun(start: start, trial: task.trial(type, index: 4 * start + type.index,
                                                                             seed: spec.taskSeed &+ 1 &+ UInt64(seed))))
                }
            }
        }
        return out
    }
}
