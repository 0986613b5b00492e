import XCTest
import WMCore

/// The SELL-C-σ layout and the 16-bit weight precisions, on the host (the device tests use them).
final class StoredWeightsLayoutTests: XCTestCase {
    func randomMatrix(n: Int, sp: Double, seed: UInt64) throws -> CSRMatrix {
        var s = NetworkSpec()
        s.n = n; s.sp = sp; s.seed = seed
        return try NetworkGenerator.generate(s).recurrent
    }

    /// Every window's positions are a permutation of its rows in non-increasing length order
    /// (ties in row order), slices are as wide as their longest row, and `fill` round-trips.
    func testLayoutSortsWithinWindowsAndRoundTrips() throws {
        for (n, sp, c, sigma) in [(1, 1.0, 32, 1024), (7, 0.5, 32, 1), (61, 0.2, 32, 7), (1000, 0.05, 32, 1024), (257, 0.1, 16, 64), (100, 0.3, 5, 13)] {
            let mats = [try randomMatrix(n: n, sp: sp, seed: 3), try randomMatrix(n: n, sp: sp, seed: 4)]
            let (layout, cols, vals) = try SELLLayout.fill(mats, sliceRows: c, sigma: sigma)
            let tag = "N=\(n) C=\(c) σ=\(sigma)"
            XCTAssertEqual(layout.matrices(columns: cols, values: vals), mats, tag)
            XCTAssertEqual(layout.synapses, mats.reduce(0) { $0 + $1.nnz }, tag)
            for m in 0..<2 {
                for w0 in stride(from: 0, to: n, by: sigma) {
                    let w1 = min(w0 + sigma, n)
                    let rows = layout.rowAt[(m * n + w0)..<(m * n + w1)].map(Int.init)
                    XCTAssertEqual(rows.sorted(), Array(w0..<w1), "window is a permutation, \(tag)")
                    for p in w0..<(w1 - 1) {
                        let a = layout.length[m * n + p], b = layout.length[m * n + p + 1]
                        XCTAssertTrue(sigma == 1 ? layout.rowAt[m * n + p] == Int32(p) : (a > b || (a == b && layout.rowAt[m * n + p] < layout.rowAt[m * n + p + 1])), tag)
                    }
                }
                for s in 0..<layout.slicesPerNetwork {
                    let lo = s * c, hi = min(lo + c, n)
                    let width = Int(layout.length[(m * n + lo)..<(m * n + hi)].max()!)
                    let at = m * layout.slicesPerNetwork + s
                    XCTAssertEqual(Int(layout.sliceStart[at + 1] - layout.sliceStart[at]), width * c, "slice width, \(tag)")
                }
            }
        }
    }

    /// Sorting reduces padding on Bernoulli rows (workload-C-like density at a smaller N), and
    /// the sliced layout pads less than one width for all rows.
    func testSortingReducesPadding() throws {
        let n = 20_000
        let mats = [try randomMatrix(n: n, sp: 0.005, seed: 9)]
        let unsorted = try SELLLayout.fill(mats, sigma: 1).layout
        let sorted = try SELLLayout.fill(mats, sigma: 1024).layout
        let plain = 1 - Double(mats[0].nnz) / Double(mats[0].maxRowLength * n)
        XCTAssertLessThan(unsorted.paddingFraction, plain)
        XCTAssertLessThan(sorted.paddingFraction, unsorted.paddingFraction / 4, "σ = 1024: \(sorted.paddingFraction) vs \(unsorted.paddingFraction)")
        XCTAssertLessThan(sorted.paddingFraction, 0.02)
    }

    func testLayoutRefusesBadParameters() {
        XCTAssertThrowsError(try SELLLayout(rowLengths: [1, 2], rows: 2, networks: 1, sliceRows: 0))
        XCTAssertThrowsError(try SELLLayout(rowLengths: [1, 2], rows: 2, networks: 1, sigma: 0))
        XCTAssertThrowsError(try SELLLayout(rowLengths: [1, 2, 3], rows: 2, networks: 1))
    }

    /// Rounding to nearest even, checked against values worked out by hand.
    func testSixteenBitRoundingKnownAnswers() {
        let third: Float = 1.0 / 3.0
        XCTAssertEqual(WeightPrecision.fp16.round(third), 0.333251953125)      // 0x3555
        XCTAssertEqual(WeightPrecision.bf16.round(third), 0.333984375)         // 0x3EAB
        XCTAssertEqual(WeightPrecision.bf16.bits16(third), 0x3EAB)
        XCTAssertEqual(WeightPrecision.fp16.bits16(third), 0x3555)
        // bf16 ties: 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷ and goes to the even one (1).
        XCTAssertEqual(WeightPrecision.bf16.round(1 + 0x1p-8), 1)
        // … and 1 + 3·2⁻⁸ halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ goes up.
        XCTAssertEqual(WeightPrecision.bf16.round(1 + 3 * 0x1p-8), 1 + 0x1p-6)
        XCTAssertEqual(WeightPrecision.fp16.round(1 + 0x1p-11), 1)
        XCTAssertEqual(WeightPrecision.fp32.round(third), third)
        XCTAssertEqual(WeightPrecision.bf16.round(-2.5), -2.5)
        XCTAssertTrue(WeightPrecision.bf16.round(.nan).isNaN)
        XCTAssertEqual(WeightPrecision.fp16.round(1e6), .infinity, "fp16 overflows above 65504")
        // fp16 subnormals: 2⁻²⁴ is the smallest; 2⁻²⁵ is the tie between it and 0 and goes to 0.
        XCTAssertEqual(WeightPrecision.fp16.round(0x1p-24), 0x1p-24)
        XCTAssertEqual(WeightPrecision.fp16.round(0x1p-25), 0)
        XCTAssertEqual(WeightPrecision.fp16.round(3 * 0x1p-25), 2 * 0x1p-24, "1.5 subnormal steps: ties to even (2)")
        XCTAssertEqual(WeightPrecision.bf16.round(0x1p-100), 0x1p-100, "bf16 keeps float's range")
    }

    /// A weight beyond fp16's range is refused (not made infinite); bf16 holds it; zeros made by
    /// rounding stay stored synapses.
    func testRoundingRefusesOverflowAndKeepsTheStructure() throws {
        let m = CSRMatrix(rows: 2, cols: 2, rowPtr: [0, 2, 3], colIndex: [0, 1, 1], values: [1e5, 1e-9, -0.5])
        XCTAssertThrowsError(try WeightPrecision.fp16.rounded(m)) { XCTAssertTrue("\($0)".contains("65504"), "\($0)") }
        let b = try WeightPrecision.bf16.rounded(m)
        XCTAssertEqual(b.values, [99840, 1e-9 as Float, -0.5].map { WeightPrecision.bf16.round($0) })
        var small = m
        small.values[0] = 1
        let h = try WeightPrecision.fp16.rounded(small)
        XCTAssertEqual(h.values, [1, 0, -0.5])
        XCTAssertEqual(h.nnz, 3, "a weight rounded to 0 stays a synapse")
    }

    /// The relative rounding error stays within half an ulp of the 16-bit format on weights of
    /// normal magnitude (subnormal fp16 weights: the known answers above).
    func testRoundingErrorIsHalfAnULP() throws {
        let m = try randomMatrix(n: 300, sp: 0.2, seed: 5)
        for (p, bound) in [(WeightPrecision.fp16, 0x1p-11), (.bf16, 0x1p-8)] {
            let r = try p.rounded(m)
            XCTAssertEqual(r.colIndex, m.colIndex)
            var worst = 0.0
            for (a, b) in zip(r.values, m.values) where abs(b) > 1e-4 {
                worst = max(worst, Double(abs(a - b) / abs(b)))
            }
            XCTAssertLessThanOrEqual(worst, bound, "\(p)")
            XCTAssertGreaterThan(worst, bound / 4, "\(p) rounds at all")
            XCTAssertEqual(try p.rounded(r), r, "rounding is idempotent")
        }
    }

    /// A 16-bit precision with procedural weights is refused (nothing is stored).
    func testSixteenBitProceduralIsRefused() throws {
        var o = EngineOptions()
        o.format = .procedural
        o.weightPrecision = .bf16
        XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("procedural"), "\($0)") }
        o.weightPrecision = .fp32
        o.sellSigma = 0
        XCTAssertThrowsError(try o.validate())
    }
}
