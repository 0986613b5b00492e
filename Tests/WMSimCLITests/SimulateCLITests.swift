import Foundation
import XCTest
import WMCore

final class SimulateCLITests: XCTestCase {
    func testHelpListsCommands() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0)
        for c in ["simulate", "devices", "crosscheck"] { XCTAssertTrue(r.stdout.contains(c), c) }
    }

    func testSimulateWritesRatesAndSummaryWithProvenance() throws {
        let dir = CLI.tempDir("sim")
        let r = try CLI.run(["simulate", "--n", "61", "--networks", "2", "--trials", "3", "--steps", "50", "--record-every", "5",
                             "--record-neurons", "0,3,10-12", "--out", dir.path, "--backend", "cpu"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let a = try NPY.read(dir.appendingPathComponent("rates.npy"))
        XCTAssertEqual(a.shape, [10, 2, 3, 5])
        XCTAssertTrue(try a.floats().allSatisfy { $0.isFinite && abs($0) < 1 })
        let s = try CLI.json(dir.appendingPathComponent("summary.json"))
        let prov = try XCTUnwrap(s["provenance"] as? [String: Any])
        XCTAssertEqual(prov["version"] as? String, WMSimVersion.string)
        XCTAssertEqual((prov["backend"] as? [String: Any])?["kind"] as? String, "cpu")
        let nets = try XCTUnwrap(s["networks"] as? [[String: Any]])
        XCTAssertEqual(nets.map { $0["seed"] as? Int }, [1, 2])
        XCTAssertEqual(s["status"] as? String, "ok")
        XCTAssertTrue(r.stderr.contains("backend: cpu"))
    }

    /// The saved network and input, replayed by an independent NumPy/SciPy implementation.
    func testSavedNetworkReproducesInNumPy() throws {
        guard CLI.hasNumPy else { throw XCTSkip("python3 with numpy and scipy is not installed (CI installs them)") }
        // The last two record only some neurons or every 4th step: the replay starts from the
        // saved initial state (network/x0.npy), not from a recorded row.
        for (backend, format, rule, record) in [("cpu", "csr", "leaky", [String]()), ("opencl", "ell", "template", []), ("opencl", "dense", "leaky", []),
                                                ("cpu", "ell", "template", ["--record-neurons", "0,5,10-20"]), ("opencl", "csr", "leaky", ["--record-every", "4"]),
                                                ("opencl", "ell", "leaky", ["--weight-precision", "bf16"]), ("cpu", "dense", "template", ["--weight-precision", "fp16"])] {
            let dir = CLI.tempDir("np")
            let r = try CLI.run(["simulate", "--n", "300", "--sp", "0.05", "--g", "0.9", "--rule", rule, "--networks", "2", "--trials", "2",
                                 "--steps", "60", "--format", format, "--save-network", "--out", dir.path, "--backend", backend, "--input", "gaussian"] + record)
            XCTAssertEqual(r.status, 0, r.stderr)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", CLI.packageRoot.appendingPathComponent("scripts/reproduce_simulation.py").path, dir.path, "1e-4"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "\(backend) \(format) \(rule): \(text)")
        }
    }

    /// `--weight-precision`: the saved network holds the rounded weights (every bf16 value has
    /// zero low bits; every fp16 value survives a round trip through binary16), the summary
    /// records the precision, and impossible requests are refused before anything runs.
    func testWeightPrecisionIsSavedAndBadRequestsAreRefused() throws {
        for (p, backend) in [("bf16", "opencl"), ("fp16", "cpu")] {
            let dir = CLI.tempDir("prec")
            let r = try CLI.run(["simulate", "--n", "120", "--sp", "0.1", "--steps", "20", "--format", "ell", "--weight-precision", p,
                                 "--save-network", "--out", dir.path, "--backend", backend])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("\(p) weights"), r.stdout)
            let values = try NPY.read(dir.appendingPathComponent("network/network-000/J_data.npy")).floats()
            XCTAssertGreaterThan(values.count, 1000)
            if p == "bf16" {
                XCTAssertTrue(values.allSatisfy { $0.bitPattern & 0xFFFF == 0 }, "bf16 values")
            } else {
                #if !(os(macOS) && arch(x86_64))
                XCTAssertTrue(values.allSatisfy { Float(Float16($0)) == $0 }, "fp16 values")
                #else
                XCTAssertTrue(values.allSatisfy { HalfBits.float(HalfBits.from($0)) == $0 }, "fp16 values")
                #endif
                XCTAssertFalse(values.allSatisfy { $0.bitPattern & 0xFFFF == 0 }, "fp16 keeps more bits than bf16")
            }
            let s = try CLI.json(dir.appendingPathComponent("summary.json"))
            XCTAssertEqual((s["config"] as? [String: Any])?["weightPrecision"] as? String, p)
        }
        for backend in ["cpu", "opencl"] {
            let big = try CLI.run(["simulate", "--n", "100", "--sp", "0.1", "--g", "100000", "--format", "csr", "--weight-precision", "fp16",
                                   "--steps", "3", "--out", CLI.tempDir("ovf").path, "--backend", backend])
            XCTAssertNotEqual(big.status, 0)
            XCTAssertTrue(big.stderr.contains("65504") && !big.stderr.contains("non-finite"), "\(backend): \(big.stderr)")
        }
        let bad = try CLI.run(["simulate", "--n", "50", "--steps", "5", "--weight-precision", "fp8", "--out", CLI.tempDir("bad").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("fp16") && bad.stderr.contains("bf16"), bad.stderr)
        let proc = try CLI.run(["simulate", "--n", "50", "--steps", "5", "--format", "procedural", "--weight-precision", "bf16",
                                "--out", CLI.tempDir("badproc").path, "--backend", "cpu"])
        XCTAssertNotEqual(proc.status, 0)
        XCTAssertTrue(proc.stderr.contains("procedural"), proc.stderr)
    }

    func testLoadedNetworkGivesTheSameRates() throws {
        let a = CLI.tempDir("gen"), b = CLI.tempDir("load")
        let common = ["--steps", "40", "--trials", "2", "--backend", "cpu"]
        XCTAssertEqual(try CLI.run(["simulate", "--n", "100", "--sp", "0.1", "--rule", "leaky", "--save-network", "--out", a.path] + common).status, 0)
        let r = try CLI.run(["simulate", "--load-network", a.appendingPathComponent("network").path, "--out", b.path] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        let x = try NPY.read(a.appendingPathComponent("rates.npy")).floats()
        let y = try NPY.read(b.appendingPathComponent("rates.npy")).floats()
        XCTAssertEqual(x.count, y.count)
        XCTAssertLessThanOrEqual(zip(x, y).map { abs($0 - $1) }.max() ?? 1, 1e-6)
    }

    func testSameSeedSameOutputRunToRun() throws {
        for backend in ["cpu", "opencl"] {
            let a = CLI.tempDir("r1"), b = CLI.tempDir("r2")
            let args = ["simulate", "--n", "200", "--sp", "0.1", "--steps", "30", "--noise", "0.1", "--backend", backend]
            XCTAssertEqual(try CLI.run(args + ["--out", a.path]).status, 0)
            XCTAssertEqual(try CLI.run(args + ["--out", b.path]).status, 0)
            XCTAssertEqual(try NPY.read(a.appendingPathComponent("rates.npy")).data, try NPY.read(b.appendingPathComponent("rates.npy")).data, backend)
        }
    }

    func testTomlAndJsonConfigs() throws {
        let dir = CLI.tempDir("cfg")
        let toml = dir.appendingPathComponent("run.toml")
        try """
        networks = 2
        steps = 20
        recordEvery = 10
        [network]
        n = 50
        rule = "leaky"
        leak = 0.5
        [input]
        kind = "onehot"
        holdSteps = 5
        """.write(to: toml, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("o1")
        let r = try CLI.run(["simulate", "--config", toml.path, "--nin", "4", "--out", out.path, "--backend", "cpu"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try NPY.read(out.appendingPathComponent("rates.npy")).shape, [2, 2, 1, 50])
        let s = try CLI.json(out.appendingPathComponent("summary.json"))
        let spec = try XCTUnwrap((s["networks"] as? [[String: Any]])?.first)
        XCTAssertEqual(spec["nIn"] as? Int, 4)  // flag overrides
        XCTAssertEqual(spec["leak"] as? Double, 0.5)  // file

        let bad = dir.appendingPathComponent("bad.json")
        try #"{"network": {"n": 10, "gain": 2}}"#.write(to: bad, atomically: true, encoding: .utf8)
        let e = try CLI.run(["simulate", "--config", bad.path, "--out", dir.appendingPathComponent("o2").path])
        XCTAssertNotEqual(e.status, 0)
        XCTAssertTrue(e.stderr.contains("unknown key 'gain'"), e.stderr)
    }
}
