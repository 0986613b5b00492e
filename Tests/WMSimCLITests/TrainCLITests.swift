import Foundation
import XCTest

/// `wmsim train` end to end: outputs, the NumPy replay of the evaluation, bad input.
final class TrainCLITests: XCTestCase {
    let small = ["--n", "40", "--trials", "12", "--test-trials", "4", "--evaluation-seeds", "1", "--timeline", "6,3,6,3,4", "--seed", "3"]

    func testTrainWritesAnArchiveThatNumPyReplays() throws {
        let dir = CLI.tempDir("train")
        let r = try CLI.run(["train"] + small + ["--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("evaluation: 16 runs"), r.stdout)
        for f in ["trained.json", "J_indptr.npy", "J_indices.npy", "J_data.npy", "wi.npy", "wf.npy", "wfd.npy", "x0.npy", "wo.npy", "wd.npy",
                  "start_states.npy", "evaluation_input.npy", "evaluation_target.npy", "evaluation_start.npy", "example_trials.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), f)
        }
        let svg = try String(contentsOf: dir.appendingPathComponent("example_trials.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("zd₁") && svg.contains("target of z") && svg.contains("(1,1)"), "example trials plotted")
        let json = try CLI.json(dir.appendingPathComponent("trained.json"))
        XCTAssertNil((json["result"] as? [String: Any])?["examples"], "the examples are plotted, not stored in trained.json")
        XCTAssertEqual(json["format"] as? String, "wmsim-trained-network")
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertNotNil((json["provenance"] as? [String: Any])?["version"])
        let result = try XCTUnwrap(json["result"] as? [String: Any])
        XCTAssertEqual((result["referenceError"] as? [Any])?.count, 16)
        let spec = try XCTUnwrap(json["spec"] as? [String: Any])
        XCTAssertEqual((spec["network"] as? [String: Any])?["n"] as? Int, 40)
        XCTAssertEqual((spec["task"] as? [String: Any])?["delay2"] as? Int, 3)

        // The same command gives the same numbers.
        let again = CLI.tempDir("train-again")
        XCTAssertEqual(try CLI.run(["train"] + small + ["--out", again.path]).status, 0)
        let res2 = try XCTUnwrap(try CLI.json(again.appendingPathComponent("trained.json"))["result"] as? [String: Any])
        XCTAssertEqual(res2["referenceError"] as? [Double], result["referenceError"] as? [Double])

        // Several networks together: one archive per network, each replayable.
        let many = CLI.tempDir("train-many")
        let b = try CLI.run(["train"] + small + ["--networks", "3", "--out", many.path])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue(b.stdout.contains("learned:") && b.stdout.contains("of 3"), b.stdout)
        let first = try XCTUnwrap(try CLI.json(many.appendingPathComponent("network-000/trained.json"))["result"] as? [String: Any])
        XCTAssertEqual(first["referenceError"] as? [Double], result["referenceError"] as? [Double], "network 0 of the batch is the network trained alone")
        let third = try XCTUnwrap(try CLI.json(many.appendingPathComponent("network-002/trained.json"))["spec"] as? [String: Any])
        XCTAssertEqual((third["network"] as? [String: Any])?["seed"] as? Int, 5)

        // The OpenCL backend trains the same network (float state): its archive replays too.
        let device = CLI.tempDir("train-opencl")
        let d = try CLI.run(["train"] + small + ["--backend", "opencl", "--out", device.path])
        XCTAssertEqual(d.status, 0, d.stderr)
        let provenance = try XCTUnwrap(try CLI.json(device.appendingPathComponent("trained.json"))["provenance"] as? [String: Any])
        XCTAssertEqual((provenance["backend"] as? [String: Any])?["kind"] as? String, "opencl")

        guard CLI.hasNumPy else { throw XCTSkip("python3 with numpy and scipy is not installed (CI installs them)") }
        for (folder, tolerance) in [(dir, "1e-9"), (device, "1e-5"), (many.appendingPathComponent("network-001"), "1e-9")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", CLI.packageRoot.appendingPathComponent("scripts/replay_trained.py").path, folder.path, tolerance]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            p.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 0, text)
            XCTAssertTrue(text.contains("max |wmsim − numpy|"), text)
        }
    }

    func testBadInputIsRefusedBeforeAnythingIsWritten() throws {
        for (extra, text) in [(["--alpha", "0"], "α"), (["--fb", "0"], "fb"), (["--timeline", "1,2"], "timeline"),
                              (["--timeline", "0,1,1,1,1"], "stimulus1"), (["--timeline", "6,,3,6,3,4"], "timeline"),
                              (["--n", "20000"], "8192"), (["--learned-fraction", "1"], "learned fraction"), (["--networks", "0"], "networks"), (["--test-trials", "2"], "test trials"),
                              (["--codes", "/nonexistent/codes.npy", "--labels", "/nonexistent/labels.npy"], "codes.npy"),
                              (["--codes", "/nonexistent/codes.npy"], "labels"), (["--n", "0"], "N")] {
            let out = CLI.tempDir("train-bad").appendingPathComponent("o")
            let r = try CLI.run(["train"] + small + extra + ["--out", out.path])
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(text), "\(extra): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(extra): nothing written")
        }
    }
}
