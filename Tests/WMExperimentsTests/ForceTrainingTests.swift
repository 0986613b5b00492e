import Foundation
import XCTest
import WMCore
import WMOpenCL
import WMTestSupport
@testable import WMExperiments

/// FORCE training of one network on the sequential task (the CPU reference), on a shortened
/// timeline (stimuli 20 steps, delays 10, response 10), 2 evaluation seeds (32 runs). Measured
/// on this configuration, 3 network seeds each: N = 100 after 200 trials lowers the training
/// RMSE of the main output to 0.31–0.49 of its first block but does not learn; N = 300 learns on
/// 1 of 3 seeds after 800 trials (largest reference errors 0.163, 0.133, 0.066) and on 3 of 3
/// after 1600 (0.078, 0.089, 0.090); N = 500 after 800 trials on 1 of 3.
final class ForceTrainingTests: XCTestCase {
    func smallSpec(n: Int, trials: Int, seed: UInt64) -> ForceTrainingSpec {
        var s = ForceTrainingSpec()
        s.network.n = n
        s.network.seed = seed
        s.task.stimulus1 = 20; s.task.delay1 = 10; s.task.stimulus2 = 20; s.task.delay2 = 10; s.task.response = 10
        s.trainTrials = trials
        s.testTrials = 8
        s.evaluationSeeds = 2
        s.taskSeed = seed &+ 100
        return s
    }

    func testTrainingLowersTheErrorWhereItDoesNotLearn() throws {
        for seed in 0..<3 as Range<UInt64> {
            let (net, starts, r) = try ForceTraining.run(smallSpec(n: 100, trials: 200, seed: seed))
            XCTAssertNil(r.failure)
            XCTAssertEqual(r.trainingCurve.count, 10)
            let first = try XCTUnwrap(r.trainingCurve.first), last = try XCTUnwrap(r.trainingCurve.last)
            XCTAssertLessThan(last, 0.75 * first, "seed \(seed): \(r.trainingCurve)")
            XCTAssertEqual(r.runs, 32)
            XCTAssertEqual(r.referenceError.count, 32)
            XCTAssertEqual(starts.count, 4)
            XCTAssertNotEqual(net.output, [Double](repeating: 0, count: 100), "the readout was trained")
            // 200 trials × 10 response steps / 2 = 1000 main updates; 200 × 20 / 2 dummy updates.
            XCTAssertEqual(r.updates, [1000, 2000])
            for (a, b) in zip(r.referenceError, r.rmse) { XCTAssertEqual(a * (32.0 / 10).squareRoot(), b, accuracy: 1e-12) }
        }
    }

    func testLearnsTheShortTaskAtN300() throws {
        var learned = 0
        for seed in 0..<3 as Range<UInt64> {
            let (_, _, r) = try ForceTraining.run(smallSpec(n: 300, trials: 1600, seed: seed))
            if r.learned { learned += 1 }
            XCTAssertEqual(r.failingShare.count, 4)
            XCTAssertEqual(r.failingShare, r.failingShare.sorted(by: >), "fewer runs fail a larger ε")
        }
        XCTAssertGreaterThanOrEqual(learned, 2, "most seeds learn (no evaluation run above ε = 0.1)")
    }

    func testAFailingPIsReportedNotThrown() throws {
        var s = smallSpec(n: 20, trials: 4, seed: 1)
        s.alpha = 1e-300   // P₀ = 1e300·I: the downdates cancel catastrophically and P goes indefinite
        let (_, starts, r) = try ForceTraining.run(s)
        let failure = try XCTUnwrap(r.failure)
        XCTAssertTrue(failure.hasPrefix("step ") && failure.contains("positive definite"), failure)
        XCTAssertTrue(starts.isEmpty)
        XCTAssertFalse(r.learned)
    }

    func testBadSpecsAreRefused() {
        func refused(_ change: (inout ForceTrainingSpec) -> Void, _ text: String) {
            var s = smallSpec(n: 10, trials: 4, seed: 1)
            change(&s)
            XCTAssertThrowsError(try ForceTraining.run(s)) { XCTAssertTrue("\($0)".contains(text), "\($0)") }
        }
        refused({ $0.alpha = 0 }, "α")
        refused({ $0.alpha = -1 }, "α")
        refused({ $0.network.fb = 0 }, "fb")
        refused({ $0.testTrials = 3 }, "test trials")
        refused({ $0.learnEvery = 0 }, "learn every")
        refused({ $0.task.response = 0 }, "response")
        refused({ $0.network.pg = 0 }, "pg")
        refused({ $0.learnedFraction = 1 }, "learned fraction")
        refused({ $0.network.n = 9000 }, "8192")
        refused({ $0.evaluationSeeds = 0 }, "evaluation seeds")
        refused({ $0.trainTrials = -1 }, "training trials")
    }

    func testArchiveRoundTripsTheTrainedNetwork() throws {
        let spec = smallSpec(n: 30, trials: 8, seed: 4)
        let (net, starts, r) = try ForceTraining.run(spec)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wmsim-trained-\(UUID().uuidString)")
        try TrainedNetworkArchive.save(spec: spec, network: net, startStates: starts, result: r,
                                       provenance: Provenance(backend: CPUBackend().info), to: dir)
        let back = try TrainedNetworkArchive.load(from: dir)
        XCTAssertEqual(back.spec, spec)
        XCTAssertEqual(back.network.recurrent, net.recurrent)
        XCTAssertEqual(back.network.output, net.output)
        XCTAssertEqual(back.network.dummyOutput, net.dummyOutput)
        XCTAssertEqual(back.network.input, net.input)
        XCTAssertEqual(back.network.initialState, net.initialState)
        XCTAssertEqual(back.startStates, starts)
        XCTAssertEqual(back.result.referenceError, r.referenceError)
        // The loaded network replays the evaluation to the same errors.
        let runner = try FeedbackRunner(back.network, alpha: spec.alpha)
        let runs = ForceTraining.evaluationRuns(spec, task: try SequentialTask(spec.task))
        for (k, run) in runs.enumerated() {
            runner.setState(back.startStates[run.start])
            var sum = 0.0
            runner.run(count: spec.task.trialSteps, input: run.trial.input) { s, z, _ in
                if run.trial.outputMask[s] { sum += (z - Double(run.trial.target[s])) * (z - Double(run.trial.target[s])) }
            }
            XCTAssertEqual((sum / Double(runs.count)).squareRoot(), r.referenceError[k], accuracy: 1e-12, "run \(k)")
        }
        // A failed training saved over it leaves no evaluation file of the earlier archive.
        var failed = r
        failed.failure = "step 9: test"
        try TrainedNetworkArchive.save(spec: spec, network: net, startStates: [], result: failed,
                                       provenance: Provenance(backend: CPUBackend().info), to: dir)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("start_states.npy").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("evaluation_input.npy").path))
        XCTAssertEqual(try TrainedNetworkArchive.load(from: dir).startStates.count, 0)
        // A foreign or damaged archive names the file.
        try Data("{}".utf8).write(to: dir.appendingPathComponent("trained.json"))
        XCTAssertThrowsError(try TrainedNetworkArchive.load(from: dir)) { XCTAssertTrue("\($0)".contains("trained.json"), "\($0)") }
    }
}

/// Training through the seam on the OpenCL backend against the CPU reference: 8 training trials,
/// test and evaluation, within `ParityTolerance.feedbackTraining`. Measured on PoCL: learning
/// curve 2.7e-8, evaluation errors 6.8e-8, start states 8.3e-8, wo 2.4e-7 relative.
final class ForceTrainingBackendTests: XCTestCase {
    func testOpenCLTrainingFollowsTheCPUReference() throws {
        let cl = try TestBackends.requireOpenCL()
        var s = ForceTrainingSpec()
        s.network.n = 37; s.network.seed = 5; s.network.g = 1.0
        s.task.stimulus1 = 6; s.task.delay1 = 3; s.task.stimulus2 = 6; s.task.delay2 = 3; s.task.response = 4
        s.trainTrials = 8; s.testTrials = 4; s.evaluationSeeds = 1
        let (cpuNet, cpuStarts, cpu) = try ForceTraining.run(s, backend: CPUBackend())
        let (clNet, clStarts, dev) = try ForceTraining.run(s, backend: cl)
        let tol = ParityTolerance.feedbackTraining
        XCTAssertEqual(cpu.trainingCurve.count, dev.trainingCurve.count)
        for (a, b) in zip(cpu.trainingCurve, dev.trainingCurve) { XCTAssertEqual(a, b, accuracy: tol) }
        for (a, b) in zip(cpu.referenceError, dev.referenceError) { XCTAssertEqual(a, b, accuracy: tol) }
        XCTAssertLessThan(relativeDifference(clNet.output, cpuNet.output), tol)
        XCTAssertLessThan(relativeDifference(clNet.dummyOutput, cpuNet.dummyOutput), tol)
        XCTAssertLessThan(zip(cpuStarts.flatMap { $0 }, clStarts.flatMap { $0 }).map { abs($0 - $1) }.max() ?? 1, tol)
        XCTAssertEqual(dev.learned, cpu.learned)
        XCTAssertEqual(dev.updates, cpu.updates)
        XCTAssertEqual(dev.runs, 16)
    }
}

/// Several networks trained together on one task stream.
final class ForceTrainingBatchTests: XCTestCase {
    func spec() -> ForceTrainingSpec {
        var s = ForceTrainingSpec()
        s.network.n = 30
        s.task.stimulus1 = 6; s.task.delay1 = 3; s.task.stimulus2 = 6; s.task.delay2 = 3; s.task.response = 4
        s.trainTrials = 8; s.testTrials = 4; s.evaluationSeeds = 1
        return s
    }

    func members() -> [FeedbackNetworkSpec] {
        (0..<3).map { k in var n = spec().network; n.seed = UInt64(10 + k); n.g = [0.9, 1.2, 1.5][k]; n.fb = [5, 10, 20][k]; return n }
    }

    func testABatchEqualsItsNetworksTrainedAlone() throws {
        let batch = try ForceTraining.runBatch(spec(), networks: members())
        XCTAssertEqual(batch.count, 3)
        for (k, member) in members().enumerated() {
            var one = spec()
            one.network = member
            let alone = try ForceTraining.run(one)
            XCTAssertEqual(batch[k].result.trainingCurve, alone.result.trainingCurve, "network \(k)")
            XCTAssertEqual(batch[k].result.referenceError, alone.result.referenceError, "network \(k)")
            XCTAssertEqual(batch[k].network.output, alone.network.output, "network \(k)")
            XCTAssertEqual(batch[k].startStates, alone.startStates, "network \(k)")
            XCTAssertEqual(batch[k].network.spec, member)
        }
    }

    func testTheOpenCLBatchFollowsTheCPUBatch() throws {
        let cl = try TestBackends.requireOpenCL()
        let cpu = try ForceTraining.runBatch(spec(), networks: members())
        let dev = try ForceTraining.runBatch(spec(), networks: members(), backend: cl)
        for k in 0..<3 {
            for (a, b) in zip(cpu[k].result.referenceError, dev[k].result.referenceError) {
                XCTAssertEqual(a, b, accuracy: ParityTolerance.feedbackTraining, "network \(k)")
            }
            XCTAssertLessThan(relativeDifference(dev[k].network.output, cpu[k].network.output), ParityTolerance.feedbackTraining)
        }
    }

    func testEveryFailureIsReportedPerNetwork() throws {
        var s = spec()
        s.alpha = 1e-300
        s.trainTrials = 40
        let out = try ForceTraining.runBatch(s, networks: members())
        for (k, t) in out.enumerated() {
            XCTAssertNotNil(t.result.failure, "network \(k)")
            XCTAssertTrue(t.startStates.isEmpty)
            XCTAssertTrue(t.result.trainingCurve.allSatisfy { !$0.isNaN }, "no NaN from steps a failed network did not run: \(t.result.trainingCurve)")
        }
        var wrong = members()
        wrong[1].n = 31
        XCTAssertThrowsError(try ForceTraining.runBatch(spec(), networks: wrong))
        XCTAssertThrowsError(try ForceTraining.runBatch(spec(), networks: []))
    }
}

/// The example trials kept for plots.
final class ForceTrainingExampleTests: XCTestCase {
    func testOneExampleTrialPerTypeWithTheNetworksOutputs() throws {
        var s = ForceTrainingSpec()
        s.network.n = 25
        s.task.stimulus1 = 4; s.task.delay1 = 2; s.task.stimulus2 = 4; s.task.delay2 = 2; s.task.response = 3
        s.trainTrials = 4; s.testTrials = 8; s.evaluationSeeds = 1
        let (_, starts, r) = try ForceTraining.run(s)
        XCTAssertEqual(r.examples.map(\.trial.type), TrialType.all)
        for e in r.examples {
            XCTAssertEqual(e.output.count, 15)
            XCTAssertEqual(e.dummyOutput.count, 30)
            XCTAssertTrue(e.output.allSatisfy(\.isFinite))
        }
        XCTAssertEqual(starts.count, 4)
        let svg = ExampleTrialPlot.plot(r.examples, title: "t").render()
        XCTAssertTrue(svg.contains("<svg") && svg.contains("zd₂"))
    }
}
