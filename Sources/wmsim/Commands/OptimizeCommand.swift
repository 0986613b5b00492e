import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension OptimizationObjective: ExpressibleByArgument {}

/// `wmsim optimize`: CMA-ES over network parameters for the largest capacity.
struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Find the network parameters with the largest capacity (CMA-ES, batched evaluations, resumable).",
        discussion: """
            --param NAME=lower:upper (repeat) for any of N, g, gIn, sp, spIn, nIn, leak, noise,
            bias; integer parameters are rounded. Maximises MC (--objective mc) or r at one
            lag (--objective r --lag X) of the ridge (default) or MLP decoder. Every
            generation's candidates × --eval-seeds networks run in batched launches; the same
            seeds serve every candidate (common random numbers). The best candidate and the
            base parameters are then re-measured on --final-seeds fresh seeds: an unbiased
            estimate with a 95 % CI and a paired improvement over the base.
            Writes optimize.json (result, trace, every candidate), trace.csv and
            trace.svg into --out; state.json after every generation lets a rerun of the
            same command resume.
            """)

    @OptionGroup var net: NetworkOptions
    @OptionGroup var measure: CapacityOptions
    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .customLong("param"), help: "A parameter and its bounds: NAME=lower:upper (repeat).") var params: [String] = []
    @Option(help: "Objective: mc (Σ r²) or r (correlation at --lag).") var objective: OptimizationObjective = .mc
    @Option(help: "Lag X for --objective r.") var lag: Int?
    @Option(help: "Decoder whose score is maximised: \(DecoderKind.allCases.map(\.rawValue).joined(separator: ", ")) (default ridge).") var decoder: DecoderKind = .ridge
    @Option(help: "Candidate evaluations (budget; default 120).") var budget: Int = 120
    @Option(help: "CMA-ES population per generation (default 4 + 3 ln d).") var population: Int?
    @Option(help: "Initial step as a fraction of each range.") var sigma: Double = 0.3
    @Option(help: "Optimiser seed.") var optimizerSeed: UInt64 = 1
    @Option(help: "Network seeds averaged per candidate.") var evalSeeds: Int = 1
    @Option(help: "Fresh seeds for the final estimate.") var finalSeeds: Int = 10
    @Option(help: "Output folder (default wmsim-out/optimize-<fingerprint>; an existing state there is resumed).", completion: .directory) var out: String?

    func spec() throws -> OptimizationSpec {
        var s = OptimizationSpec()
        net.apply(to: &s.base.network)
        try measure.apply(to: &s.base)
        s.parameters = try params.map { try OptimizationBound(parsing: $0) }
        s.objective = objective
        s.lag = lag
        s.decoder = decoder
        if !s.base.decoders.contains(decoder) { s.base.decoders.append(decoder) }
        s.seedsPerEvaluation = evalSeeds
        s.finalSeeds = finalSeeds
        s.cmaes = CMAESConfig(populationSize: population, initialSigma: sigma, seed: optimizerSeed, maxEvaluations: budget)
        try s.validate()
        return s
    }

    func run() throws {
        do { try execute() } catch let e as WMError { throw CLIError(e.description) }
    }

    func execute() throws {
        let s = try spec()
        let dir = URL(fileURLWithPath: out ?? "wmsim-out/optimize-\(s.fingerprint)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let backend = try backendOptions.make()
        do {
            try s.base.checkSegments()
            try s.memory(backend: backend).check(capabilities: backend.capabilities, what: "the optimisation's largest candidate")
        } catch let e as WMError { throw CLIError(e.description) }
        let what = s.objective == .mc ? "MC" : "r at X = \(s.lag ?? 0)"
        Console.note("optimize \(s.fingerprint): maximise \(s.decoder.rawValue) \(what) over \(s.parameters.map { "\($0.parameter.rawValue) ∈ [\(Format.num($0.lower)), \(Format.num($0.upper))]" }.joined(separator: ", ")); budget \(budget) evaluations × \(s.seedsPerEvaluation) seed(s), then \(s.finalSeeds) fresh seeds")
        var sources: [Int: InputSource] = [:]
        let start = Date()
        let result = try CapacityOptimization.run(s, backend: backend, input: { nIn in
            if let src = sources[nIn] { return src }
            let src = try InputOptions.source(s.base.input, nIn: nIn)
            sources[nIn] = src
            return src
        }, statePath: dir.appendingPathComponent("state.json"), progress: { gen, ev, total, best in
            let el = Date().timeIntervalSince(start)
            let eta = ev > 0 ? el / Double(ev) * Double(Swift.max(0, total - ev)) : 0
            Console.note(String(format: "generation %d: %d/%d evaluations, best %@ %.4f, ETA %@", gen, ev, total, what, best, Format.duration(eta)))
        }, note: { Console.note($0) })
        try ResultWriter.json(OptimizeOutput(provenance: Provenance(backend: backend.info), result: result), to: dir.appendingPathComponent("optimize.json"))
        try OptimizeReport.writeTrace(result, to: dir)
        for w in result.warnings.prefix(10) { Console.note("warning: \(w)") }
        print(OptimizeReport.text(result))
        print("wrote \(dir.path)/{optimize.json,trace.csv,trace.svg,state.json}")
    }
}

/// optimize.json.
struct OptimizeOutput: Codable {
    var provenance: Provenance
    var result: OptimizationResult
}

/// The printed and written summaries of an optimisation.
enum OptimizeReport {
    static func text(_ r: OptimizationResult) -> String {
        let names = r.spec.parameters.map(\.parameter.rawValue)
        func params(_ p: [String: Double]) -> String { names.map { "\($0)=\(Format.num(p[$0] ?? .nan))" }.joined(separator: " ") }
        let what = r.spec.objective == .mc ? "MC" : "r(X=\(r.spec.lag ?? 0))"
        var lines = ["\(r.evaluations) evaluations in \(r.generations) generations (\(String(format: "%.1f", r.searchSeconds)) s, \(String(format: "%.2f", r.evaluationsPerSecond)) evaluations/s), stopped: \(r.stopReason)"]
        let budget = r.spec.cmaes.maxEvaluations ?? r.evaluations
        if r.stopReason == "maxEvaluations", r.evaluations < budget {
            let lambda = r.spec.cmaes.lambda(dimension: r.spec.parameters.count)
            lines.append("note: \(r.evaluations) of the budget's \(budget) evaluations ran: CMA-ES evaluates whole generations of \(lambda) candidates, and another would have exceeded the budget")
        }
        lines.append("best candidate: \(params(r.best.params)) — search \(what) \(String(format: "%.4f", r.best.objective)) (optimistic: the best of noisy draws)")
        func ci(_ s: SeedSummary) -> String {
            MeanInterval.text(mean: s.mean, low: s.ci95[0], high: s.ci95[1], count: s.values.filter(\.isFinite).count, of: s.values.count,
                              decimals: 4, floor: r.spec.objective == .mc ? 0 : nil)
        }
        lines.append("fresh seeds (\(r.spec.finalSeeds)): best \(what) \(ci(r.bestFresh)); base (\(params(r.baseFresh.params))) \(ci(r.baseFresh))")
        let pairs = zip(r.bestFresh.values, r.baseFresh.values).filter { $0.isFinite && $1.isFinite }.count
        lines.append("paired improvement best − base (95 % CI): " + MeanInterval.text(mean: r.improvement, low: r.improvementCI95[0], high: r.improvementCI95[1],
                                                                                    count: pairs, of: r.spec.finalSeeds, decimals: 4))
        return lines.joined(separator: "\n")
    }

    static func writeTrace(_ r: OptimizationResult, to dir: URL) throws {
        let names = r.spec.parameters.map(\.parameter.rawValue)
        var csv = (["generation", "evaluations", "best", "generation_best", "generation_mean", "sigma"] + names.map { "best_\($0)" }).joined(separator: ",") + "\n"
        for t in r.trace {
            csv += ([String(t.generation), String(t.evaluations), "\(t.bestValue)", "\(t.generationBest)", "\(t.meanValue)", "\(t.sigma)"]
                    + t.bestX.map { "\($0)" }).joined(separator: ",") + "\n"
        }
        try ResultWriter.text(csv, to: dir.appendingPathComponent("trace.csv"))
        var plot = SVGLinePlot(title: "CMA-ES search", xLabel: "evaluations", yLabel: r.spec.objective == .mc ? "MC" : "r at X = \(r.spec.lag ?? 0)")
        let ev = r.trace.map { Double($0.evaluations) }
        plot.series = [
            .init(name: "best so far (search, optimistic)", x: ev, y: r.trace.map(\.bestValue), color: SVGLinePlot.palette[0]),
            .init(name: "generation mean", x: ev, y: r.trace.map(\.meanValue), color: SVGLinePlot.palette[1], dashed: true),
        ]
        // The unbiased result: the best candidate and the base re-measured on fresh seeds, drawn
        // after the search with their 95 % CIs (none below 3 finite values).
        let span = Swift.max((ev.last ?? 1) - (ev.first ?? 0), 1)
        let floor = r.spec.objective == .mc ? 0.0 : -Double.infinity   // MC ≥ 0: a t-interval below is clipped
        for (k, (name, s, c)) in [("best on fresh seeds", r.bestFresh, SVGLinePlot.palette[2]), ("base on fresh seeds", r.baseFresh, SVGLinePlot.palette[7])].enumerated() {
            let ok = s.values.filter(\.isFinite).count >= MeanInterval.minimumCount && s.ci95.allSatisfy(\.isFinite)
            let x = (ev.last ?? 0) + span * (0.08 + 0.06 * Double(k))
            plot.series.append(.init(name: name + " (\(s.values.filter(\.isFinite).count) seeds)", x: [x], y: [s.mean],
                                     band: ok ? ([Swift.max(s.ci95[0], floor)], [s.ci95[1]]) : nil, color: c, markersOnly: true))
        }
        try plot.write(to: dir.appendingPathComponent("trace.svg"))
    }
}
