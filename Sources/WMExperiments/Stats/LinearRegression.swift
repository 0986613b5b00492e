import Foundation
import WMCore

/// An ordinary least-squares fit with the classical (homoscedastic, normal-error) inference of
/// `statsmodels.api.OLS(...).fit()`: per-term t tests with `residualDF` degrees of freedom and the
/// overall F test of all non-intercept terms.
///
/// With an intercept, R² and the F test are relative to the intercept-only model (centred total sum
/// of squares); without one they are relative to the zero model (uncentred, as statsmodels does
/// when the design has no constant). Every number is finite: the fit throws rather than return an
/// undefined statistic (see `OLS.fit`).
public struct OLSFit: Codable, Sendable, Equatable {
    /// Term names in coefficient order; the intercept, when fitted, comes first as `OLS.interceptName`.
    public var terms: [String]
    /// Estimated coefficients β.
    public var coefficients: [Double]
    /// Standard errors of β: σ̂ √((XᵀX)⁻¹)ⱼⱼ.
    public var standardErrors: [Double]
    /// t statistics β / SE.
    public var tValues: [Double]
    /// Two-sided p-values of the t statistics (Student t, `residualDF` df).
    public var pValues: [Double]
    /// Coefficient of determination R² = 1 − RSS/TSS.
    public var rSquared: Double
    /// Adjusted R² = 1 − (n − k₀)/(n − p) · (1 − R²), k₀ = 1 with an intercept, else 0.
    public var adjustedRSquared: Double
    /// Number of observations n.
    public var n: Int
    /// Model degrees of freedom: number of non-intercept terms.
    public var modelDF: Int
    /// Residual degrees of freedom n − p (p = all coefficients, intercept included).
    public var residualDF: Int
    /// F statistic of the model against the intercept-only (or, without intercept, the zero) model.
    public var fStatistic: Double
    /// P(F(modelDF, residualDF) > fStatistic).
    public var fPValue: Double
    /// Residual standard error σ̂ = √(RSS / residualDF).
    public var residualStandardError: Double
    /// Whether an intercept was fitted.
    public var hasIntercept: Bool
    /// Values subtracted from predictors before fitting, by term name (`OLS.interaction` with
    /// `center: true`); empty when the predictors were used as given.
    public var centers: [String: Double]

    /// The position of `term` in `terms`, or nil.
    public func index(of term: String) -> Int? { terms.firstIndex(of: term) }

    /// The coefficient of `term`, or nil if there is no such term.
    public func coefficient(_ term: String) -> Double? { index(of: term).map { coefficients[$0] } }
}

/// Ordinary least squares by Householder QR (LAPACK `dgeqrf`/`dormqr`), never forming XᵀX.
public enum OLS {
    /// The name of the intercept term (as patsy/statsmodels formulas).
    public static let interceptName = "Intercept"

    /// A column is treated as linearly dependent on the columns before it when its component
    /// orthogonal to them is below this fraction of its norm (|Rⱼⱼ| ≤ tol ‖xⱼ‖, i.e. the sine of its
    /// angle to their span). Such a design would give coefficients dominated by rounding.
    public static let collinearityTolerance = 1e-10

    /// Fits y = β₀ + Σⱼ βⱼ xⱼ + ε (β₀ only if `intercept`), one predictor per entry of `columns`.
    ///
    /// - Parameters:
    ///   - y: The response, n finite values.
    ///   - columns: The predictors, each n finite values (at least one predictor).
    ///   - names: One distinct, non-empty name per column (not `interceptName` when `intercept`).
    ///   - intercept: Whether to fit an intercept (first coefficient, named `interceptName`).
    /// - Throws: `WMError.invalidParameter` for mismatched lengths or names, non-finite values,
    ///   n ≤ p (no residual degrees of freedom), a constant y (with intercept; all-zero y without),
    ///   a rank-deficient design (names the first column that depends on earlier ones, an all-zero
    ///   column, or a constant column next to the intercept), or an exact fit (zero residual
    ///   variance, so standard errors and tests are undefined).
    public static func fit(y: [Double], columns: [[Double]], names: [String], intercept: Bool = true) throws -> OLSFit {
        try validate(y: y, columns: columns, names: names, intercept: intercept)
        let n = y.count
        let design = (intercept ? [[Double](repeating: 1, count: n)] : []) + columns
        let terms = (intercept ? [interceptName] : []) + names
        let p = design.count

        let qr = try HouseholderQR(columns: design)
        func r(_ i: Int, _ j: Int) -> Double { qr.r(i, j) }

        for j in 0..<p {
            let norm = design[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if abs(r(j, j)) <= collinearityTolerance * norm {
                throw rankError(term: j, terms: terms, column: design[j], intercept: intercept)
            }
        }

        // β = R⁻¹ (Qᵀ y)[0..<p].
        let qty = try qr.qTransposeTimes(y)
        var beta = [Double](repeating: 0, count: p)
        for i in stride(from: p - 1, through: 0, by: -1) {
            var s = qty[i]
            for k in (i + 1)..<p { s -= r(i, k) * beta[k] }
            beta[i] = s / r(i, i)
        }

        // diag((XᵀX)⁻¹) = squared row norms of R⁻¹ (upper triangular, by back substitution).
        var rInv = [Double](repeating: 0, count: p * p)  // row-major
        for col in 0..<p {
            for i in stride(from: col, through: 0, by: -1) {
                var s = i == col ? 1.0 : 0.0
                for k in stride(from: i + 1, through: col, by: 1) { s -= r(i, k) * rInv[k * p + col] }
                rInv[i * p + col] = s / r(i, i)
            }
        }
        let unscaledVariance = (0..<p).map { i in (i..<p).reduce(0) { $0 + rInv[i * p + $1] * rInv[i * p + $1] } }

        // Residuals from the original data (as statsmodels), sums of squares, tests.
        var rss = 0.0
        for i in 0..<n {
            var fitted = 0.0
            for j in 0..<p { fitted += design[j][i] * beta[j] }
            let e = y[i] - fitted
            rss += e * e
        }
        let tss: Double
        if intercept {
            let m = StatsInput.mean(y)
            tss = y.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        } else {
            tss = y.reduce(0) { $0 + $1 * $1 }
        }
        guard rss > exactFitTolerance * tss else {
            throw WMError.invalidParameter(
                name: "y", value: "an exact linear function of \(terms.joined(separator: ", ")) (RSS/TSS = \(rss / tss))",
                expected: "data with residual variation: standard errors and tests of an exact fit are undefined")
        }
        let residualDF = n - p
        let modelDF = p - (intercept ? 1 : 0)
        let sigma2 = rss / Double(residualDF)
        let se = unscaledVariance.map { (sigma2 * $0).squareRoot() }
        let t = zip(beta, se).map { $0 / $1 }
        let rSquared = 1 - rss / tss
        let kConstant = intercept ? 1 : 0
        let adjusted = 1 - Double(n - kConstant) / Double(residualDF) * (1 - rSquared)
        let f = ((tss - rss) / Double(modelDF)) / sigma2
        return OLSFit(
            terms: terms, coefficients: beta, standardErrors: se, tValues: t,
            pValues: t.map { StudentT.twoSidedPValue($0, df: Double(residualDF)) },
            rSquared: rSquared, adjustedRSquared: adjusted, n: n, modelDF: modelDF, residualDF: residualDF,
            fStatistic: f, fPValue: FDistribution.sf(f, dfn: Double(modelDF), dfd: Double(residualDF)),
            residualStandardError: sigma2.squareRoot(), hasIntercept: intercept, centers: [:])
    }

    /// Fits y = β₀ + β_a a + β_b b + β_ab (a·b) + ε, terms named [`interceptName`, names.0, names.1,
    /// "names.0:names.1"].
    ///
    /// With `center: true`, a and b are first replaced by a − ā and b − b̄ (recorded in
    /// `OLSFit.centers`) and the product is formed from the centred values. The interaction
    /// coefficient, its test, R² and F are unchanged by centring; the main effects become the slopes
    /// of each predictor at the mean of the other (without centring they are slopes where the other
    /// predictor is 0), and centring removes most of the collinearity between a, b and a·b.
    /// - Throws: as `fit` (n ≥ 5 is needed for one residual degree of freedom).
    public static func interaction(
        y: [Double], a: [Double], b: [Double], names: (String, String), center: Bool
    ) throws -> OLSFit {
        try StatsInput.requireSameLength(y, a, names: ("y", names.0))
        try StatsInput.requireSameLength(y, b, names: ("y", names.1))
        try StatsInput.requireFinite(a, name: names.0)
        try StatsInput.requireFinite(b, name: names.1)
        let ca = center ? StatsInput.mean(a) : 0, cb = center ? StatsInput.mean(b) : 0
        let ac = a.map { $0 - ca }, bc = b.map { $0 - cb }
        let product = zip(ac, bc).map { $0 * $1 }
        var result = try fit(y: y, columns: [ac, bc, product], names: [names.0, names.1, "\(names.0):\(names.1)"])
        if center { result.centers = [names.0: ca, names.1: cb] }
        return result
    }

    /// RSS below this fraction of TSS is an exact fit (R² would round to 1).
    static let exactFitTolerance = 1e-24

    static func validate(y: [Double], columns: [[Double]], names: [String], intercept: Bool) throws {
        guard !columns.isEmpty else {
            throw WMError.invalidParameter(name: "columns", value: "none", expected: "at least one predictor column")
        }
        guard names.count == columns.count else {
            throw WMError.invalidParameter(
                name: "names", value: "\(names.count) names", expected: "one name per column (\(columns.count))")
        }
        var seen = Set<String>()
        for name in names {
            guard !name.isEmpty else {
                throw WMError.invalidParameter(name: "names", value: "\"\"", expected: "non-empty term names")
            }
            guard !(intercept && name == interceptName) else {
                throw WMError.invalidParameter(
                    name: "names", value: "\"\(name)\"", expected: "a name other than the intercept's (\(interceptName))")
            }
            guard seen.insert(name).inserted else {
                throw WMError.invalidParameter(name: "names", value: "\"\(name)\" twice", expected: "distinct term names")
            }
        }
        try StatsInput.requireFinite(y, name: "y")
        for (name, column) in zip(names, columns) {
            try StatsInput.requireSameLength(y, column, names: ("y", name))
            try StatsInput.requireFinite(column, name: name)
        }
        let p = columns.count + (intercept ? 1 : 0)
        guard y.count > p else {
            throw WMError.invalidParameter(
                name: "y", value: "\(y.count) observations",
                expected: "more observations than coefficients (\(p)), for at least one residual degree of freedom")
        }
        if intercept && StatsInput.isConstant(y) {
            throw WMError.invalidParameter(
                name: "y", value: "constant (all \(y[0]))", expected: "a response that varies (nothing to explain)")
        }
        if !intercept && y.allSatisfy({ $0 == 0 }) {
            throw WMError.invalidParameter(name: "y", value: "all zero", expected: "a response that is not identically zero")
        }
    }

    static func rankError(term j: Int, terms: [String], column: [Double], intercept: Bool) -> WMError {
        let what: String
        if column.allSatisfy({ $0 == 0 }) {
            what = "term '\(terms[j])' is all zeros"
        } else if intercept && j > 0 && StatsInput.isConstant(column) {
            what = "term '\(terms[j])' is constant, collinear with the intercept"
        } else {
            what = "term '\(terms[j])' is (within \(collinearityTolerance)) a linear combination of "
                + terms[..<j].joined(separator: ", ")
        }
        return WMError.invalidParameter(
            name: "design", value: "rank-deficient: \(what)",
            expected: "linearly independent terms (drop or combine the collinear ones)")
    }
}
