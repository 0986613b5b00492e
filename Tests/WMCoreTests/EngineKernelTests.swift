import CEngineKernels
import XCTest
@testable import WMCore

/// The C kernels of the CPU engine's sparse sums (`Sources/CEngineKernels`, AVX-512F or AVX2 +
/// FMA) against the exact fma chain and against the Swift loops they replace, at every
/// instruction-set level this CPU has (level 0 is the Swift fallback).
final class EngineKernelTests: XCTestCase {
    override func tearDown() { wm_engine_kernels_restore() }

    /// The levels this CPU can run: 0 (Swift) and each vectorised one it has.
    private var levels: [Int32] { Array(0...wm_engine_kernels_cpu_level()) }

    /// Row sums of m for bt trials as the exact fma chain in stored order from +0.
    private func exactSums(_ m: CSRMatrix, x: [Float], trials bt: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m.rows * bt)
        for i in 0..<m.rows {
            for b in 0..<bt {
                var s: Float = 0
                for p in Int(m.rowPtr[i])..<Int(m.rowPtr[i + 1]) { s = s.addingProduct(m.values[p], x[Int(m.colIndex[p]) * bt + b]) }
                out[i * bt + b] = s
            }
        }
        return out
    }

    /// Distance in units in the last place (same sign assumed; 0 for equal bits).
    private func ulps(_ a: Float, _ b: Float) -> Int {
        a.bitPattern == b.bitPattern ? 0 : (a.sign != b.sign ? Int.max : abs(Int(a.bitPattern) - Int(b.bitPattern)))
    }

    /// CSR (stride 1) and sliced ELL (stride 16, 16- and 32-bit columns, B = 1 sixteen-row lanes)
    /// give the exact fma chain bit for bit at every vectorised level; the Swift loops (level 0,
    /// fma evaluated in Double) within 1 ulp and rarely off at all. N not a multiple of 16, row
    /// lengths not multiples of 8/16 (zero-length rows included), B = 1, 3, 37, 64 and 71 (whole
    /// 64-trial blocks, 16/8-trial blocks and masked tails), ranges starting inside slices.
    func testSumsEqualExactFMAChainAtEveryLevel() throws {
        for (n, maxLength) in [(37, 29), (133, 70), (1003, 45)] {
            let m = randomTestCSR(n: n, maxLength: maxLength, seed: UInt64(n))
            let narrow = SlicedELL(m), wide = SlicedELL(m, wideColumns: true)
            for bt in [1, 3, 37, 64, 71] {
                var bits = TestBits(s: UInt64(n * 100 + bt))
                let x = (0..<(n * bt)).map { _ in bits.float() }
                let exact = exactSums(m, x: x, trials: bt)
                for level in levels {
                    XCTAssertEqual(wm_engine_kernels_cap(level), level)
                    var results = [("csr", m.engineRowSums(x: x, trials: bt))]
                    for (name, e) in [("ell16", narrow), ("ell32", wide)] {
                        for (lo, hi) in [(0, n), (5, n - 3)] {
                            let y = e.engineSums(x: x, trials: bt, lo: lo, hi: hi)
                            XCTAssertTrue(y[0..<(lo * bt)].allSatisfy(\.isNaN) && y[(hi * bt)...].allSatisfy(\.isNaN),
                                          "\(name) level \(level): rows outside \(lo)..<\(hi) untouched")
                            results.append(("\(name) \(lo)..<\(hi)", Array(exact[0..<(lo * bt)]) + Array(y[(lo * bt)..<(hi * bt)]) + Array(exact[(hi * bt)...])))
                        }
                    }
                    for (name, y) in results {
                        let where_ = "\(name) N = \(n) B = \(bt) level \(level)"
                        if level > 0 {
                            XCTAssertEqual(y.map(\.bitPattern), exact.map(\.bitPattern), where_)
                        } else {
                            let off = zip(y, exact).map { ulps($0, $1) }
                            XCTAssertLessThanOrEqual(off.max() ?? 0, 1, where_)
                            XCTAssertLessThanOrEqual(off.filter { $0 > 0 }.count * 1000, off.count, "\(where_): double-rounding ties are rare")
                        }
                    }
                }
            }
        }
    }

    /// A whole engine trajectory (sparse, tanh, noise, several networks and trials) with the C
    /// kernels against the Swift loops: equal up to the fma's double-rounding ties, far inside the
    /// contracting-trajectory parity tolerance.
    func testEngineTrajectoryMatchesSwiftLoops() throws {
        guard wm_engine_kernels_cpu_level() > 0 else { throw XCTSkip("no vectorised kernels on this CPU") }
        for trials in [1, 37] {
            var s = NetworkSpec()
            s.n = 203; s.sp = 0.2; s.g = 0.9; s.nIn = 2; s.gIn = 1; s.spIn = 0.5
            s.rule = .leaky; s.leak = 0.6; s.bias = 0.05; s.noise = 0.01; s.seed = 11
            let ens = Ensemble(spec: s, count: 2, trials: trials)
            let input = try InputSource(spec: InputSpec(kind: .gaussian, seed: 5), nIn: 2)
            var runs: [[Float]] = []
            for level: Int32 in [0, 99] {
                wm_engine_kernels_cap(level)
                var o = EngineOptions()
                o.format = .ell
                let e = try CPUBackend().makeEngine(ensemble: ens, networks: nil, input: input, options: o)
                runs.append(try e.run(steps: 20, record: RecordRequest(every: 1)).data)
            }
            XCTAssertTrue(runs[1].allSatisfy(\.isFinite))
            XCTAssertGreaterThan(runs[1].map(abs).max()!, 1e-2, "the trajectory moves")
            let worst = zip(runs[0], runs[1]).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(Double(worst), ParityTolerance.contractingTrajectory, "B = \(trials)")
        }
    }

    /// The B > 1 sliced-ELL row ranges (`wm_ell_rows_*`, two rows at a time at AVX-512) with the
    /// x prefetches on, which the engine asks for only when x outgrows L2 (not at these sizes):
    /// the exact fma chain bit for bit, odd starts and ends, B with and without a 64-trial tail.
    func testELLRowRangesWithPrefetchEqualExactFMAChain() throws {
        guard wm_engine_kernels_cpu_level() > 0 else { throw XCTSkip("no vectorised kernels on this CPU") }
        for level in levels where level > 0 {
            wm_engine_kernels_cap(level)
            for (n, maxLength) in [(37, 29), (1003, 45)] {
                let m = randomTestCSR(n: n, maxLength: maxLength, seed: UInt64(n + 7))
                for e in [SlicedELL(m), SlicedELL(m, wideColumns: true)] {
                    for bt in [2, 64, 71, 130] {
                        var bits = TestBits(s: UInt64(n * 31 + bt))
                        let x = (0..<(n * bt)).map { _ in bits.float() }
                        let exact = exactSums(m, x: x, trials: bt)
                        for (lo, hi) in [(0, n), (3, n - 2)] {
                            var y = [Float](repeating: .nan, count: n * bt)
                            let ok = x.withUnsafeBufferPointer { xp in
                                y.withUnsafeMutableBufferPointer { yp in
                                    e.rowLength.withUnsafeBufferPointer { lp in
                                        e.values.withUnsafeBufferPointer { vp in
                                            e.sliceOffset.withUnsafeBufferPointer { op in
                                                e.narrowColumns
                                                    ? e.columns16.withUnsafeBufferPointer { cp in
                                                        CPUEngine.vectorELLRows(into: yp.baseAddress!, trials: bt, x: xp.baseAddress!, values: vp.baseAddress!, columns: cp.baseAddress!,
                                                                                lengths: lp.baseAddress!, offsets: op.baseAddress!, lo: lo, hi: hi, prefetch: true)
                                                    }
                                                    : e.columns32.withUnsafeBufferPointer { cp in
                                                        CPUEngine.vectorELLRows(into: yp.baseAddress!, trials: bt, x: xp.baseAddress!, values: vp.baseAddress!, columns: cp.baseAddress!,
                                                                                lengths: lp.baseAddress!, offsets: op.baseAddress!, lo: lo, hi: hi, prefetch: true)
                                                    }
                                            }
                                        }
                                    }
                                }
                            }
                            XCTAssertTrue(ok)
                            XCTAssertEqual(y[(lo * bt)..<(hi * bt)].map(\.bitPattern), exact[(lo * bt)..<(hi * bt)].map(\.bitPattern),
                                           "N = \(n) B = \(bt) rows \(lo)..<\(hi) level \(level) narrow \(e.narrowColumns)")
                            XCTAssertTrue(y[0..<(lo * bt)].allSatisfy(\.isNaN) && y[(hi * bt)...].allSatisfy(\.isNaN), "rows outside untouched")
                        }
                    }
                }
            }
        }
    }

    /// Bitmap panels (`BitmapPanels`, dense B = 1 at AVX-512): the exact fma chain over each row's
    /// entries in column order bit for bit, for N not a multiple of 16 or 64, ranges that start on a
    /// later panel and end inside one, empty rows and a full row; nothing written outside the range.
    func testBitmapPanelSumsEqualExactFMAChain() throws {
        guard wm_engine_kernels_cap(2) >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        for (n, maxLength) in [(5, 5), (37, 37), (133, 70), (1003, 400)] {
            let m = randomTestCSR(n: n, maxLength: maxLength, seed: UInt64(n + 3))
            let panels = BitmapPanels(m)
            var bits = TestBits(s: UInt64(n))
            let x = (0..<n).map { _ in bits.float() }
            let exact = exactSums(m, x: x, trials: 1)
            for (lo, hi) in [(0, n), (16 * (n / 32), n - n / 7)] where lo < hi {
                var y = [Float](repeating: .nan, count: n)
                let ok = x.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer { yp in
                        panels.masks.withUnsafeBufferPointer { mp in
                            panels.values.withUnsafeBufferPointer { vp in
                                panels.starts.withUnsafeBufferPointer { sp in
                                    wm_dense_masked_sums(yp.baseAddress!, xp.baseAddress!, mp.baseAddress!, vp.baseAddress!, sp.baseAddress!, n, lo, hi)
                                }
                            }
                        }
                    }
                }
                XCTAssertEqual(ok, 1)
                XCTAssertEqual(y[lo..<hi].map(\.bitPattern), exact[lo..<hi].map(\.bitPattern), "N = \(n) rows \(lo)..<\(hi)")
                XCTAssertTrue(y[0..<lo].allSatisfy(\.isNaN) && y[hi...].allSatisfy(\.isNaN), "N = \(n): rows outside untouched")
            }
            XCTAssertEqual(wm_engine_kernels_cap(1), 1)
            XCTAssertEqual(x.withUnsafeBufferPointer { xp -> Int32 in
                var y = [Float](repeating: 0, count: n)
                return wm_dense_masked_sums(&y, xp.baseAddress!, panels.masks, panels.values, panels.starts, n, 0, n)
            }, Int32(0), "below AVX-512 the caller runs sgemv")
            wm_engine_kernels_restore()
        }
    }

    /// A test's cap is undone to the level the environment asked for, not lifted to the CPU's
    /// best: WMSIM_CPU_KERNELS=0 stays the portable path after `wm_engine_kernels_restore`.
    func testRestoreKeepsTheEnvironmentsCap() throws {
        guard wm_engine_kernels_cpu_level() > 0 else { throw XCTSkip("no vectorised kernels on this CPU") }
        let previous = ProcessInfo.processInfo.environment["WMSIM_CPU_KERNELS"]
        defer {
            if let previous { setenv("WMSIM_CPU_KERNELS", previous, 1) } else { unsetenv("WMSIM_CPU_KERNELS") }
            wm_engine_kernels_restore()
        }
        setenv("WMSIM_CPU_KERNELS", "0", 1)
        XCTAssertEqual(wm_engine_kernels_cap(99), wm_engine_kernels_cpu_level(), "a cap above the CPU gives its best")
        XCTAssertEqual(wm_engine_kernels_restore(), 0)
        XCTAssertEqual(wm_engine_kernels_level(), 0)
        unsetenv("WMSIM_CPU_KERNELS")
        XCTAssertEqual(wm_engine_kernels_restore(), wm_engine_kernels_cpu_level())
    }

    /// The persistent pool runs every part exactly once per run, whatever the number of parts and
    /// across many runs; a run started from inside a part runs its parts on that thread.
    func testPoolRunsEveryPartOnce() {
        // Raw counters: parts are distinct indices, so no two threads touch one slot.
        struct Counts: @unchecked Sendable {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: 8)
            let nested = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        }
        let counts = Counts()
        counts.hits.initialize(repeating: 0, count: 8)
        counts.nested.initialize(to: 0)
        defer { counts.hits.deallocate(); counts.nested.deallocate() }
        for round in 0..<300 {
            let parts = [1, 2, 3, 5, 8][round % 5]
            CPUEngine.poolRun(parts: parts) { p in
                counts.hits[p] += 1
                if round == 7 && p == 1 {
                    CPUEngine.poolRun(parts: 2) { _ in counts.nested.pointee += 1 }
                }
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: counts.hits, count: 8)), [300, 240, 180, 120, 120, 60, 60, 60])
        XCTAssertEqual(counts.nested.pointee, 2)
    }
}
