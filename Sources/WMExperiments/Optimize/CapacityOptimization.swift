import Foundation
import WMCore

/// One evaluated candidate.
public struct OptimizationCandidate: Codable, Sendable, Hashable {
    public var generation: Int
    public var params: [String: Double]
    /// Mean objective over the evaluation seeds (NaN when every seed failed).
    public var objective: Double
    public var failedSeeds: Int
}

/// A fresh-seed re-measurement: mean, 95 % CI and the per-seed values.
public struct SeedSummary: Codable, Sendable, Hashable {
    public var params: [String: Double]
    public var mean: Double
    public var ci95: [Double]
    public var values: [Double]
}

/// Saved after every generation so an interrupted optimisation resumes exactly.
public struct OptimizationState: Codable, Sendable {
    public var fingerprint: String
    public var spec: OptimizationSpec
    public var cmaes: CMAESSnapshot
    public var candidates: [OptimizationCandidate]
    public var trace: [CMAESTraceEntry]
    public var seconds: Double
}

/// Everything `wmsim optimize` reports.
public struct OptimizationResult: Codable, Sendable {
    public var spec: OptimizationSpec
    public var fingerprint: String
    /// The best candidate of the search (its search score is optimistic: chosen as the maximum of noisy draws).
    public var best: OptimizationCandidate
    /// The best candidate re-measured on fresh seeds.
    public var bestFresh: SeedSummary
    /// The base parameters on the same fresh seeds (paired comparison).
    public var baseFresh: SeedSummary
    /// Mean paired difference best − base and its 95 % CI.
    public var improvement: Double
    public var improvementCI95: [Double]
    public var evaluations: Int
    public var generations: Int
    public var stopReason: String
    public var trace: [CMAESTraceEntry]
    public var candidates: [OptimizationCandidate]
    public var searchSeconds: Double
    public var evaluationsPerSecond: Double
    public var warnings: [String]
}

/// CMA-ES over capacity (see `OptimizationSpec`).
public enum CapacityOptimization {
    /// Progress: generation, evaluations, budget, best objective so far.
    public typealias Progress = (Int, Int, Int, Double) -> Void

    /// Runs (or resumes from `statePath`) the optimisation.
    public static func run(_ spec: OptimizationSpec, backend: any Backend, input: (Int) throws -> InputSource, statePath: URL?,
                           progress: Progress? = nil, note: ((String) -> Void)? = nil) throws -> OptimizationResult {
        try run(spec, backend: backend, input: input, statePath: statePath, interruptAfter: nil, progress: progress, note: note)
    }

    /// `interruptAfter`: stop with `CancellationError` after that many generations of this call
    /// (tests of resumption).
    static func run(_ spec: OptimizationSpec, backend: any Backend, input: (Int) throws -> InputSource, statePath: URL?, interruptAfter: Int?,
                    progress: Progress? = nil, note: ((String) -> Void)? = nil) throws -> OptimizationResult {
        try spec.validate()
        let lower = spec.parameters.map(\.lower), upper = spec.parameters.map(\.upper)
        let integer = spec.parameters.map(\.parameter.isInteger)
        var warnings: [String] = []
        var cma: CMAES
        var candidates: [OptimizationCandidate] = []
        var trace: [CMAESTraceEntry] = []
        var elapsed = 0.0
        if let url = statePath, FileManager.default.fileExists(atPath: url.path) {
            let state: OptimizationState
            do { state = try JSONDecoder().decode(OptimizationState.self, from: Data(contentsOf: url)) } catch {
                throw WMError.file(path: url.path, reason: "not a readable optimisation state (\(error)); remove it to start afresh")
            }
            guard state.fingerprint == spec.fingerprint else {
                throw WMError.file(path: url.path, reason: "belongs to a different optimisation (fingerprint \(state.fingerprint), this one \(spec.fingerprint)); choose another --out or remove it")
            }
            cma = try CMAES(restoring: state.cmaes)
            candidates = state.candidates
            trace = state.trace
            elapsed = state.seconds
            note?("resuming after generation \(cma.generation) (\(cma.evaluations) evaluations)")
        } else {
            // Start from the base parameters where they lie inside the bounds, else the centre.
            let start = spec.parameters.map { p -> Double in
                let v = p.parameter.value(in: spec.base) ?? (p.lower + p.upper) / 2
                return v >= p.lower && v <= p.upper ? v : (p.lower + p.upper) / 2
            }
            cma = try CMAES(lower: lower, upper: upper, start: start, integer: integer, config: spec.cmaes)
        }
        let budget = spec.cmaes.maxEvaluations ?? Int.max
        let t0 = Date()
        var batcher = CapacityBatch()
        var generationsThisRun = 0
        while !cma.shouldStop {
            if let stop = interruptAfter, generationsThisRun >= stop { throw CancellationError() }
            generationsThisRun += 1
            let xs = cma.ask()
            let gen = cma.generation + 1
            let scores = try evaluate(xs, spec: spec, seeds: (0..<spec.seedsPerEvaluation).map { UInt64($0) }, backend: backend, input: input,
                                      batcher: &batcher, warnings: &warnings)
            let means = scores.map { v -> Double in
                let ok = v.compactMap { $0 }
                return ok.isEmpty ? .nan : ok.reduce(0, +) / Double(ok.count)
            }
            for (x, (m, v)) in zip(xs, zip(means, scores)) {
                candidates.append(OptimizationCandidate(generation: gen, params: names(spec, x), objective: m, failedSeeds: v.filter { $0 == nil }.count))
            }
            // CMA-ES minimises: tell the negated objective.
            try cma.tell(means.map { -$0 })
            let finite = means.filter(\.isFinite)
            trace.append(CMAESTraceEntry(generation: cma.generation, evaluations: cma.evaluations, bestValue: -(cma.best?.value ?? .nan),
                                         generationBest: finite.max() ?? .nan, meanValue: finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count),
                                         nonFinite: means.count - finite.count, sigma: cma.sigma, bestX: cma.best?.x ?? []))
            if let url = statePath {
                let state = OptimizationState(fingerprint: spec.fingerprint, spec: spec, cmaes: cma.snapshot(), candidates: candidates, trace: trace,
                                              seconds: elapsed + Date().timeIntervalSince(t0))
                try ResultWriter.json(state, to: url)
            }
            progress?(cma.generation, cma.evaluations, budget, -(cma.best?.value ?? .nan))
        }
        let searchSeconds = elapsed + Date().timeIntervalSince(t0)
        guard let bestPoint = cma.best, let best = candidates.filter({ $0.objective.isFinite }).max(by: { $0.objective < $1.objective }) else {
            throw WMError.noResult("no candidate gave a finite objective (every network of every candidate failed; see the warnings above)")
        }
        // Fresh seeds for the best candidate and the base parameters (paired).
        let fresh = (0..<spec.finalSeeds).map { 1_000_000 + UInt64($0) }
        let baseX = spec.parameters.map { $0.parameter.value(in: spec.base) ?? .nan }
        let finals = try evaluate([bestPoint.x, baseX], spec: spec, seeds: fresh, backend: backend, input: input, batcher: &batcher, warnings: &warnings)
        func summary(_ x: [Double], _ v: [Double?]) -> SeedSummary {
            let ok = v.compactMap { $0 }
            let m = SweepTable.meanCI(ok)
            return SeedSummary(params: names(spec, x), mean: m.mean, ci95: [m.lo ?? .nan, m.hi ?? .nan], values: v.map { $0 ?? .nan })
        }
        let diffs = zip(finals[0], finals[1]).compactMap { a, b -> Double? in
            guard let a, let b else { return nil }
            return a - b
        }
        let d = SweepTable.meanCI(diffs)
        return OptimizationResult(spec: spec, fingerprint: spec.fingerprint, best: best, bestFresh: summary(bestPoint.x, finals[0]),
                                  baseFresh: summary(baseX, finals[1]), improvement: d.mean, improvementCI95: [d.lo ?? .nan, d.hi ?? .nan],
                                  evaluations: cma.evaluations, generations: cma.generation, stopReason: cma.stopReason?.rawValue ?? "",
                                  trace: trace, candidates: candidates, searchSeconds: searchSeconds,
                                  evaluationsPerSecond: searchSeconds > 0 ? Double(cma.evaluations) / searchSeconds : 0, warnings: warnings)
    }

    static func names(_ spec: OptimizationSpec, _ x: [Double]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: zip(spec.parameters, x).map { ($0.parameter.rawValue, $0.parameter.isInteger ? $1.rounded() : $1) })
    }

    /// Objective of every candidate on every seed offset (nil where the network failed), all
    /// candidates × seeds measured in batched launches.
    static func evaluate(_ xs: [[Double]], spec: OptimizationSpec, seeds: [UInt64], backend: any Backend, input: (Int) throws -> InputSource,
                         batcher: inout CapacityBatch, warnings: inout [String]) throws -> [[Double?]] {
        var units: [CapacityBatch.Unit] = []
        for (c, x) in xs.enumerated() {
            for s in seeds { units.append(try spec.unit(x, seedOffset: s, label: "candidate \(c) seed +\(s)")) }
        }
        var scores = [Double?](repeating: nil, count: units.count)
        for batch in batcher.batches(units) {
            let outcomes = try batcher.measure(batch.map { units[$0] }, backend: backend, input: try input(units[batch[0]].spec.network.nIn), warnings: &warnings)
            for (i, o) in zip(batch, outcomes) { scores[i] = spec.score(o) }
        }
        return (0..<xs.count).map { c in Array(scores[(c * seeds.count)..<((c + 1) * seeds.count)]) }
    }
}
