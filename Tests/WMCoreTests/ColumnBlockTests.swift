import CEngineKernels
import XCTest
@testable import WMCore

/// The CPU engine's column-blocked B > 1 sums (`ColumnBlocks`, `wm_ell_blocked_rows_*`) and its C
/// epilogue (`wm_epilogue`) against the unblocked sums and the Swift epilogue: bit for bit, at
/// sizes that are not multiples of 16, of the block width or of the 16-trial vectors.
final class ColumnBlockTests: XCTestCase {
    override func tearDown() {
        ColumnBlocks.override = nil
        CPUEngine.vectorEpilogue = true
        wm_engine_kernels_restore()
    }

    /// Rows lo..<hi of `e` for bt trials through the blocked kernels (nil: not available here).
    private func blockedSums(_ e: SlicedELL, blocks: ColumnBlocks, x: [Float], trials bt: Int, lo: Int, hi: Int) -> [Float]? {
        var y = [Float](repeating: .nan, count: e.rows * bt)
        let done = x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                e.rowLength.withUnsafeBufferPointer { lp in
                    e.values.withUnsafeBufferPointer { vp in
                        e.sliceOffset.withUnsafeBufferPointer { op in
                            blocks.bounds.withUnsafeBufferPointer { bp in
                                e.narrowColumns
                                    ? e.columns16.withUnsafeBufferPointer { cp in
                                        wm_ell_blocked_rows_u16(yp.baseAddress!, Int32(bt), xp.baseAddress!, vp.baseAddress!, cp.baseAddress!, lp.baseAddress!,
                                                                op.baseAddress!, bp.baseAddress!, blocks.count, lo, hi)
                                    }
                                    : e.columns32.withUnsafeBufferPointer { cp in
                                        wm_ell_blocked_rows_i32(yp.baseAddress!, Int32(bt), xp.baseAddress!, vp.baseAddress!, cp.baseAddress!, lp.baseAddress!,
                                                                op.baseAddress!, bp.baseAddress!, blocks.count, lo, hi)
                                    }
                            }
                        }
                    }
                }
            }
        }
        return done == 0 ? nil : y
    }

    /// Blocked sums equal the unblocked ones (`SlicedELL.engineSums`, the exact fma chain) bit for
    /// bit: N = 37 and 1003, block widths 7…500 (the last block narrower, rows with no entry in
    /// a block), B = 2, 37, 64, 69 (= 64 + 5) and 130, 16- and 32-bit columns, ranges starting
    /// and ending inside slices; nothing written outside the range.
    func testBlockedELLSumsEqualUnblockedBitForBit() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        for (n, maxLength) in [(37, 29), (1003, 120)] {
            let m = randomTestCSR(n: n, maxLength: maxLength, seed: UInt64(n + 11))
            for e in [SlicedELL(m), SlicedELL(m, wideColumns: true)] {
                for width in [7, 16, 50, 500] where width < n {
                    for bt in [2, 37, 64, 69, 130] {
                        let blocks = ColumnBlocks(e, width: width, trials: bt)
                        XCTAssertEqual(blocks.count, (n + width - 1) / width)
                        var bits = TestBits(s: UInt64(n * 7 + bt + width))
                        let x = (0..<(n * bt)).map { _ in bits.float() }
                        for (lo, hi) in [(0, n), (3, n - 2)] {
                            let plain = e.engineSums(x: x, trials: bt, lo: lo, hi: hi)
                            let y = try XCTUnwrap(blockedSums(e, blocks: blocks, x: x, trials: bt, lo: lo, hi: hi))
                            let where_ = "N = \(n) width \(width) B = \(bt) rows \(lo)..<\(hi) narrow \(e.narrowColumns)"
                            XCTAssertEqual(y[(lo * bt)..<(hi * bt)].map(\.bitPattern), plain[(lo * bt)..<(hi * bt)].map(\.bitPattern), where_)
                            XCTAssertTrue(y[0..<(lo * bt)].allSatisfy(\.isNaN) && y[(hi * bt)...].allSatisfy(\.isNaN), "\(where_): rows outside untouched")
                        }
                    }
                }
            }
        }
        XCTAssertEqual(wm_engine_kernels_cap(1), 1)
        let e = SlicedELL(randomTestCSR(n: 37, maxLength: 10, seed: 1))
        XCTAssertNil(blockedSums(e, blocks: ColumnBlocks(e, width: 7, trials: 5), x: [Float](repeating: 1, count: 37 * 5), trials: 5, lo: 0, hi: 37),
                     "below AVX-512 the engine sums unblocked")
    }

    /// Whole trajectories (tanh, two networks, two input channels, bias) with column blocks forced
    /// on (widths that do not divide N, groups of rows smaller than a worker's share) equal the
    /// unblocked engine's bit for bit, N = 203 and B = 37 and 69; the rule alone picks no blocks
    /// at these sizes.
    func testEngineWithColumnBlocksMatchesUnblockedBitForBit() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        for trials in [37, 69] {
            ColumnBlocks.override = nil
            XCTAssertNil(ColumnBlocks.width(n: 203, sp: 0.2, trials: trials), "x of \(203 * trials * 4) bytes stays unblocked")
            var runs: [[Float]] = []
            for forced in [(width: 0, groupRows: 0), (width: 50, groupRows: 48), (width: 13, groupRows: 16)] {
                ColumnBlocks.override = forced
                let e = try makeEngine(trials: trials, noise: 0)
                XCTAssertEqual(e.columnBlocks.allSatisfy { $0 != nil }, forced.width > 0)
                runs.append(try e.run(steps: 20, record: RecordRequest(every: 1)).data)
            }
            XCTAssertTrue(runs[0].allSatisfy(\.isFinite))
            XCTAssertGreaterThan(runs[0].map(abs).max()!, 1e-2, "the trajectory moves")
            XCTAssertEqual(runs[1].map(\.bitPattern), runs[0].map(\.bitPattern), "B = \(trials), width 50")
            XCTAssertEqual(runs[2].map(\.bitPattern), runs[0].map(\.bitPattern), "B = \(trials), width 13")
        }
    }

    /// The rule: workload B (N = 10⁴, sp = 0.01, B = 64: x is 2.5 MB) gets blocks of 2048 columns,
    /// A (x of 256 KB) and C (two entries per row and block) none, nor does B = 1.
    func testBlockWidthRule() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        XCTAssertEqual(ColumnBlocks.width(n: 10_000, sp: 0.01, trials: 64), 2048)
        XCTAssertNil(ColumnBlocks.width(n: 1_000, sp: 0.25, trials: 64))
        XCTAssertNil(ColumnBlocks.width(n: 100_000, sp: 0.001, trials: 64))
        XCTAssertNil(ColumnBlocks.width(n: 10_000, sp: 0.01, trials: 1))
    }

    /// The C epilogue equals the Swift one bit for bit: tanh and linear; the leaky rule at a = 0.6
    /// (c2 = 0) and a = 1 (c0 = c2 = 0: the cheap sums) and the template rule (c0 = 0); B = 1
    /// (rows in lanes, N = 203 not a multiple of 16) and B = 37, 69 (trials in lanes, masked tails).
    func testVectorEpilogueMatchesSwiftBitForBit() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        for trials in [1, 37, 69] {
            for activation in [Activation.tanh, .linear] {
                for (rule, leak) in [(UpdateRule.leaky, 0.6), (.leaky, 1), (.template, 1)] {
                    var runs: [[Float]] = []
                    for vector in [false, true] {
                        CPUEngine.vectorEpilogue = vector
                        let e = try makeEngine(trials: trials, noise: 0, activation: activation, rule: rule, leak: leak)
                        runs.append(try e.run(steps: 20, record: RecordRequest(every: 1)).data)
                    }
                    XCTAssertTrue(runs[0].allSatisfy(\.isFinite))
                    XCTAssertEqual(runs[1].map(\.bitPattern), runs[0].map(\.bitPattern), "B = \(trials) \(activation) \(rule) a = \(leak)")
                }
            }
        }
    }

    /// A network that blows up stops at the same step and network through the C epilogue as
    /// through the Swift one (the kernel's "not finite" status reaches the engine's check).
    func testVectorEpilogueReportsNonFiniteLikeSwift() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        for trials in [1, 37] {
            var outcomes: [String] = []
            for vector in [false, true] {
                CPUEngine.vectorEpilogue = vector
                let e = try makeEngine(trials: trials, noise: 0, activation: .linear, rule: .leaky, leak: 1, gain: 1e4)
                do {
                    _ = try e.run(steps: 40, record: RecordRequest(every: 1))
                    outcomes.append("finished")
                } catch WMError.nonFinite(let step, let network, _) {
                    outcomes.append("non-finite at step \(step), network \(network)")
                }
            }
            XCTAssertTrue(outcomes[0].hasPrefix("non-finite"), "B = \(trials): \(outcomes[0])")
            XCTAssertEqual(outcomes[1], outcomes[0], "B = \(trials)")
        }
    }

    /// With one trial the C epilogue loads 16 adjacent rows of a channel: rows that are not
    /// adjacent in Jin (jinRow ≠ 1) are declined (0, nothing written) for the Swift path.
    func testVectorEpilogueDeclinesNonAdjacentRowsWithOneTrial() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        var h = [Float](repeating: 0.5, count: 20), x = [Float](repeating: 0.1, count: 20)
        let jin = [Float](repeating: 1, count: 80), u: [Float] = [1, 2]
        let coef: [Float] = [1, 0, 0.4, 0.6, 0, 1]
        XCTAssertEqual(wm_epilogue(&h, &x, 20, 1, jin, 2, 1, 2, u, coef, 1), 0)
        XCTAssertTrue(h.allSatisfy { $0 == 0.5 }, "nothing written")
        XCTAssertEqual(wm_epilogue(&h, &x, 20, 1, jin, 1, 20, 2, u, coef, 1), 2)
        XCTAssertFalse(h.allSatisfy { $0 == 0.5 })
    }

    private func makeEngine(trials: Int, noise: Double, activation: Activation = .tanh, rule: UpdateRule = .leaky, leak: Double = 0.6, gain: Double = 1.3) throws -> CPUEngine {
        var s = NetworkSpec()
        s.n = 203; s.sp = 0.2; s.g = gain; s.nIn = 2; s.gIn = 1; s.spIn = 0.5
        s.rule = rule; s.leak = leak; s.bias = 0.05; s.noise = noise; s.seed = 11
        s.activation = activation
        let ens = Ensemble(spec: s, count: 2, trials: trials)
        let input = try InputSource(spec: InputSpec(kind: .gaussian, seed: 5), nIn: 2)
        var o = EngineOptions()
        o.format = .ell
        return try XCTUnwrap(try CPUBackend().makeEngine(ensemble: ens, networks: nil, input: input, options: o) as? CPUEngine)
    }
}
