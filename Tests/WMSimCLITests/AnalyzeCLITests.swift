import Foundation
import XCTest

/// `wmsim analyze` end to end on a trained population: results, resumption, the NumPy check of
/// every fixed point, bad input.
final class AnalyzeCLITests: XCTestCase {
    let train = ["train", "--n", "40", "--trials", "12", "--test-trials", "4", "--evaluation-seeds", "1", "--timeline", "6,3,6,3,4",
                 "--vary", "g=0.9,1.5"]
    let quick = ["--steps", "600", "--window", "100", "--fp-iterations", "400", "--fp-samples", "30", "--noise-repeats", "1", "--max-extension", "5"]

    func testAnalysesAPopulationResumesAndNumPyAgrees() throws {
        let dir = CLI.tempDir("analyze").appendingPathComponent("pop")
        XCTAssertEqual(try CLI.run(train + ["--out", dir.path]).status, 0)
        let r = try CLI.run(["analyze", dir.path] + quick)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("p0000-r000:") && r.stdout.contains("p0001-r000:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("fixed point(s)") && r.stdout.contains("slow manifold"), r.stdout)
        XCTAssertTrue(r.stdout.contains("all analysed  2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("delay: first failure") && r.stdout.contains("noise: half failing"), r.stdout)
        let results = dir.appendingPathComponent("analysis.jsonl")
        let lines = try String(contentsOf: results, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(header["kind"] as? String, "network-analysis")
        let again = try CLI.run(["analyze", dir.path] + quick)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("resuming: 2 of 2"), again.stderr)
        let other = try CLI.run(["analyze", dir.path, "--steps", "500", "--window", "100", "--no-robustness"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("different analysis"), other.stderr)

        guard CLI.hasNumPy else { throw XCTSkip("python3 with numpy and scipy is not installed (CI installs them)") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("analysis-summary.json").path), "the population summary beside the results")
        let (status, text) = try CLI.pythonScript("replay_analysis.py", [results.path, "--classification", "--summary"])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("0 disagreement(s)") && !text.contains(" 0 point(s)"), text)
        XCTAssertTrue(text.contains("summary: 4 measure(s), pooled and matched tests recomputed; 0 disagreement(s)"), text)

        // merge writes the merged rows' summary beside its output, and never replaces an
        // existing one without --force.
        let merged = dir.appendingPathComponent("merged.jsonl"), mergedSummary = dir.appendingPathComponent("merged-summary.json")
        XCTAssertEqual(try CLI.run(["merge", results.path, "-o", merged.path]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: mergedSummary.path))
        try FileManager.default.removeItem(at: merged)
        let refused = try CLI.run(["merge", results.path, "-o", merged.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("merged-summary.json") && refused.stderr.contains("--force"), refused.stderr)
        XCTAssertEqual(try CLI.run(["merge", results.path, "-o", merged.path, "--force"]).status, 0)
    }

    func testBadInputIsRefused() throws {
        let empty = CLI.tempDir("analyze-empty")
        for (args, text) in [(["analyze", "/nonexistent/folder"], "not a folder"), (["analyze", empty.path], "holds no trained network"),
                             (["analyze", empty.path, "--window", "1"], "holds no trained network"),
                             (["analyze", empty.path, "--no-fixed-points", "--fp-iterations", "5"], "--no-fixed-points")] {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
        }
        let dir = CLI.tempDir("analyze-bad").appendingPathComponent("pop")
        XCTAssertEqual(try CLI.run(train + ["--out", dir.path]).status, 0)
        let r = try CLI.run(["analyze", dir.path, "--window", "1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("window"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("analysis.jsonl").path), "nothing written")
    }
}
