import XCTest
import WMCore
import WMExperiments
@testable import WMOpenCL

/// Lag-target moments accumulated on the device (`OpenCLEngine.advance(steps:lagMoments:…)`)
/// against the host reference (`SegmentMoments.add` on downloaded states).
///
/// Tolerances: on the same trajectory both sides sum exact double products of float values, in
/// different orders: 1e-10 relative to the largest entry. Against the CPU backend the
/// trajectories themselves differ by ≤ 1e-4 (ParityTests), so the moments agree to 1e-3.
final class DeviceMomentsTests: XCTestCase {
    func opencl() throws -> OpenCLBackend {
        guard let b = ParityTests.backend else {
            XCTFail("no OpenCL device; install pocl-opencl-icd")
            throw XCTSkip("no OpenCL")
        }
        return b
    }

    func spec(n: Int, seed: UInt64) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n; s.sp = 0.3; s.g = 0.9; s.seed = seed; s.nIn = 2; s.gIn = 1; s.spIn = 0.5; s.bias = 0.3
        return s
    }

    /// Largest |a − b| relative to the largest |b|.
    func relDiff(_ a: [Double], _ b: [Double]) -> Double {
        XCTAssertEqual(a.count, b.count)
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    func assertClose(_ a: SegmentMoments, _ b: SegmentMoments, tol: Double, _ what: String) {
        XCTAssertEqual(a.count, b.count, what)
        XCTAssertLessThan(relDiff(a.meanS, b.meanS), tol, "\(what) mean s")
        XCTAssertLessThan(relDiff(a.meanY, b.meanY), tol, "\(what) mean y")
        XCTAssertLessThan(relDiff(a.centeredGram, b.centeredGram), tol, "\(what) G̃")
        XCTAssertLessThan(relDiff(a.centeredCross, b.centeredCross), tol, "\(what) C̃")
        XCTAssertLessThan(relDiff(a.centeredTargetSumSquares, b.centeredTargetSumSquares), tol, "\(what) Σ(y − ȳ)²")
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
                XCTAssertTrue(device.supportsDeviceMoments, "PoCL has cl_khr_fp64")
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
                        assertClose(got[s][mm], ref, tol: 1e-10, "N = \(n) K = \(k) fused=\(fused) segment \(s) network \(mm)")
                    }
                }
            }
        }
    }

    /// The capacity pipeline: ridge on the device moments (PoCL) against the CPU backend's host
    /// moments, and against PoCL with host moments (same trajectory: identical up to rounding).
    func testCapacityMomentsOnDeviceMatchHostAndCPU() throws {
        let cl = try opencl()
        var spec = CapacitySpec()
        spec.network = self.spec(n: 45, seed: 11)
        spec.network.nIn = 1
        spec.networks = 2; spec.trials = 2
        spec.washout = 30; spec.train = 200; spec.validation = 50; spec.test = 70; spec.maxLag = 12
        spec.decoders = [.ridge]
        let input = try InputSource(spec: spec.input, nIn: 1)
        let devRun = try CapacityRun.collect(spec, backend: cl, input: input, storeLags: nil, moments: .device)
        XCTAssertTrue(devRun.info.momentsOnDevice, "the device path ran")
        let dev = devRun.collected
        let hostCL = try CapacityRun.collect(spec, backend: cl, input: input, storeLags: nil, moments: .host).collected
        let cpu = try CapacityRun.collect(spec, backend: CPUBackend(), input: input, storeLags: nil).collected
        for mm in 0..<2 {
            for s in 0..<3 {
                assertClose(dev[mm].moments[s], hostCL[mm].moments[s], tol: 1e-10, "PoCL device vs host, network \(mm) segment \(s)")
                assertClose(dev[mm].moments[s], cpu[mm].moments[s], tol: 1e-3, "PoCL device vs CPU backend, network \(mm) segment \(s)")
            }
        }
        let a = try CapacityMeasurement.run(spec, backend: cl, input: input, moments: .device)
        XCTAssertEqual(a.moments, "device")
        let b = try CapacityMeasurement.run(spec, backend: CPUBackend(), input: input)
        let ra = try XCTUnwrap(a.ridge), rb = try XCTUnwrap(b.ridge)
        XCTAssertEqual(ra.memoryCapacity, rb.memoryCapacity, accuracy: 2e-3)
        XCTAssertGreaterThan(ra.memoryCapacity, 0.5, "a contracting network remembers its last inputs")
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
