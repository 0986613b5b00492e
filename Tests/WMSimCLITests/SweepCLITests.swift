import Foundation
import XCTest

final class SweepCLITests: XCTestCase {
    let small = ["--n", "40", "--sp", "0.3", "--rule", "leaky", "--gin", "1", "--spin", "0.5", "--washout", "50", "--train", "600",
                 "--validation", "200", "--test", "300", "--max-lag", "20", "--backend", "cpu"]

    func rows(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst().map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testSweepRunsResumesAndPrintsPointMeans() throws {
        let dir = CLI.tempDir("sweep")
        let out = dir.appendingPathComponent("r.jsonl")
        let args = ["sweep"] + small + ["--vary", "g=0.5:1.5:3", "--vary", "X=1,5", "--replicates", "2", "--out", out.path]
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ridge MC [95% CI]") && r.stdout.contains("r(X=5)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("6 network(s) measured"), r.stdout)
        XCTAssertEqual(try rows(out).count, 6)
        // Truncate the last row as an interrupted run would leave it, then rerun the same command.
        var text = try String(contentsOf: out, encoding: .utf8)
        text.removeLast(30)
        try text.write(to: out, atomically: true, encoding: .utf8)
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("resuming: 5 of 6"), again.stderr)
        XCTAssertTrue(again.stderr.contains("truncated"), again.stderr)
        XCTAssertTrue(again.stdout.contains("1 network(s) measured"), again.stdout)
        XCTAssertEqual(try rows(out).count, 6)
        // Same file, different sweep: refused, file untouched.
        let before = try Data(contentsOf: out)
        let other = try CLI.run(["sweep"] + small + ["--vary", "g=0.5:1.5:4", "--replicates", "2", "--out", out.path])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("different sweep") && other.stderr.contains("axes"), other.stderr)
        XCTAssertEqual(try Data(contentsOf: out), before)
    }

    func testSweepBadInput() throws {
        let dir = CLI.tempDir("sweepbad")
        func fails(_ extra: [String], _ text: String) throws {
            let r = try CLI.run(["sweep"] + small + extra + ["--out", dir.appendingPathComponent(UUID().uuidString + ".jsonl").path])
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(text), "\(extra): \(r.stderr)")
        }
        try fails(["--vary", "gain=1,2"], "one of N, g, gIn")
        try fails(["--vary", "g=1.5:0.5:3"], "empty or inverted")
        try fails(["--vary", "g=1,2", "--shard", "3/3"], "0 ≤ i < n")
        try fails([], "at least one varied parameter")
        try fails(["--vary", "sp=0.1,2"], "sweep point 1")
        try fails(["--vary", "X=1,50"], "maxLag")
    }

    func testDryRunListsThePlan() throws {
        let r = try CLI.run(["sweep"] + small + ["--g", "1", "--vary", "g=0.5,1", "--vary", "gin=1,2", "--mode", "one-at-a-time", "--dry-run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("3 point(s) × 5 seed(s) = 15 networks"), r.stderr)
        XCTAssertTrue(r.stdout.contains("g=1 gIn=1") && r.stdout.contains("g,gIn"), r.stdout)
    }

    /// The generated SLURM scripts, run here with SLURM_ARRAY_TASK_ID set as SLURM would set it
    /// (no SLURM daemon in CI), produce the same results as one `wmsim sweep`.
    func testSlurmScriptsRunShardsAndMerge() throws {
        let dir = CLI.tempDir("slurm")
        let job = dir.appendingPathComponent("job")
        let sweepArgs = small.filter { $0 != "--backend" && $0 != "cpu" } + ["--vary", "g=0.5:1.5:3", "--vary", "N=30,40", "--replicates", "2"]
        let w = try CLI.run(["slurm"] + sweepArgs + ["--shards", "3", "--backend", "cpu", "--wmsim", CLI.binary.path, "--out", job.path,
                                                     "--partition", "short", "--time", "00:10:00"])
        XCTAssertEqual(w.status, 0, w.stderr)
        let sbatch = try String(contentsOf: job.appendingPathComponent("sweep.sbatch"), encoding: .utf8)
        XCTAssertTrue(sbatch.contains("#SBATCH --array=0-2") && sbatch.contains("#SBATCH --partition=short") && sbatch.contains("--time=00:10:00"), sbatch)
        // Absolute paths, appended logs, an existing logs/: submitted from anywhere, requeues keep the first log.
        let abs = job.standardizedFileURL.path
        XCTAssertTrue(sbatch.contains("#SBATCH --chdir=\(abs)") && sbatch.contains("#SBATCH --output=\(abs)/logs/") && sbatch.contains("--open-mode=append"), sbatch)
        // The time-limit signal comes 120 s ahead; the batch in flight may use 100 of them.
        XCTAssertTrue(sbatch.contains("#SBATCH --signal=B:TERM@120") && sbatch.contains("export WMSIM_TERM_GRACE=${WMSIM_TERM_GRACE:-100}"), sbatch)
        XCTAssertTrue(FileManager.default.fileExists(atPath: job.appendingPathComponent("logs").path))
        let submit = try String(contentsOf: job.appendingPathComponent("submit.sh"), encoding: .utf8)
        XCTAssertTrue(submit.contains("--dependency=afterany:"), "the merge runs however the array ended")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: job.appendingPathComponent("resubmit.sh").path))
        /// Runs a script as SLURM would, from another directory.
        func script(_ name: String, task: Int? = nil) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [job.appendingPathComponent(name).path]
            p.currentDirectoryURL = dir
            var env = ProcessInfo.processInfo.environment
            env["SLURM_ARRAY_TASK_ID"] = task.map(String.init)
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        // Task 1 fails to run (here: not started): the merge fails loudly, the others' rows kept.
        for i in [0, 2] { XCTAssertEqual(try script("sweep.sbatch", task: i), 0, "task \(i)") }
        XCTAssertNotEqual(try script("merge.sbatch"), 0, "an incomplete merge fails")
        let partial = try CLI.run(["merge", job.appendingPathComponent("results/shard-0.jsonl").path, job.appendingPathComponent("results/shard-1.jsonl").path,
                                   "-o", dir.appendingPathComponent("partial.jsonl").path, "--skip-missing-files"])
        XCTAssertEqual(partial.status, 1)
        XCTAssertTrue(partial.stderr.contains("does not exist") && partial.stderr.contains("incomplete:") && partial.stderr.contains("resubmit.sh"), partial.stderr)
        // Rerun task 1 (what resubmit.sh submits), then the merge passes.
        XCTAssertEqual(try script("sweep.sbatch", task: 1), 0)
        XCTAssertEqual(try script("merge.sbatch"), 0)
        let one = dir.appendingPathComponent("one.jsonl")
        let r = try CLI.run(["sweep"] + sweepArgs + ["--backend", "cpu", "--out", one.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let merged = try rows(job.appendingPathComponent("results.jsonl"))
        let direct = try rows(one)
        XCTAssertEqual(merged.count, 12)
        func key(_ r: [String: Any]) -> String { "\(r["point"]!)/\(r["replicate"]!)" }
        let byKey = Dictionary(uniqueKeysWithValues: direct.map { (key($0), $0["ridgeMC"] as? Double) })
        for row in merged { XCTAssertEqual(row["ridgeMC"] as? Double, byKey[key(row)] ?? nil, key(row)) }
    }

    /// The flat CSV: one row per network, one column per parameter and lag, read by Python's csv
    /// module with every number a float; the header records the command and the host.
    func testExportWritesAFlatCSVAndTheHeaderRecordsTheCommand() throws {
        let (dir, file) = try smallSweep("export")
        let header = try XCTUnwrap(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").first)
        let h = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        XCTAssertEqual((h["command"] as? [String])?.dropFirst().first, "sweep")
        XCTAssertEqual(h["host"] as? String, ProcessInfo.processInfo.hostName)
        // The binary runs from this checkout: its commit is recorded (with -dirty for local changes).
        let head = Process()
        head.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        head.arguments = ["git", "-C", CLI.packageRoot.path, "rev-parse", "HEAD"]
        let shaPipe = Pipe()
        head.standardOutput = shaPipe
        try head.run()
        let sha = String(decoding: shaPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        head.waitUntilExit()
        if head.terminationStatus == 0, sha.count == 40 {
            XCTAssertTrue((h["commit"] as? String)?.hasPrefix(sha) ?? false, "\(h["commit"] ?? "none") vs \(sha)")
        }
        let e = try CLI.run(["export", file.path])
        XCTAssertEqual(e.status, 0, e.stderr)
        let csv = dir.appendingPathComponent("r.csv")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import csv, sys, json
            rows = list(csv.DictReader(open(sys.argv[1])))
            cols = list(rows[0].keys())
            nums = [c for c in cols if c.endswith("_mc") or "_r_lag" in c or c in ("g", "seed")]
            vals = [float(r[c]) for r in rows for c in nums]
            mc = {f"{r['point']}/{r['replicate']}": float(r["ridge_mc"]) for r in rows}
            print(json.dumps({"n": len(rows), "cols": cols, "values": len(vals), "mc": mc}))
            """, csv.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: out) as? [String: Any])
        XCTAssertEqual(o["n"] as? Int, 4)
        let cols = try XCTUnwrap(o["cols"] as? [String])
        XCTAssertEqual(Array(cols.prefix(5)), ["point", "replicate", "seed", "g", "ridge_mc"])
        XCTAssertTrue(cols.contains("ridge_r_lag1") && cols.last == "batch", "\(cols)")
        // The values equal the JSON rows'.
        let mc = try XCTUnwrap(o["mc"] as? [String: Double])
        for row in try rows(file) {
            XCTAssertEqual(mc["\(row["point"]!)/\(row["replicate"]!)"], row["ridgeMC"] as? Double)
        }
        XCTAssertNotEqual(try CLI.run(["export", file.path]).status, 0, "an existing CSV is not overwritten")
    }

    /// A time-limit kill (SIGTERM) says what is kept and exits 143; the rerun resumes and
    /// completes the sweep.
    func testSIGTERMSaysWhatIsKeptAndTheRerunResumes() throws {
        let dir = CLI.tempDir("sigterm")
        let file = dir.appendingPathComponent("r.jsonl")
        let args = ["sweep", "--n", "150", "--backend", "cpu", "--max-lag", "5", "--washout", "50", "--train", "3000", "--validation", "60",
                    "--test", "100", "--vary", "g=0.5:1:4", "--replicates", "4", "--out", file.path]
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait for the whole first batch (the header and its 4 rows: rows appear one by one, so one
        // row alone can mean the first batch is still being written), then send what SLURM sends
        // at a time limit.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 5 { usleep(50_000) }
        p.terminate()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 143 else {
            // The sweep finished before the signal (a very fast machine): nothing to check.
            XCTAssertEqual(p.terminationStatus, 0, text)
            return
        }
        XCTAssertTrue(text.contains("interrupted by SIGTERM") && text.contains("of 16 kept in \(file.path)") && text.contains("rerun the same command"), text)
        // The batch in flight when the signal came was finished and synced, not lost.
        XCTAssertTrue(text.contains("finishing the batch in flight") && text.contains("the batch in flight finished and was kept"), text)
        let kept = try rows(file).count
        XCTAssertGreaterThan(kept, 4, "more than the first batch (4 networks) is kept")
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("resuming:"), again.stderr)
        XCTAssertEqual(try rows(file).count, 16)
    }

    /// A small finished sweep (2 points × 2 seeds) in a fresh folder.
    func smallSweep(_ name: String) throws -> (dir: URL, file: URL) {
        let dir = CLI.tempDir(name)
        let file = dir.appendingPathComponent("r.jsonl")
        let r = try CLI.run(["sweep"] + small + ["--vary", "g=0.5,1", "--replicates", "2", "--out", file.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (dir, file)
    }

    func testMergeRefusesAnExistingOutputUnlessForced() throws {
        let (dir, file) = try smallSweep("merge-exists")
        let other = dir.appendingPathComponent("notes.txt")
        try "not a results file".write(to: other, atomically: true, encoding: .utf8)
        let r = try CLI.run(["merge", file.path, "-o", other.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(other.path): exists; choose another --output or pass --force"), r.stderr)
        XCTAssertEqual(try String(contentsOf: other, encoding: .utf8), "not a results file")
        let f = try CLI.run(["merge", file.path, "-o", other.path, "--force"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(try rows(other).count, 4)
        // An output that is also an input stays refused, --force or not.
        for extra in [[], ["--force"]] {
            let same = try CLI.run(["merge", file.path, "-o", file.path] + extra)
            XCTAssertNotEqual(same.status, 0)
            XCTAssertTrue(same.stderr.contains("the output is also an input"), same.stderr)
        }
    }

    func testSlurmRefusesExistingFilesUnlessForced() throws {
        let job = CLI.tempDir("slurm-exists")
        try "my own sweep".write(to: job.appendingPathComponent("sweep.json"), atomically: true, encoding: .utf8)
        try "my own script".write(to: job.appendingPathComponent("submit.sh"), atomically: true, encoding: .utf8)
        let args = ["slurm"] + small.filter { $0 != "--backend" && $0 != "cpu" } + ["--vary", "g=0.5,1", "--shards", "2", "--out", job.path]
        let r = try CLI.run(args)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("already holds sweep.json, submit.sh") && r.stderr.contains("--force"), r.stderr)
        XCTAssertEqual(try String(contentsOf: job.appendingPathComponent("submit.sh"), encoding: .utf8), "my own script")
        XCTAssertFalse(FileManager.default.fileExists(atPath: job.appendingPathComponent("sweep.sbatch").path), "nothing written")
        let f = try CLI.run(args + ["--force"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertTrue(try String(contentsOf: job.appendingPathComponent("submit.sh"), encoding: .utf8).contains("sbatch"))
        // The merge job replaces its own results.jsonl when rerun.
        XCTAssertTrue(try String(contentsOf: job.appendingPathComponent("merge.sbatch"), encoding: .utf8).contains("--output results.jsonl --force"))
    }

    /// Rows of impossible (point, replicate) are skipped with a warning by merge and stats; stats
    /// crashed on them.
    func testRowsOutsideThePlanAreSkippedByMergeAndStats() throws {
        let (dir, file) = try smallSweep("outside")
        var text = try String(contentsOf: file, encoding: .utf8)
        let first = try XCTUnwrap(text.split(separator: "\n").dropFirst().first)
        for (p, r) in [(-1, 0), (500, 0), (0, -1), (1, 2)] {
            text += first.replacingOccurrences(of: "\"point\":0,", with: "\"point\":\(p),")
                .replacingOccurrences(of: "\"replicate\":0,", with: "\"replicate\":\(r),") + "\n"
        }
        try text.write(to: file, atomically: true, encoding: .utf8)
        let merged = dir.appendingPathComponent("m.jsonl")
        let m = try CLI.run(["merge", file.path, "-o", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.contains("merged 4 row(s)"), m.stdout)
        XCTAssertTrue(m.stderr.contains("line 6: point -1 replicate 0 is not in this sweep's plan"), m.stderr)
        XCTAssertTrue(m.stderr.contains("line 9: point 1 replicate 2"), m.stderr)
        let s = try CLI.run(["stats", file.path, "--out", dir.appendingPathComponent("st").path])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stderr.contains("point 500 replicate 0 is not in this sweep's plan"), s.stderr)
    }

    func testStatsRefusesTooFewResamples() throws {
        let (dir, file) = try smallSweep("resamples")
        for n in ["0", "999"] {
            let r = try CLI.run(["stats", file.path, "--resamples", n, "--out", dir.appendingPathComponent("st\(n)").path])
            XCTAssertNotEqual(r.status, 0, n)
            XCTAssertTrue(r.stderr.contains("--resamples must be ≥ 1000"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("st\(n)").path))
        }
        XCTAssertEqual(try CLI.run(["stats", file.path, "--resamples", "1000", "--out", dir.appendingPathComponent("ok").path]).status, 0)
    }

    /// A resume on another backend keeps the rows and says so; each row names its backend.
    func testResumeOnAnotherBackendIsNoted() throws {
        let (_, file) = try smallSweep("backend")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let cpu = try XCTUnwrap(try rows(file).first?["backend"] as? String)
        XCTAssertTrue(cpu.hasPrefix("cpu: "), cpu)
        // As if the first three rows had run on a GPU and the run had stopped there.
        lines = [lines[0]] + lines[1...3].map { $0.replacingOccurrences(of: "\"backend\":\"\(cpu)\"", with: "\"backend\":\"opencl: Some GPU\"") }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep"] + small + ["--vary", "g=0.5,1", "--replicates", "2", "--out", file.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("resuming: 3 of 4"), r.stderr)
        XCTAssertTrue(r.stderr.contains("rows computed on another backend (3 on opencl: Some GPU); this run uses \(cpu)")
                      && r.stderr.contains("parity tolerances"), r.stderr)
        XCTAssertEqual(try rows(file).map { $0["backend"] as? String }, ["opencl: Some GPU", "opencl: Some GPU", "opencl: Some GPU", cpu])
    }

    func testAParameterVariedTwiceIsRefused() throws {
        let r = try CLI.run(["sweep"] + small + ["--vary", "g=1", "--vary", "g=2", "--dry-run"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--vary g") && r.stderr.contains("given twice (g=1 and g=2)"), r.stderr)
        let ok = try CLI.run(["sweep"] + small + ["--vary", "g=1,2", "--dry-run"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
    }

    func testAFloatForAnIntegerKeyNamesTheKey() throws {
        let dir = CLI.tempDir("floatkey")
        let toml = dir.appendingPathComponent("s.toml")
        try "replicates = 2.5\n[[axes]]\nname = \"g\"\nvalues = [0.5, 1]\n".write(to: toml, atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep", "--config", toml.path, "--dry-run"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("invalid value at replicates: expected an integer, found 2.5"), r.stderr)
    }

    func testStatsAndOptimizeEndToEnd() throws {
        let dir = CLI.tempDir("stats")
        let out = dir.appendingPathComponent("grid.jsonl")
        let r = try CLI.run(["sweep"] + small + ["--vary", "g=0.4,1.2", "--vary", "gin=0.3:3:3:log", "--replicates", "3", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try CLI.run(["stats", out.path, "--out", dir.appendingPathComponent("st").path])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stdout.contains("spearman") && s.stdout.contains("g × gIn"), s.stdout)
        for f in ["stats.json", "effects.csv", "interactions.csv", "effect_g.svg", "map_g_gIn.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("st/\(f)").path), f)
        }
        let j = try CLI.json(dir.appendingPathComponent("st/stats.json"))
        XCTAssertEqual(((j["analysis"] as? [String: Any])?["effects"] as? [Any])?.count, 2)
        let bad = try CLI.run(["stats", out.path, "--metric", "r"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--lag"), bad.stderr)
        let notSweep = try CLI.run(["stats", dir.appendingPathComponent("st/stats.json").path])
        XCTAssertNotEqual(notSweep.status, 0)

        let od = dir.appendingPathComponent("opt")
        let args = ["optimize"] + small + ["--param", "g=0.3:1.4", "--param", "gin=0.2:5", "--budget", "12", "--population", "4", "--final-seeds", "3", "--out", od.path]
        let o = try CLI.run(args)
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(o.stdout.contains("paired improvement"), o.stdout)
        XCTAssertTrue(o.stderr.contains("generation 3: 12/12 evaluations"), o.stderr)
        for f in ["optimize.json", "trace.csv", "trace.svg", "state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: od.appendingPathComponent(f).path), f)
        }
        let trace = try String(contentsOf: od.appendingPathComponent("trace.svg"), encoding: .utf8)
        XCTAssertTrue(trace.contains("best on fresh seeds (3 seeds) ± 95 % CI") && trace.contains("base on fresh seeds"), "the unbiased comparison is drawn")
        // A budget that is not a whole number of generations: said so.
        let od2 = dir.appendingPathComponent("opt2")
        let o2 = try CLI.run(["optimize"] + small + ["--param", "g=0.3:1.4", "--budget", "10", "--population", "4", "--final-seeds", "3", "--out", od2.path])
        XCTAssertEqual(o2.status, 0, o2.stderr)
        XCTAssertTrue(o2.stdout.contains("8 of the budget's 10 evaluations ran: CMA-ES evaluates whole generations of 4 candidates"), o2.stdout)
        let again = try CLI.run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("resuming after generation 3"), again.stderr)
        let badOpt = try CLI.run(["optimize"] + small + ["--param", "g=1.5:0.5"])
        XCTAssertNotEqual(badOpt.status, 0)
        XCTAssertTrue(badOpt.stderr.contains("inverted"), badOpt.stderr)
    }
}
