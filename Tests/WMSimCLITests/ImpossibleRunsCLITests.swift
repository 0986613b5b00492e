import Foundation
import XCTest

/// Runs that cannot fit are refused from the arithmetic, before anything is allocated: each
/// reproducer of issue 13 runs under a virtual-memory limit (`ulimit -v`), so a regression fails
/// with an allocation error instead of taking the machine down.
final class ImpossibleRunsCLITests: XCTestCase {
    /// `wmsim ARGS` under `ulimit -v` (6 GiB: room for the runtime and BLAS threads, far below
    /// any of these runs).
    func runLimited(_ args: [String]) throws -> CLIResult {
        try CLI.run(["-c", "ulimit -v 6000000; exec \"$0\" \"$@\"", CLI.binary.path] + args, executable: URL(fileURLWithPath: "/bin/sh"))
    }

    func expectRefusal(_ args: [String], contains texts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let t0 = Date()
        let r = try runLimited(args)
        XCTAssertEqual(r.status, 1, "expected a clean refusal (exit 1) for \(args): \(r.stderr.suffix(600))", file: file, line: line)
        for text in texts {
            XCTAssertTrue(r.stderr.contains(text), "stderr for \(args) lacks '\(text)': \(r.stderr.suffix(600))", file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 60, "refused from the arithmetic, not after growing", file: file, line: line)
    }

    func testReadoutsAndDecodersAreEstimatedBeforeAnythingIsAllocated() throws {
        let base = ["--backend", "cpu"]
        try expectRefusal(["capacity", "--n", "200000", "--format", "dense", "--decoders", "ridge"] + base,
                          contains: ["needs about", "readout moments of 5 network(s)", "fewer networks"])
        try expectRefusal(["capacity", "--n", "1000000", "--sp", "0.5", "--decoders", "ridge"] + base, contains: ["TiB", "readout moments"])
        // 40 GiB: the eigendecomposition and the moments of one network, not the engine.
        try expectRefusal(["capacity", "--n", "30000", "--sp", "0.01", "--networks", "1", "--decoders", "ridge"] + base,
                          contains: ["ridge fit of one network", "a smaller N"])
        try expectRefusal(["capacity", "--n", "100", "--decoders", "mlp", "--mlp-hidden", "100000000,100000000"] + base,
                          contains: ["MLP training of", "--mlp-hidden"])
        try expectRefusal(["capacity", "--n", "100", "--networks", "10000000"] + base, contains: ["MLP stored states of 10000000 network(s)"])
        try expectRefusal(["sweep", "--vary", "N=200000,1000000", "--replicates", "1", "--out", CLI.tempDir("huge-sweep").path + "/s.jsonl"] + base,
                          contains: ["sweep point 0 (N=200000)", "needs about"])
        try expectRefusal(["optimize", "--param", "N=100000:1000000", "--budget", "4", "--out", CLI.tempDir("huge-opt").path] + base,
                          contains: ["largest candidate", "needs about"])
    }

    func testAbsurdCountsAreRefusedNotTrapped() throws {
        let out = CLI.tempDir("absurd").path
        let sim = ["simulate", "--n", "100", "--steps", "10", "--backend", "cpu", "--force"]
        try expectRefusal(sim + ["--trials", "100000000000000000", "--out", out + "/a"], contains: ["trials"])
        try expectRefusal(sim + ["--nin", "10000000000000000", "--out", out + "/b"], contains: ["nIn"])
        try expectRefusal(sim + ["--networks", "9223372036854775807", "--out", out + "/c"], contains: ["networks"])
        try expectRefusal(sim + ["--networks", "10000000", "--no-record", "--out", out + "/d"], contains: ["networks 1…10^6"])
        let chunk = try runLimited(sim + ["--chunk", "9223372036854775807", "--out", out + "/e"])
        XCTAssertEqual(chunk.status, 64, chunk.stderr)
        XCTAssertTrue(chunk.stderr.contains("--chunk"), chunk.stderr)
        let cap = ["capacity", "--n", "100", "--backend", "cpu"]
        try expectRefusal(cap + ["--trials", "100000000000000000"], contains: ["trials", "10^9"])
        try expectRefusal(cap + ["--nin", "10000000000000000"], contains: ["nIn"])
        try expectRefusal(cap + ["--networks", "9223372036854775807"], contains: ["networks"])
        try expectRefusal(["sweep", "--vary", "g=0.1:1:1000000", "--vary", "gIn=0.1:1:1000000", "--dry-run"], contains: ["at most 1000000 networks"])
        try expectRefusal(["sweep", "--vary", "g=0.5", "--replicates", "1000000000", "--dry-run"], contains: ["replicates"])
        try expectRefusal(["optimize", "--param", "g=0.5:0.9", "--budget", "4", "--final-seeds", "2", "--eval-seeds", "1000000000"], contains: ["seeds"])
        try expectRefusal(["sweep", "--vary", "g=0:1:1000000000000", "--dry-run"], contains: ["g steps"])
        try expectRefusal(["train", "--vary", "g=0:1:1000000000000", "--dry-run"], contains: ["g steps"])
        // The per-network readout of the plan is computed without overflowing, then the run refused.
        let huge = ["sweep", "--decoders", "mlp", "--trials", "1000000000", "--train", "1000000000", "--validation", "1", "--test", "1", "--vary", "g=1,2"]
        let plan = try runLimited(huge + ["--dry-run"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue(plan.stderr.contains("readout memory up to"), plan.stderr)
        try expectRefusal(huge + ["--out", out + "/huge.jsonl"], contains: ["needs about", "input stream"])
    }

    /// Under `ulimit -v` (as in a SLURM job's --mem or a container) the limit is what is available:
    /// 18 GiB fits the machine's memory but not the 6 GiB address space, and is refused.
    func testTheAddressSpaceLimitIsWhatIsAvailable() throws {
        try expectRefusal(["capacity", "--n", "20000", "--sp", "0.01", "--networks", "1", "--decoders", "ridge", "--backend", "cpu"],
                          contains: ["needs about 18.1 GiB", "4.9 GiB available"])
    }

    func testARecordingTheDiskCannotHoldIsRefusedBeforeWriting() throws {
        let out = CLI.tempDir("disk").appendingPathComponent("run")
        try expectRefusal(["simulate", "--n", "1000", "--sp", "0.01", "--steps", "1000000000000", "--backend", "cpu", "--out", out.path],
                          contains: ["of disk", "--record-every"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written")
    }
}
