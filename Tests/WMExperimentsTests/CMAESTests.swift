import Foundation
import WMCore
import XCTest

@testable import WMExperiments

/// Deterministic noise for the noisy objective (SplitMix64 + Box–Muller).
private struct NoiseRNG {
    var rng: SplitMix64
    init(state: UInt64) { rng = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { rng.next() }
    mutating func normal() -> Double {
        let a = (Double(next() >> 11) + 0.5) * 0x1.0p-53, b = Double(next() >> 11) * 0x1.0p-53
        return (-2 * Foundation.log(a)).squareRoot() * Foundation.cos(2 * Double.pi * b)
    }
}

private func sphere(_ x: [Double], _ c: [Double]) -> Double {
    var s = 0.0
    for i in x.indices { let d: Double = x[i] - c[i]; s += d * d }
    return s
}

private func rosenbrock(_ x: [Double]) -> Double {
    var s = 0.0
    for i in 0..<(x.count - 1) {
        let a: Double = x[i + 1] - x[i] * x[i]
        let b: Double = 1 - x[i]
        s += 100 * a * a + b * b
    }
    return s
}

/// Asserts that `body` throws `WMError.invalidParameter` naming `name` (prefix match).
private func assertInvalid(_ name: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected invalidParameter(\(name)…)", file: file, line: line)
    } catch let WMError.invalidParameter(n, _, _) {
        XCTAssertTrue(n.hasPrefix(name), "error names \(n), expected \(name)", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

final class CMAESTests: XCTestCase {
    // MARK: Convergence

    func testSphere5DReachesTolerance() throws {
        let c = [0.5, -1, 2, 0, 1.5]
        let r = try CMAES.minimize(lower: [Double](repeating: -3, count: 5), upper: [Double](repeating: 4, count: 5), config: CMAESConfig(seed: 7, maxEvaluations: 4000)) { xs in xs.map { sphere($0, c) } }
        print("sphere5D: f < 1e-8 after \(r.trace.first { $0.bestValue < 1e-8 }?.evaluations ?? -1), evaluations \(r.evaluations), best \(r.best.value), stop \(r.stopReason)")
        XCTAssertLessThan(r.best.value, 1e-8)
        XCTAssertNotEqual(r.stopReason, .maxEvaluations)
        XCTAssertLessThan(r.evaluations, 4000)
        XCTAssertEqual(r.trace.count, r.generations)
        XCTAssertEqual(r.trace.last?.bestValue, r.best.value)
        // The best-so-far trace never increases.
        for (a, b) in zip(r.trace, r.trace.dropFirst()) { XCTAssertLessThanOrEqual(b.bestValue, a.bestValue) }
    }

    func testRosenbrock4DReachesTolerance() throws {
        let r = try CMAES.minimize(lower: [Double](repeating: -2, count: 4), upper: [Double](repeating: 2, count: 4), config: CMAESConfig(seed: 3, maxEvaluations: 10_000)) { xs in xs.map(rosenbrock) }
        print("rosenbrock4D: f < 1e-6 after \(r.trace.first { $0.bestValue < 1e-6 }?.evaluations ?? -1), evaluations \(r.evaluations), best \(r.best.value), stop \(r.stopReason)")
        XCTAssertLessThan(r.best.value, 1e-6)
        for v in r.best.x { XCTAssertEqual(v, 1, accuracy: 1e-2) }
    }

    func testOptimumOnBoundaryAndCandidatesStayInBounds() throws {
        var outside = 0, count = 0
        let r = try CMAES.minimize(lower: [1, 1, 1], upper: [2, 2, 2], config: CMAESConfig(seed: 11, maxEvaluations: 5000)) { xs in
            for x in xs { count += 1; if x.contains(where: { $0 < 1 || $0 > 2 }) { outside += 1 } }
            return xs.map { $0.reduce(0, +) }
        }
        print("boundary Σx: evaluations \(r.evaluations), best \(r.best.value), stop \(r.stopReason)")
        XCTAssertEqual(outside, 0)
        XCTAssertEqual(count, r.evaluations)
        for v in r.best.x { XCTAssertEqual(v, 1, accuracy: 1e-6) }

        // Lower bound, upper bound and interior at once, on an asymmetric box.
        var outside2 = 0
        let lo = [-1.0, 0.0, 10.0], hi = [3.0, 0.5, 20.0]
        let r2 = try CMAES.minimize(lower: lo, upper: hi, start: [2.5, 0.1, 11], config: CMAESConfig(seed: 2, maxEvaluations: 5000)) { xs in
            for x in xs where (0..<3).contains(where: { x[$0] < lo[$0] || x[$0] > hi[$0] }) { outside2 += 1 }
            return xs.map { $0[0] - 4 * $0[1] + pow($0[2] - 13, 2) }
        }
        print("boundary mixed: evaluations \(r2.evaluations), best \(r2.best.x)")
        XCTAssertEqual(outside2, 0)
        XCTAssertEqual(r2.best.x[0], -1, accuracy: 1e-6)
        XCTAssertEqual(r2.best.x[1], 0.5, accuracy: 1e-6)
        XCTAssertEqual(r2.best.x[2], 13, accuracy: 1e-4)
    }

    func testIntegerMaskYieldsIntegerCandidates() throws {
        var nonInteger = 0, outside = 0
        let lo = [0.5, 0.0], hi = [10.5, 1.0]
        let r = try CMAES.minimize(lower: lo, upper: hi, integer: [true, false], config: CMAESConfig(seed: 5, maxEvaluations: 2000)) { xs in
            for x in xs {
                if x[0] != x[0].rounded() { nonInteger += 1 }
                if x[0] < 1 || x[0] > 10 || x[1] < 0 || x[1] > 1 { outside += 1 }
            }
            return xs.map { pow($0[0] - 3.3, 2) + pow($0[1] - 0.7, 2) }
        }
        print("integer: evaluations \(r.evaluations), best \(r.best.x), stop \(r.stopReason)")
        XCTAssertEqual(nonInteger, 0)
        XCTAssertEqual(outside, 0)
        XCTAssertEqual(r.best.x[0], 3)
        XCTAssertEqual(r.best.x[1], 0.7, accuracy: 1e-4)
        // The continuous coordinate is not rounded.
        XCTAssertNotEqual(r.best.x[1], r.best.x[1].rounded())
    }

    func testNoisySphereGetsNearOptimum() throws {
        let c = [2.0, -1, 3, -2, 1]
        var noise = NoiseRNG(state: 99)
        let r = try CMAES.minimize(lower: [Double](repeating: -5, count: 5), upper: [Double](repeating: 5, count: 5), config: CMAESConfig(seed: 21, maxEvaluations: 3000)) { xs in
            xs.map { sphere($0, c) + 0.1 * noise.normal() }
        }
        let dMean = sphere(r.mean, c).squareRoot()
        print("noisy sphere: evaluations \(r.evaluations), |mean − x*| \(dMean), stop \(r.stopReason)")
        XCTAssertLessThan(dMean, 0.4)  // ≈ 4.4 at the start; 0.10…0.27 over 30 seeds
    }

    // MARK: Determinism and resume

    func testDeterminism() throws {
        let c = [0.3, 0.6, -0.2]
        func run(_ seed: UInt64) throws -> CMAESResult {
            try CMAES.minimize(lower: [-1, -1, -1], upper: [1, 1, 1], config: CMAESConfig(seed: seed, maxEvaluations: 300)) { xs in xs.map { sphere($0, c) } }
        }
        let a = try run(1), b = try run(1), d = try run(2)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.trace.count, 300 / 7)
        XCTAssertNotEqual(a.trace.map(\.sigma), d.trace.map(\.sigma))
        XCTAssertNotEqual(a.best.x, d.best.x)

        // Candidates depend on (seed, generation, candidate) only: asking twice gives the same, and
        // the first candidates of generation 0 do not depend on λ.
        let o6 = try CMAES(lower: [-1, -1, -1], upper: [1, 1, 1], config: CMAESConfig(populationSize: 6, seed: 4))
        let o10 = try CMAES(lower: [-1, -1, -1], upper: [1, 1, 1], config: CMAESConfig(populationSize: 10, seed: 4))
        XCTAssertEqual(o6.ask(), o6.ask())
        XCTAssertEqual(o6.ask(), Array(o10.ask().prefix(6)))
        XCTAssertEqual(Set(o10.ask()).count, 10)
    }

    func testSnapshotJSONRestoreContinuesIdentically() throws {
        let f: ([Double]) -> Double = { rosenbrock($0) }
        let lo = [Double](repeating: -2, count: 4), hi = [Double](repeating: 2, count: 4)
        let config = CMAESConfig(seed: 9, maxEvaluations: 1600)
        let full = try CMAES.minimize(lower: lo, upper: hi, integer: [false, false, true, false], config: config) { $0.map(f) }

        var opt = try CMAES(lower: lo, upper: hi, integer: [false, false, true, false], config: config)
        for _ in 0..<23 { try opt.tell(opt.ask().map(f)) }  // crosses several eigendecompositions
        let json = try JSONEncoder().encode(opt.snapshot())
        let restored = try CMAES(restoring: try JSONDecoder().decode(CMAESSnapshot.self, from: json))
        XCTAssertEqual(restored.snapshot(), opt.snapshot())
        XCTAssertEqual(restored.ask(), opt.ask())
        let resumed = try CMAES.minimize(restored) { $0.map(f) }
        XCTAssertEqual(resumed.snapshot, full.snapshot)
        XCTAssertEqual(resumed.best, full.best)
        XCTAssertEqual(Array(full.trace.suffix(resumed.trace.count)), resumed.trace)
        XCTAssertEqual(resumed.generations, full.generations)
        XCTAssertGreaterThan(resumed.trace.count, 10)

        // A tampered snapshot is rejected.
        var bad = opt.snapshot()
        bad.covariance.removeLast()
        assertInvalid("snapshot.covariance") { _ = try CMAES(restoring: bad) }
        bad = opt.snapshot()
        bad.evaluations += 1
        assertInvalid("snapshot.evaluations") { _ = try CMAES(restoring: bad) }
    }

    // MARK: Non-finite values and stopping

    func testNonFiniteValuesRankWorst() throws {
        let c = [-0.2, 0.4]
        var nanSeen = 0
        let r = try CMAES.minimize(lower: [-1, -1], upper: [1, 1], config: CMAESConfig(seed: 8, maxEvaluations: 2000)) { xs in
            xs.map { x in
                if x[0] > -0.1 { nanSeen += 1; return x[1] > 0 ? .nan : .infinity }
                return sphere(x, c)
            }
        }
        print("NaN region: evaluations \(r.evaluations), non-finite \(nanSeen), best \(r.best.value)")
        XCTAssertGreaterThan(nanSeen, 5)
        XCTAssertLessThan(r.best.value, 1e-8)
        XCTAssertTrue(r.best.value.isFinite)
        XCTAssertEqual(r.trace.map(\.nonFinite).reduce(0, +), nanSeen)
        XCTAssertNoThrow(try JSONEncoder().encode(r))

        var opt = try CMAES(lower: [0, 0], upper: [1, 1], config: CMAESConfig(populationSize: 4, seed: 1))
        let before = opt.snapshot()
        assertInvalid("values") { try opt.tell([.nan, .infinity, -.infinity, .nan]) }
        assertInvalid("values") { try opt.tell([1, 2, 3]) }
        XCTAssertEqual(opt.snapshot(), before)
        XCTAssertEqual(opt.generation, 0)
        try opt.tell([.nan, 2, .nan, 1])
        XCTAssertEqual(opt.best?.value, 1)
        XCTAssertEqual(opt.best?.x, opt.snapshot().best?.x)
        XCTAssertEqual(opt.evaluations, 4)
    }

    func testBudgetIsNeverExceededAndTolXStops() throws {
        var calls = 0
        let r = try CMAES.minimize(lower: [0, 0], upper: [1, 1], config: CMAESConfig(populationSize: 8, seed: 1, maxEvaluations: 50)) { xs in
            calls += xs.count
            return xs.map { $0[0] + $0[1] }
        }
        XCTAssertEqual(r.stopReason, .maxEvaluations)
        XCTAssertEqual(r.evaluations, 48)
        XCTAssertEqual(calls, 48)

        let t = try CMAES.minimize(lower: [-1, -1], upper: [1, 1], config: CMAESConfig(seed: 1, maxEvaluations: 5000, tolFun: 0, tolX: 1e-6)) { xs in xs.map { sphere($0, [0.1, 0.2]) } }
        XCTAssertEqual(t.stopReason, .tolX)
        XCTAssertLessThan(sphere(t.mean, [0.1, 0.2]).squareRoot(), 1e-5)

        let flat = try CMAES.minimize(lower: [-1, -1], upper: [1, 1], config: CMAESConfig(seed: 1, maxEvaluations: 5000)) { xs in xs.map { _ in 1 } }
        XCTAssertEqual(flat.stopReason, .tolFun)
    }

    // MARK: Bad inputs

    func testBadInputsThrowClearErrors() throws {
        assertInvalid("bounds") { _ = try CMAES(lower: [], upper: []) }
        assertInvalid("bounds") { _ = try CMAES(lower: [0, 0], upper: [1]) }
        assertInvalid("bounds[1]") { _ = try CMAES(lower: [0, 2], upper: [1, 2]) }
        assertInvalid("bounds[0]") { _ = try CMAES(lower: [3], upper: [1]) }
        assertInvalid("bounds[0]") { _ = try CMAES(lower: [-.infinity], upper: [1]) }
        assertInvalid("bounds[1]") { _ = try CMAES(lower: [0, .nan], upper: [1, 1]) }
        assertInvalid("bounds[0]") { _ = try CMAES(lower: [-Double.greatestFiniteMagnitude], upper: [Double.greatestFiniteMagnitude]) }
        assertInvalid("start[1]") { _ = try CMAES(lower: [0, 0], upper: [1, 1], start: [0.5, 1.5]) }
        assertInvalid("start[0]") { _ = try CMAES(lower: [0, 0], upper: [1, 1], start: [.nan, 0.5]) }
        assertInvalid("start") { _ = try CMAES(lower: [0, 0], upper: [1, 1], start: [0.5]) }
        assertInvalid("populationSize") { _ = try CMAES(lower: [0], upper: [1], config: CMAESConfig(populationSize: 1)) }
        assertInvalid("initialSigma") { _ = try CMAES(lower: [0], upper: [1], config: CMAESConfig(initialSigma: 0)) }
        assertInvalid("initialSigma") { _ = try CMAES(lower: [0], upper: [1], config: CMAESConfig(initialSigma: .nan)) }
        assertInvalid("maxEvaluations") { _ = try CMAES(lower: [0], upper: [1], config: CMAESConfig(populationSize: 6, maxEvaluations: 5)) }
        assertInvalid("tolFun") { _ = try CMAES(lower: [0], upper: [1], config: CMAESConfig(tolFun: -1)) }
        assertInvalid("tolX") { _ = try CMAES(lower: [0], upper: [1], config: CMAESConfig(tolX: .infinity)) }
        assertInvalid("integer") { _ = try CMAES(lower: [0, 0], upper: [1, 1], integer: [true]) }
        assertInvalid("bounds[0]") { _ = try CMAES(lower: [0.2], upper: [0.8], integer: [true]) }
        XCTAssertNoThrow(try CMAES(lower: [0, 0], upper: [1, 1], start: [0, 1], config: CMAESConfig(populationSize: 2)))
        // Messages say what was expected.
        do { _ = try CMAES(lower: [3], upper: [1]); XCTFail() } catch { XCTAssertTrue("\(error)".contains("lower < upper"), "\(error)") }
    }

    func testConfigDefaultsAndCodable() throws {
        let c = try JSONDecoder().decode(CMAESConfig.self, from: Data(#"{"seed": 42}"#.utf8))
        XCTAssertEqual(c, CMAESConfig(seed: 42))
        XCTAssertEqual(c.initialSigma, 0.3)
        XCTAssertNil(c.populationSize)
        XCTAssertEqual(c.lambda(dimension: 5), 8)  // 4 + ⌊3 ln 5⌋
        XCTAssertEqual(c.lambda(dimension: 1), 4)
        XCTAssertEqual(c.lambda(dimension: 10), 10)
        let full = CMAESConfig(populationSize: 12, initialSigma: 0.2, seed: 3, maxEvaluations: 100, tolFun: 1e-3, tolX: 1e-4)
        XCTAssertEqual(try JSONDecoder().decode(CMAESConfig.self, from: JSONEncoder().encode(full)), full)
        let opt = try CMAES(lower: [0, 0, 0], upper: [1, 1, 1], start: [0.2, 0.4, 0.6])
        XCTAssertEqual(opt.mean[0], 0.2, accuracy: 1e-15)
        XCTAssertEqual(opt.mean[2], 0.6, accuracy: 1e-15)
        XCTAssertEqual(opt.populationSize, 7)
        XCTAssertNil(opt.best)
        XCTAssertNil(opt.stopReason)
    }
}
