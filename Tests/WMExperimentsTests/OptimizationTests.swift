import Foundation
import XCTest
import WMCore
@testable import WMExperiments

final class OptimizationTests: XCTestCase {
    func smallSpec() throws -> OptimizationSpec {
        var s = OptimizationSpec()
        s.base.network.n = 40
        s.base.network.rule = .leaky
        s.base.network.sp = 0.3
        s.base.network.spIn = 0.5
        // A poor start: strong input saturates the units.
        s.base.network.gIn = 20
        s.base.washout = 60
        s.base.train = 600
        s.base.validation = 200
        s.base.test = 300
        s.base.maxLag = 25
        s.parameters = [try OptimizationBound(.g, lower: 0.2, upper: 1.4), try OptimizationBound(.gIn, lower: 0.2, upper: 20)]
        s.cmaes = CMAESConfig(populationSize: 6, seed: 3, maxEvaluations: 36)
        s.finalSeeds = 8
        return s
    }

    func input(_ nIn: Int) throws -> InputSource { try InputSource(spec: InputSpec(), nIn: nIn) }

    /// The optimiser improves on a saturating start, and the improvement holds on fresh seeds.
    func testOptimiserBeatsAPoorStartOnFreshSeeds() throws {
        let s = try smallSpec()
        let r = try CapacityOptimization.run(s, backend: CPUBackend(), input: input, statePath: nil)
        XCTAssertEqual(r.evaluations, 36)
        XCTAssertEqual(r.candidates.count, 36)
        XCTAssertEqual(r.baseFresh.params["gIn"], 20)
        XCTAssertGreaterThan(r.improvement, 0.5, "best \(r.bestFresh) base \(r.baseFresh)")
        XCTAssertGreaterThan(r.improvementCI95[0], 0)
        XCTAssertLessThan(r.best.params["gIn"]!, 20)
        // The reported best is the best of the candidates, and within the bounds.
        XCTAssertEqual(r.best.objective, r.candidates.map(\.objective).filter(\.isFinite).max())
        for c in r.candidates {
            XCTAssertTrue((0.2...1.4).contains(c.params["g"]!) && (0.2...20).contains(c.params["gIn"]!))
        }
        // MC ≤ N on every measured network.
        XCTAssertLessThanOrEqual(r.bestFresh.values.max()!, 40)
    }

    /// An interrupted optimisation resumes from its state file and ends exactly where an
    /// uninterrupted one does.
    func testInterruptedRunResumesIdentically() throws {
        let s = try smallSpec()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wmsim-opt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state.json")
        let whole = try CapacityOptimization.run(s, backend: CPUBackend(), input: input, statePath: nil)
        XCTAssertThrowsError(try CapacityOptimization.run(s, backend: CPUBackend(), input: input, statePath: state, interruptAfter: 2)) {
            XCTAssertTrue($0 is CancellationError)
        }
        let saved = try JSONDecoder().decode(OptimizationState.self, from: Data(contentsOf: state))
        XCTAssertEqual(saved.trace.count, 2)
        var notes: [String] = []
        let resumed = try CapacityOptimization.run(s, backend: CPUBackend(), input: input, statePath: state, note: { notes.append($0) })
        XCTAssertTrue(notes.first?.contains("resuming after generation 2") ?? false, "\(notes)")
        XCTAssertEqual(resumed.candidates, whole.candidates)
        XCTAssertEqual(resumed.best, whole.best)
        XCTAssertEqual(resumed.bestFresh, whole.bestFresh)
        // Another optimisation refuses the state file.
        var other = s
        other.cmaes.seed = 4
        XCTAssertThrowsError(try CapacityOptimization.run(other, backend: CPUBackend(), input: input, statePath: state)) {
            XCTAssertTrue("\($0)".contains("different optimisation"), "\($0)")
        }
    }

    func testBadOptimisationInputs() throws {
        var s = try smallSpec()
        XCTAssertThrowsError(try OptimizationBound(parsing: "g=1.5:0.5")) { XCTAssertTrue("\($0)".contains("inverted"), "\($0)") }
        XCTAssertThrowsError(try OptimizationBound(parsing: "X=1:5")) { XCTAssertTrue("\($0)".contains("--lag"), "\($0)") }
        XCTAssertThrowsError(try OptimizationBound(parsing: "gain=1:5")) { XCTAssertTrue("\($0)".contains("one of N, g"), "\($0)") }
        XCTAssertThrowsError(try OptimizationBound(parsing: "g=1")) { XCTAssertTrue("\($0)".contains("NAME=lower:upper"), "\($0)") }
        s.parameters = [try OptimizationBound(.sp, lower: 0.1, upper: 1.5)]
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("sp bounds"), "\($0)") }
        s = try smallSpec()
        s.objective = .r
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--lag"), "\($0)") }
        s.lag = 99
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("maxLag"), "\($0)") }
        s = try smallSpec()
        s.parameters = []
        XCTAssertThrowsError(try s.validate())
        s = try smallSpec()
        s.decoder = .mlp
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("measured decoders"), "\($0)") }
    }
}
