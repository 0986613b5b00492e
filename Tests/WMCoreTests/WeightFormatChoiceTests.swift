import XCTest
@testable import WMCore

/// `--format auto` falls back to procedural weights when stored ones would not fit; formats that
/// cannot hold a network are refused with the estimate.
final class WeightFormatChoiceTests: XCTestCase {
    func caps(memory: Int, maxAllocation: Int? = nil, fp64: Bool = true, host: Bool = true) -> BackendCapabilities {
        BackendCapabilities(usesHostMemory: host, hasFP64: fp64, computeUnits: 2, memoryBytes: memory, maxAllocationBytes: maxAllocation ?? memory,
                            maxWorkGroupSize: host ? 1 : 256, preferredNetworksPerEngine: 1, reducesLagMomentsOnDevice: false, denseOpsOnDevice: !host)
    }

    func ensemble(n: Int, sp: Double, count: Int = 1) -> Ensemble {
        var s = NetworkSpec()
        s.n = n; s.sp = sp; s.nIn = 1
        return Ensemble(spec: s, count: count)
    }

    func testAutoKeepsStoredWeightsThatFit() throws {
        let ens = ensemble(n: 1000, sp: 0.01)
        let c = try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: caps(memory: 1 << 30), hostAvailable: 1 << 30)
        XCTAssertEqual(c.format, .ell)
        XCTAssertNil(c.note)
        XCTAssertEqual(try WeightFormatChoice.resolve(.auto, ensemble: ensemble(n: 100, sp: 0.5), networksGiven: false,
                                                      capabilities: caps(memory: 1 << 30), hostAvailable: 1 << 30).format, .dense)
    }

    /// Stored weights that do not fit (in memory, or in one device allocation): procedural, with a
    /// note that names the stored format and the estimate.
    func testAutoFallsBackToProceduralWithTheEstimate() throws {
        let ens = ensemble(n: 100_000, sp: 0.01)  // 10⁸ synapses: ~1 GiB stored
        let need = WeightFormatChoice.storedBytes(ens, format: .ell, capabilities: caps(memory: 1 << 28)).total
        XCTAssertGreaterThan(need, Double(1 << 28))
        let c = try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: caps(memory: 1 << 28), hostAvailable: 1 << 40)
        XCTAssertEqual(c.format, .procedural)
        let note = try XCTUnwrap(c.note)
        XCTAssertTrue(note.contains("ell weights"), note)
        XCTAssertTrue(note.contains(formatBytes(RunMemoryEstimate.Part.bytes(need))), note)
        XCTAssertTrue(note.contains("256.0 MiB available"), note)
        XCTAssertTrue(note.contains("procedural"), note)
        // The host's limit counts too (a CPU backend whose cgroup is small).
        XCTAssertEqual(try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: caps(memory: 1 << 40), hostAvailable: 1 << 28).format, .procedural)
        // A device with memory to spare but a small largest allocation.
        let dev = caps(memory: 1 << 36, maxAllocation: 1 << 28, host: false)
        let d = try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: dev, hostAvailable: 1 << 40)
        XCTAssertEqual(d.format, .procedural)
        XCTAssertTrue(d.note?.contains("largest is 256.0 MiB") == true, d.note ?? "")
        // Procedural weights count as nothing.
        XCTAssertEqual(WeightFormatChoice.storedBytes(ens, format: .procedural, capabilities: dev).weights, 0)
        XCTAssertEqual(MemoryEstimate.weightBytes(ens.networks[0], format: .procedural, indexBytes: 4), 0)
    }

    /// No fallback for networks supplied ready-made or without double precision; a forced stored
    /// format is kept (the engine refuses it with the estimate).
    func testNoFallbackWhereProceduralCannotRun() throws {
        let ens = ensemble(n: 100_000, sp: 0.01)
        let small = caps(memory: 1 << 28)
        XCTAssertEqual(try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: true, capabilities: small, hostAvailable: 1 << 28).format, .ell)
        XCTAssertEqual(try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: caps(memory: 1 << 28, fp64: false), hostAvailable: 1 << 28).format, .ell)
        XCTAssertEqual(try WeightFormatChoice.resolve(.csr, ensemble: ens, networksGiven: false, capabilities: small, hostAvailable: 1 << 28).format, .csr)
        XCTAssertThrowsError(try WeightFormatChoice.resolve(.procedural, ensemble: ens, networksGiven: false, capabilities: caps(memory: 1 << 28, fp64: false))) { e in
            guard case let .unsupported(why) = e as? WMError else { return XCTFail("wrong error \(e)") }
            XCTAssertTrue(why.contains("double precision"), why)
        }
        XCTAssertThrowsError(try WeightFormatChoice.resolve(.procedural, ensemble: ens, networksGiven: true, capabilities: small)) { e in
            guard case .invalidParameter(name: "format", _, _) = e as? WMError else { return XCTFail("wrong error \(e)") }
        }
    }

    /// On the CPU backend: N = 10⁶ at 1000 synapses per neuron (10⁹ synapses, ~12 GiB stored with
    /// the generated CSR) forced into ELL is refused from the arithmetic, naming the estimate and
    /// the procedural format; under auto the same network is accepted with procedural weights
    /// whenever the stored ones do not fit this host.
    func testForcedStoredFormatThatDoesNotFitIsRefusedWithTheEstimate() throws {
        let ens = ensemble(n: 1_000_000, sp: 0.001)
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let cpu = CPUBackend()
        let stored = WeightFormatChoice.storedBytes(ens, format: .ell, capabilities: cpu.capabilities).total
        var o = EngineOptions(); o.format = .ell
        if stored > Double(MemoryEstimate.hostAvailable) {
            XCTAssertThrowsError(try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: o)) { e in
                guard case let .insufficientMemory(needed, available, _) = e as? WMError else { return XCTFail("wrong error \(e)") }
                XCTAssertGreaterThan(needed, available)
                let d = "\(e)"
                XCTAssertTrue(d.contains(formatBytes(needed)) && d.contains("--format procedural"), d)
            }
            let auto = try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: cpu.capabilities)
            XCTAssertEqual(auto.format, .procedural)
        }
        // Whatever the host: procedural holds only Jin and the states (tens of MB).
        var p = EngineOptions(); p.format = .procedural; p.chunkSteps = 1
        let e = try cpu.makeEngine(ensemble: ens, networks: nil, input: input, options: p)
        XCTAssertEqual(e.format, .procedural)
    }
}
