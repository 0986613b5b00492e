import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// The robustness tests: the batched delay extension equals running every extension on its own,
/// the failure rule, and the noise and silencing tests on a network whose answer is known.
final class RobustnessTestsTests: XCTestCase {
    var task: SequentialTaskSpec {
        var t = SequentialTaskSpec()
        t.stimulus1 = 6; t.delay1 = 3; t.stimulus2 = 6; t.delay2 = 3; t.response = 4
        return t
    }

    func network() throws -> (ClosedLoopModel, [[Double]]) {
        var spec = FeedbackNetworkSpec()
        spec.n = 37
        spec.seed = 4
        var net = try FeedbackNetworkGenerator.generate(spec)
        net.output = TestData.normal(37, seed: 1).map { Double($0) * 0.1 }
        net.dummyOutput = TestData.normal(74, seed: 2).map { Double($0) * 0.1 }
        let starts = (0..<4).map { k in TestData.normal(37, seed: 10 + UInt64(k)).map { Double($0) * 0.3 } }
        return (try ClosedLoopModel(net), starts)
    }

    func testBatchedDelayExtensionEqualsEachExtensionRunAlone() throws {
        let (model, starts) = try network()
        let t = task
        let trials = TrialType.all.map { (try! SequentialTask(t)).trial($0, index: $0.index, seed: 3) }
        let ext = [1, 4, 5, 23]
        let ops = CPUDenseOps()
        let (end, settled) = try RobustnessTests.delayOutputs(model, startStates: starts, trials: trials, task: t, extensionSteps: ext, ops: ops)
        let d1 = t.stimulus1 + t.delay1
        for (e, len) in ext.enumerated() {
            for s in 0..<4 {
                for ty in 0..<4 {
                    // The naive run: one trajectory, the extra delay spliced in at the end of delay 1.
                    let sim = try ClosedLoopSimulator(model: model, trajectories: 1, ops: ops)
                    try sim.setStates(starts[s])
                    let u = trials[ty].input
                    try sim.run(d1, input: { (u[2 * $0], u[2 * $0 + 1]) })
                    try sim.run(len, input: nil)
                    try sim.run(t.trialSteps - d1, input: { (u[2 * (d1 + $0)], u[2 * (d1 + $0) + 1]) })
                    let zEnd = Double(try sim.outputs()[0])
                    try sim.run(t.trialSteps, input: nil)
                    let zSettled = Double(try sim.outputs()[0])
                    XCTAssertEqual(end[e][4 * s + ty], zEnd, accuracy: 1e-5, "extension \(len), start \(s), type \(ty)")
                    XCTAssertEqual(try XCTUnwrap(settled[e][4 * s + ty]), zSettled, accuracy: 1e-5)
                }
            }
        }
        XCTAssertThrowsError(try RobustnessTests.delayOutputs(model, startStates: starts, trials: trials, task: t, extensionSteps: [0], ops: ops))
        // Settling only some branches (the failures, in a run) leaves the others nil and gives the
        // chosen ones the values of settling them all.
        let some = try RobustnessTests.delayOutputs(model, startStates: starts, trials: trials, task: t, extensionSteps: ext, ops: ops,
                                                    settle: { e, c, _ in (e + c) % 3 == 0 })
        for e in ext.indices {
            for c in 0..<16 {
                XCTAssertEqual(some.end[e][c], end[e][c])
                if (e + c) % 3 == 0 {
                    XCTAssertEqual(try XCTUnwrap(some.settled[e][c]), try XCTUnwrap(settled[e][c]), accuracy: 1e-5)
                } else {
                    XCTAssertNil(some.settled[e][c])
                }
            }
        }
        // The device's dense ops give the same outputs (float32 GEMMs in another order).
        let device = try RobustnessTests.delayOutputs(model, startStates: starts, trials: trials, task: t, extensionSteps: ext,
                                                      ops: try TestBackends.requireOpenCLDenseOps())
        for e in ext.indices {
            for c in 0..<16 {
                XCTAssertEqual(device.end[e][c], end[e][c], accuracy: ParityTolerance.contractingTrajectory, "opencl, extension \(ext[e]), case \(c)")
                XCTAssertEqual(try XCTUnwrap(device.settled[e][c]), try XCTUnwrap(settled[e][c]), accuracy: ParityTolerance.contractingTrajectory)
            }
        }
    }

    func testFailureRuleAndCurves() throws {
        // A network whose output is always zero fails exactly the cases whose target is beyond
        // 0.1 (all: the targets are 0.5, 1.0, 1.5), asymptotically (|target − 0| > 0.3).
        let n = 5
        let zero = try ClosedLoopModel(n: n, weff: [Double](repeating: 0, count: n * n), input: [Double](repeating: 0.1, count: 2 * n),
                                       readout: [Double](repeating: 0, count: 3 * n), step: 0.1)
        var o = RobustnessOptions()
        o.extensions = [1, 2]
        o.sigmas = [0, 1]
        o.repeats = 2
        o.silenced = [0, 1]
        let starts = [[Double]](repeating: [Double](repeating: 0, count: n), count: 4)
        let r = try RobustnessTests.run(zero, startStates: starts, task: task, taskSeed: 1, options: o, ops: CPUDenseOps())
        XCTAssertEqual(r.noise.failing, [16 * 2, 16 * 2])
        XCTAssertEqual(r.noise.asymptotic, [32, 32])
        XCTAssertEqual(r.noise.halfFailing, 0)
        XCTAssertEqual(r.silencing.failing, [16, 16])
        // Against its own (zero) nominal output the delay test never fails.
        XCTAssertEqual(r.delay.failing, [0, 0])
        XCTAssertNil(r.delay.firstFailure)
        XCTAssertNil(r.delay.halfFailing)
        var bad = o
        bad.repeats = 0
        XCTAssertThrowsError(try RobustnessTests.run(zero, startStates: starts, task: task, taskSeed: 1, options: bad, ops: CPUDenseOps()))
        for levels in [[Double](), [2, 1]] {
            var unordered = o
            unordered.sigmas = levels
            XCTAssertThrowsError(try unordered.validate()) { XCTAssertTrue("\($0)".contains("increasing"), "\($0)") }
        }
    }

    func testCurvesInterpolateTheHalfFailingLevel() {
        let outcomes: [[RobustnessCurve.Outcome]] = [[.pass, .pass, .pass, .pass], [.fixedTime, .pass, .pass, .pass], [.asymptotic, .asymptotic, .fixedTime, .pass]]
        let c = RobustnessCurve(levels: [1, 2, 4], runs: 4, outcomes: outcomes)
        XCTAssertEqual(c.failing, [0, 1, 3])
        XCTAssertEqual(c.asymptotic, [0, 0, 2])
        XCTAssertEqual(c.fixedTime, [0, 1, 1])
        XCTAssertEqual(c.firstFailure, 2)
        XCTAssertEqual(c.halfFailing!, 2 + 0.5 * 2, accuracy: 1e-12, "2 of 4 reached halfway between 1 (at 2) and 3 (at 4)")
    }
}
