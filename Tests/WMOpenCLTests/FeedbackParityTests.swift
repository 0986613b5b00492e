import XCTest
import WMCore
import WMTestSupport
@testable import WMOpenCL

/// Batched FORCE training on the device (`OpenCLFeedbackRunner`: float state, double readouts,
/// P and W) against the CPU reference (`FeedbackRunner`, all double), network by network, on
/// short trials with learning, within `ParityTolerance.feedbackTraining` (1e-5). Measured on
/// PoCL: states 1.2e-7, outputs 7e-8, readouts 1.8e-7 relative to their largest entry.
final class FeedbackParityTests: XCTestCase {
    func spec(n: Int, seed: UInt64, g: Double) -> FeedbackNetworkSpec {
        var s = FeedbackNetworkSpec()
        s.n = n; s.seed = seed; s.g = g; s.pg = 0.6; s.fb = 5
        return s
    }

    /// A 12-step trial: stimulus 3, delay 2, stimulus 3, delay 2, response 2, with learning masks.
    func trial(_ k: Int) -> (input: [Float], teacher: FeedbackRunner.Teacher) {
        let steps = 12
        let r = Philox4x32(seed: UInt64(77 + k))
        var u = [Float](repeating: 0, count: 2 * steps), target = [Float](repeating: 0, count: steps)
        var dummy = [Float](repeating: 0, count: 2 * steps)
        var om = [Bool](repeating: false, count: steps), dm = [Bool](repeating: false, count: steps)
        for s in 0..<steps {
            if s < 3 || (5..<8).contains(s) {
                u[2 * s] = RandomBits.unitFloat(r.block(UInt32(s), 0, 0, 0).0)
                u[2 * s + 1] = RandomBits.unitFloat(r.block(UInt32(s), 1, 0, 0).0)
            }
            if (3..<5).contains(s) || (8..<10).contains(s) { dummy[2 * s] = 0.8; dummy[2 * s + 1] = -0.3; dm[s] = true }
            if s >= 10 { target[s] = 1.5; om[s] = true }
        }
        return (u, FeedbackRunner.Teacher(target: target, dummyTarget: dummy, outputMask: om, dummyMask: dm, every: 2))
    }

    func testBatchedDeviceTrainingMatchesTheCPUReference() throws {
        let cl = try TestBackends.requireOpenCL()
        for n in [37, 100] {
            let nets = try [spec(n: n, seed: 1, g: 1.2), spec(n: n, seed: 2, g: 0.9)].map { try FeedbackNetworkGenerator.generate($0) }
            let device = try OpenCLFeedbackRunner(backend: cl, networks: nets, alpha: 1)
            let hosts = try nets.map { try FeedbackRunner($0, alpha: 1) }
            var deviceZ: [[Double]] = [], hostZ: [[Double]] = [[], []]
            for k in 0..<3 {
                let t = trial(k)
                try device.run(count: 12, input: t.input, teacher: t.teacher) { _, z, _ in deviceZ.append(z) }
                for (mm, h) in hosts.enumerated() {
                    XCTAssertTrue(h.run(count: 12, input: t.input, teacher: t.teacher) { s, z, _ in
                        if t.teacher.outputMask[s] || t.teacher.dummyMask[s] { hostZ[mm].append(z) }
                    })
                }
            }
            XCTAssertTrue(device.failures.allSatisfy { $0 == nil })
            XCTAssertEqual(device.step, 36)
            let x = try device.state(), (wo, wd) = try device.readouts()
            for (mm, h) in hosts.enumerated() {
                let xs = Array(x[(mm * n)..<((mm + 1) * n)]).map(Double.init)
                XCTAssertLessThan(zip(xs, h.x).map { abs($0 - $1) }.max() ?? 0, ParityTolerance.feedbackTraining, "state, N = \(n) network \(mm)")
                XCTAssertLessThan(relativeDifference(Array(wo[(mm * n)..<((mm + 1) * n)]), h.network.output), ParityTolerance.feedbackTraining, "wo, N = \(n) network \(mm)")
                XCTAssertLessThan(relativeDifference(Array(wd[(2 * mm * n)..<(2 * (mm + 1) * n)]), h.network.dummyOutput), ParityTolerance.feedbackTraining, "wd, N = \(n) network \(mm)")
                XCTAssertEqual(deviceZ.count, hostZ[mm].count)
                for (a, b) in zip(deviceZ.map { $0[mm] }, hostZ[mm]) { XCTAssertEqual(a, b, accuracy: ParityTolerance.feedbackTraining) }
            }
            XCTAssertNotEqual(wo, [Double](repeating: 0, count: 2 * n), "the readouts learned")
        }
    }

    func testNetworksOfABatchMustShareTheirShape() throws {
        let cl = try TestBackends.requireOpenCL()
        let a = try FeedbackNetworkGenerator.generate(spec(n: 10, seed: 1, g: 1))
        let b = try FeedbackNetworkGenerator.generate(spec(n: 11, seed: 1, g: 1))
        XCTAssertThrowsError(try OpenCLFeedbackRunner(backend: cl, networks: [a, b], alpha: 1))
        XCTAssertThrowsError(try OpenCLFeedbackRunner(backend: cl, networks: [], alpha: 1))
    }
}
