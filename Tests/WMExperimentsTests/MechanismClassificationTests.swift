import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// The closed loop of a trained network and the post-hoc mechanism classification (§3.5) on
/// systems whose mechanism is known by construction.
final class MechanismClassificationTests: XCTestCase {
    /// A short classification (the reference's thresholds, 2000 steps, window 200).
    var quick: ClassificationOptions {
        var o = ClassificationOptions()
        o.steps = 2000
        o.window = 200
        o.slownessSteps = [0, 350, 1999]
        return o
    }

    /// Independent units with weights on the diagonal, readouts `wo` (dummies zero).
    func diagonal(_ d: [Double], wo: [Double]) throws -> ClosedLoopModel {
        let n = d.count
        var w = [Double](repeating: 0, count: n * n)
        for i in 0..<n { w[i * n + i] = d[i] }
        var ro = [Double](repeating: 0, count: 3 * n)
        for i in 0..<n { ro[3 * i] = wo[i] }
        return try ClosedLoopModel(n: n, weff: w, input: [Double](repeating: 0, count: 2 * n), readout: ro, step: 0.1)
    }

    func testTheClosedLoopFollowsTheTrainingRunnerWithItsReadouts() throws {
        var spec = FeedbackNetworkSpec()
        spec.n = 45
        spec.seed = 7
        var net = try FeedbackNetworkGenerator.generate(spec)
        net.output = TestData.normal(45, seed: 3).map { Double($0) * 0.05 }
        net.dummyOutput = TestData.normal(90, seed: 4).map { Double($0) * 0.05 }
        let task = try SequentialTask(SequentialTaskSpec())
        let trial = task.trial(TrialType(1, 0), index: 0, seed: 5)
        let steps = 120
        let runner = try FeedbackRunner(net, alpha: 1)
        var reference: [Double] = []
        runner.run(count: steps, input: Array(trial.input[0..<(2 * steps)])) { _, z, _ in reference.append(z) }
        let model = try ClosedLoopModel(net)
        let input = { (s: Int) in (trial.input[2 * s], trial.input[2 * s + 1]) }
        var outputs: [[Float]] = []
        for ops in [CPUDenseOps(), try TestBackends.requireOpenCLDenseOps()] as [any DenseOps] {
            let sim = try ClosedLoopSimulator(model: model, trajectories: 3, ops: ops)
            try sim.setStates((0..<3).flatMap { _ in net.initialState.map(Double.init) })
            var z: [Float] = []
            try sim.run(steps, input: input, observeStep: { _ in true }) { _ in z.append(try sim.outputs()[3 * 2]) }
            outputs.append(z)
        }
        // float32 GEMMs against the double reference, on a contracting trajectory.
        for s in 0..<steps {
            XCTAssertEqual(Double(outputs[0][s]), reference[s], accuracy: ParityTolerance.contractingTrajectory, "cpu, step \(s)")
            XCTAssertEqual(outputs[1][s], outputs[0][s], accuracy: Float(ParityTolerance.contractingTrajectory), "opencl, step \(s)")
        }
        XCTAssertGreaterThan(reference.map(abs).max() ?? 0, 1e-3, "the readouts are not trivially zero")
        // F written out term by term: −x + g·J·r + wf·z + wfd·zd with z = wo·r, zd = wdᵀr.
        let x = net.initialState.map(Double.init)
        let f = model.flow(x)
        let r = x.map { Foundation.tanh($0) }
        let z = (0..<45).reduce(0.0) { $0 + net.output[$1] * r[$1] }
        let zd = (0..<2).map { d in (0..<45).reduce(0.0) { $0 + net.dummyOutput[2 * $1 + d] * r[$1] } }
        for i in 0..<45 {
            var h = 0.0
            for q in Int(net.recurrent.rowPtr[i])..<Int(net.recurrent.rowPtr[i + 1]) { h += spec.g * Double(net.recurrent.values[q]) * r[Int(net.recurrent.colIndex[q])] }
            h += Double(net.feedback[i]) * z + Double(net.dummyFeedback[2 * i]) * zd[0] + Double(net.dummyFeedback[2 * i + 1]) * zd[1]
            XCTAssertEqual(f[i], -x[i] + h, accuracy: 1e-12, "F at \(i)")
        }
    }

    /// Trajectories in parts (side by side on host BLAS, one after the other on a device's ops)
    /// follow the single batch: each trajectory's own inputs, observations at the same steps,
    /// states and readouts within round-off, stretches longer than `chunkSteps`.
    func testTrajectoriesInPartsFollowTheSingleBatch() throws {
        var spec = FeedbackNetworkSpec()
        spec.n = 45
        spec.seed = 8
        let net = try FeedbackNetworkGenerator.generate(spec)
        let model = try ClosedLoopModel(net)
        let b = 7, steps = 260
        let starts = TestData.normal(b * 45, seed: 9).map { 0.5 * Double($0) }
        let pulses = TestData.uniform(2 * b * steps, seed: 10)
        // Each trajectory its own input, none at all on some steps.
        let inputs = { (s: Int) -> [Float]? in s % 50 < 20 ? Array(pulses[(2 * b * s)..<(2 * b * (s + 1))]) : nil }
        let observed: Set<Int> = [0, 3, 4, 150, 259]
        for ops in [CPUDenseOps(), try TestBackends.requireOpenCLDenseOps()] as [any DenseOps] {
            var runs: [(seen: [Int], z: [[Float]], x: [Float])] = []
            for parts in [1, 2, 3, 7, 20] {
                let sim = try ClosedLoopSimulator(model: model, trajectories: b, ops: ops, parts: parts)
                try sim.setStates(starts)
                var seen: [Int] = [], z: [[Float]] = [], asked: [Int] = [], fed: [Int] = []
                try sim.run(steps, inputs: { fed.append($0); return inputs($0) }, observeStep: { asked.append($0); return observed.contains($0) }) { s in
                    seen.append(s)
                    XCTAssertEqual(sim.steps, s + 1)
                    z.append(try sim.outputs())
                }
                // Each closure once per step, in step order.
                XCTAssertEqual(asked, Array(0..<steps), "parts \(parts)")
                XCTAssertEqual(fed, Array(0..<steps), "parts \(parts)")
                runs.append((seen, z, try sim.states()))
                // Nothing to run, a negative count, inputs of the wrong size: nothing called, clear errors.
                try sim.run(0, inputs: { _ in XCTFail("inputs called"); return nil }, observeStep: { _ in XCTFail("observeStep called"); return true })
                XCTAssertThrowsError(try sim.run(-1, inputs: nil))
                XCTAssertThrowsError(try sim.run(3, inputs: { _ in [1, 2] })) { XCTAssertTrue("\($0)".contains("inputs of step 0"), "\($0)") }
            }
            XCTAssertEqual(runs[0].seen, observed.sorted())
            for (k, r) in runs.enumerated().dropFirst() {
                XCTAssertEqual(r.seen, runs[0].seen, "\(ops.label), run \(k)")
                XCTAssertEqual(r.x.count, b * 45)
                XCTAssertLessThan(zip(r.x, runs[0].x).map { abs($0 - $1) }.max()!, 1e-5, "\(ops.label), run \(k): states")
                for (a, c) in zip(r.z, runs[0].z) {
                    XCTAssertLessThan(zip(a, c).map { abs($0 - $1) }.max()!, 1e-5, "\(ops.label), run \(k): readouts")
                }
            }
            XCTAssertGreaterThan(zip(runs[0].x, starts).map { abs(Double($0) - $1) }.max()!, 0.01, "the states moved")
        }
    }

    func testStartsArePerturbedCopiesOfTheBases() {
        var o = ClassificationOptions()
        o.copies = 20
        let bases = (0..<4).map { k in [Double](repeating: Double(k + 1), count: 300) }
        let s = MechanismClassifier.starts(n: 300, trialEndStates: bases, options: o)
        XCTAssertEqual(s.count, 100)
        XCTAssertEqual(s, MechanismClassifier.starts(n: 300, trialEndStates: bases, options: o), "deterministic")
        // Base k's copies scatter around it with s.d. 0.5.
        for k in 0..<5 {
            let v = s[(20 * k)..<(20 * k + 20)].flatMap { $0 }.map { $0 - Double(k) }
            let mean = v.reduce(0, +) / Double(v.count)
            let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 0.02, "base \(k)")
            XCTAssertEqual(sd, 0.5, accuracy: 0.02, "base \(k)")
        }
        o.seed = 1
        XCTAssertNotEqual(s, MechanismClassifier.starts(n: 300, trialEndStates: bases, options: o))
    }

    func testKnownMechanismsAreRecognised() throws {
        // Four self-exciting units (x = 2·tanh x has stable points ±1.915): 16 stable states
        // with distinct outputs; the perturbed starts reach many of them.
        let flipFlops = try diagonal([2, 2, 2, 2], wo: [0.1, 0.2, 0.4, 0.8])
        let corners = [[1.9, 1.9, -1.9, 1.9], [-1.9, 1.9, 1.9, -1.9], [1.9, -1.9, -1.9, -1.9], [-1.9, -1.9, 1.9, 1.9]]
        let cpu = CPUDenseOps()
        let fp = try MechanismClassifier.classify(flipFlops, trialEndStates: corners, options: quick, ops: cpu)
        XCTAssertEqual(fp.mechanism, .fixedPoints, "\(fp.distinct) distinct")
        XCTAssertGreaterThanOrEqual(fp.distinct, 6)
        XCTAssertLessThanOrEqual(fp.distinct, 16)
        XCTAssertLessThan(fp.maxVariance, 1e-9)
        XCTAssertEqual(fp.noiseless, .fixed, "the 4 corners stay where they are")
        XCTAssertEqual(fp.noiselessDistinct, 4)
        // Settled states do not move: ‖dx/dt‖ ends near zero.
        for k in 0..<4 { XCTAssertLessThan(fp.slowness[k].last!, 1e-3, "slowness \(fp.slowness[k])") }

        // A decaying system: every start settles on the origin, one output → "slow manifold" by
        // the reference's rule (settled on fewer than 6 distinct outputs).
        let decay = try diagonal([0.5, 0.5, 0.5, 0.5], wo: [0.1, 0.2, 0.4, 0.8])
        let sm = try MechanismClassifier.classify(decay, trialEndStates: corners, options: quick, ops: cpu)
        XCTAssertEqual(sm.mechanism, .slowManifold)
        XCTAssertEqual(sm.distinct, 1)
        XCTAssertEqual(sm.noiseless, .manifold)
        XCTAssertGreaterThan(sm.slowness[0][0], 1, "it starts far from rest")

        // A rotation with gain 2 (linearisation −1 + 2e^{±0.3i}: an unstable focus bounded by tanh):
        // every start circles a limit cycle, at its own phase.
        let th = 0.3
        let rot = try ClosedLoopModel(n: 2, weff: [2 * cos(th), -2 * sin(th), 2 * sin(th), 2 * cos(th)], input: [0, 0, 0, 0],
                                      readout: [1, 0, 0, 0, 0, 0], step: 0.1)
        let ring = [[1.0, 0], [0, 1.0], [-1.0, 0], [0, -1.0]]
        let lc = try MechanismClassifier.classify(rot, trialEndStates: ring, options: quick, ops: cpu)
        XCTAssertEqual(lc.mechanism, .limitCycle, "max variance \(lc.maxVariance)")
        XCTAssertGreaterThan(lc.maxVariance, 1e-3)
        XCTAssertEqual(lc.noiseless, .unsettled)

        // The same classification on the device's dense ops.
        let cl = try TestBackends.requireOpenCLDenseOps()
        for (model, states, expected) in [(flipFlops, corners, fp), (decay, corners, sm), (rot, ring, lc)] {
            let d = try MechanismClassifier.classify(model, trialEndStates: states, options: quick, ops: cl)
            XCTAssertEqual(d.mechanism, expected.mechanism)
            XCTAssertEqual(d.distinct, expected.distinct)
            XCTAssertEqual(d.noiseless, expected.noiseless)
        }
    }

    func testBadOptionsAndStatesAreRefused() throws {
        let m = try diagonal([2, 2], wo: [1, 1])
        var o = quick
        o.window = 1
        XCTAssertThrowsError(try MechanismClassifier.classify(m, trialEndStates: [[0, 0], [0, 0], [0, 0], [0, 0]], options: o, ops: CPUDenseOps())) {
            XCTAssertTrue("\($0)".contains("window"), "\($0)")
        }
        XCTAssertThrowsError(try MechanismClassifier.classify(m, trialEndStates: [[0, 0]], options: quick, ops: CPUDenseOps())) {
            XCTAssertTrue("\($0)".contains("4 finite states"), "\($0)")
        }
        XCTAssertThrowsError(try ClosedLoopModel(n: 2, weff: [1, .nan, 0, 1], input: [0, 0, 0, 0], readout: [Double](repeating: 0, count: 6), step: 0.1)) {
            XCTAssertTrue("\($0)".contains("finite"), "\($0)")
        }
    }
}

/// Saturation on networks whose answer is known.
final class SaturationTests: XCTestCase {
    func testSaturatedAndQuietNetworks() throws {
        var task = SequentialTaskSpec()
        task.stimulus1 = 6; task.delay1 = 3; task.stimulus2 = 6; task.delay2 = 3; task.response = 4
        let n = 6
        func model(_ d: Double) throws -> ClosedLoopModel {
            var w = [Double](repeating: 0, count: n * n)
            for i in 0..<n { w[i * n + i] = d }
            return try ClosedLoopModel(n: n, weff: w, input: [Double](repeating: 0, count: 2 * n), readout: [Double](repeating: 0, count: 3 * n), step: 0.1)
        }
        // Self-excitation of 5 holds every unit near ±tanh(4.9995…) ≈ ±0.9999 from a start at ±5.
        let starts = (0..<4).map { k in (0..<n).map { i in (i + k) % 2 == 0 ? 5.0 : -5.0 } }
        let sat = try Saturation.measure(try model(5), startStates: starts, task: task, taskSeed: 1, ops: CPUDenseOps())
        XCTAssertEqual(sat.delay1, [Double](repeating: 1, count: 16))
        XCTAssertEqual(sat.response, [Double](repeating: 1, count: 16))
        // Without recurrence or input every unit decays as x = ±5·0.9^s: in the response window
        // (steps 18–21) |tanh x| < 0.64, so no unit is saturated there.
        let quiet = try Saturation.measure(try model(0), startStates: starts, task: task, taskSeed: 1, ops: CPUDenseOps())
        XCTAssertEqual(quiet.response, [Double](repeating: 0, count: 16))
        XCTAssertThrowsError(try Saturation.measure(try model(0), startStates: starts, task: task, taskSeed: 1, threshold: 1, ops: CPUDenseOps()))
    }
}
