import Foundation
import XCTest
import WMCore
@testable import WMExperiments

// MARK: Fixture format (written by scripts/make_stats_fixtures.py from SciPy / statsmodels)

private struct StatsFixtures: Decodable {
    struct Special: Decodable {
        // Each point: SciPy's value and the 50-digit mpmath ("exact") value.
        struct Beta: Decodable { var x, a, b, value, complement, exactValue, exactComplement: Double }
        struct T: Decodable { var t, df, cdf, sf, twoSided, exactCdf, exactSf, exactTwoSided: Double }
        struct TQuantile: Decodable { var p, df, quantile, exactQuantile: Double }
        struct F: Decodable { var f, dfn, dfd, sf, cdf, exactSf, exactCdf: Double }
        struct NormalCDF: Decodable { var x, cdf, sf, exactCdf, exactSf: Double }
        struct NormalQuantile: Decodable { var p, quantile, exactQuantile: Double }
        struct LogGamma: Decodable { var x, value, exactValue: Double }
        struct LogBeta: Decodable { var a, b, value, exactValue: Double }
        var beta: [Beta]
        var t: [T]
        var tQuantile: [TQuantile]
        var f: [F]
        var normalCDF: [NormalCDF]
        var normalQuantile: [NormalQuantile]
        var logGamma: [LogGamma]
        var logBeta: [LogBeta]
    }
    struct Test: Decodable { var estimate, pValue: Double }
    struct Correlation: Decodable {
        var name: String
        var x, y, ranksX, ranksY: [Double]
        var pearson, spearman: Test
    }
    struct Expected: Decodable {
        var terms: [String]
        var coefficients, standardErrors, tValues, pValues: [Double]
        var rSquared, adjustedRSquared, fStatistic, fPValue, residualStandardError: Double
        var residualDF, modelDF: Int
    }
    struct Regression: Decodable {
        var name: String
        var y: [Double]
        var columns: [[Double]]
        var names: [String]
        var intercept: Bool
        var expected: Expected
    }
    struct Interaction: Decodable {
        var name: String
        var center: Bool
        var y, a, b, means: [Double]
        var names: [String]
        var expected: Expected
    }
    struct Boot: Decodable { var x, y: [Double]; var slope, standardError: Double }
    struct Correction: Decodable {
        var adjusted: [Double]
        var reject05, reject10: [Bool]
        enum CodingKeys: String, CodingKey { case adjusted, reject05 = "reject_0.05", reject10 = "reject_0.1" }
    }
    struct PList: Decodable { var name: String; var p: [Double]; var methods: [String: Correction] }

    var special: Special
    var correlations: [Correlation]
    var ols: [Regression]
    var interactions: [Interaction]
    var bootstrap: Boot
    var multipleTesting: [PList]
}

/// The statistics module against SciPy 1.17 / statsmodels 0.15 reference values
/// (Fixtures/stats_fixtures.json, regenerate with scripts/make_stats_fixtures.py).
final class StatsTests: XCTestCase {
    private static let fixtures: StatsFixtures? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stats_fixtures.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(StatsFixtures.self, from: data)
    }()

    private func fixtures() throws -> StatsFixtures {
        try XCTUnwrap(StatsTests.fixtures, "Fixtures/stats_fixtures.json missing or unreadable")
    }

    /// |a − b| ≤ max(absolute, relative · |b|); returns the relative error for reporting.
    @discardableResult
    private func assertClose(
        _ a: Double, _ b: Double, relative: Double, absolute: Double = 0, _ what: @autoclosure () -> String,
        file: StaticString = #filePath, line: UInt = #line
    ) -> Double {
        let err = abs(a - b)
        XCTAssert(err <= max(absolute, relative * abs(b)), "\(what()): got \(a), expected \(b) (|Δ| = \(err))", file: file, line: line)
        return b == 0 ? err : err / abs(b)
    }

    /// Asserts that `body` throws `WMError.invalidParameter` for parameter `name`, optionally with
    /// `fragment` in its value.
    private func assertInvalid<T>(
        _ name: String, _ fragment: String? = nil, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> T
    ) {
        do {
            _ = try body()
            XCTFail("expected an invalid \(name) error", file: file, line: line)
        } catch let WMError.invalidParameter(n, value, _) {
            XCTAssertEqual(n, name, "error names \(n) (value \(value))", file: file, line: line)
            if let fragment { XCTAssert(value.contains(fragment), "'\(value)' lacks '\(fragment)'", file: file, line: line) }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    // MARK: Special functions

    /// Worst relative error against the exact values, and how many SciPy values were skipped because
    /// SciPy itself is further than 1e-12 from the exact value.
    private var worstSpecial = 0.0, scipyOutliers = 0

    /// Checks `got` against the exact (mpmath) value to `relative` (absolute `tiny` for values below
    /// 1e-280, i.e. subnormal results and underflow), and against SciPy to the same tolerance wherever
    /// SciPy is within 1e-12 of the exact value.
    private func checkSpecial(
        _ got: Double, scipy: Double, exact: Double, relative: Double = 1e-10, tiny: Double = 1e-290,
        _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let r = assertClose(got, exact, relative: relative, absolute: tiny, "\(what()) vs exact", file: file, line: line)
        if abs(exact) >= 1e-280 { worstSpecial = max(worstSpecial, r) }
        if abs(scipy - exact) <= max(tiny, 1e-12 * abs(exact)) {
            assertClose(got, scipy, relative: relative, absolute: tiny, "\(what()) vs SciPy", file: file, line: line)
        } else {
            scipyOutliers += 1
        }
    }

    private func report(_ name: String) {
        print("\(name): worst relative error vs exact \(worstSpecial); SciPy values off by > 1e-12 (not compared): \(scipyOutliers)")
    }

    func testLogGammaAndLogBetaMatchReference() throws {
        let f = try fixtures().special
        for e in f.logGamma {
            checkSpecial(SpecialFunctions.logGamma(e.x), scipy: e.value, exact: e.exactValue, relative: 1e-13, "lgamma(\(e.x))")
        }
        for e in f.logBeta {
            checkSpecial(SpecialFunctions.logBeta(e.a, e.b), scipy: e.value, exact: e.exactValue, relative: 1e-13, "lbeta(\(e.a), \(e.b))")
            XCTAssertEqual(SpecialFunctions.logBeta(e.b, e.a), SpecialFunctions.logBeta(e.a, e.b), "lbeta symmetric")
        }
        XCTAssertEqual(scipyOutliers, 1, "SciPy's betaln(0.5, 5e4) is known to be 7e-12 off")
        XCTAssert(SpecialFunctions.logGamma(0).isNaN && SpecialFunctions.logBeta(-1, 2).isNaN)
        report("log Γ, log B")
    }

    /// I_x(a, b) and 1 − I_x(a, b) on a 7 × 7 × 9 grid (shapes 0.5…1e4, x from 1e-10 to 1 − 1e-10):
    /// relative 1e-10 for values ≥ 1e-280; below that (down to 1e-317 and underflow to 0) absolute 1e-290.
    func testIncompleteBetaMatchesReference() throws {
        for e in try fixtures().special.beta {
            let name = "(x = \(e.x), a = \(e.a), b = \(e.b))"
            checkSpecial(SpecialFunctions.regularizedIncompleteBeta(e.x, a: e.a, b: e.b), scipy: e.value, exact: e.exactValue, "I\(name)")
            checkSpecial(SpecialFunctions.regularizedIncompleteBetaComplement(e.x, a: e.a, b: e.b), scipy: e.complement, exact: e.exactComplement, "1 − I\(name)")
        }
        report("incomplete beta")
    }

    func testIncompleteBetaEdgesAndDomain() {
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(0, a: 2, b: 3), 0)
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(1, a: 2, b: 3), 1)
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBetaComplement(1, a: 2, b: 3), 0)
        // I_x(1, 1) = x and I_x(a, 1) = x^a.
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(0.37, a: 1, b: 1), 0.37, accuracy: 1e-15)
        XCTAssertEqual(SpecialFunctions.regularizedIncompleteBeta(0.6, a: 3.5, b: 1), Foundation.pow(0.6, 3.5), accuracy: 1e-15)
        XCTAssert(SpecialFunctions.regularizedIncompleteBeta(-0.1, a: 1, b: 1).isNaN)
        XCTAssert(SpecialFunctions.regularizedIncompleteBeta(1.1, a: 1, b: 1).isNaN)
        XCTAssert(SpecialFunctions.regularizedIncompleteBeta(0.5, a: 0, b: 1).isNaN)
        XCTAssert(SpecialFunctions.regularizedIncompleteBeta(0.5, a: 1, b: -2).isNaN)
        XCTAssert(SpecialFunctions.regularizedIncompleteBeta(.nan, a: 1, b: 1).isNaN)
    }

    /// t CDF, survival function and two-sided p on 14 t values (−1e6 … 1e10) × 10 df (1 … 1e5,
    /// non-integer 2.5 and 7.3): relative 1e-10 (absolute 1e-290 below 1e-280).
    func testStudentTMatchesReference() throws {
        for e in try fixtures().special.t {
            let name = "t = \(e.t), df = \(e.df)"
            checkSpecial(StudentT.cdf(e.t, df: e.df), scipy: e.cdf, exact: e.exactCdf, "cdf \(name)")
            checkSpecial(StudentT.sf(e.t, df: e.df), scipy: e.sf, exact: e.exactSf, "sf \(name)")
            checkSpecial(StudentT.twoSidedPValue(e.t, df: e.df), scipy: e.twoSided, exact: e.exactTwoSided, "p \(name)")
        }
        XCTAssertEqual(scipyOutliers, 3, "SciPy's stdtr(1, 1e-8) is known to be 1.6e-9 off")
        XCTAssertEqual(StudentT.cdf(-.infinity, df: 3), 0)
        XCTAssertEqual(StudentT.twoSidedPValue(.infinity, df: 3), 0)
        XCTAssert(StudentT.cdf(1, df: 0).isNaN && StudentT.twoSidedPValue(.nan, df: 3).isNaN && StudentT.cdf(1, df: -2).isNaN)
        report("Student t")
    }

    /// t quantiles (p from 1e-12 to 1 − 1e-10) to 1e-10 relative.
    /// The one Student-t interval: m ± t₀.₉₇₅,ₙ₋₁·sd/√n, against SciPy's t.ppf(0.975, 4) = 2.7764451051977987.
    func testMeanIntervalMatchesStudentT() {
        let ci = MeanInterval([1, 2, 3, 4, 5])
        XCTAssertEqual(ci.mean, 3)
        XCTAssertEqual(ci.halfWidth, 2.7764451051977987 * (2.5 / 5).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(ci.low, 3 - ci.halfWidth)
        XCTAssertEqual(ci.high, 3 + ci.halfWidth)
        XCTAssertTrue(MeanInterval([4]).halfWidth.isNaN, "one value has no interval")
        XCTAssertEqual(MeanInterval([4]).mean, 4)
        XCTAssertTrue(MeanInterval([]).mean.isNaN)
        XCTAssertEqual(MeanInterval([2, 2, 2]).halfWidth, 0)
        XCTAssertTrue(MeanInterval([1, 2]).halfWidth.isNaN, "two values give no interval (t = 12.7 leaves any bounded range)")
    }

    func testIntervalTextSaysWhyThereIsNoneAndClipsAtTheFloor() {
        XCTAssertEqual(MeanInterval.text(mean: 0.096, low: .nan, high: .nan, count: 1, of: 3, decimals: 4),
                       "0.0960 [no CI: 1 of 3 value(s), a 95 % CI needs ≥ 3]")
        XCTAssertEqual(MeanInterval.text(mean: 1.27, low: -0.09, high: 2.63, count: 3, decimals: 2, floor: 0), "1.27 [0.00, 2.63] (t-interval clipped at 0.00)")
        XCTAssertEqual(MeanInterval.text(mean: 1.27, low: -0.09, high: 2.63, count: 3, decimals: 2), "1.27 [-0.09, 2.63]")
        XCTAssertEqual(MeanInterval.text(mean: .nan, low: .nan, high: .nan, count: 0), "—")
    }

    func testStudentTQuantileMatchesReference() throws {
        for e in try fixtures().special.tQuantile {
            checkSpecial(StudentT.quantile(e.p, df: e.df), scipy: e.quantile, exact: e.exactQuantile, "ppf(\(e.p), df \(e.df))")
        }
        XCTAssertEqual(StudentT.quantile(0, df: 3), -.infinity)
        XCTAssertEqual(StudentT.quantile(1, df: 3), .infinity)
        XCTAssert(StudentT.quantile(1.5, df: 3).isNaN && StudentT.quantile(0.5, df: 0).isNaN)
        report("t quantile")
    }

    /// F survival function and CDF on 9 f values × 7 (dfn, dfd) pairs, non-integer included: 1e-10 relative.
    func testFDistributionMatchesReference() throws {
        for e in try fixtures().special.f {
            let name = "F(\(e.f); \(e.dfn), \(e.dfd))"
            checkSpecial(FDistribution.sf(e.f, dfn: e.dfn, dfd: e.dfd), scipy: e.sf, exact: e.exactSf, "sf \(name)")
            checkSpecial(FDistribution.cdf(e.f, dfn: e.dfn, dfd: e.dfd), scipy: e.cdf, exact: e.exactCdf, "cdf \(name)")
        }
        XCTAssertEqual(FDistribution.sf(0, dfn: 2, dfd: 3), 1)
        XCTAssertEqual(FDistribution.sf(-1, dfn: 2, dfd: 3), 1)
        XCTAssertEqual(FDistribution.sf(.infinity, dfn: 2, dfd: 3), 0)
        XCTAssert(FDistribution.sf(1, dfn: 0, dfd: 3).isNaN && FDistribution.sf(.nan, dfn: 1, dfd: 3).isNaN)
        report("F")
    }

    /// Normal CDF/sf (x from −38 to 8) and quantile (p from 1e-300): 1e-10 relative (Φ(−38) = 2.9e-316 is
    /// subnormal: absolute 1e-290; SciPy underflows it to 0).
    func testStandardNormalMatchesReference() throws {
        let f = try fixtures().special
        for e in f.normalCDF {
            checkSpecial(StandardNormal.cdf(e.x), scipy: e.cdf, exact: e.exactCdf, "Φ(\(e.x))")
            checkSpecial(StandardNormal.sf(e.x), scipy: e.sf, exact: e.exactSf, "1 − Φ(\(e.x))")
        }
        for e in f.normalQuantile {
            checkSpecial(StandardNormal.quantile(e.p), scipy: e.quantile, exact: e.exactQuantile, "Φ⁻¹(\(e.p))")
        }
        XCTAssertEqual(StandardNormal.quantile(0), -.infinity)
        XCTAssertEqual(StandardNormal.quantile(1), .infinity)
        XCTAssert(StandardNormal.quantile(-0.1).isNaN)
        XCTAssertEqual(StudentT.cdf(1.7, df: .infinity), StandardNormal.cdf(1.7))
        XCTAssertEqual(StandardNormal.pdf(0), 1 / (2 * Double.pi).squareRoot(), accuracy: 1e-16)
        report("normal")
    }

    // MARK: Correlation

    func testAverageRanksMatchSciPy() throws {
        for c in try fixtures().correlations {
            XCTAssertEqual(CorrelationTest.averageRanks(c.x), c.ranksX, c.name)
            XCTAssertEqual(CorrelationTest.averageRanks(c.y), c.ranksY, c.name)
        }
        XCTAssertEqual(CorrelationTest.averageRanks([3, 1, 3, 2, 3]), [4, 1, 4, 2, 4])
    }

    /// Pearson and Spearman (n = 3, 5, 12, 60 with ties, correlated, uncorrelated, monotone, offset 1e6):
    /// estimates 1e-12 absolute, p-values 1e-10 absolute or 1e-8 relative.
    func testCorrelationsMatchSciPy() throws {
        for c in try fixtures().correlations {
            let p = try CorrelationTest.pearson(x: c.x, y: c.y)
            let s = try CorrelationTest.spearman(x: c.x, y: c.y)
            XCTAssertEqual(p.n, c.x.count)
            assertClose(p.estimate, c.pearson.estimate, relative: 0, absolute: 1e-12, "\(c.name) Pearson r")
            assertClose(p.pValue, c.pearson.pValue, relative: 1e-8, absolute: 1e-10, "\(c.name) Pearson p")
            assertClose(s.estimate, c.spearman.estimate, relative: 0, absolute: 1e-12, "\(c.name) Spearman ρ")
            assertClose(s.pValue, c.spearman.pValue, relative: 1e-8, absolute: 1e-10, "\(c.name) Spearman p")
        }
    }

    func testCorrelationBadInputs() {
        assertInvalid("x", "2 values") { try CorrelationTest.pearson(x: [1, 2], y: [2, 1]) }
        assertInvalid("x", "2 values") { try CorrelationTest.spearman(x: [1, 2], y: [2, 1]) }
        assertInvalid("y", "3 values") { try CorrelationTest.pearson(x: [1, 2, 3, 4], y: [2, 1, 3]) }
        assertInvalid("x", "nan") { try CorrelationTest.pearson(x: [1, .nan, 3], y: [2, 1, 3]) }
        assertInvalid("y", "inf") { try CorrelationTest.spearman(x: [1, 2, 3], y: [2, .infinity, 3]) }
        assertInvalid("x", "constant") { try CorrelationTest.pearson(x: [5, 5, 5, 5], y: [2, 1, 3, 4]) }
        assertInvalid("y", "constant") { try CorrelationTest.spearman(x: [1, 2, 3, 4], y: [7, 7, 7, 7]) }
    }

    // MARK: Regression

    private func compare(_ fit: OLSFit, _ e: StatsFixtures.Expected, _ name: String) {
        XCTAssertEqual(fit.terms, e.terms, name)
        XCTAssertEqual(fit.residualDF, e.residualDF, name)
        XCTAssertEqual(fit.modelDF, e.modelDF, name)
        guard fit.terms.count == e.terms.count else { return }
        for j in e.terms.indices {
            let term = "\(name) \(e.terms[j])"
            assertClose(fit.coefficients[j], e.coefficients[j], relative: 1e-8, absolute: 1e-12, "\(term) β")
            assertClose(fit.standardErrors[j], e.standardErrors[j], relative: 1e-8, "\(term) SE")
            assertClose(fit.tValues[j], e.tValues[j], relative: 1e-8, absolute: 1e-10, "\(term) t")
            assertClose(fit.pValues[j], e.pValues[j], relative: 1e-6, absolute: 1e-8, "\(term) p")
        }
        assertClose(fit.rSquared, e.rSquared, relative: 1e-8, "\(name) R²")
        assertClose(fit.adjustedRSquared, e.adjustedRSquared, relative: 1e-8, "\(name) adj. R²")
        assertClose(fit.fStatistic, e.fStatistic, relative: 1e-8, "\(name) F")
        assertClose(fit.fPValue, e.fPValue, relative: 1e-6, absolute: 1e-8, "\(name) F p")
        assertClose(fit.residualStandardError, e.residualStandardError, relative: 1e-8, "\(name) σ̂")
    }

    /// OLS with and without intercept, n = 5…60, one to three predictors, columns on scales 1e3 and 1e-1.
    func testOLSMatchesStatsmodels() throws {
        for c in try fixtures().ols {
            let fit = try OLS.fit(y: c.y, columns: c.columns, names: c.names, intercept: c.intercept)
            compare(fit, c.expected, c.name)
            XCTAssertEqual(fit.hasIntercept, c.intercept)
            XCTAssertEqual(fit.n, c.y.count)
            XCTAssertEqual(fit.centers, [:])
        }
    }

    /// y ~ 1 + a + b + a:b on an 8 × 8 grid with and without a real interaction, centred and not.
    func testInteractionMatchesStatsmodels() throws {
        var byName: [String: [Bool: OLSFit]] = [:]
        for c in try fixtures().interactions {
            let fit = try OLS.interaction(y: c.y, a: c.a, b: c.b, names: (c.names[0], c.names[1]), center: c.center)
            compare(fit, c.expected, "\(c.name) center=\(c.center)")
            if c.center {
                XCTAssertEqual(try XCTUnwrap(fit.centers["g"]), c.means[0], accuracy: 1e-14)
                XCTAssertEqual(try XCTUnwrap(fit.centers["leak"]), c.means[1], accuracy: 1e-14)
            } else {
                XCTAssertEqual(fit.centers, [:])
            }
            byName[c.name, default: [:]][c.center] = fit
        }
        // Centring changes the main effects but not the interaction, R² or F.
        for (name, fits) in byName {
            let centred = try XCTUnwrap(fits[true]), raw = try XCTUnwrap(fits[false])
            assertClose(try XCTUnwrap(centred.coefficient("g:leak")), try XCTUnwrap(raw.coefficient("g:leak")), relative: 1e-9, "\(name) interaction")
            assertClose(centred.rSquared, raw.rSquared, relative: 1e-12, "\(name) R²")
        }
        let real = try XCTUnwrap(byName["interaction_real"]?[true]), null = try XCTUnwrap(byName["interaction_null"]?[true])
        XCTAssertLessThan(real.pValues[3], 1e-3)
        XCTAssertGreaterThan(null.pValues[3], 0.05)
        XCTAssertNil(real.coefficient("missing"))
        XCTAssertEqual(real.index(of: "leak"), 2)
    }

    func testOLSFitCodingRoundTrip() throws {
        let c = try XCTUnwrap(try fixtures().interactions.first)
        let fit = try OLS.interaction(y: c.y, a: c.a, b: c.b, names: ("g", "leak"), center: true)
        let back = try JSONDecoder().decode(OLSFit.self, from: try JSONEncoder().encode(fit))
        XCTAssertEqual(back, fit)
    }

    func testOLSBadInputs() {
        let x: [Double] = [1, 2, 3, 4, 5, 6]
        let y: [Double] = [1.1, 1.9, 3.2, 3.9, 5.3, 5.8]
        let z: [Double] = [0.3, -1, 2, 0.5, 1.5, -0.2]
        assertInvalid("columns") { try OLS.fit(y: y, columns: [], names: []) }
        assertInvalid("names", "1 names") { try OLS.fit(y: y, columns: [x, z], names: ["x"]) }
        assertInvalid("names", "twice") { try OLS.fit(y: y, columns: [x, z], names: ["x", "x"]) }
        assertInvalid("names", "Intercept") { try OLS.fit(y: y, columns: [x], names: ["Intercept"]) }
        XCTAssertNoThrow(try OLS.fit(y: y, columns: [x], names: ["Intercept"], intercept: false))
        assertInvalid("names", "\"\"") { try OLS.fit(y: y, columns: [x], names: [""]) }
        assertInvalid("z", "5 values") { try OLS.fit(y: y, columns: [x, Array(z.dropLast())], names: ["x", "z"]) }
        assertInvalid("y", "nan") { try OLS.fit(y: [1, 2, .nan, 4, 5, 6], columns: [x], names: ["x"]) }
        assertInvalid("x", "inf") { try OLS.fit(y: y, columns: [[1, 2, 3, 4, 5, -.infinity]], names: ["x"]) }
        assertInvalid("y", "3 observations") { try OLS.fit(y: [1, 2, 4], columns: [[1, 2, 3], [0, 1, 0]], names: ["a", "b"]) }
        assertInvalid("y", "constant") { try OLS.fit(y: [2, 2, 2, 2, 2, 2], columns: [x], names: ["x"]) }
        assertInvalid("y", "all zero") { try OLS.fit(y: [0, 0, 0, 0, 0, 0], columns: [x], names: ["x"], intercept: false) }
        assertInvalid("design", "'x2' is (within") { try OLS.fit(y: y, columns: [x, x.map { 2 * $0 }], names: ["x", "x2"]) }
        assertInvalid("design", "'s' is (within 1e-10) a linear combination of Intercept, x, z") {
            try OLS.fit(y: y, columns: [x, z, zip(x, z).map { 3 - $0 + 0.5 * $1 }], names: ["x", "z", "s"])
        }
        assertInvalid("design", "'zero' is all zeros") { try OLS.fit(y: y, columns: [x, [0, 0, 0, 0, 0, 0]], names: ["x", "zero"]) }
        assertInvalid("design", "'c' is constant, collinear with the intercept") {
            try OLS.fit(y: y, columns: [[0.1, 0.1, 0.1, 0.1, 0.1, 0.1], x], names: ["c", "x"])
        }
        assertInvalid("y", "exact linear function") { try OLS.fit(y: x.map { 1 + 2 * $0 }, columns: [x], names: ["x"]) }
        assertInvalid("y", "4 observations") {
            try OLS.interaction(y: [1, 2, 3, 5], a: [1, 2, 3, 4], b: [1, 0, 1, 0], names: ("a", "b"), center: true)
        }
        assertInvalid("b", "3 values") { try OLS.interaction(y: y, a: x, b: [1, 2, 3], names: ("a", "b"), center: false) }
        assertInvalid("a", "nan") { try OLS.interaction(y: y, a: [1, 2, 3, .nan, 5, 6], b: z, names: ("a", "b"), center: true) }
    }

    // MARK: Bootstrap

    func testBootstrapSlopeInterval() throws {
        let b = try fixtures().bootstrap
        let ci = try Bootstrap.slopeCI(x: b.x, y: b.y, seed: 42)
        XCTAssertEqual(ci.resamples, 2000)
        XCTAssertEqual(ci.level, 0.95)
        XCTAssertEqual(ci.seed, 42)
        XCTAssertEqual(ci.redrawn, 0)
        assertClose(ci.estimate, b.slope, relative: 1e-12, "full-data slope")
        XCTAssert(ci.lower < b.slope && b.slope < ci.upper, "[\(ci.lower), \(ci.upper)] must contain \(b.slope)")
        let nominal = 2 * 1.959963984540054 * b.standardError
        let width = ci.upper - ci.lower
        XCTAssert(abs(width / nominal - 1) <= 0.25, "width \(width) vs 2·1.96·SE = \(nominal)")
        // Deterministic for a seed, different for another.
        XCTAssertEqual(try Bootstrap.slopeCI(x: b.x, y: b.y, seed: 42), ci)
        let other = try Bootstrap.slopeCI(x: b.x, y: b.y, seed: 43)
        XCTAssertNotEqual(other.lower, ci.lower)
        XCTAssertNotEqual(other.upper, ci.upper)
        // A wider level gives a wider interval from the same draws.
        let ci99 = try Bootstrap.slopeCI(x: b.x, y: b.y, level: 0.99, seed: 42)
        XCTAssert(ci99.lower < ci.lower && ci99.upper > ci.upper)
        print("bootstrap: width / (2·1.96·SE) = \(width / nominal)")
    }

    /// With three points of which two share x, about a third of the resamples have a constant x; they
    /// are redrawn, so every resample still gives a finite slope.
    func testBootstrapRedrawsConstantResamples() throws {
        let ci = try Bootstrap.slopeCI(x: [0, 0, 1], y: [0, 1, 3], resamples: 500, seed: 7)
        XCTAssertGreaterThan(ci.redrawn, 50)
        XCTAssertEqual(ci.resamples, 500)
        XCTAssert(ci.lower.isFinite && ci.upper.isFinite && ci.lower <= ci.upper)
        XCTAssertEqual(ci.estimate, 2.5, accuracy: 1e-14)
    }

    func testBootstrapBadInputs() {
        let x: [Double] = [1, 2, 3, 4], y: [Double] = [1, 3, 2, 4]
        assertInvalid("y", "3 values") { try Bootstrap.slopeCI(x: x, y: [1, 2, 3], seed: 1) }
        assertInvalid("x", "2 values") { try Bootstrap.slopeCI(x: [1, 2], y: [1, 2], seed: 1) }
        assertInvalid("x", "nan") { try Bootstrap.slopeCI(x: [1, .nan, 3], y: [1, 2, 3], seed: 1) }
        assertInvalid("y", "inf") { try Bootstrap.slopeCI(x: x, y: [1, 2, .infinity, 3], seed: 1) }
        assertInvalid("x", "constant") { try Bootstrap.slopeCI(x: [2, 2, 2], y: [1, 2, 3], seed: 1) }
        assertInvalid("resamples", "9") { try Bootstrap.slopeCI(x: x, y: y, resamples: 9, seed: 1) }
        assertInvalid("level", "1.0") { try Bootstrap.slopeCI(x: x, y: y, level: 1, seed: 1) }
        assertInvalid("level", "0.0") { try Bootstrap.slopeCI(x: x, y: y, level: 0, seed: 1) }
    }

    // MARK: Multiple testing

    func testMultipleTestingMatchesStatsmodels() throws {
        let names: [MultipleTesting.Method: String] = [.bonferroni: "bonferroni", .holm: "holm", .benjaminiHochberg: "fdr_bh"]
        for list in try fixtures().multipleTesting {
            for method in MultipleTesting.Method.allCases {
                XCTAssertEqual(method.rawValue, names[method])
                let e = try XCTUnwrap(list.methods[method.rawValue])
                let adjusted = try MultipleTesting.adjust(list.p, method: method)
                XCTAssertEqual(adjusted.count, e.adjusted.count)
                for (i, (a, b)) in zip(adjusted, e.adjusted).enumerated() {
                    assertClose(a, b, relative: 1e-14, absolute: 1e-300, "\(list.name) \(method) [\(i)]")
                }
                XCTAssertEqual(try MultipleTesting.significant(list.p, method: method), e.reject05, "\(list.name) \(method) α = 0.05")
                XCTAssertEqual(try MultipleTesting.significant(list.p, alpha: 0.1, method: method), e.reject10, "\(list.name) \(method) α = 0.1")
            }
        }
    }

    func testMultipleTestingBadInputs() {
        for method in MultipleTesting.Method.allCases {
            assertInvalid("pValues", "[]") { try MultipleTesting.adjust([], method: method) }
            assertInvalid("pValues", "1.5 at index 1") { try MultipleTesting.adjust([0.1, 1.5], method: method) }
            assertInvalid("pValues", "nan at index 0") { try MultipleTesting.significant([.nan, 0.2], method: method) }
            assertInvalid("pValues", "-0.1") { try MultipleTesting.significant([0.2, -0.1], method: method) }
            assertInvalid("alpha", "1.0") { try MultipleTesting.significant([0.2], alpha: 1, method: method) }
            assertInvalid("alpha", "0.0") { try MultipleTesting.significant([0.2], alpha: 0, method: method) }
        }
    }
}
