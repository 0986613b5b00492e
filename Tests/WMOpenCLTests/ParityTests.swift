import XCTest
import WMTestSupport
import WMCore
@testable import WMOpenCL

/// CPU (reference) versus OpenCL parity on random configurations, against `ParityTolerance`
/// (the table `wmsim crosscheck` uses too). Stricter here where the test allows: weight values
/// within 4 ulp of each other; uniform/onehot input exact, Gaussian input 1e-6 relative.
final class ParityTests: XCTestCase {
    func opencl() throws -> OpenCLBackend { try TestBackends.requireOpenCL() }

    func spec(n: Int, sp: Double, g: Double = 0.9, seed: UInt64, rule: UpdateRule = .leaky, nIn: Int = 3, noise: Double = 0) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n; s.sp = sp; s.g = g; s.seed = seed; s.rule = rule; s.nIn = nIn
        s.gIn = 1; s.spIn = 0.5; s.leak = 0.7; s.noise = noise; s.bias = 0.05
        return s
    }


    /// A NaN is reported once; after the state is repaired the engine runs on (both backends).
    func testNonFiniteFlagIsResetBetweenCalls() throws {
        let cl = try opencl()
        for fused in [false, true] {
            let ens = Ensemble(networks: [spec(n: 7, sp: 0.5, seed: 1), spec(n: 7, sp: 0.5, seed: 2)], trials: 2)
            var opt = EngineOptions(); opt.fusedSteps = fused
            let input = try InputSource(spec: InputSpec(), nIn: 3)
            for backend in [CPUBackend(), cl] as [any Backend] {
                let e = try backend.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                var x = try e.state()
                x[0] = .nan
                try e.setState(x)
                XCTAssertThrowsError(try e.advance(steps: 1)) { err in
                    guard case WMError.nonFinite(_, let network, _) = err else { return XCTFail("\(err)") }
                    XCTAssertEqual(network, 0)
                }
                try e.setState([Float](repeating: 0.01, count: ens.stateCount))
                XCTAssertNoThrow(try e.advance(steps: 3), "\(backend.info.kind) fused=\(fused)")
            }
        }
    }

    func testDeviceGenerationMatchesHost() throws {
        let cl = try opencl()
        for (n, sp, fmt) in [(1, 1.0, WeightFormat.csr), (7, 0.5, .ell), (61, 0.2, .csr), (1000, 0.05, .ell), (4099, 0.01, .csr), (130, 0.3, .dense)] {
            let ens = Ensemble(networks: [spec(n: n, sp: sp, seed: 11), spec(n: n, sp: sp, seed: 12)], trials: 1)
            var opt = EngineOptions(); opt.format = fmt
            let input = try InputSource(spec: InputSpec(), nIn: 3)
            let dev = try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: opt).networks()
            for (k, s) in ens.networks.enumerated() {
                let host = try NetworkGenerator.generate(s)
                if fmt != .dense {
                    XCTAssertEqual(dev[k].recurrent.rowPtr, host.recurrent.rowPtr, "N=\(n) \(fmt) structure")
                    XCTAssertEqual(dev[k].recurrent.colIndex, host.recurrent.colIndex, "N=\(n) \(fmt) columns")
                    for (a, b) in zip(dev[k].recurrent.values, host.recurrent.values) {
                        XCTAssertEqual(a, b, accuracy: 4 * abs(b).ulp + 1e-30, "N=\(n) values")
                    }
                } else {
                    XCTAssertLessThan(Double(maxAbsDifference(dev[k].recurrent.dense(), host.recurrent.dense())), ParityTolerance.weightsRelative)
                }
                XCTAssertLessThan(Double(maxAbsDifference(dev[k].input, host.input)), ParityTolerance.weightsRelative)
            }
        }
    }

    func testTrajectoriesAgreeAcrossFormatsAndRules() throws {
        let cl = try opencl()
        let cpu = CPUBackend()
        for (n, sp, trials, rule) in [(1, 1.0, 3, UpdateRule.leaky), (7, 0.6, 2, .template), (61, 0.3, 5, .leaky), (1000, 0.05, 1, .template), (257, 0.1, 3, .leaky)] {
            for fmt in [WeightFormat.csr, .ell, .dense] {
                for fused in [false, true] {
                    let ens = Ensemble(networks: [spec(n: n, sp: sp, seed: 5, rule: rule, noise: 0.01), spec(n: n, sp: sp, g: 0.5, seed: 6, rule: rule)], trials: trials)
                    var opt = EngineOptions(); opt.format = fmt; opt.fusedSteps = fused; opt.chunkSteps = 7
                    var ispec = InputSpec(); ispec.kind = .gaussian
                    let input = try InputSource(spec: ispec, nIn: 3)
                    let a = try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                    let b = try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                    XCTAssertLessThan(Double(maxAbsDifference(try a.state(), try b.state())), ParityTolerance.initialState, "initial state")
                    let rec = RecordRequest(every: 3, neurons: n > 3 ? [0, n / 2, n - 1] : nil)
                    let ra = try a.run(steps: 20, record: rec)
                    let rb = try b.run(steps: 20, record: rec)
                    XCTAssertEqual(ra.rows, 6); XCTAssertEqual(rb.rows, 6)
                    XCTAssertEqual(ra.firstTime, 3); XCTAssertEqual(rb.firstTime, 3)
                    let tag = "N=\(n) \(fmt) fused=\(fused) \(rule)"
                    XCTAssertLessThan(Double(maxAbsDifference(ra.data, rb.data)), ParityTolerance.contractingTrajectory, tag)
                    XCTAssertLessThan(Double(maxAbsDifference(try a.state(), try b.state())), ParityTolerance.contractingTrajectory, tag)
                }
            }
        }
    }

    /// On the device, procedural weights regenerate exactly the device-generated stored rows
    /// (same skips, same `wm_weight`, same fma order): the downloaded networks are equal and the
    /// trajectories bit-identical to CSR and ELL, per step and fused, at sizes that are not
    /// multiples of the work-group size.
    func testProceduralMatchesStoredOnDevice() throws {
        let cl = try opencl()
        for (n, sp, trials, rule) in [(1, 1.0, 3, UpdateRule.leaky), (7, 0.6, 2, .template), (61, 0.3, 5, .leaky), (257, 0.1, 3, .template), (1000, 0.05, 1, .leaky)] {
            for fused in [false, true] {
                let ens = Ensemble(networks: [spec(n: n, sp: sp, seed: 21, rule: rule, noise: 0.01), spec(n: n, sp: sp, g: 0.5, seed: 22, rule: rule)], trials: trials)
                var ispec = InputSpec(); ispec.kind = .gaussian
                let input = try InputSource(spec: ispec, nIn: 3)
                func make(_ fmt: WeightFormat) throws -> any SimulationEngine {
                    var opt = EngineOptions(); opt.format = fmt; opt.fusedSteps = fused; opt.chunkSteps = 7
                    return try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                }
                let tag = "N=\(n) B=\(trials) fused=\(fused) \(rule)"
                let proc = try make(.procedural), csr = try make(.csr), ell = try make(.ell)
                XCTAssertEqual(proc.format, .procedural, tag)
                XCTAssertEqual(try proc.networks(), try csr.networks(), tag)
                XCTAssertEqual(try proc.synapseCount(), try csr.synapseCount(), tag)
                let rec = RecordRequest(every: 1)
                let rp = try proc.run(steps: 20, record: rec).data
                let rc = try csr.run(steps: 20, record: rec).data
                let re = try ell.run(steps: 20, record: rec).data
                XCTAssertTrue(rp.allSatisfy(\.isFinite), tag)
                XCTAssertGreaterThan(rp.map(abs).max()!, 1e-2, "the trajectory moves: \(tag)")
                XCTAssertEqual(rp.map(\.bitPattern), rc.map(\.bitPattern), "procedural vs csr on the device, \(tag)")
                XCTAssertEqual(rp.map(\.bitPattern), re.map(\.bitPattern), "procedural vs ell on the device, \(tag)")
            }
        }
    }

    /// Procedural weights across backends: CPU procedural against OpenCL procedural (structure
    /// exact, values within a few ulp, trajectories within the parity tolerance), per step and
    /// fused, with device and host generation of the input weights, and against the CPU's stored
    /// ELL (bit for bit, the CPU's own test) to close the square.
    func testProceduralAgreesAcrossBackends() throws {
        let cl = try opencl()
        let cpu = CPUBackend()
        for (n, sp, trials, rule) in [(1, 1.0, 3, UpdateRule.leaky), (7, 0.6, 2, .template), (61, 0.3, 5, .leaky), (1000, 0.05, 1, .template), (4099, 0.01, 2, .leaky)] {
            for (fused, onDevice) in [(false, true), (true, true), (false, false)] {
                let ens = Ensemble(networks: [spec(n: n, sp: sp, seed: 31, rule: rule, noise: 0.01), spec(n: n, sp: sp, g: 0.5, seed: 32, rule: rule)], trials: trials)
                var opt = EngineOptions(); opt.format = .procedural; opt.fusedSteps = fused; opt.chunkSteps = 7; opt.generateOnDevice = onDevice
                let input = try InputSource(spec: InputSpec(), nIn: 3)
                let tag = "N=\(n) B=\(trials) fused=\(fused) onDevice=\(onDevice) \(rule)"
                let a = try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                let b = try cl.makeEngine(ensemble: ens, networks: nil, input: input, options: opt)
                let na = try a.networks(), nb = try b.networks()
                for k in 0..<ens.count {
                    XCTAssertEqual(nb[k].recurrent.rowPtr, na[k].recurrent.rowPtr, "structure, \(tag)")
                    XCTAssertEqual(nb[k].recurrent.colIndex, na[k].recurrent.colIndex, "columns, \(tag)")
                    for (x, y) in zip(nb[k].recurrent.values, na[k].recurrent.values) {
                        XCTAssertEqual(x, y, accuracy: 4 * abs(y).ulp + 1e-30, "values, \(tag)")
                    }
                    XCTAssertLessThan(Double(maxAbsDifference(nb[k].input, na[k].input)), ParityTolerance.weightsRelative, tag)
                }
                XCTAssertEqual(try a.synapseCount(), try b.synapseCount(), tag)
                XCTAssertLessThan(Double(maxAbsDifference(try a.state(), try b.state())), ParityTolerance.initialState, "initial state, \(tag)")
                let rec = RecordRequest(every: 3, neurons: n > 3 ? [0, n / 2, n - 1] : nil)
                let ra = try a.run(steps: 20, record: rec), rb = try b.run(steps: 20, record: rec)
                XCTAssertEqual(ra.rows, 6); XCTAssertEqual(rb.rows, 6)
                XCTAssertGreaterThan(ra.data.map(abs).max()!, 1e-3, "the trajectory moves: \(tag)")
                XCTAssertLessThan(Double(maxAbsDifference(ra.data, rb.data)), ParityTolerance.contractingTrajectory, tag)
                XCTAssertLessThan(Double(maxAbsDifference(try a.state(), try b.state())), ParityTolerance.contractingTrajectory, tag)
                // And OpenCL procedural against the CPU's stored weights.
                var stored = opt; stored.format = .ell
                let c = try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: stored)
                let rc = try c.run(steps: 20, record: rec)
                XCTAssertLessThan(Double(maxAbsDifference(rc.data, rb.data)), ParityTolerance.contractingTrajectory, "CPU ell vs OpenCL procedural, \(tag)")
            }
        }
    }
}
