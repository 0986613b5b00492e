import XCTest
import WMCore
import WMOpenCL
import WMTestSupport
@testable import WMExperiments

/// The seam between experiments and devices: what each backend answers, the decisions
/// `ComputePolicy` takes from those answers, and the capacity pipeline run with the moments
/// reduced on the device, on the host of the same device, and on the CPU backend.
///
/// Tolerances: the device and host reductions of the same trajectory both sum exact double
/// products of float values in different orders (1e-10 relative); the CPU backend's trajectory
/// differs from PoCL's by ≤ 1e-4 (ParityTests), so its moments agree to 1e-3.
final class ComputeSeamTests: XCTestCase {
    func momentsSpec(n: Int, seed: UInt64) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n; s.sp = 0.3; s.g = 0.9; s.seed = seed; s.nIn = 1; s.gIn = 1; s.spIn = 0.5; s.bias = 0.3
        return s
    }

    func smallRidgeSpec() -> CapacitySpec {
        var spec = CapacitySpec()
        spec.network = momentsSpec(n: 21, seed: 4)
        spec.networks = 3; spec.trials = 1
        spec.washout = 20; spec.train = 150; spec.validation = 40; spec.test = 60; spec.maxLag = 6
        spec.decoders = [.ridge]
        return spec
    }

    func testCPUBackendAnswersCapabilityQuestions() {
        let caps = CPUBackend().capabilities
        XCTAssertTrue(caps.usesHostMemory)
        XCTAssertTrue(caps.hasFP64)
        XCTAssertEqual(caps.computeUnits, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertEqual(caps.memoryBytes, MemoryEstimate.hostAvailable)
        XCTAssertEqual(caps.preferredNetworksPerEngine, 1, "one network per engine keeps its weights in cache")
        XCTAssertFalse(caps.reducesLagMomentsOnDevice, "the CPU backend has no device to reduce on")
        XCTAssertFalse(caps.denseOpsOnDevice)
        XCTAssertTrue(caps.fits(bytes: 1 << 20))
        XCTAssertFalse(caps.fits(bytes: caps.memoryBytes + 1))
        XCTAssertFalse(caps.fits(bytes: caps.memoryBytes / 2 + 1, share: 0.5))
    }

    func testOpenCLBackendAnswersFromItsDevice() throws {
        let cl = try TestBackends.requireOpenCL()
        let caps = cl.capabilities, d = cl.device.info
        XCTAssertEqual(caps.usesHostMemory, d.deviceType == "CPU")
        XCTAssertEqual(caps.hasFP64, d.hasFP64)
        XCTAssertEqual(caps.computeUnits, d.computeUnits)
        XCTAssertEqual(caps.memoryBytes, Int(d.globalMemBytes))
        XCTAssertLessThanOrEqual(caps.maxAllocationBytes, caps.memoryBytes)
        XCTAssertGreaterThan(caps.maxAllocationBytes, 0)
        XCTAssertEqual(caps.maxWorkGroupSize, d.maxWorkGroupSize)
        XCTAssertEqual(caps.reducesLagMomentsOnDevice, d.hasFP64 && d.maxWorkGroupSize >= 256)
        XCTAssertTrue(caps.denseOpsOnDevice)
        if caps.usesHostMemory {
            XCTAssertEqual(caps.preferredNetworksPerEngine, d.computeUnits)
        } else {
            XCTAssertNil(caps.preferredNetworksPerEngine)
        }
        // The engine agrees with the backend about the lag-moment reduction.
        let ens = Ensemble(networks: [momentsSpec(n: 9, seed: 1)], trials: 1)
        let engine = try cl.makeEngine(ensemble: ens, networks: nil, input: try InputSource(spec: InputSpec(), nIn: 1), options: EngineOptions())
        XCTAssertEqual(engine.lagMomentsUnavailableReason == nil, caps.reducesLagMomentsOnDevice, engine.lagMomentsUnavailableReason ?? "")
        XCTAssertNotNil(try CPUBackend().makeEngine(ensemble: ens, networks: nil, input: try InputSource(spec: InputSpec(), nIn: 1),
                                                    options: EngineOptions()).lagMomentsUnavailableReason)
    }

    func testPolicyDecidesFromCapabilitiesOnly() throws {
        let cpu = ComputePolicy(CPUBackend(), environment: [:])
        XCTAssertEqual(cpu.networksPerEngine(7), 1)
        guard case let .host(workers) = try cpu.mlpTrainers(networks: 5) else { return XCTFail("the CPU backend trains on the host") }
        XCTAssertEqual(workers, min(ProcessInfo.processInfo.activeProcessorCount, 5) >= 2 ? min(ProcessInfo.processInfo.activeProcessorCount, 5) : 1)
        guard case .host(1) = try cpu.mlpTrainers(networks: 1) else { return XCTFail("one network trains alone") }
        guard case .host = try ComputePolicy(CPUBackend(), environment: ["WMSIM_MLP_OPS": "opencl"]).mlpTrainers(networks: 3) else {
            return XCTFail("the CPU backend has no device dense ops to force")
        }

        let cl = try TestBackends.requireOpenCL()
        let policy = ComputePolicy(cl, environment: [:])
        XCTAssertEqual(policy.networksPerEngine(7), cl.capabilities.preferredNetworksPerEngine ?? 7)
        if case .device = try ComputePolicy(cl, environment: ["WMSIM_MLP_OPS": "opencl"]).mlpTrainers(networks: 3) {} else {
            XCTFail("WMSIM_MLP_OPS=opencl trains on the device's dense ops")
        }
        if case .host = try ComputePolicy(cl, environment: ["WMSIM_MLP_OPS": "cpu"]).mlpTrainers(networks: 3) {} else {
            XCTFail("WMSIM_MLP_OPS=cpu trains on the host")
        }
        // auto: on the device only where the states are not in host memory anyway.
        let ens = Ensemble(networks: [momentsSpec(n: 9, seed: 1)], trials: 1)
        let engine = try cl.makeEngine(ensemble: ens, networks: nil, input: try InputSource(spec: InputSpec(), nIn: 1), options: EngineOptions())
        XCTAssertEqual(try policy.momentsOnDevice(.auto, engine: engine, lags: 3, streamValues: 100), !cl.capabilities.usesHostMemory)
        XCTAssertFalse(try policy.momentsOnDevice(.host, engine: engine, lags: 3, streamValues: 100))
        XCTAssertTrue(try policy.momentsOnDevice(.device, engine: engine, lags: 3, streamValues: 100))
    }

    /// `--backend cpu --moments device` used to be ignored silently: it is refused before anything runs.
    func testDeviceMomentsOnTheCPUBackendAreRefused() throws {
        let spec = smallRidgeSpec()
        let input = try InputSource(spec: spec.input, nIn: 1)
        XCTAssertThrowsError(try CapacityMeasurement.run(spec, backend: CPUBackend(), input: input, moments: .device)) { e in
            XCTAssertTrue("\(e)".contains("--moments"), "\(e)")
            XCTAssertTrue("\(e)".contains("cpu backend"), "\(e)")
        }
        XCTAssertNoThrow(try CapacityMeasurement.run(spec, backend: CPUBackend(), input: input, moments: .host))
    }

    /// The capacity pipeline: ridge on the device moments (PoCL) against the CPU backend's host
    /// moments, and against PoCL with host moments (same trajectory: identical up to rounding).
    func testCapacityMomentsOnDeviceMatchHostAndCPU() throws {
        let cl = try TestBackends.requireOpenCL()
        var spec = CapacitySpec()
        spec.network = momentsSpec(n: 45, seed: 11)
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
                assertMomentsClose(dev[mm].moments[s], hostCL[mm].moments[s], tol: ParityTolerance.lagMomentsRelative, "PoCL device vs host, network \(mm) segment \(s)")
                assertMomentsClose(dev[mm].moments[s], cpu[mm].moments[s], tol: ParityTolerance.lagMomentsAcrossBackendsRelative, "PoCL device vs CPU backend, network \(mm) segment \(s)")
            }
        }
        let a = try CapacityMeasurement.run(spec, backend: cl, input: input, moments: .device)
        XCTAssertEqual(a.moments, "device")
        let b = try CapacityMeasurement.run(spec, backend: CPUBackend(), input: input)
        let ra = try XCTUnwrap(a[.ridge]), rb = try XCTUnwrap(b[.ridge])
        XCTAssertEqual(ra.memoryCapacity, rb.memoryCapacity, accuracy: 2e-3)
        XCTAssertGreaterThan(ra.memoryCapacity, 0.5, "a contracting network remembers its last inputs")
    }

}
