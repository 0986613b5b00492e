import Foundation
import WMCore

/// What a SLURM job array runs: a capacity sweep or a training population.
public enum SlurmWorkload: Sendable {
    case sweep(SweepSpec)
    case training(TrainingPopulationSpec)

    /// The spec file the tasks read.
    public var specFile: String {
        switch self {
        case .sweep: return "sweep.json"
        case .training: return "population.json"
        }
    }

    public var fingerprint: String {
        switch self {
        case .sweep(let s): return s.fingerprint
        case .training(let s): return s.fingerprint
        }
    }

    /// "12 points × 5 seeds".
    public var size: String {
        switch self {
        case .sweep(let s): return "\((try? s.plan().points.count) ?? 0) points × \(s.replicates) seeds"
        case .training(let s): return "\((try? s.plan().points.count) ?? 0) points × \(s.replicates) seeds"
        }
    }

    /// The wmsim arguments of array task `$i` of `n`.
    func taskArguments(shards n: Int) -> [String] {
        switch self {
        case .sweep: return ["sweep", "--config", specFile, "--shard", "\"$i/\(n)\"", "--out", "\"results/shard-$i.jsonl\""]
        case .training: return ["train", "--config", specFile, "--shard", "\"$i/\(n)\"", "--out", "."]
        }
    }

    /// The results file of shard i.
    func shardFile(_ i: Int, of n: Int) -> String {
        switch self {
        case .sweep: return "results/shard-\(i).jsonl"
        case .training: return "results-shard-\(i)-of-\(n).jsonl"
        }
    }

    func writeSpec(to url: URL) throws {
        switch self {
        case .sweep(let s): try ResultWriter.json(s, to: url)
        case .training(let s): try ResultWriter.json(s, to: url)
        }
    }
}

/// A SLURM job array for a sweep or a training population: one array task per shard, then a
/// merge job.
///
/// Files written into `folder`: the exact spec (`sweep.json` or `population.json`),
/// `sweep.sbatch` (array task i runs `wmsim sweep --config sweep.json --shard i/n --out
/// results/shard-i.jsonl`, or `wmsim train --config population.json --shard i/n --out .`; a
/// requeued or rerun task resumes its shard), `merge.sbatch` (joins the shards into
/// `results.jsonl`, failing with the missing networks listed when the set is incomplete),
/// `submit.sh` (submits the array, then the merge with `--dependency=afterany`) and
/// `resubmit.sh TASKS` (reruns tasks, then the merge). Paths in the scripts are absolute,
/// logs/ and results/ exist, and logs are appended to. Array tasks get SIGTERM two minutes
/// before their time limit (`--signal=B:TERM@120`), so wmsim ends them itself, saying what it kept.
/// A training population with an analysis stage (`analyse(shards:arguments:)`) adds
/// `analyze.sbatch` (task i analyses every m-th trained network into
/// `analysis-shard-i-of-m.jsonl`), `analyze-merge.sbatch` (→ `analysis.jsonl`, its summary and
/// figures) and `resubmit-analysis.sh TASKS`; submit.sh and resubmit.sh chain them after a
/// training merge that passed (which leaves `training.complete`).
public struct SlurmJob: Sendable {
    public var workload: SlurmWorkload
    public var shards: Int
    /// The wmsim executable the nodes run (absolute path).
    public var executable: String
    /// Extra task arguments (backend, device, memory budget), already split.
    public var sweepArguments: [String] = []
    public var jobName = "wmsim-sweep"
    public var partition: String? = nil
    public var account: String? = nil
    public var time = "04:00:00"
    public var memory = "16G"
    public var cpusPerTask = 2
    public var gpusPerTask = 0
    /// Most array tasks running at once (nil: no limit).
    public var maxConcurrent: Int? = nil
    /// A training population only: after its merge succeeds, analyse the trained networks
    /// (`wmsim analyze`) in this many array tasks, then merge those (nil: no analysis).
    public private(set) var analysisShards: Int? = nil
    /// Extra `wmsim analyze` arguments (thresholds, search sizes), already split and checked.
    public private(set) var analysisArguments: [String] = []
    /// The job folder as the scripts name it: absolute, so `sbatch sweep.sbatch` works from any
    /// directory (set by `write(to:)`).
    public var folder = "."

    public init(spec: SweepSpec, shards: Int, executable: String) throws {
        try spec.validate()
        try self.init(workload: .sweep(spec), shards: shards, executable: executable)
    }

    public init(workload: SlurmWorkload, shards: Int, executable: String) throws {
        guard shards >= 1 else { throw WMError.invalidParameter(name: "shards", value: "\(shards)", expected: "≥ 1") }
        if case .training(let p) = workload {
            try p.validate()
            jobName = "wmsim-train"
        }
        self.workload = workload
        self.shards = shards
        self.executable = executable
    }

    /// Adds the analysis stage (a training population only).
    public mutating func analyse(shards n: Int, arguments: [String] = []) throws {
        guard case .training = workload else {
            throw WMError.invalidParameter(name: "analysis", value: "a sweep", expected: "a training population (--population): sweeps hold no trained networks")
        }
        guard n >= 1 else { throw WMError.invalidParameter(name: "analysis shards", value: "\(n)", expected: "≥ 1") }
        analysisShards = n
        analysisArguments = arguments
    }

    static func quote(_ s: String) -> String {
        if s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-=:,+".contains($0) }) && !s.isEmpty { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    func directives(name: String, array: Bool, tasks: Int? = nil) -> [String] {
        let tasks = tasks ?? shards
        let dir = Self.quote(folder)
        // Absolute paths and an existing logs/ (made by write(to:)): a script submitted from
        // another directory still finds its folder; append mode keeps a requeued task's first log.
        var d = ["#!/bin/bash", "#SBATCH --job-name=\(name)", "#SBATCH --time=\(time)", "#SBATCH --mem=\(memory)",
                 "#SBATCH --cpus-per-task=\(cpusPerTask)", "#SBATCH --output=\(dir)/logs/%x-%A_%a.out", "#SBATCH --chdir=\(dir)",
                 "#SBATCH --open-mode=append"]
        if !array { d[5] = "#SBATCH --output=\(dir)/logs/%x-%j.out" }
        if array {
            d.append("#SBATCH --array=0-\(tasks - 1)\(maxConcurrent.map { "%\($0)" } ?? "")")
            // SIGTERM to the batch shell (B:), which has exec'd wmsim, 2 minutes before the time
            // limit: wmsim finishes and syncs the batch in flight (up to WMSIM_TERM_GRACE = 100 s,
            // set in the script), says what it kept and exits 143 on its own, before SLURM's
            // SIGKILL, and a rerun resumes from there. (SLURM may send it up to a minute earlier.)
            d.append("#SBATCH --signal=B:TERM@120")
        }
        if let p = partition { d.append("#SBATCH --partition=\(p)") }
        if let a = account { d.append("#SBATCH --account=\(a)") }
        if gpusPerTask > 0 && array { d.append("#SBATCH --gpus-per-task=\(gpusPerTask)") }
        return d
    }

    /// The script of the array tasks.
    public var arrayScript: String {
        (directives(name: jobName, array: true) + [
            "# \(workload.specFile) \(workload.fingerprint): \(workload.size) in \(shards) shard(s).",
            "# Rerunning a task (sbatch --array=i sweep.sbatch) resumes its shard where it stopped.",
            "set -euo pipefail",
            "cd \(Self.quote(folder))",
            "mkdir -p results logs",
            "i=${SLURM_ARRAY_TASK_ID:?run as a SLURM array task, or set SLURM_ARRAY_TASK_ID}",
            "# On the time-limit signal (120 s ahead), let the batch in flight finish for up to 100 s.",
            "export WMSIM_TERM_GRACE=${WMSIM_TERM_GRACE:-100}",
            (["exec", Self.quote(executable)] + workload.taskArguments(shards: shards) + sweepArguments.map(Self.quote)).joined(separator: " "),
        ]).joined(separator: "\n") + "\n"
    }

    /// The script of the merge job.
    public var mergeScript: String {
        // Runs after the array ends however it ended (afterany). --force: results.jsonl is this
        // job's own file, replaced by a rerun. --skip-missing-files: a task that never started
        // wrote no file; the merge then fails loudly, listing what is missing.
        let merge = "\(Self.quote(executable)) merge " + (0..<shards).map { workload.shardFile($0, of: shards) }.joined(separator: " ")
            + " --output results.jsonl --force --skip-missing-files"
        var lines = directives(name: jobName + "-merge", array: false) + ["set -euo pipefail", "cd \(Self.quote(folder))"]
        if analysisShards != nil {
            // The merged file is written even when networks are missing; the analysis needs to
            // know that this merge passed, so it leaves a marker only then (set -e stops before
            // the touch on a failure, and passes wmsim's exit status on).
            lines += ["rm -f \(Self.trainingComplete)", merge, "touch \(Self.trainingComplete)"]
        } else {
            lines.append("exec " + merge)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Written by the training merge when it passed (every network trained), removed when it
    /// starts: what `resubmit-analysis.sh` checks.
    static let trainingComplete = "training.complete"

    /// Submits the array and the dependent merge.
    public var submitScript: String {
        """
        #!/bin/bash
        # Submit the array, then the merge once every task has ended, however it ended
        # (afterany): the merge fails, listing the missing networks, if a task did not finish;
        # then ./resubmit.sh TASKS reruns those tasks (they resume) and the merge.
        set -euo pipefail
        cd \(Self.quote(folder))
        mkdir -p results logs
        array=$(sbatch --parsable sweep.sbatch)
        array=${array%%;*}
        merge=$(sbatch --parsable --dependency=afterany:$array merge.sbatch)
        echo "submitted array $array (\(shards) task(s)) and merge ${merge%%;*}"
        \(analysisChain)
        """
    }

    /// submit.sh's and resubmit.sh's last lines with an analysis stage: its array once the
    /// training merge has succeeded, then its merge; both are cancelled if that merge fails
    /// (`--kill-on-invalid-dep`), and resubmit.sh submits them again.
    var analysisChain: String {
        guard let a = analysisShards else { return "" }
        return """
        merge=${merge%%;*}
        analysis=$(sbatch --parsable --dependency=afterok:$merge --kill-on-invalid-dep=yes analyze.sbatch)
        analysis=${analysis%%;*}
        amerge=$(sbatch --parsable --dependency=afterok:$merge,afterany:$analysis --kill-on-invalid-dep=yes analyze-merge.sbatch)
        echo "then analysis array $analysis (\(a) task(s)) and analysis merge ${amerge%%;*}"

        """
    }

    /// Lines that read the jobs of this folder SLURM still holds ("id|name|state", the array's
    /// id for array tasks) and stop the script, saying `why`, when one whose "name|state" matches
    /// the extended regular expression `held` is among them. A squeue that does not answer stops
    /// it too: what the check guards against cannot then be ruled out.
    static func refuseWhileHeld(_ held: String, _ why: String) -> String {
        """
        q=$(squeue -h -u "$(id -un)" -o "%A|%j|%t|%Z") || { echo "squeue did not answer: cannot tell whether jobs of this folder are still queued; try again" >&2; exit 1; }
        held=$(awk -F'|' -v d="$PWD" '$4 == d { print $1 "|" $2 "|" $3 }' <<<"$q")
        if grep -qE '^[^|]*[|]\(held)' <<<"$held"; then
            echo "\(why) (squeue -u $(id -un)): wait for it or scancel it, then rerun" >&2
            exit 1
        fi

        """
    }

    /// resubmit.sh's guard with an analysis stage: a running analysis of this folder refuses
    /// (a second one would work on its shard files); queued analysis jobs are cancelled, since
    /// the chain this script submits replaces them; the training marker is removed until the
    /// new merge passes.
    var resubmitAnalysisGuard: String {
        guard analysisShards != nil else { return "" }
        return Self.refuseWhileHeld("wmsim-analyze(-merge)?[|][^P]", "an analysis of this folder is running") + """
        queued=$(grep -E '^[^|]*[|]wmsim-analyze(-merge)?[|]PD' <<<"$held" | cut -d'|' -f1 | sort -u | tr '\\n' ' ' || true)
        if [ -n "${queued// /}" ]; then
            scancel $queued
            echo "cancelled the queued analysis job(s) $queued: the chain below replaces them"
        fi
        rm -f \(Self.trainingComplete)

        """
    }

    /// resubmit-analysis.sh's guard: no analysis (running or queued, whose shard files a second
    /// one would share) and no training of this folder may still be held by SLURM.
    var analysisBusyGuard: String {
        guard analysisShards != nil else { return "" }
        return Self.refuseWhileHeld("wmsim-(analyze|train)(-merge)?[|]", "a training or analysis job of this folder is still queued or running")
    }

    /// The analysis array's results file of task i of n, in the job folder beside the merged
    /// analysis.jsonl, so the rows' relative paths to their points (analysis-shard-i-of-n-points/)
    /// hold in the merge too.
    static func analysisShardFile(_ i: Int, of n: Int) -> String { "analysis-shard-\(i)-of-\(n).jsonl" }

    /// The script of the analysis array: task i analyses every n-th trained network of networks/.
    public var analysisArrayScript: String? {
        guard let a = analysisShards else { return nil }
        return (directives(name: "wmsim-analyze", array: true, tasks: a) + [
            "# Analyses the trained networks of networks/ in \(a) shard(s), after the training merge has succeeded.",
            "# Rerunning a task (sbatch --array=i analyze.sbatch, or ./resubmit-analysis.sh i) resumes its shard.",
            "set -euo pipefail",
            "cd \(Self.quote(folder))",
            "mkdir -p logs",
            "i=${SLURM_ARRAY_TASK_ID:?run as a SLURM array task, or set SLURM_ARRAY_TASK_ID}",
            "export WMSIM_TERM_GRACE=${WMSIM_TERM_GRACE:-100}",
            (["exec", Self.quote(executable), "analyze", Self.quote(folder), "--shard", "\"$i/\(a)\"", "--out", "\"analysis-shard-$i-of-\(a).jsonl\""]
                + sweepArguments.map(Self.quote) + analysisArguments.map(Self.quote)).joined(separator: " "),
        ]).joined(separator: "\n") + "\n"
    }

    /// The script of the analysis merge: analysis.jsonl and analysis-summary.json in the job folder.
    public var analysisMergeScript: String? {
        guard let a = analysisShards else { return nil }
        return (directives(name: "wmsim-analyze-merge", array: false) + [
            "set -euo pipefail",
            "cd \(Self.quote(folder))",
            "exec \(Self.quote(executable)) merge " + (0..<a).map { Self.analysisShardFile($0, of: a) }.joined(separator: " ")
                + " --output analysis.jsonl --force --skip-missing-files",
        ]).joined(separator: "\n") + "\n"
    }

    /// Reruns some analysis tasks (they resume their shards) and then the analysis merge.
    public var resubmitAnalysisScript: String? {
        guard analysisShards != nil else { return nil }
        return """
        #!/bin/bash
        # Usage: ./resubmit-analysis.sh TASKS   (e.g. 1,3: the analysis array tasks to run again)
        # A task resumes its shard where it stopped; the analysis merge runs after they end.
        set -euo pipefail
        cd \(Self.quote(folder))
        tasks=${1:?give the analysis tasks to rerun, e.g. ./resubmit-analysis.sh 1,3}
        # The analysis covers the whole population: only once the training merge has passed.
        if [ ! -f \(Self.trainingComplete) ]; then
            echo "\(Self.trainingComplete) is missing: the training is not merged yet; run ./resubmit.sh with the failed training tasks first" >&2
            exit 1
        fi
        \(analysisBusyGuard)mkdir -p logs
        analysis=$(sbatch --parsable --array="$tasks" analyze.sbatch)
        analysis=${analysis%%;*}
        amerge=$(sbatch --parsable --dependency=afterany:$analysis analyze-merge.sbatch)
        echo "resubmitted analysis tasks $tasks as $analysis and analysis merge ${amerge%%;*}"

        """
    }

    /// Reruns some array tasks (they resume their shards) and then the merge.
    public var resubmitScript: String {
        """
        #!/bin/bash
        # Usage: ./resubmit.sh TASKS   (e.g. 2,5 or 0-3: the array tasks to run again)
        # A task resumes its shard where it stopped; the merge runs after they end.
        set -euo pipefail
        cd \(Self.quote(folder))
        tasks=${1:?give the array tasks to rerun, e.g. ./resubmit.sh 2,5}
        \(resubmitAnalysisGuard)mkdir -p results logs
        array=$(sbatch --parsable --array="$tasks" sweep.sbatch)
        array=${array%%;*}
        merge=$(sbatch --parsable --dependency=afterany:$array merge.sbatch)
        echo "resubmitted tasks $tasks as $array and merge ${merge%%;*}"
        \(analysisChain)
        """
    }

    /// The names of the files `write(to:)` writes, spec first.
    public var files: [String] { [workload.specFile] + scripts.map(\.name) }

    var scripts: [(name: String, text: String)] {
        var s = [("sweep.sbatch", arrayScript), ("merge.sbatch", mergeScript), ("submit.sh", submitScript), ("resubmit.sh", resubmitScript)]
        if let a = analysisArrayScript, let m = analysisMergeScript, let r = resubmitAnalysisScript {
            s += [("analyze.sbatch", a), ("analyze-merge.sbatch", m), ("resubmit-analysis.sh", r)]
        }
        return s
    }

    /// Writes the files (`files`) into `folder` (created if needed), replacing any that exist;
    /// callers that must not overwrite check `files` first.
    public func write(to folder: URL) throws {
        let fm = FileManager.default
        var job = self
        job.folder = folder.standardizedFileURL.path
        do {
            try fm.createDirectory(at: folder.appendingPathComponent("logs"), withIntermediateDirectories: true)
            try fm.createDirectory(at: folder.appendingPathComponent("results"), withIntermediateDirectories: true)
            try workload.writeSpec(to: folder.appendingPathComponent(workload.specFile))
            for (name, text) in job.scripts {
                let u = folder.appendingPathComponent(name)
                try ResultWriter.text(text, to: u)
                try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: u.path)
            }
        } catch let e as WMError {
            throw e
        } catch { throw WMError.file(path: folder.path, reason: "cannot write the SLURM job: \(error.localizedDescription)") }
    }
}
