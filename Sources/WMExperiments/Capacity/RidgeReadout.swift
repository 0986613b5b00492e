import CLAPACK
import Foundation
import WMCore

/// Linear ridge readout fitted from `SegmentMoments` (never from stored states).
///
/// For every target column k (lag k + 1 in the memory-capacity convention):
///
///     w_k(λ) = (G̃ + λ I)⁻¹ c̃_k,     b_k = ȳ_k − s̄ᵀ w_k,     ŷ_k = w_kᵀ s + b_k
///
/// with the centred training moments G̃ = Σ (s − s̄)(s − s̄)ᵀ and c̃_k = Σ (s − s̄)(y_k − ȳ_k)
/// (so the intercept is not penalised). One symmetric eigendecomposition G̃ = V diag(e) Vᵀ
/// (LAPACKE_dsyevd) serves every λ: W(λ) = V diag(1/(e + λ)) P with P = Vᵀ C̃ computed once, so a
/// new λ costs O(N·K) in the eigenbasis plus one O(N²·K) back-transform (no new factorisation).
///
/// λ scaling. Grid values are *relative*: the absolute ridge parameter is
/// λ = λ_rel · trace(G̃)/N, i.e. λ_rel = 1 equals the mean eigenvalue of the training scatter
/// (the mean state variance times the training count). This makes the grid independent of the
/// segment length and of the state amplitude. The default grid is 13 values 10⁻⁸, 10⁻⁷, …, 10⁴.
/// A user-given λ (`init(training:lambda:validation:)`) is absolute.
///
/// Selection. On a validation segment the Pearson correlation r_k(λ) between ŷ_k and y_k is
/// computed from moments alone:
///
///     cov(ŷ, y) = w_kᵀ c̃_val,k / n_val,  var(ŷ) = w_kᵀ G̃_val w_k / n_val,
///     var(y)   = (Σ y_k² − n_val ȳ_k²) / n_val = Σ (y_k − ȳ_k)² / n_val
///
/// (the intercept and the training means cancel in a correlation). `.perLag` picks, for each lag,
/// the λ with the largest validation r (ties → larger λ); `.shared` picks one λ for all lags
/// maximising the mean over lags of max(r, 0)².
///
/// Degenerate cases:
/// - empty or too short segments, K ≥ training count, λ ≤ 0 or non-finite, an empty grid,
///   shape mismatches, non-finite moments: `WMError.invalidParameter` is thrown;
/// - constant or saturated states (training mean state variance ≤ 10⁻¹⁴ × (1 + mean of s̄²),
///   e.g. every tanh unit stuck at ±1): throws `WMError.invalidParameter(name: "states", …)`;
/// - a constant target on the scored segment (r undefined): r = r² = NaN with the flag
///   `.constantTarget`;
/// - a constant prediction (w_k = 0 or states constant on the scored segment) with a varying
///   target: r = r² = 0 with the flag `.constantPrediction`.
public struct RidgeReadout: Sendable {
    /// How λ is chosen from the grid.
    public enum LambdaSelection: String, Codable, Sendable {
        /// One λ per lag, maximising that lag's validation r.
        case perLag
        /// One λ for all lags, maximising the mean over lags of max(r, 0)².
        case shared
    }

    /// Why a score is special.
    public enum ScoreFlag: String, Codable, Sendable, Equatable {
        /// The target has zero variance on the scored segment: r is undefined (NaN).
        case constantTarget
        /// The prediction has zero variance on the scored segment: r := 0.
        case constantPrediction
    }

    /// Test-segment score of one target column.
    public struct LagScore: Codable, Sendable, Equatable {
        /// Lag k = column index + 1 (target column j holds u(t − (j + 1))).
        public var lag: Int
        /// Pearson correlation between prediction and target on the test segment.
        public var r: Double
        /// Squared correlation r² (not clipped for negative r; r² ≥ 0 anyway). This is Jaeger's MC_k.
        public var r2: Double
        /// The absolute λ used for this lag.
        public var lambda: Double
        /// Validation r at that λ (NaN when the readout was fitted without validation).
        public var validationR: Double
        /// Test mean squared error (1/n) Σ (ŷ − y)², from moments.
        public var mse: Double
        /// Set when r is undefined or forced to 0.
        public var flag: ScoreFlag?

        public init(lag: Int, r: Double, r2: Double, lambda: Double, validationR: Double, mse: Double, flag: ScoreFlag? = nil) {
            self.lag = lag; self.r = r; self.r2 = r2; self.lambda = lambda
            self.validationR = validationR; self.mse = mse; self.flag = flag
        }
    }

    /// Default relative λ grid: 10⁻⁸ … 10⁴ (13 values), multiplied by trace(G̃)/N.
    public static let defaultRelativeLambdas: [Double] = (0..<13).map { Foundation.pow(10.0, Double($0 - 8)) }

    /// Feature count N.
    public let n: Int
    /// Target count K.
    public let k: Int
    /// Rows in the training segment.
    public let trainingCount: Int
    /// trace(G̃_train)/N: the factor turning relative λ into absolute λ.
    public let lambdaScale: Double
    /// The absolute λ grid that was searched (one value for a fixed λ).
    public let lambdaGrid: [Double]
    /// Validation r for each grid λ and target, [grid × K] row-major (empty without validation).
    public let validationRGrid: [Double]
    /// Chosen absolute λ per target [K].
    public let lambdas: [Double]
    /// Validation r at the chosen λ per target [K] (NaN without validation).
    public let validationR: [Double]
    /// Readout weights W [N×K row-major]; column k is w_k at its chosen λ.
    public let weights: [Double]
    /// Intercepts b [K].
    public let intercepts: [Double]
    /// Eigenvalues of G̃_train, ascending, clipped at 0.
    public let eigenvalues: [Double]

    private let eigenvectors: [Double]  // V [N×N row-major], column j = eigenvector j
    private let projectedCross: [Double]  // P = Vᵀ C̃ [N×K]
    private let trainMeanS: [Double]
    private let trainMeanY: [Double]

    // MARK: Fitting

    /// Fits on `training`, choosing λ on `validation` from `relativeLambdas` × trace(G̃)/N.
    public init(
        training: SegmentMoments, validation: SegmentMoments,
        relativeLambdas: [Double] = RidgeReadout.defaultRelativeLambdas,
        selection: LambdaSelection = .perLag
    ) throws {
        guard !relativeLambdas.isEmpty else {
            throw WMError.invalidParameter(name: "lambdas", value: "[]", expected: "at least one relative ridge parameter")
        }
        for l in relativeLambdas where !(l > 0 && l.isFinite) {
            throw WMError.invalidParameter(name: "lambda", value: "\(l)", expected: "a finite ridge parameter > 0")
        }
        try Self.checkScored(validation, against: training, name: "validation")
        let fit = try Factorisation(training)
        let grid = relativeLambdas.map { $0 * fit.scale }
        try self.init(fit: fit, training: training, grid: grid, validation: validation, selection: selection)
    }

    /// Fits on `training` with one absolute λ (> 0) for every target. With a `validation` segment
    /// the validation r is reported as well.
    public init(training: SegmentMoments, lambda: Double, validation: SegmentMoments? = nil) throws {
        guard lambda > 0 && lambda.isFinite else {
            throw WMError.invalidParameter(name: "lambda", value: "\(lambda)", expected: "a finite ridge parameter > 0")
        }
        if let validation { try Self.checkScored(validation, against: training, name: "validation") }
        let fit = try Factorisation(training)
        try self.init(fit: fit, training: training, grid: [lambda], validation: validation, selection: .shared)
    }

    private init(fit: Factorisation, training: SegmentMoments, grid: [Double], validation: SegmentMoments?, selection: LambdaSelection) throws {
        let n = training.n, k = training.k
        self.n = n
        self.k = k
        trainingCount = training.count
        lambdaScale = fit.scale
        lambdaGrid = grid
        eigenvalues = fit.e
        eigenvectors = fit.v
        projectedCross = fit.p
        trainMeanS = training.meanS
        trainMeanY = training.meanY

        var bestW = [Double](repeating: 0, count: n * k)
        var bestLambda = [Double](repeating: grid.last!, count: k)
        var bestR = [Double](repeating: .nan, count: k)
        var rGrid = [Double]()
        if let validation {
            rGrid.reserveCapacity(grid.count * k)
            var bestScore = [Double](repeating: -.infinity, count: k)
            var chosen = [Bool](repeating: false, count: k)
            var bestShared = -Double.infinity
            var chosenShared = false
            for lambda in grid {
                let w = Self.weights(lambda: lambda, e: fit.e, v: fit.v, p: fit.p, n: n, k: k)
                let stats = Self.scoreStatistics(w: w, segment: validation)
                let r = (0..<k).map { Self.correlation(cov: stats.cov[$0], quad: stats.quad[$0], syy: validation.targetScatter[$0], meanY: validation.meanY[$0]).r }
                rGrid.append(contentsOf: r)
                switch selection {
                case .perLag:
                    for j in 0..<k {
                        let s = r[j].isNaN ? -Double.infinity : r[j]
                        // On ties the larger λ wins; an undefined r (NaN) ranks last.
                        if !chosen[j] || s > bestScore[j] || (s == bestScore[j] && lambda > bestLambda[j]) {
                            chosen[j] = true
                            bestScore[j] = s
                            bestLambda[j] = lambda
                            bestR[j] = r[j]
                            for i in 0..<n { bestW[i * k + j] = w[i * k + j] }
                        }
                    }
                case .shared:
                    var sum = 0.0
                    var m = 0
                    for x in r where !x.isNaN { sum += max(x, 0) * max(x, 0); m += 1 }
                    let score = m > 0 ? sum / Double(m) : -Double.infinity
                    if !chosenShared || score > bestShared || (score == bestShared && lambda > bestLambda[0]) {
                        chosenShared = true
                        bestShared = score
                        bestLambda = [Double](repeating: lambda, count: k)
                        bestR = r
                        bestW = w
                    }
                }
            }
        } else {
            let lambda = grid[0]
            bestW = Self.weights(lambda: lambda, e: fit.e, v: fit.v, p: fit.p, n: n, k: k)
            bestLambda = [Double](repeating: lambda, count: k)
        }
        validationRGrid = rGrid
        lambdas = bestLambda
        validationR = bestR
        weights = bestW
        intercepts = (0..<k).map { j in
            var b = training.meanY[j]
            for i in 0..<n { b -= training.meanS[i] * bestW[i * k + j] }
            return b
        }
    }

    // MARK: Evaluation

    /// Scores the readout on a test segment, from moments: per lag r, r², λ, validation r, MSE.
    public func evaluate(_ test: SegmentMoments) throws -> [LagScore] {
        guard test.n == n && test.k == k else {
            throw WMError.invalidParameter(name: "test", value: "N = \(test.n), K = \(test.k)", expected: "the readout's N = \(n), K = \(k)")
        }
        guard test.count >= 2 else {
            throw WMError.invalidParameter(name: "test", value: "\(test.count) rows", expected: "a test segment with at least 2 rows")
        }
        guard test.isFinite else {
            throw WMError.invalidParameter(name: "test", value: "non-finite moments", expected: "finite states and targets")
        }
        let stats = Self.scoreStatistics(w: weights, segment: test)
        let cnt = Double(test.count)
        return (0..<k).map { j in
            let c = Self.correlation(cov: stats.cov[j], quad: stats.quad[j], syy: test.targetScatter[j], meanY: test.meanY[j])
            // MSE = (1/n) Σ (w·(s − s̄_t) − (y − ȳ_t) + bias)², bias = w·s̄_t + b − ȳ_t.
            var bias = intercepts[j] - test.meanY[j]
            for i in 0..<n { bias += weights[i * k + j] * test.meanS[i] }
            let mse = max(0, (stats.quad[j] - 2 * stats.cov[j] + test.targetScatter[j]) / cnt) + bias * bias
            return LagScore(lag: j + 1, r: c.r, r2: c.r * c.r, lambda: lambdas[j], validationR: validationR[j], mse: mse, flag: c.flag)
        }
    }

    /// Weights and intercepts at an arbitrary absolute λ > 0, reusing the eigendecomposition.
    public func coefficients(lambda: Double) throws -> (weights: [Double], intercepts: [Double]) {
        guard lambda > 0 && lambda.isFinite else {
            throw WMError.invalidParameter(name: "lambda", value: "\(lambda)", expected: "a finite ridge parameter > 0")
        }
        let w = Self.weights(lambda: lambda, e: eigenvalues, v: eigenvectors, p: projectedCross, n: n, k: k)
        let b = (0..<k).map { j in
            var b = trainMeanY[j]
            for i in 0..<n { b -= trainMeanS[i] * w[i * k + j] }
            return b
        }
        return (w, b)
    }

    /// Prediction ŷ = Wᵀ s + b for one state vector [N] → [K].
    public func predict(_ state: [Float]) -> [Double] {
        precondition(state.count == n, "state has \(state.count) entries, expected N = \(n)")
        return (0..<k).map { j in
            var y = intercepts[j]
            for i in 0..<n { y += weights[i * k + j] * Double(state[i]) }
            return y
        }
    }

    // MARK: Internals

    /// Eigendecomposition of the training scatter.
    private struct Factorisation {
        var e: [Double]
        var v: [Double]
        var p: [Double]
        var scale: Double

        init(_ training: SegmentMoments) throws {
            let n = training.n, k = training.k
            guard training.count >= 2 else {
                throw WMError.invalidParameter(name: "training", value: "\(training.count) rows", expected: "a training segment with at least 2 rows")
            }
            guard k < training.count else {
                throw WMError.invalidParameter(name: "lags", value: "K = \(k)", expected: "fewer targets than training rows (\(training.count))")
            }
            guard training.isFinite else {
                throw WMError.invalidParameter(name: "states", value: "non-finite training moments", expected: "finite states and targets (the run diverged)")
            }
            let trace = training.centeredGramTrace
            let meanVariance = trace / (Double(training.count) * Double(n))
            let meanSquareMean = training.meanS.reduce(0) { $0 + $1 * $1 } / Double(n)
            guard meanVariance > 1e-14 * (1 + meanSquareMean) else {
                throw WMError.invalidParameter(
                    name: "states", value: "mean variance \(meanVariance) over \(training.count) rows",
                    expected: "states that vary over the training segment (they are degenerate: every unit is constant or saturated, e.g. tanh stuck at ±1; lower the gains or the input amplitude)")
            }
            scale = trace / Double(n)
            let eigen = try SymmetricEigen(training.scatterUpper, n: n)
            let a = eigen.vectors
            e = eigen.values.map { max($0, 0) }
            v = a
            var pp = [Double](repeating: 0, count: n * k)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(n), 1.0, a, Int32(n), training.crossScatter, Int32(k), 0.0, &pp, Int32(k))
            p = pp
        }
    }

    private static func checkScored(_ s: SegmentMoments, against training: SegmentMoments, name: String) throws {
        guard s.n == training.n && s.k == training.k else {
            throw WMError.invalidParameter(name: name, value: "N = \(s.n), K = \(s.k)", expected: "the training segment's N = \(training.n), K = \(training.k)")
        }
        guard s.count >= 2 else {
            throw WMError.invalidParameter(name: name, value: "\(s.count) rows", expected: "a \(name) segment with at least 2 rows")
        }
        guard s.isFinite else {
            throw WMError.invalidParameter(name: name, value: "non-finite moments", expected: "finite states and targets")
        }
    }

    /// W(λ) = V diag(1/(e + λ)) P.
    private static func weights(lambda: Double, e: [Double], v: [Double], p: [Double], n: Int, k: Int) -> [Double] {
        var alpha = [Double](repeating: 0, count: n * k)
        alpha.withUnsafeMutableBufferPointer { ap in
            p.withUnsafeBufferPointer { pp in
                e.withUnsafeBufferPointer { ep in
                    for i in 0..<n {
                        let f = 1.0 / (ep[i] + lambda)
                        for j in 0..<k { ap[i * k + j] = pp[i * k + j] * f }
                    }
                }
            }
        }
        var w = [Double](repeating: 0, count: n * k)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(k), Int32(n), 1.0, v, Int32(n), alpha, Int32(k), 0.0, &w, Int32(k))
        return w
    }

    /// Per target: cov = w_kᵀ c̃_k and quad = w_kᵀ G̃ w_k on `segment` (sums, not divided by n).
    private static func scoreStatistics(w: [Double], segment: SegmentMoments) -> (cov: [Double], quad: [Double]) {
        let n = segment.n, k = segment.k
        var q = [Double](repeating: 0, count: n * k)
        cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(n), Int32(k), 1.0, segment.scatterUpper, Int32(n), w, Int32(k), 0.0, &q, Int32(k))
        var cov = [Double](repeating: 0, count: k)
        var quad = [Double](repeating: 0, count: k)
        w.withUnsafeBufferPointer { wp in
            q.withUnsafeBufferPointer { qp in
                segment.crossScatter.withUnsafeBufferPointer { cp in
                    for i in 0..<n {
                        for j in 0..<k {
                            quad[j] += wp[i * k + j] * qp[i * k + j]
                            cov[j] += wp[i * k + j] * cp[i * k + j]
                        }
                    }
                }
            }
        }
        return (cov, quad)
    }

    /// Pearson r from centred sums, with the degenerate cases flagged.
    private static func correlation(cov: Double, quad: Double, syy: Double, meanY: Double) -> (r: Double, flag: ScoreFlag?) {
        if !(syy > 1e-20 * meanY * meanY) || syy <= 0 { return (.nan, .constantTarget) }
        if !(quad > 0) { return (0, .constantPrediction) }
        let r = cov / (quad * syy).squareRoot()
        return (min(1, max(-1, r)), nil)
    }
}
