import Foundation
import XCTest
import WMCore
@testable import WMExperiments

/// The analysis on synthetic results with known effects.
final class SweepAnalysisTests: XCTestCase {
    /// A results file whose MC is `truth(point values)` plus seeded noise.
    func synthetic(_ spec: SweepSpec, noise: Double = 0.1, truth: ([SweepParameter: Double]) -> Double) throws -> SweepResults {
        let plan = try spec.plan()
        var rows: [SweepRow] = []
        let rng = Philox4x32(seed: 99)
        for p in plan.points {
            for r in 0..<spec.replicates {
                let w = rng.block(UInt32(p.index), UInt32(r), 0, 0)
                let y = truth(p.values) + noise * Double(RandomBits.normal(w.0, w.1))
                var row = SweepRow(fingerprint: spec.fingerprint, point: p.index, replicate: r, seed: UInt64(r), params: p.named, seconds: 0, batch: 1)
                row.scores[.ridge] = DecoderScores(mc: y, lags: Array(1...spec.base.maxLag), r: (1...spec.base.maxLag).map { k in y / Double(k) })
                rows.append(row)
            }
        }
        return SweepResults(header: SweepHeader(spec: spec, shard: nil), rows: rows, warnings: [], validLength: 0, brokenTail: false)
    }

    func testOneAtATimeFindsTheRealEffectAndNotTheNull() throws {
        var base = SweepSpec.defaultBase
        base.maxLag = 10
        let spec = SweepSpec(base: base, mode: .oneAtATime, axes: [try SweepAxis(.n, values: [200, 500, 1000, 2000]),
                                                                      try SweepAxis(.g, values: [0.8, 0.95, 1.1]),
                                                                      try SweepAxis(.sp, values: [0.1, 0.25, 0.5])], replicates: 6)
        // MC grows with N only.
        let res = try synthetic(spec) { 0.002 * ($0[.n] ?? 0) }
        let a = try SweepAnalysis.analyze(res)
        let n = try XCTUnwrap(a.effects.first { $0.parameter == "N" })
        let g = try XCTUnwrap(a.effects.first { $0.parameter == "g" })
        XCTAssertTrue(n.significant)
        XCTAssertGreaterThan(n.spearman.estimate, 0.9)
        XCTAssertEqual(n.slope.estimate, 0.002, accuracy: 2e-4)
        XCTAssertTrue(n.slope.lower < 0.002 && 0.002 < n.slope.upper)
        XCTAssertFalse(g.significant)
        // One-at-a-time: only the g line (N = 1000, sp = 0.25): 3 values × 6 seeds.
        XCTAssertEqual(g.observations, 18)
        XCTAssertEqual(n.levels.map(\.value), [200, 500, 1000, 2000])
        XCTAssertEqual(n.levels[0].n, 6)
        // The reported statistics are the module's on the same selection.
        let sel = res.rows.filter { $0.params["g"] == 0.95 && $0.params["sp"] == 0.25 }
        let direct = try CorrelationTest.spearman(x: sel.map { $0.params["N"]! }, y: sel.map { $0.mc(.ridge)! })
        XCTAssertEqual(n.spearman, direct)
        // Holm over three tests: the smallest p is multiplied by 3.
        let ps = a.effects.map(\.spearman.pValue)
        let smallest = a.effects[ps.firstIndex(of: ps.min()!)!]
        XCTAssertEqual(smallest.spearmanAdjusted, Swift.min(1, 3 * smallest.spearman.pValue), accuracy: 1e-15)
        XCTAssertTrue(a.interactions.isEmpty)
    }

    func testGridInteractionIsDetectedOnlyWhenPresent() throws {
        var base = SweepSpec.defaultBase
        base.maxLag = 10
        let spec = SweepSpec(base: base, axes: [try SweepAxis(.n, values: [200, 400, 800]), try SweepAxis(.gIn, from: 0.1, to: 10, steps: 4, log: true)],
                             replicates: 4)
        let with = try SweepAnalysis.analyze(try synthetic(spec) { v in
            let a = (v[.n]! - 466.7) / 100, b = Foundation.log10(v[.gIn]!)
            return 1 + a + b + 0.8 * a * b
        })
        let i = try XCTUnwrap(with.interactions.first)
        XCTAssertEqual([i.a, i.b], ["N", "gIn"])
        XCTAssertTrue(i.significant)
        let k = try XCTUnwrap(i.fit.terms.firstIndex(of: "N:gIn"))
        XCTAssertEqual(i.fit.coefficients[k], 0.008, accuracy: 1e-3)  // per unit of N and of log10 gIn
        XCTAssertEqual(i.map.count, 4)
        XCTAssertEqual(i.map[0].count, 3)
        XCTAssertEqual(with.effects.first { $0.parameter == "gIn" }?.regressor, "log10(value)")
        let without = try SweepAnalysis.analyze(try synthetic(spec) { v in 1 + v[.n]! / 100 + Foundation.log10(v[.gIn]!) })
        XCTAssertFalse(try XCTUnwrap(without.interactions.first).significant)
    }

    /// A pooled marginal effect can hide opposite trends: the effect is split by the levels of
    /// the interacting parameter, and the plot draws every network and one line per level.
    func testGridEffectIsSplitByTheInteractingParameter() throws {
        var base = SweepSpec.defaultBase
        base.maxLag = 10
        let spec = SweepSpec(base: base, axes: [try SweepAxis(.g, values: [0.8, 1.0, 1.2]), try SweepAxis(.gIn, values: [1, 10]),
                                                try SweepAxis(.sp, values: [0.1, 0.2])], replicates: 3)
        // MC rises with g at gIn = 1 and falls at gIn = 10; sp does nothing.
        let res = try synthetic(spec, noise: 0.01) { v in v[.gIn]! == 1 ? 2 + 5 * (v[.g]! - 1) : 2 - 5 * (v[.g]! - 1) }
        let a = try SweepAnalysis.analyze(res)
        let g = try XCTUnwrap(a.effects.first { $0.parameter == "g" })
        let by = try XCTUnwrap(g.byLevel)
        XCTAssertEqual(by.parameter, "gIn", "the interacting parameter, not sp")
        XCTAssertEqual(by.levels, [1, 10])
        XCTAssertEqual(by.means[0][0], 1, accuracy: 0.02)
        XCTAssertEqual(by.means[0][2], 3, accuracy: 0.02)
        XCTAssertEqual(by.means[1][0], 3, accuracy: 0.02)
        XCTAssertEqual(by.means[1][2], 1, accuracy: 0.02)
        // The pooled mean is flat; the observations behind it are kept (2 gIn × 2 sp × 3 seeds).
        XCTAssertEqual(g.levels[0].mean, 2, accuracy: 0.02)
        XCTAssertEqual(g.levels[0].values?.count, 12)
        let series = SweepAnalysisOutput.effectSeries(g)
        XCTAssertEqual(series.map(\.name), ["one network", "gIn = 1", "gIn = 10", "mean over all networks"])
        XCTAssertEqual(series[0].y.count, 36)
        var plot = SVGLinePlot(title: "t", xLabel: "g", yLabel: "MC")
        plot.series = series
        let svg = plot.render()
        XCTAssertEqual(svg.components(separatedBy: "r=\"2.5\" fill=\"white\"").count - 1, 36, "one hollow point per network")
        XCTAssertTrue(svg.contains("gIn = 10"))
        // One-at-a-time lines have nothing to split by.
        let line = SweepSpec(base: base, mode: .oneAtATime, axes: spec.axes, replicates: 3)
        let b = try SweepAnalysis.analyze(try synthetic(line) { v in v[.g]! })
        XCTAssertNil(try XCTUnwrap(b.effects.first { $0.parameter == "g" }).byLevel)
    }

    /// Rows whose point is outside the plan (a hand-edited or foreign file, or rows built in memory)
    /// are counted as unusable, never indexed: `wmsim stats` crashed on point −1 or 500.
    func testRowsOutsideThePlanAreNotUsedAndDoNotCrash() throws {
        var base = SweepSpec.defaultBase
        base.maxLag = 10
        let spec = SweepSpec(base: base, axes: [try SweepAxis(.g, values: [0.5, 1, 1.5])], replicates: 3)
        var res = try synthetic(spec) { v in v[.g]! }
        let good = try SweepAnalysis.analyze(res)
        for p in [-1, 500, 3] {
            var row = res.rows[0]
            row.point = p
            res.rows.append(row)
        }
        let a = try SweepAnalysis.analyze(res)
        XCTAssertEqual(a.failedRows, good.failedRows + 3)
        XCTAssertEqual(a.effects.first?.observations, 9)
    }

    func testRAtEachLagAndBadOptions() throws {
        var base = SweepSpec.defaultBase
        base.maxLag = 10
        let spec = SweepSpec(base: base, axes: [try SweepAxis(.g, values: [0.5, 1, 1.5]), try SweepAxis(.x, values: [1, 2, 5])], replicates: 3)
        let res = try synthetic(spec) { _ in 3 }
        var o = SweepAnalysisOptions()
        o.metric = .r
        let a = try SweepAnalysis.analyze(res, options: o)
        let x = try XCTUnwrap(a.effects.first { $0.parameter == "X" })
        XCTAssertLessThan(x.spearman.estimate, -0.9)
        XCTAssertEqual(x.observations, 27)
        XCTAssertTrue(a.interactions.contains { $0.a == "g" && $0.b == "X" })
        // MC with an X axis: warned, X not analysed.
        let mc = try SweepAnalysis.analyze(res)
        XCTAssertTrue(mc.warnings.contains { $0.contains("readout axis") })
        XCTAssertNil(mc.effects.first { $0.parameter == "X" })
        o.lag = 50
        XCTAssertThrowsError(try SweepAnalysis.analyze(res, options: o)) { XCTAssertTrue("\($0)".contains("maxLag"), "\($0)") }
        o.lag = nil
        o.decoder = .mlp
        XCTAssertThrowsError(try SweepAnalysis.analyze(res, options: o)) { XCTAssertTrue("\($0)".contains("decoder"), "\($0)") }
        var noX = SweepSpec(base: base, axes: [try SweepAxis(.g, values: [0.5, 1])], replicates: 3)
        noX.base.maxLag = 10
        var ro = SweepAnalysisOptions()
        ro.metric = .r
        XCTAssertThrowsError(try SweepAnalysis.analyze(try synthetic(noX) { _ in 1 }, options: ro)) { XCTAssertTrue("\($0)".contains("--lag"), "\($0)") }
    }
}
