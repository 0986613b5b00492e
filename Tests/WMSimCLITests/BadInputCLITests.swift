import Foundation
import XCTest

/// Every bad input: a clear message, a non-zero exit, no crash.
final class BadInputCLITests: XCTestCase {
    func expectError(_ args: [String], contains text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(args)
        XCTAssertNotEqual(r.status, 0, "expected failure for \(args)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "stderr for \(args) lacks '\(text)': \(r.stderr)", file: file, line: line)
        XCTAssertLessThan(r.status, 128, "crashed (signal) for \(args)", file: file, line: line)
    }

    func testInvalidParameters() throws {
        let out = CLI.tempDir("bad").path
        try expectError(["simulate", "--n", "0", "--out", out + "/a"], contains: "N")
        try expectError(["simulate", "--sp", "1.5", "--out", out + "/b"], contains: "sp")
        try expectError(["simulate", "--sp", "nan", "--out", out + "/c"], contains: "sp")
        try expectError(["simulate", "--steps", "-3", "--out", out + "/d"], contains: "--steps")
        try expectError(["simulate", "--rule", "leaky", "--leak", "0", "--out", out + "/e"], contains: "leak")
        try expectError(["simulate", "--g", "inf", "--out", out + "/f"], contains: "g")
        try expectError(["simulate", "--record-neurons", "5000", "--out", out + "/g"], contains: "recorded neuron")
        try expectError(["simulate", "--record-every", "0", "--out", out + "/h"], contains: "--record-every")
        try expectError(["simulate", "--backend", "gpu", "--out", out + "/i"], contains: "backend")
    }

    func testImpossibleSizeIsRefusedWithAnEstimate() throws {
        let out = CLI.tempDir("huge").path
        try expectError(["simulate", "--n", "3000000", "--sp", "0.5", "--format", "dense", "--backend", "cpu", "--out", out + "/a"], contains: "needs about")
        // A stored format asked for is refused with the estimate and the format that stores
        // nothing (under auto the same network falls back to procedural weights instead:
        // `WeightFormatChoiceTests`; 4.5·10¹² synapses a step is too long a run for a test).
        try expectError(["simulate", "--n", "3000000", "--sp", "0.5", "--format", "ell", "--backend", "opencl", "--out", out + "/b"], contains: "needs about")
        try expectError(["simulate", "--n", "3000000", "--sp", "0.5", "--format", "ell", "--backend", "cpu", "--out", out + "/c"], contains: "--format procedural stores none")
    }

    func testNaNDuringARunStopsAndNamesStepAndNetwork() throws {
        for backend in ["cpu", "opencl"] {
            let out = CLI.tempDir("nan")
            let r = try CLI.run(["simulate", "--n", "50", "--sp", "1", "--g", "1e30", "--rule", "leaky", "--activation", "linear",
                                 "--networks", "2", "--steps", "100", "--backend", backend, "--out", out.path, "--force"])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("non-finite"), r.stderr)
            XCTAssertTrue(r.stderr.contains("network 0"), r.stderr)
            let s = try CLI.json(out.appendingPathComponent("summary.json"))
            XCTAssertEqual(s["status"] as? String, "failed")
        }
    }

    func testFilesAndFolders() throws {
        let dir = CLI.tempDir("files")
        try expectError(["simulate", "--input-file", dir.appendingPathComponent("nope.csv").path, "--out", dir.path + "/a"], contains: "not found")
        let csv = dir.appendingPathComponent("u.csv")
        try "0.1,0.2\n0.3,0.4\n".write(to: csv, atomically: true, encoding: .utf8)
        try expectError(["simulate", "--input-file", csv.path, "--out", dir.path + "/b"], contains: "nIn")
        try expectError(["simulate", "--input-file", csv.path, "--nin", "2", "--steps", "10", "--out", dir.path + "/c"], contains: "rows of the input file")
        let ok = try CLI.run(["simulate", "--input-file", csv.path, "--nin", "2", "--steps", "2", "--n", "10", "--out", dir.path + "/d", "--backend", "cpu"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        // A non-empty output folder is never overwritten silently.
        try expectError(["simulate", "--n", "10", "--steps", "2", "--out", dir.path + "/d"], contains: "not empty")
        try expectError(["simulate", "--load-network", dir.path, "--out", dir.path + "/e"], contains: "network.json")
    }

    func testNoOpenCLRuntime() throws {
        let empty = CLI.tempDir("icd")
        let env = ["OCL_ICD_VENDORS": empty.path, "OCL_ICD_FILENAMES": ""]
        let d = try CLI.run(["devices"], env: env)
        XCTAssertEqual(d.status, 0)
        XCTAssertTrue(d.stdout.contains("No OpenCL runtime"), d.stdout)
        let out = CLI.tempDir("fallback")
        let s = try CLI.run(["simulate", "--n", "20", "--steps", "5", "--out", out.path], env: env)
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stderr.contains("using the CPU backend"), s.stderr)
        let f = try CLI.run(["simulate", "--n", "20", "--steps", "5", "--backend", "opencl", "--out", out.path + "/x"], env: env)
        XCTAssertNotEqual(f.status, 0)
        XCTAssertTrue(f.stderr.contains("pocl-opencl-icd"), f.stderr)
    }

    func testBrokenKernelShowsTheBuildLog() throws {
        let dir = CLI.tempDir("kern")
        let src = CLI.packageRoot.appendingPathComponent("Kernels")
        for f in try FileManager.default.contentsOfDirectory(atPath: src.path) {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        // Programs are built from the families they need: break one the engine builds.
        let step = dir.appendingPathComponent("step.cl")
        try (try String(contentsOf: step, encoding: .utf8) + "\n__kernel void broken(void) { undefined_symbol_xyz = 1; }\n")
            .write(to: step, atomically: true, encoding: .utf8)
        let r = try CLI.run(["simulate", "--n", "10", "--steps", "2", "--backend", "opencl", "--out", dir.path + "/o"], env: ["WMSIM_KERNELS_DIR": dir.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("undefined_symbol_xyz"), r.stderr)
        // A missing kernel file is named.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("step.cl"))
        let m = try CLI.run(["simulate", "--n", "10", "--steps", "2", "--backend", "opencl", "--out", dir.path + "/p"], env: ["WMSIM_KERNELS_DIR": dir.path])
        XCTAssertNotEqual(m.status, 0)
        XCTAssertTrue(m.stderr.contains("step.cl"), m.stderr)
    }
}
