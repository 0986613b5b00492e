import WMCore

/// One generation of a `CMAES.minimize` run.
public struct CMAESTraceEntry: Codable, Sendable, Hashable {
    /// Generation number (1 = the first told generation).
    public var generation: Int
    /// Evaluations so far.
    public var evaluations: Int
    /// Best value so far.
    public var bestValue: Double
    /// Best value of this generation.
    public var generationBest: Double
    /// Mean of this generation's finite values.
    public var meanValue: Double
    /// Non-finite values in this generation.
    public var nonFinite: Int
    /// σ after the update (fraction of the box width).
    public var sigma: Double
    /// Best candidate so far (original units).
    public var bestX: [Double]
}

/// Outcome of `CMAES.minimize`.
public struct CMAESResult: Codable, Sendable, Hashable {
    /// Best evaluated candidate and its value (with noise: the luckiest draw; see `mean`).
    public var best: CMAESPoint
    /// Final mean of the search distribution (original units, not rounded).
    public var mean: [Double]
    /// Final σ (fraction of the box width).
    public var sigma: Double
    public var generations: Int
    public var evaluations: Int
    public var stopReason: CMAESStopReason
    /// One entry per generation.
    public var trace: [CMAESTraceEntry]
    /// Final state, e.g. to continue with a larger budget via `CMAES(restoring:)`.
    public var snapshot: CMAESSnapshot
}

extension CMAES {
    /// Minimises `evaluate` over [lower, upper]: loops `ask` → `evaluate` (the whole generation in
    /// one call, in candidate order) → `tell` until `stopReason` is set. Errors of `evaluate` and of
    /// `tell` (e.g. a generation without a finite value) are rethrown.
    public static func minimize(
        lower: [Double], upper: [Double], start: [Double]? = nil, integer: [Bool]? = nil,
        config: CMAESConfig = CMAESConfig(), evaluate: ([[Double]]) throws -> [Double]
    ) throws -> CMAESResult {
        try minimize(try CMAES(lower: lower, upper: upper, start: start, integer: integer, config: config), evaluate: evaluate)
    }

    /// Runs an existing (e.g. restored) optimiser until it stops; see
    /// `minimize(lower:upper:start:integer:config:evaluate:)`.
    public static func minimize(_ optimiser: CMAES, evaluate: ([[Double]]) throws -> [Double]) throws -> CMAESResult {
        var opt = optimiser
        var trace: [CMAESTraceEntry] = []
        while opt.stopReason == nil {
            let values = try evaluate(opt.ask())
            try opt.tell(values)
            let finite = values.filter(\.isFinite)
            let best = opt.best!
            trace.append(CMAESTraceEntry(
                generation: opt.generation, evaluations: opt.evaluations, bestValue: best.value,
                generationBest: finite.min()!, meanValue: finite.reduce(0, +) / Double(finite.count),
                nonFinite: values.count - finite.count, sigma: opt.sigma, bestX: best.x))
        }
        guard let best = opt.best, let reason = opt.stopReason else {
            throw WMError.invalidParameter(name: "maxEvaluations", value: "\(opt.evaluations) used", expected: "room for at least one more generation")
        }
        return CMAESResult(
            best: best, mean: opt.mean, sigma: opt.sigma, generations: opt.generation, evaluations: opt.evaluations,
            stopReason: reason, trace: trace, snapshot: opt.snapshot())
    }
}
