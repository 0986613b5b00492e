import Foundation
import XCTest
@testable import WMCore
import CEngineKernels

/// Accuracy of `VectorMath` and equivalence of the vectorised epilogue with the scalar path.
///
/// Bounds (measured in a release build over every Float in [0, 20], tanh being odd by
/// construction): tanh ≤ 1.34 ulp, ≤ 8e-8 absolute. The tests assert 2 ulp and 1e-7 absolute.
/// Span update vs scalar `UpdateMath.update` (true fma, glibc tanhf): ≤ 2 ulp of max(|x'|, |c1|).
final class VectorMathTests: XCTestCase {

    /// Deterministic uniform floats in [lo, hi) (SplitMix64).
    private struct Stream {
        var state: UInt64
        mutating func next(_ lo: Float, _ hi: Float) -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return lo + (hi - lo) * Float(z >> 40) / Float(1 << 24)
        }
    }

    /// One ulp of the Float grid at |t| (t exact, Double), 2^(⌊log₂|t|⌋ − 23); subnormal spacing below.
    private func ulp(_ t: Double) -> Double {
        let a = abs(t)
        guard a >= Double(Float.leastNormalMagnitude) else { return Double(Float.leastNonzeroMagnitude) }
        return Double(sign: .plus, exponent: a.exponent - 23, significand: 1)
    }

    private func vtanh(_ xs: [Float]) -> [Float] {
        var ys = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in VectorMath.tanh(x, into: y) } }
        return ys
    }

    /// Largest error in ulp and absolute over `xs` against Double tanh.
    private func tanhErrors(_ xs: [Float]) -> (ulps: Double, abs: Double, worst: Float) {
        var maxUlp = 0.0, maxAbs = 0.0, worst: Float = 0
        for (x, y) in zip(xs, vtanh(xs)) {
            let t = Foundation.tanh(Double(x))
            let e = y.isNaN ? .infinity : abs(Double(y) - t)
            if e / ulp(t) > maxUlp { maxUlp = e / ulp(t); worst = x }
            maxAbs = max(maxAbs, e)
        }
        return (maxUlp, maxAbs, worst)
    }

    func testTanhDenseSweepOverMinus20To20() {
        // Every 1088th Float in [0, 20] by bit pattern (10⁶ values, tiny to large), both signs.
        var xs: [Float] = []
        let top = Float(20).bitPattern
        var b: UInt32 = 0
        while b <= top {
            let x = Float(bitPattern: b)
            xs.append(x)
            xs.append(-x)
            b += 64 * 17
        }
        // A step of 1e-4 over [−20, 20] in value space, too (most points are not tiny).
        for k in -200_000...200_000 { xs.append(Float(k) * 1e-4) }
        let e = tanhErrors(xs)
        XCTAssertLessThanOrEqual(e.ulps, 2, "worst at x = \(e.worst)")
        XCTAssertLessThanOrEqual(e.abs, 1e-7)
    }

    func testTanhEveryFloatAroundTheBranchSwitch() {
        // The largest error sits just above |x| = 0.625, where 1 − 2/(e^{2x}+1) takes over
        // (x ≥ 0 only: the sign is copied, see testTanhIsOddAndMonotone).
        var xs: [Float] = []
        var x: Float = 0.6
        while x <= 0.66 {
            xs.append(x)
            x = x.nextUp
        }
        let e = tanhErrors(xs)
        XCTAssertLessThanOrEqual(e.ulps, 2, "worst at x = \(e.worst)")
        XCTAssertGreaterThan(xs.count, 500_000)
    }

    func testTanhEdgeValues() {
        let tiny: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                             -.leastNormalMagnitude, 1e-20, -1e-20, 1e-4]
        for (x, y) in zip(tiny, vtanh(tiny)) {
            if abs(x) < 1e-10 {
                XCTAssertEqual(y.bitPattern, x.bitPattern, "tanh(\(x)) must be \(x) exactly, sign included")
            } else {
                XCTAssertEqual(Double(y), Foundation.tanh(Double(x)), accuracy: ulp(Double(x)))
            }
        }
        let big: [Float] = [.infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 30, -30, 9.1, -9.1]
        for (x, y) in zip(big, vtanh(big)) {
            XCTAssertEqual(y, x > 0 ? 1 : -1, "tanh(\(x))")
        }
        // tanh(9) is still below 1 in float.
        XCTAssertEqual(vtanh([9])[0], Float(1).nextDown)
        let nan = vtanh([.nan, -.nan, Float(nan: 1, signaling: false)])
        XCTAssertTrue(nan.allSatisfy(\.isNaN), "\(nan)")
    }

    func testTanhIsOddAndMonotone() {
        var xs: [Float] = []
        for k in 0..<40_000 { xs.append(Float(k) * 5e-4) }
        let pos = vtanh(xs), neg = vtanh(xs.map { -$0 })
        for k in 0..<xs.count {
            XCTAssertEqual(neg[k], -pos[k])
            if k > 0 { XCTAssertGreaterThanOrEqual(pos[k], pos[k - 1], "not monotone at \(xs[k])") }
        }
    }

    func testTanhTailsEqualWholeVectors() {
        var s = Stream(state: 1)
        for n in [1, 7, 13, 1000, 1003] {
            let xs = (0..<n).map { _ in s.next(-4, 4) }
            let span = vtanh(xs)
            let single = xs.map { vtanh([$0])[0] }
            XCTAssertEqual(span.map(\.bitPattern), single.map(\.bitPattern), "n = \(n)")
            // In place (x and y the same memory).
            var inPlace = xs
            inPlace.withUnsafeMutableBufferPointer { p in VectorMath.tanh(UnsafeBufferPointer(p), into: p) }
            XCTAssertEqual(inPlace.map(\.bitPattern), span.map(\.bitPattern))
        }
    }

    /// The AVX-512 tanh (`wm_tanh`, used by `VectorMath.tanh` where the CPU has it) is the Swift
    /// lanes' `tanh8` bit for bit: every float around the branch switch and the clamp, edge
    /// values, and random spans of odd lengths (masked tails).
    func testKernelTanhEqualsSwiftLanesBitForBit() {
        let available = wm_engine_kernels_level() >= 2
        var xs: [Float] = [0, -0, .infinity, -.infinity, .nan, 1e-30, -1e-30, .leastNonzeroMagnitude, 10, -10, 10.000001, 88, -88, .greatestFiniteMagnitude]
        for centre: Float in [0.625, 10] {
            var v = centre
            for _ in 0..<5000 { v = v.nextDown }
            for _ in 0..<10000 { xs.append(v); xs.append(-v); v = v.nextUp }
        }
        var s = Stream(state: 7)
        for _ in 0..<100_003 { xs.append(s.next(-20, 20)) }
        let swift = xs.map { x -> Float in VectorMath.tanh8(VectorMath.V(repeating: x))[0] }
        for n in [xs.count, 1, 15, 17, 1003] {
            var kernel = [Float](repeating: 7, count: n + 1)
            let done = xs.withUnsafeBufferPointer { xp in kernel.withUnsafeMutableBufferPointer { wm_tanh($0.baseAddress!, xp.baseAddress!, n) } }
            guard available else {
                // Without AVX-512F the kernel declines and writes nothing; VectorMath runs its lanes.
                XCTAssertEqual(done, 0)
                XCTAssertTrue(kernel.allSatisfy { $0 == 7 })
                continue
            }
            XCTAssertEqual(done, 1)
            for i in 0..<n where kernel[i].bitPattern != swift[i].bitPattern && !(kernel[i].isNaN && swift[i].isNaN) {
                XCTFail("x = \(xs[i]): kernel \(kernel[i]), Swift lanes \(swift[i])"); break
            }
            XCTAssertEqual(kernel[n], 7, "nothing written past n = \(n)")
        }
    }

    func testFusedAXPYIsAFusedMultiplyAdd() {
        var s = Stream(state: 2)
        var unfused = 0, total = 0
        for n in [1, 7, 13, 1000, 1003, 100_000] {
            let a = s.next(-3, 3)
            let x = (0..<n).map { _ in s.next(-3, 3) }
            let y0 = (0..<n).map { _ in s.next(-3, 3) }
            var y = y0
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { VectorMath.fusedAXPY(a, xp, $0) } }
            var mismatches = 0, worst = 0.0
            for i in 0..<n {
                let want = y0[i].addingProduct(a, x[i])
                if y[i] != want {
                    mismatches += 1
                    worst = max(worst, abs(Double(y[i]) - Double(want)) / ulp(Double(want)))
                }
                if y[i] != y0[i] + a * x[i] { unfused += 1 }
            }
            // Double rounding can differ from a true fma (by 1 ulp) about once in 2²⁹ cases.
            XCTAssertLessThanOrEqual(mismatches, 1, "n = \(n)")
            XCTAssertLessThanOrEqual(worst, 1, "n = \(n)")
            total += n
        }
        // A plain multiply-then-add would differ often; make sure the data can tell.
        XCTAssertGreaterThan(unfused, total / 100)
    }

    func testScaleAndAddOnRaggedSpans() {
        var s = Stream(state: 3)
        for n in [1, 7, 13, 1000, 1003] {
            let y0 = (0..<n).map { _ in s.next(-3, 3) }
            var y = y0
            y.withUnsafeMutableBufferPointer { p in
                VectorMath.scale(p, by: 0.37)
                VectorMath.add(-1.25, to: p)
            }
            XCTAssertEqual(y, y0.map { $0 * 0.37 + -1.25 }, "n = \(n)")
        }
    }

    // MARK: span epilogue vs scalar UpdateMath.update

    private func coefficients(_ rule: UpdateRule) -> NetworkCoefficients {
        var spec = NetworkSpec()
        spec.rule = rule
        spec.leak = 0.3
        return NetworkCoefficients(spec: spec, gain: 1)
    }

    /// Span update of (x, h) and the scalar reference; returns (span, flag, scalar).
    private func both(_ x: [Float], _ h: [Float], _ c: NetworkCoefficients, tanh: Bool) -> ([Float], Bool, [Float]) {
        var out = h
        let finite = x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { UpdateMath.update(x: xp, h: $0, c, tanh: tanh) }
        }
        let ref = zip(x, h).map { UpdateMath.update(x: $0, h: $1, c, tanh: tanh) }
        return (out, finite, ref)
    }

    func testSpanUpdateMatchesScalarUpdateOnRaggedSpans() {
        var s = Stream(state: 4)
        for rule in [UpdateRule.leaky, .template] {
            let c = coefficients(rule)
            XCTAssertNotEqual(c.c1, 0)
            for useTanh in [true, false] {
                for n in [1, 7, 13, 1000, 1003] {
                    let x = (0..<n).map { _ in s.next(-1.5, 1.5) }
                    let h = (0..<n).map { _ in s.next(-8, 8) }
                    let (got, finite, want) = both(x, h, c, tanh: useTanh)
                    XCTAssertTrue(finite)
                    var worst = 0.0
                    for q in 0..<n {
                        let tol = 2 * ulp(Double(max(abs(want[q]), abs(c.c1))))
                        worst = max(worst, abs(Double(got[q]) - Double(want[q])) / tol)
                    }
                    XCTAssertLessThanOrEqual(worst, 1, "\(rule) tanh \(useTanh) n \(n): \(worst) of the tolerance")
                }
            }
        }
    }

    func testSpanUpdateFlagsNonFiniteValues() {
        var s = Stream(state: 5)
        let c = coefficients(.leaky)  // c0 = 0.7: an infinite x gives an infinite x'
        XCTAssertNotEqual(c.c0, 0)
        for useTanh in [true, false] {
            for n in [1, 7, 13, 1000, 1003] {
                for (pos, xBad, hBad) in [(n - 1, Float.nan, Float(0)), (n / 2, .infinity, 0), (0, 0, .nan),
                                          (n - 1, 0, -.infinity), (n / 3, 0, 0)] {
                    var x = (0..<n).map { _ in s.next(-1, 1) }
                    var h = (0..<n).map { _ in s.next(-3, 3) }
                    x[pos] += xBad
                    h[pos] += hBad
                    let (got, finite, want) = both(x, h, c, tanh: useTanh)
                    // tanh saturates: an infinite drive alone still gives a finite state.
                    XCTAssertEqual(finite, want.allSatisfy(\.isFinite), "n \(n) pos \(pos) x \(xBad) h \(hBad) tanh \(useTanh)")
                    XCTAssertEqual(got.map(\.isFinite), want.map(\.isFinite))
                    XCTAssertEqual(got.map(\.isNaN), want.map(\.isNaN))
                }
            }
        }
        // The case list exercises both outcomes.
        let (_, infiniteState, _) = both([.infinity], [0], c, tanh: true)
        XCTAssertFalse(infiniteState, "an infinite state must be flagged")
        let (_, saturated, _) = both([0], [.infinity], c, tanh: true)
        XCTAssertTrue(saturated, "tanh of an infinite drive is ±1, a finite state")
    }
}
