import Foundation
import XCTest

/// Results that would mean nothing are refused or labelled, never printed as numbers: the
/// reproducers of issue 13's "fake or misleading results".
final class HonestResultsCLITests: XCTestCase {
    let small = ["--n", "60", "--backend", "cpu", "--decoders", "ridge", "--max-lag", "10", "--washout", "100", "--train", "400",
                 "--validation", "100"]

    func testTooShortSegmentsAndConstantInputsAreRefused() throws {
        let out = CLI.tempDir("honest").path
        for t in ["2", "3", "5", "99"] {
            let r = try CLI.run(["capacity"] + small + ["--test", t, "--out", out + "/t\(t)"])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("at least 100 test samples") && r.stderr.contains("chance level"), r.stderr)
            XCTAssertFalse(r.stdout.contains("MC ="), "no capacity printed for --test \(t)")
        }
        let v = try CLI.run(["capacity"] + small + ["--test", "200", "--validation", "1", "--out", out + "/v"])
        XCTAssertEqual(v.status, 1)
        XCTAssertTrue(v.stderr.contains("at least 30 validation samples"), v.stderr)
        let sweep = try CLI.run(["sweep", "--vary", "g=0.5,0.9", "--replicates", "2", "--out", out + "/s.jsonl"] + small + ["--test", "2"])
        XCTAssertEqual(sweep.status, 1, sweep.stderr)
        XCTAssertTrue(sweep.stderr.contains("test samples"), sweep.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/s.jsonl"), "nothing written")
        // One input file is one stream for every trial: its trials add no test samples.
        let u = URL(fileURLWithPath: out).appendingPathComponent("u.csv")
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (0..<1000).map { String(format: "%.6f", sin(Double($0) * 1.7)) }.joined(separator: "\n").write(to: u, atomically: true, encoding: .utf8)
        let shared = try CLI.run(["capacity"] + small + ["--test", "20", "--trials", "10", "--input-file", u.path, "--out", out + "/u"])
        XCTAssertEqual(shared.status, 1)
        XCTAssertTrue(shared.stderr.contains("20 step(s) of one shared input file = 20 samples"), shared.stderr)
        let both = try CLI.run(["capacity"] + small + ["--test", "200", "--input-file", u.path, "--input", "uniform", "--out", out + "/b"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("--input-file cannot be combined with --input uniform"), both.stderr)
        let a = try CLI.run(["capacity"] + small + ["--test", "200", "--input-amplitude", "0", "--out", out + "/a"])
        XCTAssertEqual(a.status, 1)
        XCTAssertTrue(a.stderr.contains("input amplitude") && a.stderr.contains("undefined"), a.stderr)
    }

    func testTwoNetworksGiveNoCIAndTheChanceLevelIsPrinted() throws {
        let r = try CLI.run(["capacity"] + small + ["--test", "200", "--networks", "2", "--out", CLI.tempDir("honest-ci").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("no 95% CI: 2 network(s), a CI needs ≥ 3"), r.stdout)
        XCTAssertTrue(r.stdout.contains("chance level") && r.stdout.contains("0.050 on these 200 test samples"), r.stdout)
    }

    func testEveryNetworkDivergingNamesTheRealSteps() throws {
        let r = try CLI.run(["capacity"] + small + ["--test", "200", "--networks", "2", "--activation", "linear", "--g", "50",
                                                     "--out", CLI.tempDir("honest-div").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("every network diverged (network seed 1: non-finite state at step"), r.stderr)
        XCTAssertFalse(r.stderr.contains("at step 0 in network 0"), r.stderr)
    }

    func testFlagsThatCannotApplyToLoadedNetworksAreRefused() throws {
        let dir = CLI.tempDir("honest-load")
        let saved = try CLI.run(["simulate", "--n", "50", "--steps", "200", "--trials", "2", "--input-seed", "99", "--save-network", "--backend", "cpu",
                                 "--out", dir.appendingPathComponent("a").path])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        let net = dir.appendingPathComponent("a/network").path
        for flags in [["--rule", "leaky"], ["--activation", "linear"], ["--leak", "0.3"], ["--n", "100"]] {
            let r = try CLI.run(["simulate", "--load-network", net, "--steps", "200", "--backend", "cpu", "--out", dir.appendingPathComponent("x").path] + flags)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("\(flags[0]) cannot apply to networks loaded"), r.stderr)
        }
        let c = try CLI.run(["capacity", "--load-network", net, "--networks", "5", "--backend", "cpu", "--out", dir.appendingPathComponent("c").path])
        XCTAssertNotEqual(c.status, 0)
        XCTAssertTrue(c.stderr.contains("--networks cannot apply"), c.stderr)
        let header = try CLI.run(["capacity", "--load-network", net, "--backend", "cpu", "--decoders", "ridge", "--max-lag", "5", "--washout", "50",
                                  "--train", "300", "--validation", "60", "--test", "100", "--out", dir.appendingPathComponent("h").path])
        XCTAssertEqual(header.status, 0, header.stderr)
        XCTAssertTrue(header.stderr.contains("capacity: 1 loaded network(s) × 1 trial(s), N = 50"), header.stderr)
        // Its saved input.npy holds 2 trials: refused as an --input-file, saying how to replay it.
        let two = try CLI.run(["capacity", "--n", "50", "--backend", "cpu", "--decoders", "ridge", "--input-file", net + "/input.npy",
                               "--out", dir.appendingPathComponent("f").path])
        XCTAssertNotEqual(two.status, 0)
        XCTAssertTrue(two.stderr.contains("[T, 1, nIn]") && two.stderr.contains("input.json"), two.stderr)
        // The saved run replays exactly from its folder (its input spec, both trials).
        let replay = try CLI.run(["simulate", "--load-network", net, "--steps", "200", "--trials", "2", "--backend", "cpu",
                                  "--out", dir.appendingPathComponent("b").path])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stderr.contains("the stream saved with the networks"), replay.stderr)
        let a = try Data(contentsOf: dir.appendingPathComponent("a/rates.npy")), b = try Data(contentsOf: dir.appendingPathComponent("b/rates.npy"))
        XCTAssertEqual(a, b, "identical rates")
        let summary = try CLI.json(dir.appendingPathComponent("b/summary.json"))
        let cfg = try XCTUnwrap(summary["config"] as? [String: Any]), network = try XCTUnwrap(cfg["network"] as? [String: Any])
        XCTAssertEqual(network["n"] as? Int, 50, "the summary records the loaded network, not the defaults")
    }

    /// The MLP's input standardisation is a flag, printed and recorded.
    func testMLPStandardisationIsAFlagAndIsRecorded() throws {
        for z in ["true", "false"] {
            let out = CLI.tempDir("honest-z-\(z)")
            let r = try CLI.run(["capacity", "--n", "40", "--backend", "cpu", "--decoders", "mlp", "--max-lag", "5", "--washout", "50", "--train", "300",
                                 "--validation", "60", "--test", "100", "--networks", "1", "--mlp-epochs", "2", "--mlp-hidden", "8,8",
                                 "--mlp-standardize", z, "--out", out.path, "--force"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains(z == "true" ? "inputs z-scored" : "inputs not z-scored"), r.stdout)
            let json = try CLI.json(out.appendingPathComponent("capacity.json"))
            let spec = (json["result"] as? [String: Any])?["spec"] as? [String: Any]
            XCTAssertEqual((spec?["mlp"] as? [String: Any])?["standardize"] as? Bool, z == "true")
        }
    }
}
