import XCTest
import WMCore
import WMTestSupport
@testable import WMOpenCL

/// Batched recursive least squares: CPU reference (double, BLAS) against `Kernels/rls.cl`.
///
/// Tolerances: in double, both sides compute the same products in different orders (the CPU
/// sums k = P r with BLAS, the device in index order): after 25 updates P and W agree to 1e-10
/// relative to their largest entry. In float (devices without fp64), 1e-3.
final class RLSParityTests: XCTestCase {
    func randomUpdates(networks m: Int, n: Int, outputs: Int, steps: Int, seed: UInt64) -> [(rates: [Float], errors: [Double], apply: [Bool])] {
        let rng = Philox4x32(seed: seed)
        return (0..<steps).map { t in
            let rates = (0..<(m * n)).map { i in Float(Foundation.tanh(Double(RandomBits.normal(rng.block(UInt32(t), UInt32(i), 0, 1).0, rng.block(UInt32(t), UInt32(i), 0, 1).1)))) }
            let errors = (0..<(m * outputs)).map { i in Double(RandomBits.unitFloat(rng.block(UInt32(t), UInt32(i), 1, 1).0)) - 0.5 }
            let apply = (0..<m).map { (t + $0) % 3 != 0 }   // every network skips some steps
            return (rates, errors, apply)
        }
    }

    func run(_ batch: any RLSBatch, _ updates: [(rates: [Float], errors: [Double], apply: [Bool])]) throws -> (p: [Double], weights: [Double]) {
        for u in updates {
            let failures = try batch.update(rates: u.rates, errors: u.errors, apply: u.apply)
            XCTAssertTrue(failures.allSatisfy { $0 == nil }, "\(failures)")
        }
        return try batch.matrices()
    }

    func testOpenCLMatchesTheCPUReference() throws {
        let cl = try TestBackends.requireOpenCL()
        for (m, n, outputs) in [(1, 1, 1), (3, 37, 2), (2, 130, 1)] {
            let updates = randomUpdates(networks: m, n: n, outputs: outputs, steps: 25, seed: UInt64(n))
            let cpu = try run(CPUBackend().makeRLSBatch(networks: m, n: n, outputs: outputs, alpha: 0.7), updates)
            for double in cl.device.info.hasFP64 ? [true, false] : [false] {
                let batch = try OpenCLRLSBatch(backend: cl, networks: m, n: n, outputs: outputs, alpha: 0.7, double: double)
                XCTAssertEqual(batch.precision, double ? "double" : "float")
                let dev = try run(batch, updates)
                let tol = double ? ParityTolerance.rlsDoubleRelative : ParityTolerance.rlsFloatRelative
                XCTAssertLessThan(relativeDifference(dev.p, cpu.p), tol, "P, M = \(m) N = \(n) \(batch.precision)")
                XCTAssertLessThan(relativeDifference(dev.weights, cpu.weights), tol, "W, M = \(m) N = \(n) \(batch.precision)")
                // P stays exactly symmetric on the device.
                for mm in 0..<m { for i in 0..<n { for j in 0..<i { XCTAssertEqual(dev.p[(mm * n + i) * n + j], dev.p[(mm * n + j) * n + i]) } } }
            }
            XCTAssertNotEqual(cpu.weights, [Double](repeating: 0, count: m * n * outputs), "the readouts moved")
        }
    }

    func testAFailingNetworkIsReportedAndTheOthersUpdate() throws {
        for backend in TestBackends.all() {
            let batch = try backend.makeRLSBatch(networks: 3, n: 5, outputs: 1, alpha: 1)
            var rates = [Float](repeating: 0.3, count: 15)
            rates[5] = .nan                      // network 1 gets a NaN rate
            let failures = try batch.update(rates: rates, errors: [0.5, 0.5, .infinity], apply: [true, true, true])
            XCTAssertNil(failures[0], backend.info.kind)
            XCTAssertNotNil(failures[1], "\(backend.info.kind): NaN rates refused")
            if case .nonFiniteError? = failures[2] {} else { XCTFail("\(backend.info.kind): a non-finite error is refused, got \(String(describing: failures[2]))") }
            let (p, w) = try batch.matrices()
            XCTAssertNotEqual(p[0], 1, "\(backend.info.kind): network 0 updated")
            XCTAssertEqual(Array(p[25..<50]), (0..<25).map { $0 % 6 == 0 ? 1 : 0 }, "\(backend.info.kind): network 1 unchanged")
            XCTAssertEqual(Array(w[5..<15]), [Double](repeating: 0, count: 10), "\(backend.info.kind): networks 1 and 2 unchanged")
            XCTAssertThrowsError(try batch.update(rates: [1], errors: [0], apply: [true]), "shapes are checked")
            XCTAssertThrowsError(try backend.makeRLSBatch(networks: 1, n: 3, outputs: 1, alpha: 0))
        }
    }
}
