import XCTest
import WMTestSupport
import WMCore
@testable import WMOpenCL

/// The device's SELL-C-σ layout and 16-bit weight storage under the parity contract, at sizes
/// that are not multiples of the slice (32) or work-group (64) size.
final class StoredWeightsParityTests: XCTestCase {
    func spec(n: Int, sp: Double, g: Double = 0.9, seed: UInt64, rule: UpdateRule = .leaky) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n; s.sp = sp; s.g = g; s.seed = seed; s.rule = rule; s.nIn = 2
        s.gIn = 1; s.spIn = 0.5; s.leak = 0.7; s.noise = 0.01; s.bias = 0.05
        return s
    }

    /// SELL-C-σ moves bytes, never results: on the device, `ell` at any σ is bit-identical to
    /// `csr` (each row's sum is the same fma chain), per step and fused, with weights generated
    /// on the device and uploaded from the host, and downloads the same networks.
    func testSELLIsBitIdenticalToCSROnTheDevice() throws {
        let cl = try TestBackends.requireOpenCL()
        let input = try InputSource(spec: { var i = InputSpec(); i.kind = .gaussian; return i }(), nIn: 2)
        for (n, sp, trials) in [(1, 1.0, 3), (7, 0.6, 2), (61, 0.3, 1), (257, 0.1, 3), (1000, 0.02, 1)] {
            let ens = Ensemble(networks: [spec(n: n, sp: sp, seed: 31), spec(n: n, sp: sp, g: 0.5, seed: 32, rule: .template)], trials: trials)
            let host = try ens.networks.map { try NetworkGenerator.generate($0) }
            for fused in [false, true] {
                for given in [false, true] {
                    func run(_ fmt: WeightFormat, sigma: Int) throws -> (data: [Float], nets: [Network]) {
                        var o = EngineOptions(); o.format = fmt; o.fusedSteps = fused; o.chunkSteps = 5; o.sellSigma = sigma
                        let e = try cl.makeEngine(ensemble: ens, networks: given ? host : nil, input: input, options: o)
                        return (try e.run(steps: 12, record: RecordRequest(every: 1)).data, try e.networks())
                    }
                    let tag = "N=\(n) B=\(trials) fused=\(fused) given=\(given)"
                    let csr = try run(.csr, sigma: 1)
                    XCTAssertGreaterThan(csr.data.map(abs).max()!, 1e-2, "the trajectory moves: \(tag)")
                    for sigma in [1, 7, 1024] {
                        let ell = try run(.ell, sigma: sigma)
                        XCTAssertEqual(ell.data.map(\.bitPattern), csr.data.map(\.bitPattern), "ell σ=\(sigma) vs csr, \(tag)")
                        XCTAssertEqual(ell.nets.map(\.recurrent), csr.nets.map(\.recurrent), "downloaded networks, σ=\(sigma) \(tag)")
                    }
                }
            }
        }
    }

    /// 16-bit weights on both backends: the device stores 16 bits, the CPU the rounded floats,
    /// and both hold exactly the host's rounded network (the OpenCL engine generates 16-bit
    /// weights on the host); trajectories agree within the fp32 parity tolerance, per format,
    /// per step and fused; and they differ from the fp32 run (the rounding is real).
    func testSixteenBitWeightsAgreeAcrossBackends() throws {
        let cl = try TestBackends.requireOpenCL()
        let cpu = CPUBackend()
        let input = try InputSource(spec: { var i = InputSpec(); i.kind = .gaussian; return i }(), nIn: 2)
        for (n, sp, trials) in [(7, 0.6, 2), (61, 0.3, 1), (257, 0.1, 3)] {
            let ens = Ensemble(networks: [spec(n: n, sp: sp, seed: 41), spec(n: n, sp: sp, g: 0.5, seed: 42, rule: .template)], trials: trials)
            let host = try ens.networks.map { try NetworkGenerator.generate($0) }
            for precision in [WeightPrecision.fp16, .bf16] {
                for fmt in [WeightFormat.csr, .ell, .dense] {
                    for fused in [false, true] {
                        var o = EngineOptions(); o.format = fmt; o.fusedSteps = fused; o.chunkSteps = 5; o.weightPrecision = precision
                        let tag = "N=\(n) \(precision) \(fmt) fused=\(fused)"
                        let a = try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: o)
                        let b = try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: o)
                        let c = try cl.makeEngine(ensemble: ens, networks: host, input: input, options: o)
                        let rounded = try host.map { try precision.rounded($0.recurrent) }
                        XCTAssertEqual(try a.networks().map(\.recurrent), rounded, "CPU holds the rounded values, \(tag)")
                        XCTAssertEqual(try c.networks().map { $0.recurrent.dense() }, rounded.map { $0.dense() }, "uploaded, \(tag)")
                        XCTAssertEqual(try b.networks().map { $0.recurrent.dense() }, rounded.map { $0.dense() }, "generated, \(tag)")
                        let rec = RecordRequest(every: 1)
                        let ra = try a.run(steps: 12, record: rec).data, rb = try b.run(steps: 12, record: rec).data
                        XCTAssertLessThan(Double(maxAbsDifference(ra, rb)), ParityTolerance.contractingTrajectory, tag)
                        var o32 = o; o32.weightPrecision = .fp32
                        let r32 = try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: o32).run(steps: 12, record: rec).data
                        XCTAssertGreaterThan(Double(maxAbsDifference(ra, r32)), 0, "rounding changes the run, \(tag)")
                    }
                }
            }
        }
    }

    /// The device's memory estimate counts 2 bytes per 16-bit weight, so a network that only
    /// fits in 16 bits is accepted, and `auto` never falls back to procedural weights with them.
    func testSixteenBitEstimateHalvesTheValues() throws {
        let s = spec(n: 1000, sp: 0.1, seed: 1)
        let f32 = MemoryEstimate.weightBytes(s, format: .csr, indexBytes: 2, valueBytes: 4)
        let f16 = MemoryEstimate.weightBytes(s, format: .csr, indexBytes: 2, valueBytes: 2)
        XCTAssertEqual((f32 - f16) / (f32 - 1001 * 4), 2.0 / 6.0, accuracy: 1e-9)
        var caps = CPUBackend().capabilities
        caps.memoryBytes = 1 << 20
        caps.usesHostMemory = false
        caps.maxAllocationBytes = 1 << 20
        let ens = Ensemble(networks: [spec(n: 2000, sp: 0.3, seed: 1)], trials: 1)
        XCTAssertEqual(try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: caps).format, .procedural)
        XCTAssertNotEqual(try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: caps, precision: .bf16).format, .procedural)
    }
}
