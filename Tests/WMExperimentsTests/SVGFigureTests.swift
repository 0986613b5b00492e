import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// The figures' shared conventions: they scale (viewBox), bands are in the legend, the legend
/// fits, heatmaps have a colour bar and short numeric labels, and the memory curve shows each
/// decoder's MC with its lags and the chance level.
final class SVGFigureTests: XCTestCase {
    func testLinePlotsScaleAndNameTheirBandsAndTheLegendFits() {
        var p = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y")
        let long = String(repeating: "w", count: 60)
        p.series = [.init(name: long, x: [1, 2, 3], y: [0, 1, 0.5], band: ([0, 0.5, 0.2], [0.3, 1.2, 0.8]), color: "#000")]
        let svg = p.render()
        let width = Double(svg.firstMatch(of: /width="(\d+)"/)!.1)!
        XCTAssertTrue(svg.contains("viewBox=\"0 0 \(Int(width)) 440\""), svg.prefix(200).description)
        XCTAssertTrue(svg.contains("\(long) ± 95 % CI"), "the band is named in the legend")
        XCTAssertTrue(svg.contains("fill-opacity=\"0.18\"/><line"), "the legend shows the band's swatch")
        XCTAssertGreaterThanOrEqual(width, 70 + 480 + 6.7 * Double(long.count + 11), "the figure widens for its legend")
    }

    func testHeatmapsHaveAColourBarAndShortLabels() throws {
        var m = SVGHeatmap(title: "MC", xLabel: "gIn", yLabel: "g", xValues: ["1", "3.16227766017", "10"], yValues: ["0.5", "0.9"],
                           values: [[1, 2, 3], [4, 5, .nan]])
        m.valueLabel = "mean MC"
        let svg = m.render()
        XCTAssertTrue(svg.contains("viewBox=\"0 0 "))
        XCTAssertTrue(svg.contains(">3.162<"), "numeric tick labels are shortened")
        XCTAssertFalse(svg.contains("3.16227766017"))
        XCTAssertTrue(svg.contains("linearGradient") && svg.contains(">mean MC<"), "a colour bar with its label")
        for v in ["1", "2", "3", "4", "5"] { XCTAssertTrue(svg.contains(">\(v)<"), "colour-bar tick \(v)") }
        try svg.write(toFile: temporaryPath("heatmap").path + ".svg", atomically: true, encoding: .utf8)
    }

    func testTheMemoryCurveShowsMCOverItsLagsAndTheChanceLevel() throws {
        var spec = CapacitySpec()
        spec.networks = 3
        spec.test = 400
        spec.trials = 1
        spec.maxLag = 10
        func curve(_ lags: [Int]) -> MemoryCurve {
            MemoryCurve(lags: lags, r: lags.map { 1 / Double($0) }, lambda: lags.map { _ in 1 }, validationR: lags.map { 1 / Double($0) })
        }
        let ridge = curve(Array(1...10)), mlp = curve([1, 2, 5, 10])
        var result = CapacityResult(spec: spec, backend: CPUBackend().info, format: "dense", decoders: [:], simulateSeconds: 0, warnings: [])
        result.decoders[.ridge] = DecoderResult(decoder: .ridge, perNetwork: [ridge, ridge, ridge], mean: ridge, memoryCapacity: ridge.memoryCapacity,
                                               memoryCapacityCI95: [1, 2], firstLagBelowThreshold: 3, histories: nil, seconds: 0)
        result.decoders[.mlp] = DecoderResult(decoder: .mlp, perNetwork: [mlp, mlp, mlp], mean: mlp, memoryCapacity: mlp.memoryCapacity,
                                             memoryCapacityCI95: [1, 2], firstLagBelowThreshold: 3, histories: nil, seconds: 0)
        let svg = CapacityOutput.plot(result).render()
        XCTAssertTrue(svg.contains("over k = 1…10)"), "ridge MC over its lags")
        XCTAssertTrue(svg.contains("over 4 lags)"), "the MLP's MC is over its own 4 lags, not comparable as is")
        XCTAssertTrue(svg.contains("chance |r| ≈ 1/√n = 0.050"), "1/√400")
        XCTAssertTrue(svg.contains("r (solid) and r² (dashed)"))
        let log = CapacityOutput.plot(result, logLags: true).render()
        XCTAssertTrue(log.contains(">2<") && log.contains(">5<"), "log lag ticks at 1, 2, 5, 10")
    }

    /// Effect plots of a log-scaled parameter: a log axis ticked at the swept values, and
    /// headroom so that no point sits on the frame.
    func testLogAxesTickAtTheSweptValuesWithHeadroom() {
        var p = SVGLinePlot(title: "t", xLabel: "gIn (log axis)", yLabel: "MC")
        p.logX = true
        p.xTickValues = [1, 3.16227766017, 10]
        p.series = [.init(name: "mean", x: [1, 3.16227766017, 10], y: [0.5, 0.7, 1], color: "#000")]
        let svg = p.render()
        XCTAssertTrue(svg.contains(">3.162<") && svg.contains(">10<") && !svg.contains("log10"), svg)
        // The highest point (y = 1) is drawn below the frame's top edge (y = 40).
        let ys = svg.matches(of: /<circle cx="[0-9.]+" cy="([0-9.]+)"/).map { Double($0.1)! }
        XCTAssertEqual(ys.count, 3)
        XCTAssertGreaterThan(ys.min()!, 40 + 5)
    }
}
