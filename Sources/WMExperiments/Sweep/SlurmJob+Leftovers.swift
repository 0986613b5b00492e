import Foundation
import WMCore

/// A results file already in a job's folder that the job being written would not use as it is.
public struct SlurmLeftover: Sendable, Hashable, CustomStringConvertible {
    /// The file, relative to the job folder.
    public var file: String
    /// What it holds and what the job would do with it.
    public var reason: String
    /// True when an array task of the job would refuse to resume it or take it in with its own
    /// (so the job is not written); false when the job just does not read it (a file of another
    /// sharding, a network folder of another population without an analysis stage).
    public var blocksTask: Bool

    public var description: String { "\(file): \(reason)" }
}

extension SlurmJob {
    /// The shard results files in `folder` that an earlier job left and this one would not use:
    /// files of this job's sharding that its tasks would refuse to resume (another spec, other
    /// analysis options, another shard), and files of another sharding, which its merges do not
    /// read; and trained networks of no network of this population. `analysis` is what this
    /// job's analysis tasks run (their archives aside), nil without an analysis stage. A file
    /// that this job's tasks would resume is not listed.
    ///
    /// An analysis shard resumes rows of the networks it analysed, so it counts as this job's only
    /// when every training shard of this job is already in the folder and resumable (the networks
    /// are this population's) and its networks are this folder's `networks/`.
    public func leftoverShardFiles(in folder: URL, analysis: AnalysisSpec?) -> [SlurmLeftover] {
        var found: [SlurmLeftover] = []
        var trainingIntact = false
        switch workload {
        case .sweep(let spec):
            for (name, index) in Self.shardFiles(in: folder.appendingPathComponent("results"), prefix: "shard-", counted: false) {
                let file = "results/" + name
                guard index.i < shards else {
                    found.append(SlurmLeftover(file: file, reason: "shard \(index.i) of an earlier sharding; this job's \(shards) task(s) and its merge do not read it", blocksTask: false))
                    continue
                }
                if let why = Self.refusal(folder.appendingPathComponent(file), as: SweepSpec.self, shard: index.i, of: shards, matches: { ResultsFile<SweepSpec, SweepRow>.mismatch(spec, $0.spec) }) {
                    found.append(SlurmLeftover(file: file, reason: why, blocksTask: true))
                }
            }
        case .training(let spec):
            let training = leftovers(in: folder, prefix: "results-shard-", tasks: shards, as: TrainingPopulationSpec.self) {
                ResultsFile<TrainingPopulationSpec, TrainingRow>.mismatch(spec, $0.spec)
            }
            found += training
            found += strayNetworks(in: folder, plan: try? spec.plan())
            trainingIntact = !training.contains(where: \.blocksTask)
                && (0..<shards).allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent(workload.shardFile($0, of: shards)).path) }
        }
        if let m = analysisShards, let a = analysis {
            let networks = folder.standardizedFileURL.appendingPathComponent("networks").path + "/"
            found += leftovers(in: folder, prefix: "analysis-shard-", tasks: m, as: AnalysisSpec.self) { h in
                var options = h.spec
                options.archives = a.archives
                if let why = ResultsFile<AnalysisSpec, AnalysisRow>.mismatch(a, options) { return why }
                guard h.spec.archives.allSatisfy({ $0.hasPrefix(networks) }) else { return "of networks outside \(networks)" }
                guard trainingIntact else {
                    return "of networks that may not be this population's: this job's training results (\(workload.shardFile(0, of: shards)) …) are not all in the folder and resumable"
                }
                return nil
            }
        }
        return found.sorted { $0.file < $1.file }
    }

    /// Trained-network folders in `folder/networks` that are no network of `plan` (a larger
    /// earlier population's): the analysis, which analyses every network of the folder, would
    /// take them in, so they stop a job with an analysis stage; otherwise they are noted.
    private func strayNetworks(in folder: URL, plan: TrainingPopulationPlan?) -> [SlurmLeftover] {
        guard let plan else { return [] }
        let ours = Set(plan.units.map { TrainingPopulationRunner.archivePath($0) })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("networks").path)) ?? []
        // Only trained networks (trained.json), which is what the analysis looks for.
        return names.sorted().map { "networks/" + $0 }.filter { file in
            !ours.contains(file) && FileManager.default.fileExists(atPath: folder.appendingPathComponent(file + "/trained.json").path)
        }.map { file in
            SlurmLeftover(file: file, reason: analysisShards == nil
                            ? "no network of this population; the training leaves it alone"
                            : "no network of this population, yet the analysis would analyse it with the others",
                          blocksTask: analysisShards != nil)
        }
    }

    /// Files PREFIX-i-of-n.jsonl in `folder`: another n is another sharding; this one's are checked.
    private func leftovers<S: ResultsSpec>(in folder: URL, prefix: String, tasks: Int, as: S.Type,
                                           matches: (ResultsHeader<S>) -> String?) -> [SlurmLeftover] {
        Self.shardFiles(in: folder, prefix: prefix, counted: true).compactMap { name, index in
            guard index.n == tasks, index.i < tasks else {
                return SlurmLeftover(file: name, reason: "shard \(index.i) of \(index.n ?? 0), an earlier sharding; this job's merge reads the \(tasks) file(s) of its own and not this one",
                                     blocksTask: false)
            }
            return Self.refusal(folder.appendingPathComponent(name), as: S.self, shard: index.i, of: tasks, matches: matches)
                .map { SlurmLeftover(file: name, reason: $0, blocksTask: true) }
        }
    }

    /// Why task `i` of `n` would refuse to resume `url` (or must not), or nil when it would resume
    /// it; `mismatch` says how the file's header differs from what the task runs.
    private static func refusal<S: ResultsSpec>(_ url: URL, as: S.Type, shard i: Int, of n: Int,
                                                matches mismatch: (ResultsHeader<S>) -> String?) -> String? {
        let header: ResultsHeader<S>
        do { header = try resultsHeader(url, as: S.self) } catch {
            return "task \(i) would refuse to resume it: \((error as? WMError)?.description ?? "\(error)")"
        }
        if let why = mismatch(header) {
            return "task \(i) would refuse to resume it: it holds the results of another \(S.resultsNoun) (\(why))"
        }
        guard header.shard?.index == i, header.shard?.count == n else {
            return "task \(i) would refuse to resume it: it holds shard \(header.shard?.description ?? "all"), not \(i)/\(n)"
        }
        return nil
    }

    /// The files PREFIXi.jsonl (`counted` false) or PREFIXi-of-n.jsonl in `folder`, with i and n.
    static func shardFiles(in folder: URL, prefix: String, counted: Bool) -> [(name: String, index: (i: Int, n: Int?))] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            guard name.hasPrefix(prefix), name.hasSuffix(".jsonl") else { return nil }
            let middle = name.dropFirst(prefix.count).dropLast(".jsonl".count)
            // Only the names tasks write: "01" or "+1" is no task's file.
            func number(_ s: Substring) -> Int? { Int(s).flatMap { $0 >= 0 && String($0) == s ? $0 : nil } }
            if !counted { return number(middle).map { (name, ($0, nil)) } }
            let parts = middle.components(separatedBy: "-of-")
            guard parts.count == 2, let i = number(Substring(parts[0])), let n = number(Substring(parts[1])) else { return nil }
            return (name, (i, n))
        }
    }
}
