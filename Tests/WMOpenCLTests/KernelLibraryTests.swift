import XCTest
import WMCore
import WMTestSupport
@testable import WMOpenCL

/// Programs are the common header plus the families a caller needs, built once per backend.
final class KernelLibraryTests: XCTestCase {
    func testEveryFamilyHasItsFileAndTheHeader() throws {
        let sources = try KernelLibrary.sources()
        XCTAssertNotNil(sources[KernelLibrary.header])
        for f in KernelFamily.allCases { XCTAssertNotNil(sources[f.file], "\(f.file) is embedded") }
        XCTAssertEqual(Set(sources.keys), Set([KernelLibrary.header] + KernelFamily.allCases.map(\.file)),
                       "every Kernels/*.cl file is the header or a family")
    }

    func testClosureAddsRequiredFamiliesInFileOrder() {
        XCTAssertEqual(KernelLibrary.closure([.fused]), [.step, .fused], "fused uses step's epilogue")
        XCTAssertEqual(KernelLibrary.closure([.dense, .generate, .dense]), [.generate, .dense])
        XCTAssertEqual(KernelLibrary.closure([]), [])
        // A program lists families in declaration order: a family must be declared after those it requires.
        for f in KernelFamily.allCases { for r in f.requires { XCTAssertLessThan(r, f, "\(f) requires \(r)") } }
    }

    func testProgramSourceHoldsOnlyWhatIsNeeded() throws {
        let dense = try KernelLibrary.programSource([.dense])
        XCTAssertTrue(dense.hasPrefix("// ---- common.cl"))
        XCTAssertTrue(dense.contains("dense_gemm_nn"))
        XCTAssertFalse(dense.contains("__kernel void fused_"), "the dense program does not carry the engine's kernels")
        let engine = try KernelLibrary.programSource(KernelFamily.engine)
        for name in ["gen_row_counts", "gen_input", "step_", "fused_csr", "moments_accumulate"] {
            XCTAssertTrue(engine.contains(name), name)
        }
        XCTAssertFalse(engine.contains("dense_gemm_nn"))
    }

    func testProgramsAreCompiledOncePerFamiliesAndOptions() throws {
        let cl = try TestBackends.requireOpenCL()
        let a = try cl.program(families: [.bench])
        let b = try cl.program(families: [.bench])
        XCTAssertTrue(a === b, "cached")
        XCTAssertEqual(try a.kernelNames(), ["bench_copy"])
        let c = try cl.program(families: [.bench], options: KernelLibrary.options(index16: true, fp64: false))
        XCTAssertFalse(a === c, "other build options build another program")
    }

    func testCopyBandwidthIsMeasuredOnBothBackends() throws {
        for backend in TestBackends.all() {
            let gbs = try backend.measureCopyBandwidth(megabytes: 8, repeats: 2)
            XCTAssertTrue(gbs.isFinite && gbs > 0, "\(backend.info.kind): \(gbs) GB/s")
            XCTAssertThrowsError(try backend.measureCopyBandwidth(megabytes: 0, repeats: 1))
        }
    }
}
