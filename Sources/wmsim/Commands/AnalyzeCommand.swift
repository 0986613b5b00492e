import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim analyze`: how trained networks hold the memory.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse trained networks: the reference's post-hoc mechanism classification (fixed points, slow manifold, limit cycle, …).",
        discussion: """
            DIR is a trained network's folder (trained.json) or a `wmsim train` output (its
            networks/*/ or network-*/ archives); several may be given. Each network's closed
            loop (W_eff = g·J + wf·woᵀ + wfd·wdᵀ) runs 100 perturbed starts (the origin and the
            4 trial-end states, 20 copies each, + N(0, 0.5²)) and the 4 trial-end states for
            17500 input-free steps as one batch (one GEMM per step on the backend's dense ops,
            float32); the mean and variance of z over the last 700 steps classify it
            (docs/analysis.md). Then fixed and slow points: q = ½‖F(x)‖² minimised by Adam
            from those 100 starts and 256 samples of the 16 trial trajectories (+ N(0, 0.5²)),
            refined by Newton steps in double, filtered, merged and linearised (eigenvalues of
            the Jacobian, stability, slow directions); their states go to
            RESULTS-points/network-NNNNN.npy. One JSON line per network is appended and synced to --out;
            rerun to resume. --shard i/n analyses every n-th network; `wmsim merge` joins shards.
            At the end the mechanisms are compared (pooled and within matched parameters) and the
            population summary is written to RESULTS-summary.json (docs/analysis.md §5, §7).
            """)

    @Argument(help: "Trained-network folders or `wmsim train` output folders.", completion: .directory) var dirs: [String]
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "Results file (JSON Lines; default DIR/analysis.jsonl for one DIR, else wmsim-out/analysis-<fingerprint>.jsonl).", completion: .file(extensions: ["jsonl"])) var out: String?
    @Option(help: "Analyse shard i of n (0-based): every n-th network.") var shard: String?
    @Option(help: "Perturbed copies of each base state (default 20).") var copies: Int?
    @Option(help: "S.d. of the perturbation (default 0.5).") var noise: Double?
    @Option(help: "Input-free steps (default 17500).") var steps: Int?
    @Option(help: "Steps at the end for the mean and variance of z (default 700).") var window: Int?
    @Option(help: "Settled: every variance below this (default 1e-9).") var settledVariance: Double?
    @Option(help: "Decimals final outputs are rounded to (default 4).") var decimals: Int?
    @Option(help: "\"fixed points\" from this many distinct settled outputs (default 6).") var fixedMinimum: Int?
    @Option(help: "\"far\" beyond ± this mean output (default 4).") var farBound: Double?
    @Option(help: "Seed of the perturbations (default 0).") var seed: UInt64?
    @Flag(help: "Skip the fixed- and slow-point search.") var noFixedPoints = false
    @Option(help: "Fixed points: Adam iterations at most (default 5000).") var fpIterations: Int?
    @Option(help: "Fixed points: trajectory samples added to the 100 classification starts (default 256).") var fpSamples: Int?
    @Option(help: "Fixed points: Adam learning rate (default 0.01).") var fpLearningRate: Double?
    @Flag(help: "Skip the robustness tests (delay extension, stimulus noise, silencing).") var noRobustness = false
    @Flag(help: "Rerun the networks whose row holds an error (e.g. out of memory) instead of skipping them on resume.") var retryErrors = false
    @Option(help: "Robustness: noise repeats per σ and case (default 10).") var noiseRepeats: Int?
    @Option(help: "Robustness: the longest extra delay, in τ (extensions 1, 1.5, … up to it; default 199.5).") var maxExtension: Double?

    func run() throws {
        do { try execute() } catch let e as WMError { throw CLIError(e.description) }
    }

    func execute() throws {
        let spec = try analysisSpec { try AnalysisSpec.discover(dirs) }
        let o = spec.classification
        let sh = try shard.map { try SweepShard(parsing: $0) }
        let url: URL
        if let out { url = URL(fileURLWithPath: out) } else if dirs.count == 1 {
            url = URL(fileURLWithPath: dirs[0]).appendingPathComponent(sh.map { "analysis-shard-\($0.index)-of-\($0.count).jsonl" } ?? "analysis.jsonl")
        } else {
            url = URL(fileURLWithPath: "wmsim-out/analysis-\(spec.fingerprint)\(sh.map { "-shard-\($0.index)-of-\($0.count)" } ?? "").jsonl")
        }
        let backend = try backendOptions.make()
        Console.note("analyze: \(spec.archives.count) network(s)\(sh.map { ", shard \($0)" } ?? ""); \(5 * o.copies + 4) starts × \(o.steps) steps each")
        var bar: Progress? = nil
        var runner = AnalysisRunner(spec: spec, shard: sh)
        runner.retryErrors = retryErrors
        let interruption = Interruption(file: url.path)
        let summary = try runner.run(backend: backend, output: url, status: { st in
            interruption.update(kept: st.done, total: st.total)
            if bar == nil {
                bar = Progress("analyze", total: st.total, unit: "networks", start: st.resumed)
                bar?.lineEvery = 30
            }
            bar?.update(st.done)
        }, note: { Console.note($0) })
        bar?.finish()
        for w in summary.warnings { Console.note("warning: \(w)") }
        let results = try AnalysisResults.read(url)
        for r in results.rows.sorted(by: { $0.point < $1.point }) {
            let name = URL(fileURLWithPath: r.archive).lastPathComponent
            if let c = r.classification {
                var line = String(format: "%@: %@ (%d distinct, max var %.2g); noiseless: %@ (%d); learned: %@", name, c.mechanism.rawValue, c.distinct,
                                  c.maxVariance, c.noiseless.rawValue, c.noiselessDistinct, r.learned.map { $0 ? "yes" : "no" } ?? "—")
                if let f = r.fixedPoints {
                    let fixed = f.points.filter(\.isFixed)
                    line += "; \(fixed.count) fixed point(s) (\(fixed.filter(\.stable).count) stable), \(f.points.count - fixed.count) slow, \(f.unconverged.count) of \(f.starts) starts unconverged"
                }
                if let rb = r.robustness {
                    func level(_ v: Double?, _ unit: String) -> String { v.map { String(format: "%.3g", $0) + unit } ?? "never" }
                    line += "; delay: first failure \(level(rb.delay.firstFailure, " τ")), half failing \(level(rb.delay.halfFailing, " τ"))"
                    line += "; noise: half failing at σ \(level(rb.noise.halfFailing, "")); silencing: first failure at share \(level(rb.silencing.firstFailure, ""))"
                }
                print(line)
            } else {
                print("\(name): not analysed: \(r.error ?? "?")")
            }
        }
        print("")
        print(MechanismTable(results.rows).text)
        let population = PopulationSummary(results.rows, results: url)
        if results.rows.contains(where: { $0.robustness != nil }) {
            print("")
            print(population.comparison.text)
        }
        let summaryURL = PopulationSummary.url(for: url)
        try ResultWriter.json(population, to: summaryURL)
        let figures = try AnalysisRunner.writePopulationPlots(results.rows, output: url)
        print("figures in \(AnalysisRunner.companion(url, "plots"))/: network-*-{pca,eigenvalues,slowness}.svg\(figures.isEmpty ? "" : ", " + figures.joined(separator: ", "))")
        print(String(format: "%d network(s) analysed in %.1f s%@; %d not analysed", summary.analysed, summary.seconds,
                     summary.resumed > 0 ? ", \(summary.resumed) resumed" : "", summary.failed))
        print("wrote \(url.path) and \(summaryURL.path)")
    }

    /// The analysis these options ask for, checked, over the networks `archives` finds (after
    /// the options' own checks; `wmsim slurm --analyze` checks its options before any network exists).
    func analysisSpec(checkArchives: Bool = true, archives: () throws -> [String]) throws -> AnalysisSpec {
        var o = ClassificationOptions()
        if let v = copies { o.copies = v }
        if let v = noise { o.noise = v }
        if let v = steps { o.steps = v }
        if let v = window { o.window = v }
        if let v = settledVariance { o.settledVariance = v }
        if let v = decimals { o.decimals = v }
        if let v = fixedMinimum { o.fixedPointsMinimum = v }
        if let v = farBound { o.farBound = v }
        if let v = seed { o.seed = v }
        // Default slowness steps end within the run.
        o.slownessSteps = o.slownessSteps.filter { $0 < o.steps } + (o.slownessSteps.contains(o.steps - 1) ? [] : [o.steps - 1])
        var fo: FixedPointOptions? = noFixedPoints ? nil : FixedPointOptions()
        if noFixedPoints, fpIterations != nil || fpSamples != nil || fpLearningRate != nil {
            throw ValidationError("--fp-* options set the fixed-point search, which --no-fixed-points turns off")
        }
        if let v = fpIterations { fo?.iterations = v }
        if let v = fpSamples { fo?.trajectorySamples = v }
        if let v = fpLearningRate { fo?.learningRate = v }
        fo?.seed = o.seed
        var ro: RobustnessOptions? = noRobustness ? nil : RobustnessOptions()
        if noRobustness, noiseRepeats != nil || maxExtension != nil {
            throw ValidationError("--noise-repeats and --max-extension set the robustness tests, which --no-robustness turns off")
        }
        if let v = noiseRepeats { ro?.repeats = v }
        if let v = maxExtension {
            guard v.isFinite, v >= 1, v <= 100_000 else { throw ValidationError("--max-extension must be 1…100000 τ") }
            ro?.extensions = stride(from: 1.0, through: v, by: 0.5).map { $0 }
        }
        ro?.seed = o.seed
        let spec = AnalysisSpec(archives: try archives(), classification: o, fixedPoints: fo, robustness: ro)
        try checkArchives ? spec.validate() : spec.validateOptions()
        return spec
    }
}
