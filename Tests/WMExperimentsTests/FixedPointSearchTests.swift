import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// The fixed-point search against systems whose fixed points are known in closed form.
final class FixedPointSearchTests: XCTestCase {
    func model(_ w: [Double], n: Int) throws -> ClosedLoopModel {
        var ro = [Double](repeating: 0, count: 3 * n)
        for i in 0..<n { ro[3 * i] = Double(i + 1) }
        return try ClosedLoopModel(n: n, weff: w, input: [Double](repeating: 0, count: 2 * n), readout: ro, step: 0.1)
    }

    /// Uniform starts in [−3, 3]ⁿ (Philox).
    func starts(_ count: Int, n: Int, seed: UInt64) -> [[Double]] {
        let u = TestData.uniform(count * n, seed: seed)
        return (0..<count).map { k in (0..<n).map { 3 * Double(u[k * n + $0]) } }
    }

    func testAContractingNetworkHasOneStablePointAtTheOriginWithTheLinearJacobian() throws {
        let n = 23
        let w = TestData.normal(n * n, seed: 9).map { 0.4 * Double($0) / Double(n).squareRoot() }
        let m = try model(w, n: n)
        let r = try FixedPointSearch.run(m, starts: starts(40, n: n, seed: 2), ops: CPUDenseOps())
        XCTAssertEqual(r.points.count, 1, "\(r.points.map(\.state))")
        let p = try XCTUnwrap(r.points.first)
        XCTAssertTrue(p.isFixed)
        XCTAssertTrue(p.stable)
        XCTAssertLessThan(p.state.map(abs).max()!, 1e-7)
        XCTAssertEqual(p.starts, 40)
        // At the origin tanh' = 1: the Jacobian is −I + W.
        var a = w
        for i in 0..<n { a[i * n + i] -= 1 }
        let eig = try GeneralEigen.eigenvalues(a, n: n)
        XCTAssertEqual(p.maxRealPart, eig[0].re, accuracy: 1e-9)
        XCTAssertEqual(p.leadingEigenvalues[0][0], eig[0].re, accuracy: 1e-9)
        XCTAssertEqual(p.slowestTimeConstant!, -1 / eig[0].re, accuracy: 1e-6)
    }

    /// Three self-exciting units (x = 2·tanh x: x ∈ {0, ±1.9150}): 27 fixed points, the 8 corners
    /// stable (eigenvalues −1 + 2(1 − tanh²x*) < 0 there), every other one a saddle or the unstable origin.
    func testFlipFlopsGiveTheirTwentySevenPointsWithTheRightStability() throws {
        let n = 3
        var w = [Double](repeating: 0, count: 9)
        for i in 0..<3 { w[i * 3 + i] = 2 }
        let m = try model(w, n: n)
        // Root of x = 2 tanh x by Newton.
        var s = 2.0
        for _ in 0..<50 { s -= (s - 2 * Foundation.tanh(s)) / (1 - 2 * (1 - Foundation.tanh(s) * Foundation.tanh(s))) }
        let values = [-s, 0, s]
        var o = FixedPointOptions()
        o.iterations = 4000
        o.learningRate = 0.02
        var found: [[FixedPoint]] = []
        for ops in [CPUDenseOps(), try TestBackends.requireOpenCLDenseOps()] as [any DenseOps] {
            let r = try FixedPointSearch.run(m, starts: starts(400, n: n, seed: 5), options: o, ops: ops)
            XCTAssertEqual(r.points.reduce(0) { $0 + $1.starts } + r.unconverged.count + r.outliers, 400, "every start accounted for")
            for p in r.points {
                XCTAssertTrue(p.isFixed, "q \(p.q)")
                let nearest = p.state.map { x in values.min { abs($0 - x) < abs($1 - x) }! }
                for (x, v) in zip(p.state, nearest) { XCTAssertEqual(x, v, accuracy: 1e-9, "\(p.state) is an analytic fixed point") }
                let corner = nearest.allSatisfy { $0 != 0 }
                XCTAssertEqual(p.stable, corner, "\(nearest): stable exactly at the corners")
                let expectedMax = nearest.map { -1 + 2 * (1 - Foundation.tanh($0) * Foundation.tanh($0)) }.max()!
                XCTAssertEqual(p.maxRealPart, expectedMax, accuracy: 1e-9)
            }
            XCTAssertEqual(r.points.filter(\.stable).count, 8, "all 8 stable corners found")
            XCTAssertGreaterThan(r.points.count, 8, "saddles found too")
            found.append(r.points)
        }
        // Both backends find the same stable points.
        let key = { (ps: [FixedPoint]) in Set(ps.filter(\.stable).map { $0.state.map { ($0 * 1e6).rounded() } }) }
        XCTAssertEqual(key(found[0]), key(found[1]))
    }

    func testSlowAndUnconvergedStartsAreReportedNotHidden() throws {
        // A rotation with gain 2: the origin is the only fixed point (an unstable focus); starts
        // on the limit cycle either reach it or are reported.
        let th = 0.3
        let m = try ClosedLoopModel(n: 2, weff: [2 * cos(th), -2 * sin(th), 2 * sin(th), 2 * cos(th)], input: [0, 0, 0, 0],
                                    readout: [1, 0, 0, 0, 0, 0], step: 0.1)
        var o = FixedPointOptions()
        o.iterations = 300
        let r = try FixedPointSearch.run(m, starts: starts(50, n: 2, seed: 8), options: o, ops: CPUDenseOps())
        XCTAssertEqual(r.points.reduce(0) { $0 + $1.starts } + r.unconverged.count + r.outliers, 50)
        for p in r.points where p.isFixed {
            XCTAssertLessThan(p.state.map(abs).max()!, 1e-6, "the only fixed point is the origin")
            XCTAssertFalse(p.stable)
            XCTAssertEqual(p.maxRealPart, -1 + 2 * cos(th), accuracy: 1e-9)
        }
        var bad = o
        bad.tolQ = 0
        XCTAssertThrowsError(try FixedPointSearch.run(m, starts: starts(5, n: 2, seed: 1), options: bad, ops: CPUDenseOps()))
        XCTAssertThrowsError(try FixedPointSearch.run(m, starts: [[.nan, 0]], ops: CPUDenseOps()))
    }

    /// The Adam phase (what workload P times) on both backends: the same iterations, the same
    /// states within float32 round-off of two differently ordered GEMMs per iteration.
    func testTheAdamPhaseAgreesAcrossBackendsAndRunsExactlyItsIterations() throws {
        let n = 37
        let w = TestData.normal(n * n, seed: 21).map { 1.2 * Double($0) / Double(n).squareRoot() }
        let m = try model(w, n: n)
        var o = FixedPointOptions()
        o.iterations = 25
        o.checkEvery = 7
        let x0 = starts(29, n: n, seed: 4)
        var states: [[Float]] = []
        for ops in [CPUDenseOps(), try TestBackends.requireOpenCLDenseOps()] as [any DenseOps] {
            var checks: [Int] = []
            let r = try FixedPointSearch.minimise(m, starts: x0, options: o, ops: ops, stopEarly: false) { it, _ in checks.append(it) }
            XCTAssertEqual(r.iterations, 25)
            XCTAssertEqual(checks, [0, 7, 14, 21])
            states.append(r.states)
        }
        XCTAssertEqual(states[0].count, 29 * n)
        let moved = zip(states[0], x0.flatMap { $0 }).map { abs(Double($0) - $1) }.max()!
        XCTAssertGreaterThan(moved, 0.01, "the states moved")
        let diff = zip(states[0], states[1]).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-4, "CPU and OpenCL Adam trajectories")
    }

    /// Starts split into parts (side by side on host BLAS, one after the other on a device's ops)
    /// give the states of one batch (within the round-off of GEMMs of other row counts), stop at
    /// the same check, and report every check once.
    func testTheAdamPhaseInPartsEqualsOneBatch() throws {
        let n = 37
        let w = TestData.normal(n * n, seed: 22).map { 0.8 * Double($0) / Double(n).squareRoot() }
        let m = try model(w, n: n)
        let x0 = starts(29, n: n, seed: 5)
        for ops in [CPUDenseOps(), try TestBackends.requireOpenCLDenseOps()] as [any DenseOps] {
            for stopEarly in [false, true] {
                var o = FixedPointOptions()
                o.iterations = stopEarly ? 600 : 40
                o.checkEvery = 9
                o.tolQ = 0.5
                var runs: [(states: [Float], iterations: Int, checks: [Int])] = []
                for parts in [1, 2, 3, 40] {
                    var checks: [Int] = []
                    let r = try FixedPointSearch.minimise(m, starts: x0, options: o, ops: ops, stopEarly: stopEarly, parts: parts) { it, _ in checks.append(it) }
                    runs.append((r.states, r.iterations, checks))
                }
                let what = "\(ops.label), stop early \(stopEarly)"
                if stopEarly { XCTAssertLessThan(runs[0].iterations, 600, "\(what): stopped early") } else { XCTAssertEqual(runs[0].iterations, 40, what) }
                XCTAssertEqual(runs[0].checks, Array(stride(from: 0, to: stopEarly ? runs[0].iterations + 1 : 40, by: 9)), what)
                for r in runs.dropFirst() {
                    XCTAssertEqual(r.iterations, runs[0].iterations, what)
                    XCTAssertEqual(r.checks, runs[0].checks, what)
                    XCTAssertEqual(r.states.count, 29 * n)
                    let diff = zip(r.states, runs[0].states).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(diff, stopEarly ? 1e-3 : 1e-5, "\(what): parts against one batch")
                }
            }
        }
        // Host BLAS: a part per core, of at least 64 rows; a worker or a device runs one.
        let cores = HostWorkers.count(bytesPerWorker: 0)
        XCTAssertEqual(CPUDenseOps().sideBySideParts(rows: 63), 1)
        XCTAssertEqual(CPUDenseOps().sideBySideParts(rows: 64 * cores), cores)
        XCTAssertEqual(CPUDenseOps(singleThreaded: true).sideBySideParts(rows: 10_000), 1)
        // Inside work that already runs side by side (HostWorkers): no fan-out again.
        SingleThreadedBLAS.run { XCTAssertEqual(CPUDenseOps().sideBySideParts(rows: 10_000), 1) }
        XCTAssertEqual(try TestBackends.requireOpenCLDenseOps().sideBySideParts(rows: 10_000), 1)
    }

    func testWorkloadPRunsOnSmallSizesAndRefusesWhatCannotFit() throws {
        let r = try FixedPointThroughput.run(n: 37, starts: 13, iterations: 3, repeats: 2, backend: CPUBackend())
        XCTAssertEqual(r.iterations, 3)
        XCTAssertEqual(r.allSeconds.count, 2)
        XCTAssertEqual(r.startIterationsPerSecond, 39 / r.seconds, accuracy: 1e-9 * r.startIterationsPerSecond)
        XCTAssertGreaterThan(r.gemmGflops, 0)
        XCTAssertThrowsError(try FixedPointThroughput.run(n: 37, starts: 0, iterations: 3, repeats: 1, backend: CPUBackend()))
        // N = 10⁶: the N×N model alone is terabytes; refused from the estimate, naming the part.
        XCTAssertThrowsError(try FixedPointThroughput.run(n: 1_000_000, starts: 1000, iterations: 1, repeats: 1, backend: CPUBackend())) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("TiB") && text.contains("closed-loop model") && text.contains("a smaller N"), text)
        }
    }
}
