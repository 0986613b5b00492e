import Foundation
import XCTest
@testable import WMExperiments

/// The rank test and the median interval against SciPy, and the comparison of mechanisms on
/// synthetic rows whose answer is known.
final class MechanismComparisonTests: XCTestCase {
    func row(_ m: Mechanism, delay: Double?, noise: Double?, learned: Bool = true, index: Int, delayOneFrom: Double? = nil) -> AnalysisRow {
        syntheticAnalysisRow(m, delay: delay, noise: noise, learned: learned, index: index, delayOneFrom: delayOneFrom)
    }

    func testMannWhitneyAgreesWithSciPy() throws {
        // scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic") (SciPy 1.x):
        // U = 36.0, p = 0.037259909504905916; with ties and +∞: U = 16.5, p = 0.5655656369543498.
        let a = try XCTUnwrap(MannWhitney([1.2, 3.4, 2.2, 5.0, 4.4, 2.2, 7.1], [0.5, 1.1, 2.2, 0.9, 1.7, 3.0]))
        XCTAssertEqual(a.u, 36)
        XCTAssertEqual(a.p, 0.037259909504905916, accuracy: 1e-12)
        let b = try XCTUnwrap(MannWhitney([1, 2, 3, 4, 5, .infinity, .infinity], [3, 4, 5, 6, 7, 8]))
        XCTAssertEqual(b.u, 16.5)
        XCTAssertEqual(b.p, 0.5655656369543498, accuracy: 1e-12)
        XCTAssertNil(MannWhitney([1, 2, 3, 4], [1, 2, 3, 4, 5]), "too few values for the approximation")
        XCTAssertNil(MannWhitney([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]), "all tied")
    }

    func testMedianIntervalUsesTheBinomialOrderStatistics() throws {
        // j = 1, 2, 8 for n = 6, 10, 25 (largest j with P(Binomial(n, ½) ≤ j − 1) ≤ 0.025).
        let six = try XCTUnwrap(MedianInterval([6, 1, 5, 2, 4, 3]))
        XCTAssertEqual([six.low, six.median, six.high], [1, 3.5, 6])
        let ten = try XCTUnwrap(MedianInterval((1...10).map(Double.init)))
        XCTAssertEqual([ten.low, ten.high], [2, 9])
        let t25 = try XCTUnwrap(MedianInterval((1...25).map(Double.init)))
        XCTAssertEqual([t25.low, t25.median, t25.high], [8, 13, 18])
        XCTAssertNil(MedianInterval([1, 2, 3, 4, 5]))
    }

    func testTheClaimIsTestedOnlyWithEnoughNetworksAndFollowsTheData() {
        // Slow manifolds forget at 1–2 τ and resist noise up to 8–16; fixed points the opposite.
        var rows: [AnalysisRow] = []
        for k in 0..<7 { rows.append(row(.slowManifold, delay: k < 4 ? 1 : 2, noise: k < 3 ? 8 : 16, index: k)) }
        for k in 0..<6 { rows.append(row(.fixedPoints, delay: k < 3 ? 8 : nil, noise: 1, index: 10 + k)) }
        rows.append(row(.fixedPoints, delay: 1, noise: 1, learned: false, index: 20))
        let c = MechanismComparison(rows)
        XCTAssertEqual(c.groups.map(\.networks), [6, 7], "only learned networks, fixed points first")
        let fp = c.groups[0], sm = c.groups[1]
        XCTAssertEqual(fp.delayHalf.filter { $0 == .infinity }.count, 3, "never failing is +∞")
        XCTAssertEqual(sm.delayMedian?.median, 1)
        XCTAssertLessThan(c.delayTest!.p, 0.05)
        XCTAssertLessThan(c.noiseTest!.p, 0.05)
        XCTAssertLessThan(c.delayShareTest!.p, 0.05)
        // Half of 4 runs fail at every level from 1 τ (share 0.5) or 2 τ (4 of 5 levels: 0.4);
        // fixed points from 8 τ (0.2) or never (0).
        XCTAssertEqual(sm.delayShare.sorted(), [0.4, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(fp.delayShareMedian?.median, 0.1)
        XCTAssertTrue(c.text.contains("slow manifolds forget sooner (share of delay cases failing) — supported") && c.text.contains("resist noise better — supported"), c.text)
        // With four fixed-point networks the test is not run, and the text says why.
        let few = MechanismComparison(Array(rows.prefix(7)) + Array(rows[7..<11]))
        XCTAssertNil(few.delayTest)
        XCTAssertTrue(few.text.contains("not tested"), few.text)
        XCTAssertTrue(few.text.contains("— (< 6 networks)"), few.text)
    }

    /// When no network of either mechanism ever half-fails on the delay test (every value +∞),
    /// that measure says so and the others are still tested: the uncensored share of failing
    /// delay cases finds the forgetting, and noise is compared as usual.
    func testATiedMeasureDoesNotHideTheOthers() {
        var rows: [AnalysisRow] = []
        for k in 0..<6 { rows.append(row(.slowManifold, delay: nil, noise: 1, index: k, delayOneFrom: k < 3 ? 1 : 2)) }
        for k in 0..<6 { rows.append(row(.fixedPoints, delay: nil, noise: 8, index: 10 + k, delayOneFrom: k < 3 ? 16 : nil)) }
        let c = MechanismComparison(rows)
        XCTAssertNil(c.delayTest, "every half-failing delay is +∞")
        XCTAssertTrue(c.text.contains("extra delay at which half the cases fail: not testable — no network of either mechanism reaches half failing"), c.text)
        XCTAssertLessThan(try XCTUnwrap(c.delayShareTest).p, 0.05)
        XCTAssertLessThan(try XCTUnwrap(c.noiseTest).p, 0.05)
        XCTAssertTrue(c.text.contains("forget sooner (share of delay cases failing) — supported"), c.text)
        XCTAssertTrue(c.text.contains("resist noise better — not supported"), "slow manifolds fail at lower σ here: \(c.text)")
        XCTAssertTrue(c.text.contains("more efficiently — not tested"), c.text)
    }

    /// Mechanism confounded with a parameter: fixed points mostly at g = 0.8, where nothing
    /// forgets much, slow manifolds mostly at g = 1.2, where everything does. Pooled, slow
    /// manifolds forget more (U = 80 of 100, p = 0.021 in SciPy); compared within each g, the two
    /// mechanisms are interleaved and the matched test finds nothing.
    func testMatchedParametersSeparateTheMechanismFromItsParameters() throws {
        var rows: [AnalysisRow] = []
        func add(_ m: Mechanism, g: Double, delay: Double? = nil, oneFrom: Double? = nil) {
            var r = row(m, delay: delay, noise: 4, index: rows.count, delayOneFrom: oneFrom)
            r.params = ["N": 300, "g": g, "fb": 1, "seed": Double(rows.count)]
            rows.append(r)
        }
        // g = 0.8: shares 0 (never) and 0.25 (one run of 4 from 1 τ).
        for k in 0..<8 { add(.fixedPoints, g: 0.8, oneFrom: k < 4 ? nil : 1) }
        add(.slowManifold, g: 0.8); add(.slowManifold, g: 0.8, oneFrom: 1)
        // g = 1.2: shares 0.5 (half from 1 τ) and 0.4 (from 2 τ).
        for k in 0..<8 { add(.slowManifold, g: 1.2, delay: k < 4 ? 1 : 2) }
        add(.fixedPoints, g: 1.2, delay: 1); add(.fixedPoints, g: 1.2, delay: 2)
        let c = MechanismComparison(rows)
        XCTAssertEqual(c.delayShareTest?.u, 80)
        XCTAssertEqual(try XCTUnwrap(c.delayShareTest).p, 0.02143443059896028, accuracy: 1e-12)
        let matched = try XCTUnwrap(c.matchedDelayShareTest)
        XCTAssertEqual(matched.shareAGreater, 0.5, accuracy: 1e-12, "within each g the mechanisms interleave")
        XCTAssertEqual([matched.strata, matched.countA, matched.countB], [2, 10, 10])
        XCTAssertGreaterThan(matched.p, 0.9)
        XCTAssertTrue(matched.exact)
        XCTAssertTrue(c.text.contains("slow manifolds forget sooner (share of delay cases failing) — supported"), c.text)
        // The shares tie heavily within each g: no relabelling of these points gets below p = 0.0988,
        // so the matched verdict is withheld, with the reason.
        XCTAssertEqual(matched.smallestP, 200.0 / 2025, accuracy: 1e-12)
        XCTAssertTrue(c.text.contains("not judged: the smallest p these points allow is 0.0988"), c.text)
        XCTAssertTrue(c.text.contains("the claim within matched parameters, each part at p < 0.05: forget sooner — not tested"), c.text)
        // Noise ties everywhere: said so, not tested.
        XCTAssertNil(c.matchedNoiseTest)
        XCTAssertTrue(c.text.contains("noise σ at which half the runs fail: not testable — every value ties within every point"), c.text)
        // Seeds alone never make points: the same rows with seeds only differing stay 2 points.
        XCTAssertEqual(Set(rows.map(MechanismComparison.stratum)).count, 2)
        // Drop g = 1.2's fixed points: points with both now hold 2 slow manifolds only.
        let fewer = MechanismComparison(rows.filter { !($0.params["g"] == 1.2 && $0.classification?.mechanism == .fixedPoints) })
        XCTAssertNil(fewer.matchedDelayShareTest)
        XCTAssertTrue(fewer.text.contains("points holding both mechanisms have 2 slow-manifold and 8 fixed-point networks"), fewer.text)
    }

    /// The direction comes from U, not the medians: with most shares 0 both medians are 0, yet
    /// the slow manifolds that fail at all make them "higher".
    func testDirectionFollowsUWhenMediansTie() throws {
        var rows: [AnalysisRow] = []
        for k in 0..<7 { rows.append(row(.slowManifold, delay: nil, noise: 1, index: k, delayOneFrom: k < 3 ? 1 : nil)) }
        for k in 0..<7 { rows.append(row(.fixedPoints, delay: nil, noise: 1, index: 10 + k)) }
        let c = MechanismComparison(rows)
        XCTAssertEqual(c.groups[1].delayShareMedian?.median, 0)
        XCTAssertEqual(c.groups[0].delayShareMedian?.median, 0)
        let t = try XCTUnwrap(c.delayShareTest)
        XCTAssertEqual(t.u, 4 * 7 * 0.5 + 3 * 7, "3 slow manifolds beat all 7; 4 tie with all 7")
        XCTAssertTrue(c.text.contains("share of delay cases failing: higher for slow manifolds (U = 35.0, P(slow manifold > fixed points) = 0.71"), c.text)
    }

    /// Efficiency is counted only where fixed points were searched (never as 0 stable points
    /// otherwise), as 4 memories per stable point, and compared like the robustness measures.
    func testLandscapeEfficiencyCountsOnlySearchedNetworks() {
        func searched(_ r: AnalysisRow, stable: Int, unstable: Int = 1) -> AnalysisRow {
            var r = r
            func point(_ s: Bool) -> FixedPoint {
                FixedPoint(q: 0, isFixed: true, outputs: [0, 0, 0], starts: 1, maxRealPart: s ? -1 : 1, stable: s, slowDirections: 0,
                           slowestTimeConstant: nil, leadingEigenvalues: [])
            }
            r.fixedPoints = FixedPointResult(starts: 10, iterations: 1, points: (0..<stable).map { _ in point(true) } + (0..<unstable).map { _ in point(false) },
                                             unconverged: [], outliers: 0, duplicates: 0, seconds: 0)
            return r
        }
        var rows: [AnalysisRow] = []
        for k in 0..<6 { rows.append(searched(row(.slowManifold, delay: 1, noise: 8, index: k), stable: k < 3 ? 1 : 2)) }
        for k in 0..<6 { rows.append(searched(row(.fixedPoints, delay: nil, noise: 1, index: 10 + k), stable: k < 3 ? 4 : 8)) }
        rows.append(row(.fixedPoints, delay: nil, noise: 1, index: 30))   // not searched
        let c = MechanismComparison(rows)
        let fp = c.groups[0], sm = c.groups[1]
        XCTAssertEqual(fp.networks, 7)
        XCTAssertEqual(fp.stablePoints.count, 6, "the unsearched network is not a network with 0 stable points")
        XCTAssertEqual(sm.memoriesPerStablePoint.sorted(), [2, 2, 2, 4, 4, 4])
        XCTAssertEqual(fp.efficiencyMedian?.median, 0.75)
        XCTAssertLessThan(try XCTUnwrap(c.efficiencyTest).p, 0.05)
        XCTAssertTrue(c.text.contains("attractor landscape more efficiently — supported"), c.text)
        // None searched: said so, no test.
        let bare = MechanismComparison(rows.map { var r = $0; r.fixedPoints = nil; return r })
        XCTAssertNil(bare.efficiencyTest)
        XCTAssertTrue(bare.text.contains("not searched"), bare.text)
    }
}
