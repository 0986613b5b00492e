import Foundation
import XCTest

/// `wmsim slurm` jobs under a real SLURM controller: a single-node cluster on this machine, as
/// `scripts/start-slurm.sh` starts one (the CI does, and sets WMSIM_REQUIRE_SLURM=1). Without
/// one the cluster test is skipped, unless WMSIM_REQUIRE_SLURM=1 makes that a failure.
final class SlurmClusterCLITests: XCTestCase {
    /// 6 points × 3 seeds = 18 networks; 3 shards of 6 networks, each synced in 2 batches (4 + 2)
    /// over a few seconds, so a running task can be cancelled between its batches.
    let sweepArgs = ["--n", "100", "--sp", "0.3", "--rule", "leaky", "--gin", "1", "--spin", "0.5", "--washout", "50", "--train", "4000",
                     "--validation", "200", "--test", "300", "--max-lag", "20", "--decoders", "ridge",
                     "--vary", "g=0.5,1,1.5", "--vary", "sp=0.2,0.4", "--replicates", "3"]
    let perShard = 6

    /// How long the cluster part may take before the test gives up, showing the jobs and logs.
    let patience: TimeInterval = 300

    /// The jobs this test submitted: cancelled at its end, whatever failed, so none stays queued.
    var submitted: [String] = []

    override func tearDownWithError() throws {
        for id in submitted { _ = try? Self.slurm(["scancel", id]) }
    }

    /// A reason to fail, as opposed to XCTSkip.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The array tasks' directives, in the script's header where sbatch reads them, ask for
    /// SIGTERM two minutes before the time limit, to the batch shell that has exec'd wmsim.
    func testArrayTasksGetSIGTERMBeforeTheTimeLimit() throws {
        let job = CLI.tempDir("slurm-signal").appendingPathComponent("job")
        let w = try CLI.run(["slurm"] + sweepArgs + ["--shards", "3", "--out", job.path])
        XCTAssertEqual(w.status, 0, w.stderr)
        let lines = try String(contentsOf: job.appendingPathComponent("sweep.sbatch"), encoding: .utf8).split(separator: "\n")
        // sbatch stops reading #SBATCH lines at the first command.
        let header = lines.prefix { $0.hasPrefix("#") }
        XCTAssertTrue(header.contains("#SBATCH --signal=B:TERM@120"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.last?.hasPrefix("exec ") ?? false, "the batch shell becomes wmsim, so B: signals reach it")
    }

    /// Submits the generated array and merge (submit.sh), cancels task 2 before it runs and task 0
    /// while it runs, checks the merge then fails naming what is missing, reruns both with
    /// `resubmit.sh 0,2` and checks the merged rows equal one `wmsim sweep`'s bit for bit.
    func testCancelledTasksResubmittedMergeLikeOneSweep() throws {
        try requireCluster()
        let dir = CLI.tempDir("slurm-cluster")
        let job = dir.appendingPathComponent("job")

        let one = dir.appendingPathComponent("one.jsonl")
        let reference = try CLI.run(["sweep"] + sweepArgs + ["--backend", "cpu", "--out", one.path])
        XCTAssertEqual(reference.status, 0, reference.stderr)

        // One task at a time (%1): task 2 is surely still pending when it is cancelled. No --wmsim:
        // the default must be this binary's absolute path, which the jobs then run.
        let w = try CLI.run(["slurm"] + sweepArgs + ["--shards", "3", "--backend", "cpu", "--cpus", "1", "--mem", "1G", "--time", "00:10:00",
                                                     "--max-concurrent", "1", "--out", job.path])
        XCTAssertEqual(w.status, 0, w.stderr)
        let sbatch = try String(contentsOf: job.appendingPathComponent("sweep.sbatch"), encoding: .utf8)
        XCTAssertTrue(sbatch.contains("exec \(CLI.binary.resolvingSymlinksInPath().path) sweep"), sbatch)

        let deadline = Date().addingTimeInterval(patience)
        let s = try Self.run(job.appendingPathComponent("submit.sh").path, [])
        XCTAssertEqual(s.status, 0, s.stdout + s.stderr)
        let (array, merge) = try Self.ids(s.stdout, "submitted array", "and merge")
        submitted += [array, merge]
        let c2 = try Self.slurm(["scancel", "\(array)_2"])
        XCTAssertEqual(c2.status, 0, c2.stderr)

        // Cancel task 0 once its first batch is synced: its second batch is then in flight.
        let shard0 = job.appendingPathComponent("results/shard-0.jsonl")
        var kept = 0
        var cancelledWhileRunning = false
        for look in 0... {
            kept = Self.rowCount(shard0)
            if kept >= perShard { break }  // it finished between two looks: a very fast machine
            if kept >= 1 {
                _ = try Self.slurm(["scancel", "\(array)_0"])
                cancelledWhileRunning = true
                break
            }
            // A task that ended without a row (wmsim failed) fails the test now, not at the deadline.
            if look % 10 == 9, let state = Self.field(try Self.slurm(["scontrol", "show", "job", "-o", "\(array)_0"]).stdout, "JobState"),
               Self.ended.contains(state), Self.rowCount(shard0) == 0 {
                throw Failure(description: "task 0 ended (\(state)) without a result\n" + Self.diagnose(job, submitted))
            }
            if Date() > deadline { throw Failure(description: "task 0 synced no batch in time\n" + Self.diagnose(job, submitted)) }
            usleep(100_000)
        }

        // The first merge runs after the array ended however it ended (afterany) and fails loudly.
        let first = try Self.waitForEnd(merge, deadline: deadline, job: job, submitted)
        let firstLog = try String(contentsOf: job.appendingPathComponent("logs/wmsim-sweep-merge-\(merge).out"), encoding: .utf8)
        XCTAssertEqual(first.state, "FAILED", firstLog)
        XCTAssertEqual(first.exitCode, "1:0", firstLog)
        XCTAssertFalse(FileManager.default.fileExists(atPath: job.appendingPathComponent("results/shard-2.jsonl").path), "task 2 never ran")
        XCTAssertTrue(firstLog.contains("results/shard-2.jsonl does not exist"), firstLog)
        let task0Log = try String(contentsOf: job.appendingPathComponent("logs/wmsim-sweep-\(array)_0.out"), encoding: .utf8)
        kept = Self.rowCount(shard0)
        // A signal between the last batch's sync and its count: every row is kept, and the
        // message may name one batch fewer. The task then counts as finished.
        let interrupted = task0Log.contains("interrupted by SIGTERM") && kept < perShard
        if cancelledWhileRunning && !interrupted {
            // The cancel crossed the task's last batch: it must then have finished whole.
            XCTAssertEqual(kept, perShard, task0Log)
            print("note: task 0 finished before scancel reached it; only the pending task was cancelled")
        }
        if interrupted {
            // wmsim (exec'd by the batch shell) got scancel's SIGTERM and kept its synced batch.
            XCTAssertTrue(task0Log.contains("\(kept) of \(perShard) kept in"), task0Log)
            XCTAssertTrue((1..<perShard).contains(kept), "kept \(kept)")
        }
        let missing = perShard + (perShard - kept)
        XCTAssertTrue(firstLog.contains("incomplete: \(missing) network(s) missing"), firstLog)
        XCTAssertTrue(firstLog.contains("resubmit.sh"), firstLog)

        let r = try Self.run(job.appendingPathComponent("resubmit.sh").path, ["0,2"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let (again, merge2) = try Self.ids(r.stdout, "0,2 as", "and merge")
        submitted += [again, merge2]
        let second = try Self.waitForEnd(merge2, deadline: deadline, job: job, submitted)
        let secondLog = (try? String(contentsOf: job.appendingPathComponent("logs/wmsim-sweep-merge-\(merge2).out"), encoding: .utf8)) ?? ""
        XCTAssertEqual(second.state, "COMPLETED", secondLog + Self.diagnose(job, submitted))
        XCTAssertEqual(second.exitCode, "0:0", secondLog)
        if interrupted {
            let rerun = try String(contentsOf: job.appendingPathComponent("logs/wmsim-sweep-\(again)_0.out"), encoding: .utf8)
            XCTAssertTrue(rerun.contains("\(perShard - kept) network(s) measured") && rerun.contains("\(kept) resumed"), rerun)
        }

        // The merged rows equal the single sweep's, all but the timing and the batch they ran in.
        let merged = try Self.rows(job.appendingPathComponent("results.jsonl"))
        let direct = try Self.rows(one)
        XCTAssertEqual(merged.header["fingerprint"] as? String, direct.header["fingerprint"] as? String)
        XCTAssertEqual(merged.rows.count, 18)
        XCTAssertEqual(Set(merged.rows.keys), Set(direct.rows.keys))
        for (key, row) in direct.rows.sorted(by: { $0.key < $1.key }) {
            let other = merged.rows[key] ?? [:]
            let differ = Set(row.keys).union(other.keys).filter { row[$0] != other[$0] }.sorted()
            XCTAssertTrue(differ.isEmpty, "network \(key): " + differ.prefix(5).map { "\($0) \(other[$0] ?? "none") ≠ \(row[$0] ?? "none")" }.joined(separator: "; "))
        }
    }

    // MARK: - The cluster

    /// Skips (or, with WMSIM_REQUIRE_SLURM=1, fails) unless a SLURM answers whose nodes are all
    /// this machine: the job folder is in the local temporary folder, and a test should not queue
    /// work on a shared cluster.
    func requireCluster() throws {
        let required = ProcessInfo.processInfo.environment["WMSIM_REQUIRE_SLURM"] == "1"
        func unusable(_ why: String) -> Error {
            let text = "no usable SLURM: \(why). Start one with scripts/start-slurm.sh (as root; see docs/slurm.md)"
            return required ? Failure(description: text + "; WMSIM_REQUIRE_SLURM=1 requires it") : XCTSkip(text)
        }
        let r: CLIResult
        do { r = try Self.slurm(["sinfo", "-h", "-N", "-o", "%N|%T"]) } catch { throw unusable("cannot run sinfo (\(error))") }
        guard r.status == 0 else {
            // Its last line says why (no configuration, no controller, not installed).
            let why = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            throw unusable("sinfo exits \(r.status)\(r.status == 124 ? " (no answer in 20 s)" : ""): \(why)")
        }
        let host = ProcessInfo.processInfo.hostName
        let here: Set<String> = ["localhost", host, String(host.prefix { $0 != "." })]
        let nodes = r.stdout.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }.filter { $0.count == 2 }
        guard !nodes.isEmpty else { throw unusable("sinfo lists no nodes") }
        if let other = nodes.first(where: { !here.contains($0[0]) }) {
            throw unusable("node \(other[0]) is not this machine; the test runs only on a single-node SLURM here")
        }
        // Exact states: a suffix (idle*, idle~) means not responding or powered down.
        guard nodes.contains(where: { ["idle", "mixed", "allocated", "completing"].contains($0[1]) }) else {
            throw unusable("no node is up: \(r.stdout)")
        }
    }

    /// A SLURM command, killed after 20 s: a controller that does not answer must not hang the test.
    static func slurm(_ args: [String]) throws -> CLIResult {
        try CLI.run(["20"] + args, executable: URL(fileURLWithPath: "/usr/bin/timeout"))
    }

    /// Runs a generated shell script.
    /// Runs a generated script. The jobs inherit WMSIM_TERM_GRACE = 0 (sbatch exports the
    /// submitter's environment): scancel stops task 0 at once, so the test sees a task cut off
    /// mid-shard and its resume, rather than one let to finish its batch (the default).
    static func run(_ script: String, _ args: [String]) throws -> CLIResult {
        try CLI.run(["60", script] + args, env: ["WMSIM_TERM_GRACE": "0"], executable: URL(fileURLWithPath: "/usr/bin/timeout"))
    }

    /// The two job ids after `first` and `second` in submit.sh's or resubmit.sh's line.
    static func ids(_ text: String, _ first: String, _ second: String) throws -> (String, String) {
        func after(_ s: String) -> String? {
            guard let r = text.range(of: s + " ") else { return nil }
            let id = text[r.upperBound...].prefix { $0.isNumber }
            return id.isEmpty ? nil : String(id)
        }
        guard let a = after(first), let b = after(second) else { throw Failure(description: "no job ids in: \(text)") }
        return (a, b)
    }

    /// Waits until job `id` has ended: its state and exit code (scontrol keeps ended jobs for
    /// MinJobAge, 5 minutes by default; there is no sacct without accounting). With `neverStarts`
    /// a dependency that can never be satisfied is expected (the job is then cancelled).
    static func waitForEnd(_ id: String, deadline: Date, job: URL, _ submitted: [String], neverStarts: Bool = false) throws -> (state: String, exitCode: String) {
        var line = ""
        while Date() < deadline {
            line = (try? slurm(["scontrol", "show", "job", "-o", id]).stdout) ?? ""
            let state = field(line, "JobState"), exitCode = field(line, "ExitCode")
            if let s = state, ended.contains(s) { return (s, exitCode ?? "?") }
            // afterany is satisfied however the array ends; this would wait forever.
            if !neverStarts, line.contains("DependencyNeverSatisfied") { throw Failure(description: "job \(id) can never start\n" + diagnose(job, submitted)) }
            usleep(250_000)
        }
        throw Failure(description: "job \(id) did not end in time: \(line)\n" + diagnose(job, submitted))
    }

    /// The states of a job that has ended.
    static let ended: Set<String> = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"]

    /// The value of `name=` in a `scontrol show job -o` line.
    static func field(_ line: String, _ name: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// The queue, the test's jobs and every log of the job folder.
    static func diagnose(_ job: URL, _ ids: [String]) -> String {
        var text = "squeue:\n" + ((try? slurm(["squeue"]).stdout) ?? "?")
        for id in ids { text += "\n" + ((try? slurm(["scontrol", "show", "job", "-o", id]).stdout) ?? "?") }
        let logs = job.appendingPathComponent("logs")
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []).sorted() {
            text += "\n--- logs/\(name)\n" + ((try? String(contentsOf: logs.appendingPathComponent(name), encoding: .utf8)) ?? "?")
        }
        return text
    }

    /// Complete result rows in a results file (a line in the writing is not counted).
    static func rowCount(_ url: URL) -> Int {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return 0 }
        return max(0, text.split(separator: "\n", omittingEmptySubsequences: true).count - (text.hasSuffix("\n") ? 1 : 2))
    }

    /// The header and the rows by "point/replicate", each row flattened to its values by path
    /// ("ridgeR.3"), without the fields that differ between runs of the same network (its time,
    /// the batch it ran in).
    static func rows(_ url: URL) throws -> (header: [String: Any], rows: [String: [String: String]]) {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(lines.first).utf8)) as? [String: Any])
        var rows: [String: [String: String]] = [:]
        for line in lines.dropFirst() {
            var row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let key = "\(row["point"] ?? "?")/\(row["replicate"] ?? "?")"
            row["seconds"] = nil
            row["batch"] = nil
            var flat: [String: String] = [:]
            flatten(row, "", into: &flat)
            rows[key] = flat
        }
        return (header, rows)
    }

    /// Every leaf of a JSON value by its path; a number as its value and its bit pattern, so equal
    /// texts are bit-identical numbers.
    static func flatten(_ value: Any, _ path: String, into flat: inout [String: String]) {
        let prefix = path.isEmpty ? "" : path + "."
        if let d = value as? [String: Any] {
            for (k, v) in d { flatten(v, prefix + k, into: &flat) }
        } else if let a = value as? [Any] {
            for (i, v) in a.enumerated() { flatten(v, prefix + String(i), into: &flat) }
        } else if let s = value as? String {
            flat[path] = "\"\(s)\""
        } else if let x = value as? Double {
            flat[path] = "\(x) (0x\(String(x.bitPattern, radix: 16)))"
        } else {
            flat[path] = "\(value)"
        }
    }
}
