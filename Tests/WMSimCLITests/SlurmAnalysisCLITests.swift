import Foundation
import XCTest

/// `wmsim slurm --population … --analyze`: a training array, its merge, then an analysis array
/// and its merge, chained so that the analysis starts only once every network is trained.
extension SlurmClusterCLITests {
    /// 2 points × 2 seeds of N = 40, trained in a moment.
    static let population = """
        {"axes": [{"name": "g", "values": [0.9, 1.5]}], "replicates": 2,
         "base": {"trainTrials": 12, "testTrials": 4, "evaluationSeeds": 1, "network": {"n": 40},
                  "task": {"stimulus1": 6, "delay1": 3, "stimulus2": 6, "delay2": 3, "response": 4}}}
        """
    static let quickAnalysis = "--steps 600 --window 100 --fp-iterations 400 --fp-samples 30 --noise-repeats 1 --max-extension 5"

    func populationFile(_ dir: URL) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("pop.json")
        try Self.population.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The analysis scripts name the job folder, the shard and the options; submit.sh and
    /// resubmit.sh chain them after the training merge; options that cannot work are refused
    /// before anything is written.
    func testAnalysisStageScriptsAndRefusals() throws {
        let dir = CLI.tempDir("slurm-analysis-scripts")
        let pop = try populationFile(dir)
        for (args, text) in [(["--n", "100", "--vary", "g=1,2", "--analyze"], "needs --population"),
                             (["--population", pop.path, "--analysis-shards", "2"], "need --analyze"),
                             (["--population", pop.path, "--analyze", "--analysis-options", "--windw 3"], "Unknown option '--windw'"),
                             (["--population", pop.path, "--analyze", "--analysis-options", "--window 1"], "window = 1"),
                             (["--population", pop.path, "--analyze", "--analysis-options", "--out x.jsonl"], "--out is set by the job"),
                             (["--population", pop.path, "--analyze", "--analysis-options", "--out=x.jsonl"], "--out=x.jsonl is set by the job"),
                             (["--population", pop.path, "--analyze", "--analysis-options", "--device \"NVIDIA H200\""], "cannot be quoted"),
                             (["--population", pop.path, "--analyze", "--analysis-options", "--window 100 other/folder"], "options only"),
                             (["--population", pop.path, "--analyze", "--analysis-shards", "0"], "analysis shards = 0")] {
            let job = dir.appendingPathComponent("refused")
            let r = try CLI.run(["slurm"] + args + ["--out", job.path])
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: job.path), "\(args) wrote the job folder")
        }

        let job = dir.appendingPathComponent("job")
        let w = try CLI.run(["slurm", "--population", pop.path, "--shards", "2", "--analyze", "--analysis-shards", "3", "--backend", "cpu",
                             "--analysis-options", Self.quickAnalysis, "--out", job.path])
        XCTAssertEqual(w.status, 0, w.stderr)
        func text(_ name: String) throws -> String { try String(contentsOf: job.appendingPathComponent(name), encoding: .utf8) }
        let analyze = try text("analyze.sbatch")
        XCTAssertTrue(analyze.contains("#SBATCH --array=0-2\n"), analyze)
        XCTAssertTrue(analyze.contains("#SBATCH --signal=B:TERM@120"), analyze)
        let exec = try XCTUnwrap(analyze.split(separator: "\n").last)
        XCTAssertEqual(String(exec), "exec \(CLI.binary.resolvingSymlinksInPath().path) analyze \(job.standardizedFileURL.path) --shard \"$i/3\" "
                       + "--out \"analysis-shard-$i-of-3.jsonl\" --backend cpu \(Self.quickAnalysis)")
        XCTAssertTrue(try text("analyze-merge.sbatch").contains("merge analysis-shard-0-of-3.jsonl analysis-shard-1-of-3.jsonl analysis-shard-2-of-3.jsonl --output analysis.jsonl"))
        for script in ["submit.sh", "resubmit.sh"] {
            let s = try text(script)
            XCTAssertTrue(s.contains("--dependency=afterok:$merge --kill-on-invalid-dep=yes analyze.sbatch"), s)
            XCTAssertTrue(s.contains("--dependency=afterok:$merge,afterany:$analysis --kill-on-invalid-dep=yes analyze-merge.sbatch"), s)
        }
        XCTAssertTrue(try text("resubmit-analysis.sh").contains("--array=\"$tasks\" analyze.sbatch"))
        // Both ask squeue for this folder's jobs (and refuse when it does not answer).
        for script in ["resubmit.sh", "resubmit-analysis.sh"] {
            XCTAssertTrue(try text(script).contains("-o \"%A|%j|%t|%Z\") || { echo \"squeue did not answer"), script)
        }
        XCTAssertTrue(try text("resubmit.sh").contains("scancel $queued"))
        // The training merge leaves its marker only after the merge passed.
        let merge = try text("merge.sbatch").split(separator: "\n").suffix(3).map(String.init)
        XCTAssertEqual(merge.first, "rm -f training.complete")
        XCTAssertTrue(merge[1].contains(" merge results-shard-0-of-2.jsonl results-shard-1-of-2.jsonl --output results.jsonl"), merge[1])
        XCTAssertEqual(merge.last, "touch training.complete")
        // Rewriting the job over an earlier job's results: a shard file its task would refuse
        // stops the rewrite (even with --force, nothing rewritten); one of another sharding is named.
        try "{\"not\": \"a header\"}\n".write(to: job.appendingPathComponent("analysis-shard-1-of-3.jsonl"), atomically: true, encoding: .utf8)
        try "{}\n".write(to: job.appendingPathComponent("analysis-shard-0-of-5.jsonl"), atomically: true, encoding: .utf8)
        let rewrite = ["slurm", "--population", pop.path, "--shards", "2", "--analyze", "--analysis-shards", "3", "--force", "--out", job.path]
        let refused = try CLI.run(rewrite)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("analysis-shard-1-of-3.jsonl: task 1 would refuse to resume it"), refused.stderr)
        XCTAssertEqual(try text("analyze.sbatch"), analyze)
        try FileManager.default.removeItem(at: job.appendingPathComponent("analysis-shard-1-of-3.jsonl"))
        let rewritten = try CLI.run(rewrite)
        XCTAssertEqual(rewritten.status, 0, rewritten.stderr)
        XCTAssertTrue(rewritten.stderr.contains("analysis-shard-0-of-5.jsonl: shard 0 of 5, an earlier sharding"), rewritten.stderr)
        // A job without --analyze writes none of it.
        let plain = dir.appendingPathComponent("plain")
        XCTAssertEqual(try CLI.run(["slurm", "--population", pop.path, "--out", plain.path]).status, 0)
        XCTAssertFalse(try String(contentsOf: plain.appendingPathComponent("submit.sh"), encoding: .utf8).contains("analyze"))
        XCTAssertFalse(try String(contentsOf: plain.appendingPathComponent("resubmit.sh"), encoding: .utf8).contains("squeue"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain.appendingPathComponent("analyze.sbatch").path))
    }

    /// Cancels a training task: the training merge fails and the analysis jobs are cancelled, not
    /// left pending. `resubmit.sh` then trains the rest and the chained analysis runs; its merged
    /// rows equal one `wmsim analyze` of the job folder (all but times and file names).
    func testAnalysisRunsOnlyAfterACompleteTrainingAndMatchesOneAnalyze() throws {
        try requireCluster()
        let dir = CLI.tempDir("slurm-analysis")
        let pop = try populationFile(dir)
        let job = dir.appendingPathComponent("job")
        let w = try CLI.run(["slurm", "--population", pop.path, "--shards", "2", "--analyze", "--analysis-shards", "3", "--backend", "cpu",
                             "--cpus", "1", "--mem", "1G", "--time", "00:10:00", "--max-concurrent", "1",
                             "--analysis-options", Self.quickAnalysis, "--out", job.path])
        XCTAssertEqual(w.status, 0, w.stderr)
        let deadline = Date().addingTimeInterval(patience)

        let s = try Self.run(job.appendingPathComponent("submit.sh").path, [])
        XCTAssertEqual(s.status, 0, s.stdout + s.stderr)
        let (array, merge) = try Self.ids(s.stdout, "submitted array", "and merge")
        let (analysis, analysisMerge) = try Self.ids(s.stdout, "analysis array", "and analysis merge")
        submitted += [array, merge, analysis, analysisMerge]
        // One task at a time (%1): task 1 is still pending.
        XCTAssertEqual(try Self.slurm(["scancel", "\(array)_1"]).status, 0)
        XCTAssertEqual(try Self.waitForEnd(merge, deadline: deadline, job: job, submitted).state, "FAILED")
        for id in [analysis, analysisMerge] {
            XCTAssertEqual(try Self.waitForEnd(id, deadline: deadline, job: job, submitted, neverStarts: true).state, "CANCELLED", "job \(id)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: job.appendingPathComponent("analysis.jsonl").path))
        // An analysis rerun is refused while the training is not merged.
        let early = try Self.run(job.appendingPathComponent("resubmit-analysis.sh").path, ["0"])
        XCTAssertEqual(early.status, 1, early.stdout + early.stderr)
        XCTAssertTrue(early.stderr.contains("the training is not merged yet"), early.stderr)

        let r = try Self.run(job.appendingPathComponent("resubmit.sh").path, ["1"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let (again, merge2) = try Self.ids(r.stdout, "1 as", "and merge")
        let (analysis2, analysisMerge2) = try Self.ids(r.stdout, "analysis array", "and analysis merge")
        submitted += [again, merge2, analysis2, analysisMerge2]
        let done = try Self.waitForEnd(analysisMerge2, deadline: deadline, job: job, submitted)
        XCTAssertEqual(done.state, "COMPLETED", Self.diagnose(job, submitted))
        XCTAssertTrue(FileManager.default.fileExists(atPath: job.appendingPathComponent("analysis-summary.json").path))

        XCTAssertTrue(FileManager.default.fileExists(atPath: job.appendingPathComponent("analysis-plots/mechanisms_by_g.svg").path), "the merge draws the population figures")

        // A lost analysis shard: resubmit-analysis.sh reruns its task and the merge.
        try FileManager.default.removeItem(at: job.appendingPathComponent("analysis-shard-1-of-3.jsonl"))
        let ra = try Self.run(job.appendingPathComponent("resubmit-analysis.sh").path, ["1"])
        XCTAssertEqual(ra.status, 0, ra.stdout + ra.stderr)
        let (analysis3, analysisMerge3) = try Self.ids(ra.stdout, "tasks 1 as", "and analysis merge")
        submitted += [analysis3, analysisMerge3]
        // While that analysis (its merge waits for it) is queued, another would share its files.
        let twice = try Self.run(job.appendingPathComponent("resubmit-analysis.sh").path, ["1"])
        XCTAssertEqual(twice.status, 1, twice.stdout + twice.stderr)
        XCTAssertTrue(twice.stderr.contains("still queued or running"), twice.stderr)
        if let extra = try? Self.ids(twice.stdout, "tasks 1 as", "and analysis merge") { submitted += [extra.0, extra.1] }
        XCTAssertEqual(try Self.waitForEnd(analysisMerge3, deadline: deadline, job: job, submitted).state, "COMPLETED", Self.diagnose(job, submitted))

        let one = dir.appendingPathComponent("one.jsonl")
        let direct = try CLI.run(["analyze", job.path, "--backend", "cpu", "--out", one.path] + Self.quickAnalysis.split(separator: " ").map(String.init))
        XCTAssertEqual(direct.status, 0, direct.stderr)
        let merged = try Self.analysisRows(job.appendingPathComponent("analysis.jsonl")), alone = try Self.analysisRows(one)
        XCTAssertEqual(merged.count, 4)
        XCTAssertEqual(Set(merged.keys), Set(alone.keys))
        for (key, row) in alone {
            let other = merged[key] ?? [:]
            let differ = Set(row.keys).union(other.keys).filter { row[$0] != other[$0] }.sorted()
            XCTAssertTrue(differ.isEmpty, "\(key): " + differ.prefix(5).map { "\($0) \(other[$0] ?? "none") ≠ \(row[$0] ?? "none")" }.joined(separator: "; "))
        }
        // Each merged row's points file, relative to analysis.jsonl, holds the same states.
        let mergedPaths = try Self.pointFiles(job.appendingPathComponent("analysis.jsonl")), alonePaths = try Self.pointFiles(one)
        XCTAssertEqual(Set(mergedPaths.keys), Set(alonePaths.keys))
        for (key, path) in mergedPaths {
            let a = try Data(contentsOf: job.appendingPathComponent(path)), b = try Data(contentsOf: dir.appendingPathComponent(try XCTUnwrap(alonePaths[key])))
            XCTAssertEqual(a, b, "\(key): \(path)")
        }
    }

    /// The points file of every row that has one, by archive.
    static func pointFiles(_ url: URL) throws -> [String: String] {
        var files: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
            let row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let archive = row["archive"] as? String, let path = row["pointStates"] as? String { files[archive] = path }
        }
        return files
    }

    /// Analysis rows by archive, flattened, without their times and the name of their points file.
    static func analysisRows(_ url: URL) throws -> [String: [String: String]] {
        var rows: [String: [String: String]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
            let row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var flat: [String: String] = [:]
            flatten(row, "", into: &flat)
            rows[flat["archive"] ?? "?"] = flat.filter { !$0.key.hasSuffix("seconds") && $0.key != "pointStates" }
        }
        return rows
    }
}
