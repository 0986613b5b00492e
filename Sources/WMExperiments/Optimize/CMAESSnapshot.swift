import WMCore

/// The complete state of a `CMAES` optimiser between generations (`CMAES.snapshot()`), Codable so
/// that an interrupted optimisation can be saved (e.g. as JSON) and resumed with
/// `CMAES(restoring:)`. The strategy parameters are recomputed from the dimension and λ; the
/// random numbers from the seed and the generation, so the restored run continues bit for bit.
/// All stored numbers are finite (JSON-safe). Coordinates are internal (unit box), except the bounds
/// and `best`.
public struct CMAESSnapshot: Codable, Sendable, Hashable {
    /// Format version (1).
    public var version: Int
    public var config: CMAESConfig
    public var lower: [Double]
    public var upper: [Double]
    public var integer: [Bool]
    /// Internal mean m (unit box, before mirroring).
    public var mean: [Double]
    public var sigma: Double
    /// C, row-major d×d.
    public var covariance: [Double]
    /// B, row-major; column j is eigenvector j of C at the last decomposition.
    public var eigenvectors: [Double]
    /// D = √eigenvalues at the last decomposition.
    public var axisLengths: [Double]
    public var pathC: [Double]
    public var pathSigma: [Double]
    public var generation: Int
    public var evaluations: Int
    /// `evaluations` at the last eigendecomposition.
    public var eigenEvaluations: Int
    public var best: CMAESPoint?
    /// Best value of each recent generation (for tolFun).
    public var bestHistory: [Double]
    /// Range of the last generation's values; nil when one was non-finite or before the first tell.
    public var lastSpread: Double?
}

extension CMAES {
    /// The full state, for `init(restoring:)`.
    public func snapshot() -> CMAESSnapshot {
        CMAESSnapshot(
            version: 1, config: config, lower: box.lower, upper: box.upper, integer: box.integer,
            mean: m, sigma: sigma, covariance: cov, eigenvectors: eigenvectors, axisLengths: axisLengths,
            pathC: pc, pathSigma: ps, generation: generation, evaluations: evaluations,
            eigenEvaluations: eigenEvaluations, best: best, bestHistory: bestHistory, lastSpread: lastSpread)
    }

    /// Restores an optimiser from `snapshot()`; it then continues exactly as the original would.
    /// Throws `WMError.invalidParameter` for an unknown version, inconsistent sizes or non-finite state.
    public init(restoring s: CMAESSnapshot) throws {
        guard s.version == 1 else {
            throw WMError.invalidParameter(name: "snapshot.version", value: "\(s.version)", expected: "1")
        }
        try self.init(lower: s.lower, upper: s.upper, integer: s.integer, config: s.config)
        let n = dimension
        func check(_ name: String, _ v: [Double], _ count: Int) throws {
            guard v.count == count, v.allSatisfy(\.isFinite) else {
                throw WMError.invalidParameter(name: "snapshot.\(name)", value: "\(v.count) values", expected: "\(count) finite values")
            }
        }
        try check("mean", s.mean, n)
        try check("covariance", s.covariance, n * n)
        try check("eigenvectors", s.eigenvectors, n * n)
        try check("axisLengths", s.axisLengths, n)
        try check("pathC", s.pathC, n)
        try check("pathSigma", s.pathSigma, n)
        try check("bestHistory", s.bestHistory, s.bestHistory.count)
        guard s.sigma.isFinite && s.sigma > 0, s.axisLengths.allSatisfy({ $0 > 0 }) else {
            throw WMError.invalidParameter(name: "snapshot.sigma", value: "\(s.sigma)", expected: "a finite σ > 0 and positive axis lengths")
        }
        guard s.generation >= 0, s.evaluations == s.generation * populationSize, (0...s.evaluations).contains(s.eigenEvaluations) else {
            throw WMError.invalidParameter(
                name: "snapshot.evaluations", value: "\(s.evaluations) after \(s.generation) generations",
                expected: "generation × λ (λ = \(populationSize)) and eigenEvaluations within it")
        }
        if let b = s.best { try check("best.x", b.x, n); try check("best.value", [b.value], 1) }
        m = s.mean
        sigma = s.sigma
        cov = s.covariance
        eigenvectors = s.eigenvectors
        axisLengths = s.axisLengths
        pc = s.pathC
        ps = s.pathSigma
        generation = s.generation
        evaluations = s.evaluations
        eigenEvaluations = s.eigenEvaluations
        best = s.best
        bestHistory = s.bestHistory
        lastSpread = s.lastSpread
    }
}
