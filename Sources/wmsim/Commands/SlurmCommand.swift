import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim slurm`: a SLURM job array for a sweep or a training population.
struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write a SLURM job array that runs a sweep or a training population in shards, then merges them.",
        discussion: """
            Takes the same sweep definition as `wmsim sweep` and writes into --out:
            sweep.json (the exact sweep), sweep.sbatch (array task i runs shard i/n into
            results/shard-i.jsonl; a rerun or requeued task resumes its shard),
            merge.sbatch (wmsim merge → results.jsonl; fails listing the missing networks
            when a task did not finish), submit.sh (submits the array, then the merge with
            --dependency=afterany) and resubmit.sh TASKS (reruns array tasks, which resume,
            then the merge). Paths are absolute and logs appended. Array tasks get SIGTERM
            2 minutes before --time (--signal=B:TERM@120): wmsim then says what it kept and
            exits. Then: `OUT/submit.sh`.
            Analyse with `wmsim stats OUT/results.jsonl`.
            With --population FILE (a `wmsim train` population file) the tasks train
            networks instead: task i runs `wmsim train --config population.json --shard i/n
            --out .`, writing networks/ and results-shard-i-of-n.jsonl into the job folder.
            With --analyze as well, the trained networks are then analysed in an array of their
            own once the training merge has succeeded: analyze.sbatch (task i runs `wmsim
            analyze JOB --shard i/n --out analysis-shard-i-of-n.jsonl` plus --analysis-options),
            analyze-merge.sbatch (→ analysis.jsonl, analysis-summary.json, analysis-plots/) and
            resubmit-analysis.sh TASKS; submit.sh and resubmit.sh chain them after the training
            (docs/slurm.md, "A population study as one job").
            """)

    @OptionGroup var sweep: SweepOptions
    @Option(help: "A training population file (see `wmsim train --config`) instead of a sweep.", completion: .file(extensions: ["json", "toml"])) var population: String?
    @Option(help: "Array tasks (shards; default 8).") var shards: Int = 8
    @Option(help: "Job folder to write (default wmsim-out/slurm-<fingerprint>).", completion: .directory) var out: String?
    @Option(help: "wmsim executable on the nodes (default: this one's absolute path).", completion: .file()) var wmsim: String?
    @Option(help: "SLURM partition.") var partition: String?
    @Option(help: "SLURM account.") var account: String?
    @Option(help: "Time limit per task.") var time = "04:00:00"
    @Option(help: "Memory per task.") var mem = "16G"
    @Option(help: "CPUs per task.") var cpus = 2
    @Option(help: "GPUs per task.") var gpus = 0
    @Option(help: "Most tasks running at once.") var maxConcurrent: Int?
    @Option(help: "Backend the tasks use: auto, opencl, cpu (default auto).") var backend: String?
    @Flag(help: "With --population: analyse the trained networks after training (`wmsim analyze`, its own array).") var analyze = false
    @Option(help: "Analysis array tasks (default: --shards).") var analysisShards: Int?
    @Option(parsing: .unconditional, help: "More `wmsim analyze` options for the analysis tasks, as one string (e.g. \"--noise-repeats 5 --max-extension 50\").") var analysisOptions: String?
    @Flag(help: "Overwrite the files of an existing job folder (spec, sweep.sbatch, merge.sbatch, submit.sh, resubmit.sh; with --analyze also analyze.sbatch, analyze-merge.sbatch, resubmit-analysis.sh). Results files are never replaced: shard files the new tasks would refuse stop the rewrite.") var force = false

    func run() throws {
        do {
            let exe = wmsim ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
            if analyze, population == nil { throw ValidationError("--analyze analyses trained networks: it needs --population") }
            let workload: SlurmWorkload
            if let file = population {
                guard sweep.config == nil, sweep.vary.isEmpty, sweep.mode == nil, sweep.replicates == nil else {
                    throw ValidationError("--population takes the population file alone; --config, --vary, --mode and --replicates define sweeps")
                }
                workload = .training(try TrainingPopulationSpec.load(URL(fileURLWithPath: file)))
            } else {
                workload = .sweep(try sweep.spec())
            }
            var job = try SlurmJob(workload: workload, shards: shards, executable: exe)
            job.partition = partition
            job.account = account
            job.time = time
            job.memory = mem
            job.cpusPerTask = cpus
            job.gpusPerTask = gpus
            job.maxConcurrent = maxConcurrent
            if let b = backend { job.sweepArguments = ["--backend", b] }
            var analysis: AnalysisSpec? = nil
            if analyze {
                let extra = (analysisOptions ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
                analysis = try Self.checkAnalysisOptions(extra)
                try job.analyse(shards: analysisShards ?? shards, arguments: extra)
            } else if analysisShards != nil || analysisOptions != nil {
                throw ValidationError("--analysis-shards and --analysis-options need --analyze")
            }
            let url = URL(fileURLWithPath: out ?? "wmsim-out/slurm-\(workload.fingerprint)")
            // Every file the job writes, not just its scripts: a sweep.json or submit.sh of the
            // user's is as easily lost as an earlier job.
            let existing = job.files.filter { FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path) }
            if !existing.isEmpty, !force {
                throw WMError.file(path: url.path, reason: "already holds \(existing.joined(separator: ", ")); pass --force to overwrite \(existing.count == 1 ? "it" : "them") or choose another --out")
            }
            // Results of an earlier job in the folder: the tasks would fail on them hours later,
            // or the merges would silently leave them out.
            let leftovers = job.leftoverShardFiles(in: url, analysis: analysis)
            let refused = leftovers.filter(\.blocksTask)
            if !refused.isEmpty {
                throw WMError.file(path: url.path, reason: "holds files of an earlier job that this job's tasks would refuse to resume or take in:\n  "
                                   + refused.map(\.description).joined(separator: "\n  ")
                                   + "\nmove them away (merge them first if their results are wanted) or choose another --out; --force never replaces results files")
            }
            try job.write(to: url)
            for l in leftovers { Console.note("note: \(url.appendingPathComponent(l.file).path): \(l.reason); move it away to keep it out of the way") }
            print("\(workload.fingerprint): \(workload.size) in \(shards) array task(s)")
            print("wrote \(url.path)/{\(job.files.joined(separator: ","))}; submit with: cd \(url.path) && ./submit.sh")
        } catch let e as WMError { throw CLIError(e.description) }
    }

    /// Checks `wmsim analyze` options here, not on the nodes hours later: they must parse and
    /// validate as `wmsim analyze`'s, must not set what the job sets (results file, shard,
    /// backend, the folder analysed), and cannot be quoted (they are split at whitespace).
    @discardableResult
    static func checkAnalysisOptions(_ extra: [String]) throws -> AnalysisSpec {
        func refuse(_ why: String) -> ValidationError { ValidationError("--analysis-options: " + why) }
        if let q = extra.first(where: { $0.contains(where: { "\"'\\".contains($0) }) }) {
            throw refuse("\(q): the options are split at spaces and cannot be quoted, so a value cannot hold a space")
        }
        if let own = extra.first(where: { t in ["--out", "--shard", "--backend"].contains { t == $0 || t.hasPrefix($0 + "=") } }) {
            throw refuse("\(own) is set by the job (--backend applies to both arrays)")
        }
        let parsed: AnalyzeCommand
        let spec: AnalysisSpec
        do {
            parsed = try AnalyzeCommand.parse(["."] + extra)
            spec = try parsed.analysisSpec(checkArchives: false) { [] }
        } catch {
            throw refuse((error as? WMError)?.description ?? AnalyzeCommand.message(for: error))
        }
        guard parsed.dirs == ["."] else {
            throw refuse("\(parsed.dirs.dropFirst().joined(separator: " ")): options only; the job analyses the networks it trained")
        }
        guard parsed.out == nil, parsed.shard == nil, parsed.backendOptions.backend == .auto else {
            throw refuse("--out, --shard and --backend are set by the job")
        }
        return spec
    }
}
