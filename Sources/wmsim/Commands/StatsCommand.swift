import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension MultipleTesting.Method: ExpressibleByArgument {}

/// `wmsim stats`: which parameters change capacity, and do they interact.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Test which swept parameters change capacity (correlations, bootstrap slopes, corrected p-values, interactions).",
        discussion: """
            Reads a results file of `wmsim sweep` (or `wmsim merge`). For each varied parameter:
            Spearman ρ and Pearson r with two-sided p-values (SciPy's definitions), the OLS
            slope with a pairs-bootstrap 95 % CI, and p-values corrected over all parameters
            (--correction holm by default); "significant" means Spearman's corrected p < α.
            One-at-a-time sweeps test each parameter on its own line (others at base); grids
            test marginal effects and, for every pair of parameters, fit
            y ~ a + b + a:b on centred predictors (log10 for axes with a log scale) and draw the
            2-D map of means. Writes stats.json, effects.csv, interactions.csv and SVG plots.
            """)

    @Argument(help: "Sweep results file (.jsonl).", completion: .file(extensions: ["jsonl"])) var results: String
    @Option(help: "Metric: mc (Σ r²) or r (correlation at each X of the sweep, or at --lag).") var metric: OptimizationObjective = .mc
    @Option(help: "Decoder: \(DecoderKind.allCases.map(\.rawValue).joined(separator: ", ")) (default ridge).") var decoder: DecoderKind = .ridge
    @Option(help: "Lag X for --metric r when the sweep has no X axis.") var lag: Int?
    @Option(help: "Significance level.") var alpha: Double = 0.05
    @Option(help: "Multiple-testing correction: bonferroni, holm, fdr_bh.") var correction: MultipleTesting.Method = .holm
    @Option(help: "Bootstrap resamples.") var resamples: Int = 2000
    @Option(help: "Bootstrap seed.") var seed: UInt64 = 1
    @Option(help: "Output folder (default: <results>-stats next to the file).", completion: .directory) var out: String?

    /// The fewest bootstrap resamples accepted. A percentile interval's end is an order statistic
    /// of the resamples: at 1000, 25 resampled slopes lie beyond each end of the 95 % CI, and
    /// another --seed moves it little; with far fewer the end is one or two resamples (at 10,
    /// the smallest and largest), and the CI is noise.
    static let minimumResamples = 1000

    func validate() throws {
        if resamples < Self.minimumResamples {
            throw ValidationError("--resamples must be ≥ \(Self.minimumResamples) for a bootstrap 95 % CI (each end is a percentile of the resamples); got \(resamples)")
        }
    }

    func run() throws {
        do {
            let url = URL(fileURLWithPath: results)
            let r = try SweepResults.read(url)
            var o = SweepAnalysisOptions()
            o.metric = metric
            o.decoder = decoder
            o.lag = lag
            o.alpha = alpha
            o.correction = correction
            o.resamples = resamples
            o.seed = seed
            let a = try SweepAnalysis.analyze(r, options: o)
            for w in a.warnings { Console.note("warning: \(w)") }
            let dir = URL(fileURLWithPath: out ?? url.deletingPathExtension().path + "-stats")
            struct Source: Encodable {
                var tool = "wmsim"
                var version = WMSimVersion.string
                var commit = SourceRevision.current
                var command = CommandLine.arguments
                var host = ProcessInfo.processInfo.hostName
                var results: String
                var date: String
            }
            let files = try SweepAnalysisOutput.write(a, provenance: Source(results: url.path, date: ISO8601DateFormatter().string(from: Date())), to: dir)
            print(SweepAnalysisOutput.table(a))
            print("wrote \(dir.path)/{\(files.joined(separator: ","))}")
        } catch let e as WMError { throw CLIError(e.description) }
    }
}
