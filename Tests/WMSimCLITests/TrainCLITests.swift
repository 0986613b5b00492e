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
            let (status, text) = try CLI.pythonScript("replay_trained.py", [folder.path, tolerance])
            XCTAssertEqual(status, 0, text)
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

    func testAPopulationTrainsResumesShardsAndMerges() throws {
        let pop = small + ["--vary", "g=1.0,1.4", "--replicates", "2"]
        let dir = CLI.tempDir("train-population").appendingPathComponent("pop")
        // The plan alone writes nothing.
        let plan = try CLI.run(["train"] + pop + ["--dry-run", "--out", dir.path])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue(plan.stderr.contains("2 point(s) over g (2) × 2 seed(s) = 4 network(s)"), plan.stderr)
        XCTAssertTrue(plan.stdout.contains("device memory/batch"), plan.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path))

        let r = try CLI.run(["train"] + pop + ["--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("learned (95% Wilson CI)") && r.stdout.contains("g=1.4"), r.stdout)
        XCTAssertTrue(r.stdout.contains("4 network(s) trained"), r.stdout)
        for f in ["population.json", "results.jsonl", "success.csv", "networks/p0001-r001/trained.json", "networks/p0001-r001/example_trials.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), f)
        }
        let csv = try String(contentsOf: dir.appendingPathComponent("success.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("g,networks,evaluated,learned,share,ci_low,ci_high,failed,median_max_error\n1.0,2,2,"), csv)
        // Rerunning resumes (nothing left to train); another population is refused in this folder.
        let again = try CLI.run(["train"] + pop + ["--out", dir.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("resuming: 4 of 4"), again.stderr)
        let other = try CLI.run(["train"] + small + ["--vary", "g=1.0,1.3", "--out", dir.path])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("holds another population"), other.stderr)

        // Two shards into one folder, merged: the same rows as the whole population.
        let sharded = CLI.tempDir("train-population-shards")
        for i in 0..<2 { XCTAssertEqual(try CLI.run(["train"] + pop + ["--shard", "\(i)/2", "--out", sharded.path]).status, 0) }
        let merged = sharded.appendingPathComponent("merged.jsonl")
        let m = try CLI.run(["merge", sharded.appendingPathComponent("results-shard-0-of-2.jsonl").path,
                             sharded.appendingPathComponent("results-shard-1-of-2.jsonl").path, "--output", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.contains("merged 4 row(s)") && m.stdout.contains("learned (95% Wilson CI)"), m.stdout)
        func errors(_ url: URL) throws -> [String: Double] {
            var out: [String: Double] = [:]
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
                let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                out["\(o["point"]!)-\(o["replicate"]!)"] = o["referenceErrorMax"] as? Double
            }
            return out
        }
        XCTAssertEqual(try errors(merged), try errors(dir.appendingPathComponent("results.jsonl")))
        XCTAssertEqual(try errors(merged).count, 4)

        // SLURM: the job array trains shards of the population file.
        let file = CLI.tempDir("train-population-file").appendingPathComponent("population.toml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "replicates = 2\n[base]\ntrainTrials = 12\n[[axes]]\nname = \"fb\"\nvalues = [5, 10]\n".write(to: file, atomically: true, encoding: .utf8)
        let job = CLI.tempDir("train-slurm")
        let sl = try CLI.run(["slurm", "--population", file.path, "--shards", "3", "--out", job.path])
        XCTAssertEqual(sl.status, 0, sl.stderr)
        let script = try String(contentsOf: job.appendingPathComponent("sweep.sbatch"), encoding: .utf8)
        XCTAssertTrue(script.contains("train --config population.json --shard \"$i/3\" --out ."), script)
        XCTAssertTrue(try String(contentsOf: job.appendingPathComponent("merge.sbatch"), encoding: .utf8).contains("results-shard-2-of-3.jsonl"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: job.appendingPathComponent("population.json").path))

        guard CLI.hasNumPy else { throw XCTSkip("python3 with numpy and scipy is not installed (CI installs them)") }
        let (status, text) = try CLI.pythonScript("replay_trained.py", [dir.appendingPathComponent("networks/p0001-r001").path, "1e-9"])
        XCTAssertEqual(status, 0, text)
    }

    func testPopulationBadInputIsRefusedBeforeAnythingIsWritten() throws {
        for (extra, text) in [(["--vary", "g=1,1.2", "--networks", "2"], "--replicates"), (["--vary", "seed=1,2"], "training parameter"),
                              (["--vary", "fb=0,5"], "population point 0 (fb=0)"), (["--vary", "g=1,1"], "distinct"),
                              (["--vary", "g=1", "--vary", "g=1.2"], "given twice (g=1 and g=1.2)"),
                              (["--replicates", "0"], "replicates"), (["--vary", "g=1,2", "--shard", "2/2"], "shard"),
                              (["--vary", "N=50000"], "8192"), (["--vary", "N=1e19"], "10⁹"), (["--config", "/nonexistent/pop.toml"], "pop.toml")] {
            let out = CLI.tempDir("train-pop-bad").appendingPathComponent("o")
            let r = try CLI.run(["train"] + small + extra + ["--out", out.path])
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(text), "\(extra): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(extra): nothing written")
        }
    }
}
