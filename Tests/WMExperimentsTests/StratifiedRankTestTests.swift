import Foundation
import XCTest
@testable import WMExperiments

/// The stratified rank test against known exact answers, a brute-force enumeration written
/// independently (bit masks, ranks recomputed from the values), and its normal approximation
/// where the Monte Carlo path runs.
final class StratifiedRankTestTests: XCTestCase {
    func testCompleteSeparationInTwoStrataHasTheExactP() throws {
        // Each stratum: 3 vs 3, A above B. Of the 20 × 20 relabellings only "both strata A on
        // top" and "both A at the bottom" reach |T|: p = 2/400.
        let t = try XCTUnwrap(StratifiedRankTest([(a: [4, 5, 6], b: [1, 2, 3]), (a: [10, 11, 12], b: [7, 8, 9])]))
        XCTAssertTrue(t.exact)
        XCTAssertEqual(t.relabellings, 400)
        XCTAssertEqual(t.p, 0.005, accuracy: 1e-15)
        XCTAssertEqual(t.statistic, 2 * (15 - 10.5) / 7, accuracy: 1e-12)
        XCTAssertEqual(t.shareAGreater, 1)
        XCTAssertEqual([t.strata, t.countA, t.countB], [2, 6, 6])
    }

    /// What the plain rank test would call a difference is, within strata, none: A sits in the
    /// high stratum, B in the low one, and inside each stratum they are interleaved.
    func testConfoundingBetweenStrataIsNotADifference() throws {
        let high: (a: [Double], b: [Double]) = (a: [10, 12, 14, 16], b: [11, 13, 15])
        let low: (a: [Double], b: [Double]) = (a: [2, 4], b: [1, 3, 5, 7])
        let t = try XCTUnwrap(StratifiedRankTest([high, low]))
        XCTAssertGreaterThan(t.p, 0.5)
        // Pairs within strata only, each stratum's weighted 1/(N + 1): U = 6 of 12 (N = 7), 3 of 8 (N = 6).
        XCTAssertEqual(t.shareAGreater, (6.0 / 8 + 3.0 / 7) / (12.0 / 8 + 8.0 / 7), accuracy: 1e-12)
        let plain = try XCTUnwrap(MannWhitney(high.a + low.a, high.b + low.b))
        XCTAssertEqual(plain.u, 25, "pooled, A wins 25 of 42 pairs: the strata mixed in")
    }

    func testExactPEqualsBruteForceEnumerationWithTies() throws {
        var rng = SplitMix64(seed: 7)
        var tested = 0
        for trial in 0..<30 {
            var strata: [(a: [Double], b: [Double])] = []
            for _ in 0..<(2 + Int(rng.next() % 3)) {
                let na = 1 + Int(rng.next() % 4), nb = 1 + Int(rng.next() % 4)
                // Values from a small set: many ties, and +∞ as the censored value.
                let pick = { (r: inout SplitMix64) -> Double in let v = Double(r.next() % 5); return v == 4 ? .infinity : v }
                strata.append((a: (0..<na).map { _ in pick(&rng) }, b: (0..<nb).map { _ in pick(&rng) }))
            }
            strata.append((a: [1, 2], b: []))   // holds one sample: dropped
            guard let t = StratifiedRankTest(strata) else {
                let c = StratifiedRankTest.informativeCounts(strata)
                XCTAssertTrue(c.a < 5 || c.b < 5 || strata.filter { !$0.a.isEmpty && !$0.b.isEmpty }.allSatisfy { Set($0.a + $0.b).count <= 1 },
                              "trial \(trial): nil only for a stated reason")
                continue
            }
            tested += 1
            let brute = bruteForce(strata.filter { !$0.a.isEmpty && !$0.b.isEmpty })
            XCTAssertTrue(t.exact)
            XCTAssertEqual(t.relabellings, brute.count, "trial \(trial)")
            XCTAssertEqual(t.p, brute.p, accuracy: 1e-12, "trial \(trial)")
            XCTAssertEqual(t.statistic, brute.observed, accuracy: 1e-12, "trial \(trial)")
        }
        XCTAssertGreaterThan(tested, 10, "most draws are tested")
    }

    func testMonteCarloAgreesWithTheNormalApproximationAndIsReproducible() throws {
        // Four strata of 10 vs 10 (184 756⁴ relabellings): the Monte Carlo path. No ties, so
        // T's null variance is Σ nA·nB / (12 (N + 1)).
        var rng = SplitMix64(seed: 3)
        let strata: [(a: [Double], b: [Double])] = (0..<4).map { _ in
            (a: (0..<10).map { _ in Double(rng.next() % 1_000_000) / 1e6 + 0.25 }, b: (0..<10).map { _ in Double(rng.next() % 1_000_000) / 1e6 })
        }
        let t = try XCTUnwrap(StratifiedRankTest(strata, draws: 20_000))
        XCTAssertFalse(t.exact)
        XCTAssertEqual(t.relabellings, 20_000)
        let sd = (4 * 100.0 / (12 * 21)).squareRoot()
        let normal = 2 * StandardNormal.sf(abs(t.statistic) / sd)
        XCTAssertEqual(t.p, normal, accuracy: 0.01 + 0.1 * normal, "T = \(t.statistic)")
        XCTAssertLessThan(t.p, 0.05, "A shifted up by a quarter of the range")
        XCTAssertEqual(StratifiedRankTest(strata, draws: 20_000)?.p, t.p, "seeded: the same p every time")
    }

    /// Many small strata against one large one: the direction follows T (and so the p-value),
    /// not the unweighted count of pairs. 30 points of 1 vs 1 where A is lower, and one of 10 vs
    /// 10 where A wins 66 of 100 pairs: 96 of 130 pairs favour A unweighted, yet T < 0.
    func testDirectionFollowsTheStatistic() throws {
        var strata: [(a: [Double], b: [Double])] = Array(repeating: (a: [0], b: [1]), count: 30)
        strata.append((a: Array(repeating: 10.5, count: 6) + [5.5, -1, -1, -1], b: (0..<10).map(Double.init)))
        let t = try XCTUnwrap(StratifiedRankTest(strata, draws: 20_000))
        XCTAssertFalse(t.exact)
        XCTAssertLessThan(t.statistic, 0)
        XCTAssertLessThan(t.shareAGreater, 0.5)
        XCTAssertLessThan(t.p, 0.05)
    }

    /// The smallest p a design allows: five points of 1 vs 1 have 32 relabellings, two of them
    /// extreme, so 2/32; complete separation in two 3 vs 3 points reaches 2/400.
    func testSmallestAchievablePIsReported() throws {
        let five = try XCTUnwrap(StratifiedRankTest(Array(repeating: (a: [1], b: [0]), count: 5)))
        XCTAssertEqual(five.smallestP, 2.0 / 32, accuracy: 1e-15)
        XCTAssertEqual(five.p, 2.0 / 32, accuracy: 1e-15, "complete separation is the most extreme")
        let two = try XCTUnwrap(StratifiedRankTest([(a: [4, 5, 6], b: [1, 2, 3]), (a: [10, 11, 12], b: [7, 8, 9])]))
        XCTAssertEqual(two.smallestP, 2.0 / 400, accuracy: 1e-15)
    }

    func testTooFewOrAllTiedIsNotTested() {
        XCTAssertNil(StratifiedRankTest([(a: [1, 2, 3, 4], b: [5, 6, 7, 8, 9])]), "4 of A")
        XCTAssertNil(StratifiedRankTest([(a: [1, 2, 3, 4, 5], b: []), (a: [], b: [1, 2, 3, 4, 5])]), "no stratum holds both")
        XCTAssertNil(StratifiedRankTest([(a: [0, 0, 0], b: [0, 0, 0]), (a: [1, 1], b: [1, 1])]), "every value ties within its stratum")
        XCTAssertNotNil(StratifiedRankTest([(a: [0, 0, 0], b: [0, 0, 0]), (a: [1, 2], b: [3, 4])]))
    }

    /// Every relabelling by bit masks, W recomputed from the values (mid-rank = #smaller + (#equal + 1)/2).
    private func bruteForce(_ strata: [(a: [Double], b: [Double])]) -> (p: Double, count: Int, observed: Double) {
        func contribution(_ values: [Double], _ isA: [Bool]) -> Double {
            let n = Double(values.count), na = Double(isA.filter { $0 }.count)
            var w = 0.0
            for (v, a) in zip(values, isA) where a {
                w += Double(values.filter { $0 < v }.count) + (Double(values.filter { $0 == v }.count) + 1) / 2
            }
            return (w - na * (n + 1) / 2) / (n + 1)
        }
        var perStratum: [[Double]] = []
        var observed = 0.0
        for s in strata {
            let values = s.a + s.b, n = values.count
            observed += contribution(values, values.indices.map { $0 < s.a.count })
            perStratum.append((0..<(1 << n)).filter { $0.nonzeroBitCount == s.a.count }.map { mask in
                contribution(values, (0..<n).map { mask & (1 << $0) != 0 })
            })
        }
        var sums = [0.0]
        for list in perStratum { sums = sums.flatMap { s in list.map { s + $0 } } }
        let hits = sums.filter { abs($0) >= abs(observed) - 1e-9 }.count
        return (Double(hits) / Double(sums.count), sums.count, observed)
    }
}
