import Foundation
import XCTest
import WMCore
@testable import WMExperiments

/// The analysis figures: PCA against a known direction, log ticks, and what the SVGs contain.
final class AnalysisPlotsTests: XCTestCase {
    func testPrincipalComponentsFindTheDirectionOfALine() throws {
        let d = [3.0, -4, 0, 12].map { $0 / 13 }
        let samples = (0..<20).map { t in d.map { $0 * Double(t) + 1 } }
        let pca = try AnalysisPlots.principalComponents(samples, k: 2)
        XCTAssertEqual(pca.loadings.count, 1, "a line has one component")
        XCTAssertEqual(abs(zip(pca.loadings[0], d).reduce(0) { $0 + $1.0 * $1.1 }), 1, accuracy: 1e-9)
        XCTAssertEqual(pca.explained[0], 1, accuracy: 1e-12)
        XCTAssertEqual(pca.mean, d.map { $0 * 9.5 + 1 }.map { $0 }, "the mean of t = 0…19")
    }

    func testLogTicksAndScatterRendering() {
        XCTAssertEqual(SVGLinePlot.logTicks(0.1, 40), [0.1, 0.2, 0.5, 1, 2, 5, 10, 20])
        XCTAssertEqual(SVGLinePlot.logTicks(1, 1e5), [1, 10, 100, 1000, 10000, 100000], "decades only when 1-2-5 gives too many")
        var plot = SVGLinePlot(title: "t", xLabel: "x", yLabel: "y")
        plot.logX = true
        plot.series = [.init(name: "line", x: [0.1, 1, 10], y: [0, 1, 2], color: "#000"), .init(name: "", x: [1], y: [1], color: "#111"),
                       .init(name: "dots", x: [0.5, 5], y: [1, 1], color: "#222", markersOnly: true, hollow: true)]
        let svg = plot.render()
        XCTAssertTrue(svg.contains(">line<") && svg.contains(">dots<"))
        XCTAssertFalse(svg.contains("\"></text>"), "the unnamed series has no (empty) legend entry")
        for tick in [">0.1<", ">1<", ">10<", ">0.2<"] { XCTAssertTrue(svg.contains(tick), "log tick \(tick)") }
        XCTAssertTrue(svg.contains("fill=\"white\" stroke=\"#222\""), "hollow markers")
    }

    func testPhasePortraitAndSpectrumMarkThePointsByStability() throws {
        let traj = (0..<16).map { c in (0..<10).map { t in [Double(c), Double(t), Double(c * t)] } }
        func point(_ stable: Bool, _ fixed: Bool) -> FixedPoint {
            FixedPoint(q: fixed ? 0 : 1e-6, isFixed: fixed, outputs: [0, 0, 0], starts: 1, maxRealPart: stable ? -0.5 : 0.5, stable: stable,
                       slowDirections: 0, slowestTimeConstant: nil, leadingEigenvalues: [[stable ? -0.5 : 0.5, 0.1]], state: [1, 2, 3])
        }
        let svg = try AnalysisPlots.phasePortrait(trajectories: traj, points: [point(true, true), point(false, true), point(false, false)], title: "p").render()
        for text in ["trial type (0,0)", "trial type (1,1)", "stable fixed point", "unstable fixed point", "slow point"] {
            XCTAssertTrue(svg.contains(text), text)
        }
        let spectrum = AnalysisPlots.spectrum([point(true, true), point(false, true)], title: "s").render()
        XCTAssertTrue(spectrum.contains("at stable points") && spectrum.contains("Re λ = 0"))
    }
}
