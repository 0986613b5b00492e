import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension FeedbackConnectivity: ExpressibleByArgument {}

/// `wmsim train`: FORCE training of feedback networks on the sequential working-memory task, one
/// parameter point or a population over a grid.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train rate networks with output feedback by FORCE on the sequential working-memory task, then evaluate them.",
        discussion: """
            The model, the task, FORCE and the evaluation are described in docs/training.md.
            --backend cpu is the double-precision reference; --backend opencl keeps the
            state in float and P, W and the readouts in double where the device has fp64.

            One point: --networks M trains M seeds together (one launch per step on OpenCL).
            Writes trained.json (provenance, spec, metrics) and the weights as NPY into --out;
            scripts/replay_trained.py replays the evaluation in NumPy.

            A population: --vary NAME=v1,v2,… or NAME=from:to:steps[:log] (repeat; N, g, pg,
            fb, alpha, inputScale), --replicates R seeds per point, or a population file
            (--config, TOML/JSON). Networks sharing N and α train together in batches that fit
            the device; after every batch the archives (networks/pPPPP-rRRR/) and one JSON line
            per network (results.jsonl) are written and synced: rerun the same command to resume.
            --shard i/n trains every n-th network (results-shard-i-of-n.jsonl in the same
            folder); `wmsim merge` joins the shards, `wmsim slurm --population FILE` writes a
            job array. Prints and writes (success.csv) the share of learned networks per point
            and per parameter value with 95 % Wilson intervals.
            """)

    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "Neurons (default 1000).") var n: Int?
    @Option(help: "Recurrent gain g (default 1.2).") var g: Double?
    @Option(help: "Recurrent density pg (default 0.7).") var pg: Double?
    @Option(help: "Feedback scale fb: wf, wfd ~ N(0,1)/fb (default 10).") var fb: Double?
    @Option(help: "Recurrent draw: exact (round(pg·N²) entries) or bernoulli (default exact).") var connectivity: FeedbackConnectivity?
    @Option(help: "Network seed (default 0).") var seed: UInt64?
    @Option(help: "Networks trained together, seeds --seed, --seed + 1, … (default 1); one task stream, each archive in network-NNN/.") var networks = 1
    @Option(help: "P₀ = I/α (default 1).") var alpha: Double?
    @Option(help: "Training trials (default 3500).") var trials: Int?
    @Option(help: "Test trials after training, without learning (default 20).") var testTrials: Int?
    @Option(help: "Evaluation seeds, each running 4 start states × 4 trial types (default 10).") var evaluationSeeds: Int?
    @Option(help: "Seed of the trial order and stimulus samples (default 1).") var taskSeed: UInt64?
    @Option(help: "Steps of stimulus 1, delay 1, stimulus 2, delay 2 and response, e.g. 100,50,100,50,50 (the default).") var timeline: String?
    @Option(help: "Stimulus codes from an NPY [samples, 2] (with --labels) instead of Gaussian clusters.") var codes: String?
    @Option(help: "Class labels (0/1) of --codes, an NPY [samples].") var labels: String?
    @Option(help: "Learn on every k-th step inside each output's window (default 2).") var learnEvery: Int?
    @Option(help: "\"Learned\": at most --learned-fraction of the runs above this reference error (default 0.1).") var learnedEpsilon: Double?
    @Option(help: "\"Learned\": the share of runs allowed above --learned-epsilon (default 0).") var learnedFraction: Double?
    @Option(help: "Output folder (default wmsim-out/train-<date>; a population's folder is resumed).", completion: .directory) var out: String?
    @Flag(help: "Write into a non-empty output folder (single point: overwrite its files).") var force = false

    @Option(help: "Population file (.toml or .json: replicates, mode, [base], [base.network], [base.task], [[axes]], points); flags override it.", completion: .file(extensions: ["json", "toml"])) var config: String?
    @Option(name: .customLong("vary"), help: "A population axis: NAME=v1,v2,… or NAME=from:to:steps[:log] (N, g, pg, fb, alpha, inputScale; repeat for more).") var vary: [String] = []
    @Option(help: "How population axes combine: grid, one-at-a-time or list (default grid).") var mode: SweepMode?
    @Option(help: "Population: network seeds per point, --seed + r (default 1).") var replicates: Int?
    @Option(help: "Population: train shard i of n (0-based), every n-th network.") var shard: String?
    @Flag(help: "Population: print the plan (points, networks, batches, memory) and exit.") var dryRun = false
    @Flag(help: "Population: rerun the networks whose row holds an error (e.g. out of memory) instead of skipping them on resume.") var retryErrors = false

    /// A population run: any population flag given.
    var isPopulation: Bool { config != nil || !vary.isEmpty || mode != nil || replicates != nil || shard != nil || dryRun }

    func spec() throws -> ForceTrainingSpec {
        var s = ForceTrainingSpec()
        try apply(to: &s)
        return s
    }

    /// Sets every given flag in `s`.
    func apply(to s: inout ForceTrainingSpec) throws {
        if let v = n { s.network.n = v }
        if let v = g { s.network.g = v }
        if let v = pg { s.network.pg = v }
        if let v = fb { s.network.fb = v }
        if let v = connectivity { s.network.connectivity = v }
        if let v = seed { s.network.seed = v }
        if let v = alpha { s.alpha = v }
        if let v = trials { s.trainTrials = v }
        if let v = testTrials { s.testTrials = v }
        if let v = evaluationSeeds { s.evaluationSeeds = v }
        if let v = taskSeed { s.taskSeed = v }
        if let v = learnEvery { s.learnEvery = v }
        if let v = learnedEpsilon { s.learnedEpsilon = v }
        if let v = learnedFraction { s.learnedFraction = v }
        if let t = timeline {
            let p = t.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard p.count == 5, p.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--timeline takes five step counts: stimulus 1, delay 1, stimulus 2, delay 2, response (e.g. 100,50,100,50,50)")
            }
            (s.task.stimulus1, s.task.delay1, s.task.stimulus2, s.task.delay2, s.task.response) = (p[0]!, p[1]!, p[2]!, p[3]!, p[4]!)
        }
        if let c = codes { s.task.codesPath = c }
        if let l = labels { s.task.labelsPath = l }
    }

    func populationSpec() throws -> TrainingPopulationSpec {
        var p = try config.map { try TrainingPopulationSpec.load(URL(fileURLWithPath: $0)) } ?? TrainingPopulationSpec()
        try apply(to: &p.base)
        if let m = mode { p.mode = m }
        if let r = replicates { p.replicates = r }
        for a in try TrainingAxis.parsing(options: vary) {
            if let i = p.axes.firstIndex(where: { $0.parameter == a.parameter }) { p.axes[i] = a } else { p.axes.append(a) }
        }
        try p.validate()
        return p
    }

    func run() throws {
        do { try execute() } catch let e as WMError { throw CLIError(e.description) }
    }

    func execute() throws {
        if isPopulation { return try executePopulation() }
        let s = try spec()
        try s.validate()
        guard networks >= 1, networks <= 4096 else { throw ValidationError("--networks must be 1…4096") }
        _ = try SequentialTask(s.task)   // reads and checks the code files before anything is written
        let n = s.network.n
        let backend = try backendOptions.make()
        try backend.feedbackMemory(networks: networks, n: n, pg: s.network.pg)
            .check(capabilities: backend.capabilities, what: "FORCE training of \(networks) network(s) of N = \(n)")
        let members = (0..<networks).map { k -> FeedbackNetworkSpec in
            var m = s.network
            m.seed = s.network.seed &+ UInt64(k)
            return m
        }
        let existed = out.map { FileManager.default.fileExists(atPath: $0) } ?? false
        let dir = try OutputFolder.prepare(out, command: "train", force: force)
        Console.note("train: \(networks) network(s) of N = \(n), g = \(s.network.g), pg = \(s.network.pg), fb = \(s.network.fb), seeds \(members[0].seed)…\(members[networks - 1].seed); \(s.trainTrials) trials of \(s.task.trialSteps) steps")
        let bar = Progress("train", total: s.trainTrials + s.testTrials + 16 * s.evaluationSeeds, unit: "trials")
        let trained: [ForceTraining.Trained]
        do {
            trained = try ForceTraining.runBatch(s, networks: members, backend: backend) { done, _ in bar.update(done) }
        } catch {
            if !existed { OutputFolder.removeIfEmpty(dir) }
            throw error
        }
        bar.finish()
        for (k, t) in trained.enumerated() {
            var one = s
            one.network = t.network.spec
            let folder = networks == 1 ? dir : dir.appendingPathComponent(String(format: "network-%03d", k))
            try TrainedNetworkArchive.save(spec: one, network: t.network, startStates: t.startStates, result: t.result,
                                           provenance: Provenance(backend: backend.info), to: folder)
            if !t.result.examples.isEmpty {
                let title = String(format: "Trained network: N=%d g=%g pg=%g fb=%g seed %llu (first test trial of each type)",
                                   t.network.spec.n, t.network.spec.g, t.network.spec.pg, t.network.spec.fb, t.network.spec.seed)
                try ExampleTrialPlot.plot(t.result.examples, title: title).write(to: folder.appendingPathComponent("example_trials.svg"))
            }
            if networks > 1 { print("network \(k) (seed \(t.network.spec.seed)):") }
            report(t.result, spec: s)
        }
        if networks > 1 {
            print("learned: \(trained.filter { $0.result.learned }.count) of \(networks); failed: \(trained.filter { $0.result.failure != nil }.count)")
        }
        print(String(format: "%.1f s; wrote %@/%@{trained.json, *.npy, example_trials.svg}", trained[0].result.seconds, dir.path, networks == 1 ? "" : "network-*/"))
    }

    func report(_ r: ForceTrainingResult, spec s: ForceTrainingSpec) {
        print("training RMSE of z per block: " + r.trainingCurve.map { String(format: "%.3f", $0) }.joined(separator: " "))
        if let f = r.failure {
            print("training failed at \(f); weights at the failure saved")
            return
        }
        let fails = zip(s.epsilons, r.failingShare).map { String(format: "ε = %g: %.0f%%", $0.0, 100 * $0.1) }.joined(separator: ", ")
        print("evaluation: \(r.runs) runs; share above ε (reference error): \(fails)")
        let finite = r.referenceError.filter(\.isFinite).sorted()
        let diverged = r.referenceError.count - finite.count
        print(String(format: "reference error median %.4f, max %.4f over the finite runs%@; learned: %@ (no more than %.0f%% of runs above %g)",
                     finite.isEmpty ? .nan : finite[finite.count / 2], finite.last ?? .nan,
                     diverged > 0 ? " (\(diverged) runs diverged)" : "", r.learned ? "yes" : "no", 100 * s.learnedFraction, s.learnedEpsilon))
    }
}
