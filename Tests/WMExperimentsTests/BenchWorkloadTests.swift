import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// The standard workloads and `Throughput.run` with stored and procedural weights.
final class BenchWorkloadTests: XCTestCase {
    /// D is the large-N workload of issue 16: N = 10⁶ at 100 synapses per neuron.
    func testWorkloadDIsDefined() throws {
        let d = try XCTUnwrap(StandardWorkloads.workload("d", batch: 1))
        XCTAssertEqual(d.id, "D")
        XCTAssertEqual(d.n, 1_000_000)
        XCTAssertEqual(Double(d.n) * d.sp, 100, accuracy: 1e-9)
        XCTAssertEqual(StandardWorkloads.workload("D", batch: 64, quick: true)?.steps, 2)
        let ens = StandardWorkloads.ensemble(for: d)
        XCTAssertEqual(ens.n, 1_000_000)
        XCTAssertFalse(StandardWorkloads.all(quick: true).contains { $0.id == "D" }, "D runs only when asked for")
    }

    /// Traffic counts what the engine reads: the CPU engine's dense B = 1 steps read bitmap
    /// panels (where its AVX-512 kernels run), between the nnz values and N² floats; elsewhere the
    /// format's formula.
    func testDenseTrafficCountsWhatTheEngineReads() throws {
        let w = Workload(id: "T", n: 333, sp: 0.25, steps: 3, batch: 1, description: "test")
        let cpu = CPUBackend()
        let r = try Throughput.run(w, backend: cpu, format: .dense, repeats: 1, warmupSteps: 0)
        let formula = Throughput.bytesPerStep(n: 333, nIn: 1, batch: 1, networks: 1, format: .dense, nnz: r.nnz)
        let engine = try cpu.makeEngine(ensemble: StandardWorkloads.ensemble(for: w), networks: nil, input: try StandardWorkloads.inputSource(),
                                        options: { var o = EngineOptions(); o.format = .dense; return o }())
        if let panels = engine.weightBytesPerStep {
            XCTAssertGreaterThan(panels, Double(r.nnz) * 4)
            XCTAssertLessThan(panels, 333.0 * 333 * 4)
            XCTAssertEqual(r.bytesPerStep, formula - 333.0 * 333 * 4 + panels, accuracy: 1e-6)
        } else {
            XCTAssertEqual(r.bytesPerStep, formula)
        }
    }

    /// G is GeNN-scale (10¹⁰ synapses): defined, never in the default list, procedural under
    /// auto on a device that cannot hold it in one allocation, and refused with a clear message
    /// on backends that compute in host memory, before anything is generated.
    func testWorkloadGIsGPUOnly() throws {
        let g = try XCTUnwrap(StandardWorkloads.workload("g", batch: 1))
        XCTAssertEqual(g.n, 10_000_000)
        XCTAssertEqual(Double(g.n) * g.sp, 1000, accuracy: 1e-9)
        XCTAssertTrue(g.needsOwnDeviceMemory)
        XCTAssertEqual(StandardWorkloads.workload("G", batch: 1, quick: true)?.steps, 1)
        XCTAssertFalse(StandardWorkloads.all(quick: true).contains { $0.id == "G" })
        for backend in TestBackends.all() where backend.capabilities.usesHostMemory {
            XCTAssertThrowsError(try Throughput.run(g, backend: backend, repeats: 1, warmupSteps: 0)) { err in
                XCTAssertTrue("\(err)".contains("own memory"), "\(err)")
            }
        }
        var h100 = CPUBackend().capabilities
        h100.usesHostMemory = false; h100.denseOpsOnDevice = true
        h100.memoryBytes = 80 << 30; h100.maxAllocationBytes = 20 << 30
        XCTAssertEqual(try WeightFormatChoice.resolve(.auto, ensemble: StandardWorkloads.ensemble(for: g), networksGiven: false, capabilities: h100).format, .procedural)
    }

    /// The same workload stored and procedural, on both backends: the same synapses counted, the
    /// format named, no weight traffic counted for procedural weights.
    func testThroughputStoredAndProcedural() throws {
        let w = Workload(id: "T", n: 301, sp: 0.05, steps: 5, batch: 3, description: "test")
        for backend in TestBackends.all() {
            let stored = try Throughput.run(w, backend: backend, format: .ell, repeats: 1, warmupSteps: 1)
            let proc = try Throughput.run(w, backend: backend, format: .procedural, repeats: 1, warmupSteps: 1)
            let tag = backend.info.kind
            XCTAssertEqual(stored.format, "ell", tag)
            XCTAssertEqual(proc.format, "procedural", tag)
            XCTAssertEqual(proc.nnz, stored.nnz, tag)
            XCTAssertGreaterThan(proc.nnz, 3000, tag)
            XCTAssertGreaterThan(proc.synapticUpdatesPerSecond, 0, tag)
            XCTAssertLessThan(proc.bytesPerStep, stored.bytesPerStep, "procedural reads no weights: \(tag)")
            XCTAssertEqual(proc.bytesPerStep, Throughput.bytesPerStep(n: 301, nIn: 1, batch: 3, networks: 1, format: .procedural, nnz: proc.nnz), tag)
        }
    }
}
