import Foundation
import XCTest
import WMCore

final class CapacityCLITests: XCTestCase {
    let small = ["--n", "80", "--sp", "0.2", "--rule", "leaky", "--gin", "1", "--spin", "0.5", "--networks", "3",
                 "--washout", "100", "--train", "1500", "--validation", "400", "--test", "600", "--max-lag", "30",
                 "--mlp-epochs", "5", "--mlp-hidden", "16,8"]

    func testCapacityWritesCurveFilesWithProvenance() throws {
        for backend in ["cpu", "opencl"] {
            let dir = CLI.tempDir("cap-\(backend)")
            let r = try CLI.run(["capacity"] + small + ["--backend", backend, "--out", dir.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("ridge: MC = Σ r²"), r.stdout)
            XCTAssertTrue(r.stdout.contains("mlp: MC = Σ r²"), r.stdout)
            XCTAssertTrue(r.stdout.contains("convention:"), r.stdout)
            let j = try CLI.json(dir.appendingPathComponent("capacity.json"))
            let prov = try XCTUnwrap(j["provenance"] as? [String: Any])
            XCTAssertEqual((prov["backend"] as? [String: Any])?["kind"] as? String, backend)
            let res = try XCTUnwrap(j["result"] as? [String: Any])
            let ridge = try XCTUnwrap(res["ridge"] as? [String: Any])
            let mc = try XCTUnwrap(ridge["memoryCapacity"] as? Double)
            XCTAssertGreaterThan(mc, 1)
            XCTAssertLessThan(mc, 80)
            XCTAssertEqual((ridge["perNetwork"] as? [Any])?.count, 3)
            XCTAssertEqual((ridge["memoryCapacityCI95"] as? [Double])?.count, 2)
            let csv = try String(contentsOf: dir.appendingPathComponent("memory_curve.csv"), encoding: .utf8)
            XCTAssertTrue(csv.hasPrefix("lag,ridge_r,ridge_r2"))
            XCTAssertEqual(csv.split(separator: "\n").count, 31)
            let svg = try String(contentsOf: dir.appendingPathComponent("memory_curve.svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains("<svg") && svg.contains("ridge r"))
        }
    }

    /// `--moments device` on PoCL accumulates the ridge moments on the device; the memory curve
    /// equals the host accumulation's (same trajectory), and the JSON says where they were summed.
    func testMomentsOnDeviceMatchHost() throws {
        var mc: [String: Double] = [:]
        for place in ["device", "host"] {
            let dir = CLI.tempDir("cap-moments-\(place)")
            let r = try CLI.run(["capacity"] + small + ["--decoders", "ridge", "--backend", "opencl", "--moments", place, "--out", dir.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout.contains("ridge moments accumulated on the device"), place == "device", r.stdout)
            let res = try XCTUnwrap(try CLI.json(dir.appendingPathComponent("capacity.json"))["result"] as? [String: Any])
            XCTAssertEqual(res["moments"] as? String, place)
            mc[place] = try XCTUnwrap((res["ridge"] as? [String: Any])?["memoryCapacity"] as? Double)
        }
        XCTAssertEqual(try XCTUnwrap(mc["device"]), try XCTUnwrap(mc["host"]), accuracy: 1e-9)
        let bad = try CLI.run(["capacity"] + small + ["--moments", "gpu", "--out", CLI.tempDir("cap-moments-bad").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("moments"), bad.stderr)
        // The CPU backend has no device to reduce on: refused before anything is written.
        let out = CLI.tempDir("cap-moments-cpu").appendingPathComponent("o")
        let cpu = try CLI.run(["capacity"] + small + ["--backend", "cpu", "--moments", "device", "--out", out.path])
        XCTAssertNotEqual(cpu.status, 0)
        XCTAssertTrue(cpu.stderr.contains("--moments") && cpu.stderr.contains("cpu backend"), cpu.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output folder for a refused run")
    }

    func testCapacityBadInput() throws {
        let dir = CLI.tempDir("capbad")
        func fails(_ extra: [String], _ text: String) throws {
            let r = try CLI.run(["capacity"] + small + extra + ["--out", dir.appendingPathComponent(UUID().uuidString).path, "--backend", "cpu"])
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(text), "\(extra): \(r.stderr)")
        }
        try fails(["--max-lag", "5000"], "maxLag")
        try fails(["--lambda", "-1"], "λ")
        try fails(["--test", "0"], "test")
        try fails(["--input", "onehot"], "uniform, gaussian or file")
        // nIn > 1: every channel carries its own stream and the decoders read channel 0.
        let multi = try CLI.run(["capacity"] + small + ["--nin", "3", "--decoders", "ridge", "--backend", "cpu", "--out", dir.appendingPathComponent("nin3").path])
        XCTAssertEqual(multi.status, 0, multi.stderr)
        XCTAssertTrue(multi.stdout.contains("ridge: MC = Σ r²"), multi.stdout)
        try fails(["--mlp-lr", "1e9", "--decoders", "mlp"], "mlp")
        // A readout subset larger than N names the range.
        try fails(["--readout-neurons", "100000"], "readoutNeurons = 100000: expected 1…N")
        // A float for an integer key names the key (the decoder itself says only "not valid JSON").
        let toml = dir.appendingPathComponent("c.toml")
        try "networks = 2.5\n".write(to: toml, atomically: true, encoding: .utf8)
        try fails(["--config", toml.path], "invalid value at networks: expected an integer, found 2.5")
    }

    /// An existing --json file is refused before the benchmark runs, and replaced with --force.
    func testBenchRefusesAnExistingJSONFileBeforeRunning() throws {
        let dir = CLI.tempDir("bench-exists")
        let file = dir.appendingPathComponent("b.json")
        try "keep me".write(to: file, atomically: true, encoding: .utf8)
        let args = ["bench", "--quick", "--workloads", "A", "--batches", "1", "--repeats", "1", "--backend", "cpu", "--json", file.path]
        let r = try CLI.run(args)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--json \(file.path) exists") && r.stderr.contains("--force"), r.stderr)
        XCTAssertFalse(r.stderr.contains("running A") || r.stderr.contains("bandwidth"), "refused before running: \(r.stderr)")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep me")
        let f = try CLI.run(args + ["--force"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertNotNil(try CLI.json(file)["rows"])
    }

    /// `--readout-neurons`: recorded in capacity.json's spec, announced on stderr.
    func testCapacityWithReadoutSubsetRecordsIt() throws {
        let dir = CLI.tempDir("cap-readout")
        let r = try CLI.run(["capacity"] + small + ["--decoders", "ridge", "--readout-neurons", "10", "--backend", "cpu", "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("reading 10 neurons"), r.stderr)
        let result = try XCTUnwrap(try CLI.json(dir.appendingPathComponent("capacity.json"))["result"] as? [String: Any])
        let spec = try XCTUnwrap(result["spec"] as? [String: Any])
        XCTAssertEqual(spec["readoutNeurons"] as? Int, 10)
    }

    /// Procedural weights through the CLI: the same rates as ELL, bit for bit on the CPU backend,
    /// and the summary names the format and counts the same synapses.
    func testSimulateProceduralMatchesStored() throws {
        var out: [String: (Data, [String: Any])] = [:]
        for fmt in ["ell", "procedural"] {
            let dir = CLI.tempDir("sim-\(fmt)")
            let r = try CLI.run(["simulate", "--n", "301", "--sp", "0.05", "--g", "0.9", "--networks", "2", "--trials", "2", "--steps", "30",
                                 "--format", fmt, "--out", dir.path, "--backend", "cpu"])
            XCTAssertEqual(r.status, 0, r.stderr)
            out[fmt] = (try Data(contentsOf: dir.appendingPathComponent("rates.npy")), try CLI.json(dir.appendingPathComponent("summary.json")))
        }
        let ell = try XCTUnwrap(out["ell"]), proc = try XCTUnwrap(out["procedural"])
        XCTAssertEqual(proc.0, ell.0, "rates.npy bit for bit")
        XCTAssertEqual(proc.1["format"] as? String, "procedural")
        XCTAssertEqual(proc.1["synapses"] as? Int, ell.1["synapses"] as? Int)
        XCTAssertGreaterThan(proc.1["synapses"] as? Int ?? 0, 0)
    }

    func testBenchQuickRunsAndWritesJSON() throws {
        let dir = CLI.tempDir("bench")
        let r = try CLI.run(["bench", "--quick", "--workloads", "A", "--batches", "1,3", "--repeats", "1", "--json", dir.appendingPathComponent("b.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("A-b3"), r.stdout)
        let j = try CLI.json(dir.appendingPathComponent("b.json"))
        let rows = try XCTUnwrap(j["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 2)
        for row in rows {
            let w = try XCTUnwrap(row["wmsim"] as? [String: Any])
            XCTAssertGreaterThan(try XCTUnwrap(w["synapticUpdatesPerSecond"] as? Double), 0)
        }
        XCTAssertGreaterThan(try XCTUnwrap(j["deviceBandwidthGBs"] as? Double), 0)
    }
}

/// Help and shell completion: each default said once, paths complete as files or folders.
final class HelpCLITests: XCTestCase {
    func testHelpStatesEachDefaultOnceAndPathsComplete() throws {
        for c in ["capacity", "sweep", "stats", "optimize", "slurm", "bench", "train", "analyze", "simulate", "merge", "crosscheck"] {
            let h = try CLI.run([c, "--help"])
            XCTAssertEqual(h.status, 0, c)
            let text = h.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
            XCTAssertNil(text.firstMatch(of: try Regex("\\(default [^)]*\\)[. ]*\\(default: ")), "\(c) --help repeats a default: \(text)")
        }
        let bash = try CLI.run(["--generate-completion-script", "bash"])
        XCTAssertEqual(bash.status, 0)
        XCTAssertTrue(bash.stdout.contains("'--out')\n        __wmsim_add_completions -d"), "--out completes folders")
        XCTAssertTrue(bash.stdout.contains("'--config')\n        __wmsim_add_completions -o plusdirs -fX '!*.@(json|toml)'"), "--config completes .json/.toml files")
    }
}
