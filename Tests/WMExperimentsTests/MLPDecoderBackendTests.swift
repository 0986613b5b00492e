import Foundation
import XCTest
import WMCore
import WMOpenCL
import WMTestSupport
@testable import WMExperiments

/// The MLP decoder's training on the CPU backend's dense ops and on OpenCL (Kernels/dense.cl).
///
/// Tolerances: training with the same seed for 5 epochs gives per-epoch train losses within 1e-4
/// relative and predictions within 1e-3 absolute (the dense ops agree to the bounds stated in
/// DenseParityTests; training compounds them over a few hundred steps).
final class MLPDecoderBackendTests: XCTestCase {
    func opencl() throws -> OpenCLDenseOps { try TestBackends.requireOpenCLDenseOps() }

    let cpu = CPUDenseOps()
    static let eps = Double(Float.ulpOfOne)

    // MARK: training

    /// y_j = tanh(w_j·x) + noise·ξ for n features, k outputs.
    func synthetic(rows: Int, n: Int, k: Int, noise: Float, seed: UInt64) -> (x: [Float], y: [Float]) {
        let x = TestData.normal(rows * n, seed: seed)
        let w = TestData.uniform(n * k, seed: 7, tag: 5).map { $0 * Float(2 / Double(n).squareRoot()) }
        let xi = TestData.normal(rows * k, seed: seed + 1)
        var y = [Float](repeating: 0, count: rows * k)
        for r in 0..<rows {
            for j in 0..<k {
                var s: Float = 0
                for p in 0..<n { s += x[r * n + p] * w[p * k + j] }
                y[r * k + j] = tanhf(s) + noise * xi[r * k + j]
            }
        }
        return (x, y)
    }

    func r2(_ pred: [Float], _ y: [Float]) -> Double {
        let mean = y.reduce(0.0) { $0 + Double($1) } / Double(y.count)
        let sse = zip(pred, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let sst = y.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        return 1 - sse / sst
    }

    func testTrainingMatchesAcrossBackends() throws {
        let cl = try opencl()
        let n = 20, k = 3
        let tr = synthetic(rows: 600, n: n, k: k, noise: 0.1, seed: 1), va = synthetic(rows: 200, n: n, k: k, noise: 0.1, seed: 2)
        for act in MLPActivation.allCases {
            var cfg = MLPConfig(activation: act, epochs: 5, seed: 9)
            cfg.patience = 0
            var results: [(MLPModel, MLPHistory, [Float])] = []
            for ops in [cpu, cl] as [any DenseOps] {
                var seen: [Int] = []
                let (model, hist) = try MLPDecoder.train(trainX: tr.x, trainY: tr.y, valX: va.x, valY: va.y, n: n, k: k,
                                                         config: cfg, ops: ops) { e, _, _ in seen.append(e) }
                XCTAssertEqual(seen, [1, 2, 3, 4, 5])
                XCTAssertEqual(hist.epochsRun, 5)
                XCTAssertEqual(hist.steps, 5 * 10)
                results.append((model, hist, try MLPDecoder.predict(model, x: va.x, rows: 200, ops: ops)))
            }
            let (a, b) = (results[0], results[1])
            for e in 0..<5 {
                XCTAssertEqual(a.1.trainLoss[e], b.1.trainLoss[e], accuracy: 1e-4 * a.1.trainLoss[e], "\(act) train loss epoch \(e + 1)")
                XCTAssertEqual(a.1.validationLoss[e], b.1.validationLoss[e], accuracy: 1e-4 * a.1.validationLoss[e], "\(act) val loss epoch \(e + 1)")
            }
            XCTAssertLessThan(a.1.trainLoss[4], a.1.trainLoss[0], "\(act): the loss goes down")
            XCTAssertEqual(a.1.bestEpoch, b.1.bestEpoch)
            let worst = zip(a.2, b.2).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-3, "\(act) predictions")
            // The predictions are the same on either ops for one model.
            let cross = try MLPDecoder.predict(a.0, x: va.x, rows: 200, ops: cl)
            XCTAssertLessThan(zip(a.2, cross).map { abs($0 - $1) }.max() ?? 0, 1e-5)
        }
    }

    func testInitialWeightsAndShuffleAreDeterministic() {
        var cfg = MLPConfig(hidden1: 8, hidden2: 4, seed: 3)
        let p = MLPDecoder.initialParameters(n: 5, k: 2, config: cfg)
        XCTAssertEqual(p.count, 5 * 8 + 8 * 4 + 4 * 2 + 8 + 4 + 2)
        XCTAssertEqual(p, MLPDecoder.initialParameters(n: 5, k: 2, config: cfg))
        let limit1 = Float((6.0 / 13.0).squareRoot())
        XCTAssertTrue(p[0..<40].allSatisfy { abs($0) <= limit1 })
        XCTAssertTrue(p[(p.count - 14)...].allSatisfy { $0 == 0 }, "biases start at 0")
        let w = Philox4x32(seed: 3).block(0, 1, 2, 0x4D4C50).0
        XCTAssertEqual(p[1 * 8 + 2], (2 * RandomBits.unitFloat(w) - 1) * limit1)
        cfg.seed = 4
        XCTAssertNotEqual(p, MLPDecoder.initialParameters(n: 5, k: 2, config: cfg))
        let perm = MLPDecoder.permutation(rows: 1000, epoch: 1, seed: 3)
        XCTAssertEqual(perm.sorted(), (0..<1000).map { Int32($0) })
        XCTAssertNotEqual(perm, MLPDecoder.permutation(rows: 1000, epoch: 2, seed: 3))
        XCTAssertEqual(perm, MLPDecoder.permutation(rows: 1000, epoch: 1, seed: 3))
    }

    func testLearnsNonlinearTargetOnBothBackends() throws {
        let cl = try opencl()
        let n = 20, k = 3
        let tr = synthetic(rows: 2000, n: n, k: k, noise: 0.05, seed: 3), va = synthetic(rows: 500, n: n, k: k, noise: 0.05, seed: 4)
        var cfg = MLPConfig(learningRate: 3e-3, epochs: 25, batchSize: 64, seed: 5)
        cfg.patience = 5
        for ops in [cpu, cl] as [any DenseOps] {
            let t0 = Date()
            let (model, hist) = try MLPDecoder.train(trainX: tr.x, trainY: tr.y, valX: va.x, valY: va.y, n: n, k: k,
                                                     config: cfg, ops: ops, progress: nil)
            let pred = try MLPDecoder.predict(model, x: va.x, rows: 500, ops: ops)
            let score = r2(pred, va.y)
            print("[mlp] \(ops.label): R² = \(score), \(hist.epochsRun) epochs, best \(hist.bestEpoch), "
                  + "\(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
            XCTAssertGreaterThan(score, 0.9, ops.label)
        }
    }

    func testEarlyStoppingReturnsBestValidationModel() throws {
        let cl = try opencl()
        let n = 20, k = 2
        // 40 noisy training rows and 64 hidden units: it memorises the noise, validation loss rises.
        let tr = synthetic(rows: 40, n: n, k: k, noise: 0.5, seed: 7), va = synthetic(rows: 300, n: n, k: k, noise: 0.5, seed: 8)
        var cfg = MLPConfig(learningRate: 1e-2, epochs: 300, batchSize: 16, seed: 2)
        cfg.patience = 6
        for ops in [cpu, cl] as [any DenseOps] {
            let (model, hist) = try MLPDecoder.train(trainX: tr.x, trainY: tr.y, valX: va.x, valY: va.y, n: n, k: k,
                                                     config: cfg, ops: ops, progress: nil)
            XCTAssertTrue(hist.stoppedEarly, ops.label)
            XCTAssertLessThan(hist.epochsRun, cfg.epochs)
            XCTAssertEqual(hist.epochsRun, hist.bestEpoch + cfg.patience)
            let minIndex = hist.validationLoss.indices.min { hist.validationLoss[$0] < hist.validationLoss[$1] }!
            XCTAssertEqual(hist.bestEpoch, minIndex + 1)
            XCTAssertLessThan(hist.validationLoss[hist.bestEpoch - 1], hist.validationLoss.last!)
            XCTAssertLessThan(hist.trainLoss.last!, hist.trainLoss[hist.bestEpoch - 1], "still fitting the training rows")
            // The returned model is the best epoch's.
            let pred = try MLPDecoder.predict(model, x: va.x, rows: 300, ops: ops)
            let mse = zip(pred, va.y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(va.y.count)
            XCTAssertEqual(mse, hist.bestValidationLoss, accuracy: 1e-5 * mse, ops.label)
        }
    }

    func testDivergenceThrows() throws {
        let cl = try opencl()
        let n = 20, k = 3
        let tr = synthetic(rows: 300, n: n, k: k, noise: 0.1, seed: 5), va = synthetic(rows: 100, n: n, k: k, noise: 0.1, seed: 6)
        for act in MLPActivation.allCases {
            let cfg = MLPConfig(activation: act, learningRate: 1e6, epochs: 20, seed: 1)
            for ops in [cpu, cl] as [any DenseOps] {
                var last = 0
                XCTAssertThrowsError(try MLPDecoder.train(trainX: tr.x, trainY: tr.y, valX: va.x, valY: va.y, n: n, k: k,
                                                          config: cfg, ops: ops) { e, _, _ in last = e }) { error in
                    guard case let WMError.nonFinite(step, network, detail) = error else {
                        return XCTFail("\(act) \(ops.label): expected nonFinite, got \(error)")
                    }
                    XCTAssertEqual(step, last + 1)
                    XCTAssertEqual(network, 0)
                    XCTAssertTrue(detail.contains("MLP loss diverged at epoch \(step)"), detail)
                    XCTAssertTrue(detail.contains("lower the learning rate"), detail)
                }
            }
        }
    }

    func testConfigDecodingAndValidation() throws {
        let cfg = try JSONDecoder().decode(MLPConfig.self, from: Data(#"{"hidden1": 32, "activation": "relu"}"#.utf8))
        XCTAssertEqual(cfg.hidden1, 32)
        XCTAssertEqual(cfg.activation, .relu)
        XCTAssertEqual(cfg.hidden2, 64)
        XCTAssertEqual(cfg.patience, 8)
        XCTAssertEqual(try JSONDecoder().decode(MLPConfig.self, from: try JSONEncoder().encode(cfg)), cfg)
        var bad = MLPConfig(); bad.learningRate = 0
        XCTAssertThrowsError(try bad.validate())
        XCTAssertThrowsError(try MLPDecoder.train(trainX: [1, 2, 3], trainY: [1], valX: [1, 2], valY: [1], n: 2, k: 1,
                                                  config: MLPConfig(), ops: cpu, progress: nil))
        XCTAssertThrowsError(try MLPDecoder.train(trainX: [1, .nan], trainY: [1], valX: [1, 2], valY: [1], n: 2, k: 1,
                                                  config: MLPConfig(), ops: cpu, progress: nil))
    }
}
