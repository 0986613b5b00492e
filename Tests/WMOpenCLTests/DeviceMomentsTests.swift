import XCTest
import WMTestSupport
import WMCore
@testable import WMOpenCL

/// Lag-target moments accumulated on the device (`OpenCLEngine.advance(steps:lagMoments:…)`)
/// against the host reference (`SegmentMoments.add` on downloaded states).
///
/// Tolerances: on the same trajectory both sides sum exact double products of float values, in
/// different orders: 1e-10 relative to the largest entry. Against the CPU backend the
/// trajectories themselves differ by ≤ 1e-4 (ParityTests), so the moments agree to 1e-3.
final class DeviceMomentsTests: XCTestCase {
    func opencl() throws -> OpenCLBackend { try TestBackends.requireOpenCL() }

    func spec(n: Int, seed: UInt64) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n; s.sp = 0.3; s.g = 0.9; s.seed = seed; s.nIn = 2; s.gIn = 1; s.spIn = 0.5; s.bias = 0.3
        return s
    }


    func assertClose(_ a: SegmentMoments, _ b: SegmentMoments, tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        assertMomentsClose(a, b, tol: tol, what, file: file, line: line)
    }

    /// Same ensemble, same trajectory: device sums against the host's accumulation of the recorded
    /// states. N = 37, K = 5 (one tile) and N = 130, K = 70 (3 × 4 tiles of 64: W = 201 columns,
    /// more column tiles than row tiles) are not multiples of the tile; chunks of 7 steps split the
    /// segments, and a one-step segment shares a chunk with its neighbours; fused and per-step
    /// engines; three trials pooled.
    func testDeviceMomentsEqualHostAccumulationOfTheSameStates() throws {
        let cl = try opencl()
        let bt = 3
        let cases: [(n: Int, k: Int, total: Int, segments: [ClosedRange<Int>])] = [
            (37, 5, 60, [9...30, 31...44, 45...60]),
            (130, 70, 120, [71...90, 91...91, 92...120]),
        ]
        for c in cases {
            let n = c.n, k = c.k, total = c.total, segments = c.segments
            let ens = Ensemble(networks: [spec(n: n, seed: 3), spec(n: n, seed: 4)], trials: bt)
            let input = try InputSource(spec: InputSpec(), nIn: 2)
            var all: [Float] = []
            try input.fill(t0: 0, count: total, trials: bt, into: &all)
            let u = (0..<(total * bt)).map { all[$0 * 2] }
            let d: Float = 0.05
            for fused in [false, true] {
                var opt = EngineOptions(); opt.chunkSteps = 7; opt.fusedSteps = fused
                let device = try XCTUnwrap(try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: opt) as? OpenCLEngine)
                XCTAssertNil(device.lagMomentsUnavailableReason, "PoCL has cl_khr_fp64")
                var got = [[SegmentMoments]](repeating: [], count: segments.count)
                var order: [Int] = []
                try device.advance(steps: total, lagMoments: LagMomentsPlan(segments: segments, lags: k, stream: u, targetShift: d), segmentDone: { s, raws in
                    order.append(s)
                    got[s] = raws.map { SegmentMoments(raw: $0, n: n, k: k, times: segments[s], stream: u, trials: bt, targetShift: d) }
                }, progress: nil)
                XCTAssertEqual(order, Array(segments.indices))

                let host = try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                let rec = try host.run(steps: total, record: RecordRequest())
                XCTAssertEqual(rec.firstTime, 1)
                for (s, seg) in segments.enumerated() {
                    for mm in 0..<2 {
                        var ref = SegmentMoments(n: n, k: k)
                        for b in 0..<bt {
                            let rows = seg.count
                            let states = (0..<rows).flatMap { r -> [Float] in
                                let base = ((seg.lowerBound - 1 + r) * 2 + mm) * bt * n + b * n
                                return Array(rec.data[base..<(base + n)])
                            }
                            let targets = seg.flatMap { t in (1...k).map { u[(t - $0) * bt + b] } }
                            ref.add(states: states, targets: targets, rows: rows)
                        }
                        assertClose(got[s][mm], ref, tol: ParityTolerance.lagMomentsRelative, "N = \(n) K = \(k) fused=\(fused) segment \(s) network \(mm)")
                    }
                }
            }
        }
    }

    func testInvalidPlansAreRefused() throws {
        let cl = try opencl()
        let ens = Ensemble(networks: [spec(n: 9, seed: 1)], trials: 1)
        let input = try InputSource(spec: InputSpec(), nIn: 2)
        let e = try XCTUnwrap(try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: EngineOptions()) as? OpenCLEngine)
        let u = [Float](repeating: 0, count: 40)
        for segments in [[10...20, 15...30], [2...20], [10...50]] {
            XCTAssertThrowsError(try e.advance(steps: 40, lagMoments: LagMomentsPlan(segments: segments, lags: 5, stream: u, targetShift: 0),
                                               segmentDone: { _, _ in XCTFail("ran an invalid plan") }, progress: nil), "\(segments)")
        }
        XCTAssertEqual(e.time, 0, "nothing ran")
        // Segments must start after the engine's current time (no shift or zeroing otherwise).
        try e.advance(steps: 12)
        XCTAssertThrowsError(try e.advance(steps: 20, lagMoments: LagMomentsPlan(segments: [12...20], lags: 5, stream: u, targetShift: 0),
                                           segmentDone: { _, _ in XCTFail("ran a segment that began in the past") }, progress: nil))
        XCTAssertEqual(e.time, 12)
    }
}
