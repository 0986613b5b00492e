import Foundation
import WMCore

/// Covariance matrix adaptation evolution strategy, (μ/μ_w, λ)-CMA-ES with rank-one and rank-μ
/// covariance updates and cumulative step-size adaptation, as in Hansen, "The CMA Evolution
/// Strategy: A Tutorial" (2016), Fig. 6 and Table 1 (positive weights only, c_m = 1), with lazy
/// eigendecomposition of C (`LAPACKE_dsyevd`) every λ/(c₁ + c_μ)/d/10 evaluations. It MINIMISES.
///
/// Ask/tell: `ask()` returns the λ candidates of the current generation, the caller evaluates them
/// (e.g. all at once on a GPU), and `tell(_:)` passes their values back in the same order.
/// `ask()` does not change the state; asking again before `tell` returns the same candidates.
///
/// Search space and bounds: see `CMAESBox` — the search runs in the unit box [0, 1]^d (σ is a
/// fraction of the box width) and sampled points are mirrored into the box, so every candidate
/// lies within [lower, upper]. Integer coordinates are rounded in the returned candidates only.
///
/// Randomness: `CMAESNormals` (Philox, counter = (generation, candidate, coordinate pair, tag)), so
/// a run is a pure function of the seed, the bounds, the start and the told values. `snapshot()` and
/// `init(restoring:)` carry the full state: a restored optimiser continues bit for bit.
///
/// Beyond the tutorial's Fig. 6: non-finite values rank worst (after all finite ones, ties by index);
/// on a flat fitness (best value equal to the ⌈0.1 + λ/4⌉-th) σ is multiplied by exp(0.2 + c_σ/d_σ);
/// the σ change per generation is capped at a factor e, and σ is capped so that the longest axis
/// σ·max√eig(C) ≤ 10 box widths (beyond that the mirrored distribution is practically uniform);
/// a mean coordinate outside [−1, 2] is shifted by a multiple of the mirror period 2 (which leaves
/// every candidate unchanged).
public struct CMAES: Sendable {
    /// The settings.
    public let config: CMAESConfig
    let box: CMAESBox
    let params: CMAESParameters
    let normals: CMAESNormals
    let budget: Int

    var m: [Double]
    /// Step size σ (fraction of the box width).
    public internal(set) var sigma: Double
    var cov: [Double]
    var eigenvectors: [Double]
    var axisLengths: [Double]
    var pc: [Double]
    var ps: [Double]
    /// Completed generations (calls of `tell`).
    public internal(set) var generation: Int
    /// Objective evaluations told so far (λ per generation).
    public internal(set) var evaluations: Int
    var eigenEvaluations: Int
    /// The best evaluated candidate so far; nil before the first `tell`. With a noisy objective this
    /// is the luckiest draw, and `mean` is the better estimate of the optimum.
    public internal(set) var best: CMAESPoint?
    var bestHistory: [Double]
    var lastSpread: Double?

    /// Creates an optimiser over the box [lower, upper] (finite, lower < upper in every coordinate),
    /// starting at `start` (inside the box; nil → the centre) with σ = `config.initialSigma`.
    /// `integer` (one flag per coordinate) marks coordinates rounded in the candidates.
    /// Throws `WMError.invalidParameter` for unusable bounds, start, mask or settings.
    public init(lower: [Double], upper: [Double], start: [Double]? = nil, integer: [Bool]? = nil, config: CMAESConfig = CMAESConfig()) throws {
        let box = try CMAESBox(lower: lower, upper: upper, integer: integer)
        let n = box.dimension
        try config.validate(dimension: n)
        self.config = config
        self.box = box
        params = CMAESParameters(n: n, lambda: config.lambda(dimension: n))
        normals = CMAESNormals(seed: config.seed)
        budget = config.budget(dimension: n)
        m = try start.map { try box.normalise(start: $0) } ?? [Double](repeating: 0.5, count: n)
        sigma = config.initialSigma
        cov = [Double](repeating: 0, count: n * n)
        for i in 0..<n { cov[i * n + i] = 1 }
        eigenvectors = cov
        axisLengths = [Double](repeating: 1, count: n)
        pc = [Double](repeating: 0, count: n)
        ps = pc
        generation = 0
        evaluations = 0
        eigenEvaluations = 0
        best = nil
        bestHistory = []
        lastSpread = nil
    }

    // MARK: Properties

    /// Number of coordinates d.
    public var dimension: Int { box.dimension }
    /// Candidates per generation λ.
    public var populationSize: Int { params.lambda }
    /// Lower bounds.
    public var lower: [Double] { box.lower }
    /// Upper bounds.
    public var upper: [Double] { box.upper }
    /// Integer flags, one per coordinate.
    public var integer: [Bool] { box.integer }
    /// The mean of the search distribution, mirrored into the box, original units, not rounded.
    public var mean: [Double] { box.phenotype(m, round: false) }

    // MARK: Ask / tell

    /// The λ candidates of the current generation, inside the bounds (integer coordinates rounded).
    public func ask() -> [[Double]] { (0..<params.lambda).map { box.phenotype(sample($0).x) } }

    /// Standard normal z, direction y = B D z and internal point x = m + σ y of candidate k.
    func sample(_ k: Int) -> (z: [Double], y: [Double], x: [Double]) {
        let n = dimension
        let z = normals.vector(generation: generation, candidate: k, n: n)
        var y = [Double](repeating: 0, count: n)
        var x = m
        for i in 0..<n {
            var s = 0.0
            for j in 0..<n { s += eigenvectors[i * n + j] * axisLengths[j] * z[j] }
            y[i] = s
            x[i] += sigma * s
        }
        return (z, y, x)
    }

    /// Updates the distribution with the objective values of the candidates of `ask()` (same order,
    /// smaller is better). NaN and ±∞ rank worst. Throws `WMError.invalidParameter` when the count is
    /// not λ or no value is finite (the state is then unchanged), and `WMError.unsupported` if the
    /// eigendecomposition fails.
    public mutating func tell(_ values: [Double]) throws {
        let n = dimension, lambda = params.lambda, mu = params.mu
        guard values.count == lambda else {
            throw WMError.invalidParameter(name: "values", value: "\(values.count) values", expected: "one value per candidate of the generation (λ = \(lambda))")
        }
        let finite = values.indices.filter { values[$0].isFinite }
        guard !finite.isEmpty else {
            throw WMError.invalidParameter(
                name: "values", value: "all \(lambda) objective values of generation \(generation) non-finite",
                expected: "at least one finite value per generation (the evaluation fails everywhere the optimiser samples; narrow the bounds or fix the objective)")
        }
        let order = finite.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            + values.indices.filter { !values[$0].isFinite }
        let samples = (0..<lambda).map { sample($0) }

        // Best so far (first candidate wins ties).
        let top = order[0]
        if best == nil || values[top] < best!.value {
            best = CMAESPoint(x: box.phenotype(samples[top].x), value: values[top])
        }

        // Recombination: y_w = Σ w_i y_i:λ, z_w = Σ w_i z_i:λ.
        var yw = [Double](repeating: 0, count: n), zw = yw
        for r in 0..<mu {
            let s = samples[order[r]], w = params.weights[r]
            for i in 0..<n { yw[i] += w * s.y[i]; zw[i] += w * s.z[i] }
        }
        for i in 0..<n { m[i] += sigma * yw[i] }

        // Evolution paths: C^{-1/2} y_w = B z_w.
        let csn = (params.cs * (2 - params.cs) * params.muEff).squareRoot()
        for i in 0..<n {
            var bz = 0.0
            for j in 0..<n { bz += eigenvectors[i * n + j] * zw[j] }
            ps[i] = (1 - params.cs) * ps[i] + csn * bz
        }
        let psNorm = ps.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let g1 = Double(generation + 1)
        let hsig = psNorm / (1 - Foundation.pow(1 - params.cs, 2 * g1)).squareRoot() < (1.4 + 2 / Double(n + 1)) * params.chiN
        let ccn = (params.cc * (2 - params.cc) * params.muEff).squareRoot()
        for i in 0..<n { pc[i] = (1 - params.cc) * pc[i] + (hsig ? ccn * yw[i] : 0) }

        // Covariance: rank-one and rank-μ update.
        let deltaH = hsig ? 0 : params.cc * (2 - params.cc)
        let decay = 1 - params.c1 - params.cmu + params.c1 * deltaH
        for i in 0..<n {
            for j in 0..<n {
                var rankMu = 0.0
                for r in 0..<mu { let y = samples[order[r]].y; rankMu += params.weights[r] * y[i] * y[j] }
                cov[i * n + j] = decay * cov[i * n + j] + params.c1 * pc[i] * pc[j] + params.cmu * rankMu
            }
        }

        // Step size (CSA), flat-fitness escape, caps.
        sigma *= Foundation.exp(min(1, (params.cs / params.damps) * (psNorm / params.chiN - 1)))
        let kth = order[min(lambda - 1, Int((0.1 + Double(lambda) / 4).rounded(.up)) - 1)]
        if values[kth].isFinite && values[kth] == values[top] {
            sigma *= Foundation.exp(0.2 + params.cs / params.damps)
        }
        sigma = min(sigma, 10 / (axisLengths.max() ?? 1))
        for i in 0..<n where m[i] < -1 || m[i] > 2 { m[i] -= 2 * ((m[i] + 0.5) / 2).rounded(.down) }

        // Histories for the stop criteria.
        bestHistory.append(values[top])
        if bestHistory.count > params.historyLength { bestHistory.removeFirst(bestHistory.count - params.historyLength) }
        lastSpread = finite.count == lambda ? values[order[lambda - 1]] - values[top] : nil

        generation += 1
        evaluations += lambda
        if Double(evaluations - eigenEvaluations) > params.eigenInterval {
            try decompose()
            eigenEvaluations = evaluations
        }
    }

    /// B and D from the current C (eigenvalues clamped at 10⁻³⁰·max so that D stays positive; a
    /// clamped value shows up as `.conditionCov`).
    mutating func decompose() throws {
        let eig = try SymmetricEigen(cov, n: dimension)
        guard eig.values.allSatisfy(\.isFinite), eig.vectors.allSatisfy(\.isFinite) else {
            throw WMError.unsupported("CMA-ES covariance matrix became non-finite (generation \(generation))")
        }
        let floor = max((eig.values.max() ?? 1) * 1e-30, Double.leastNormalMagnitude)
        axisLengths = eig.values.map { max($0, floor).squareRoot() }
        eigenvectors = eig.vectors
    }

    // MARK: Stopping

    /// Why the run should stop now, or nil to continue (checked in the order of `CMAESStopReason`).
    public var stopReason: CMAESStopReason? {
        let n = dimension
        if evaluations + params.lambda > budget { return .maxEvaluations }
        guard generation > 0 else { return nil }
        if bestHistory.count >= params.historyLength, let spread = lastSpread,
            let hi = bestHistory.max(), let lo = bestHistory.min(),
            max(hi - lo, spread) < config.tolFun
        {
            return .tolFun
        }
        if (0..<n).allSatisfy({ sigma * max(abs(pc[$0]), cov[$0 * n + $0].squareRoot()) < config.tolX }) { return .tolX }
        if let hi = axisLengths.max(), let lo = axisLengths.min(), (hi / lo) * (hi / lo) > 1e14 { return .conditionCov }
        let axis = generation % n
        if (0..<n).allSatisfy({ m[$0] + 0.1 * sigma * axisLengths[axis] * eigenvectors[$0 * n + axis] == m[$0] }) { return .noEffectAxis }
        if (0..<n).contains(where: { m[$0] + 0.2 * sigma * cov[$0 * n + $0].squareRoot() == m[$0] }) { return .noEffectCoord }
        return nil
    }

    /// True when `stopReason` is not nil.
    public var shouldStop: Bool { stopReason != nil }
}
