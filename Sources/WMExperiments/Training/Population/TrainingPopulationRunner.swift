import Foundation
import WMCore

/// Trains the pending networks of a population in batches and streams one row per network to a
/// results file, next to each network's archive.
///
/// Networks that share N and α train together (one launch advances a whole batch on OpenCL; each
/// has its own g, pg, fb and seed), in batches that fit the device (`Backend.feedbackMemory`).
/// After a batch its archives are written and then its rows appended and synced, so rerunning the
/// same command resumes after the last finished batch. A batch that cannot run is retried network
/// by network; a network that cannot run gets a row with its error and the others go on.
public struct TrainingPopulationRunner {
    public var spec: TrainingPopulationSpec
    public var shard: SweepShard?
    /// Rerun the units whose row holds an error (e.g. out of memory) instead of skipping them;
    /// the new row replaces the error row when the file is read.
    public var retryErrors = false
    /// Largest batch regardless of memory and the backend's preference.
    public var maxBatch = 4096

    public init(spec: TrainingPopulationSpec, shard: SweepShard? = nil) {
        self.spec = spec
        self.shard = shard
    }

    /// The results file of `shard` in `folder`: results.jsonl, or results-shard-i-of-n.jsonl.
    public static func resultsFile(in folder: URL, shard: SweepShard?) -> URL {
        folder.appendingPathComponent(shard.map { "results-shard-\($0.index)-of-\($0.count).jsonl" } ?? "results.jsonl")
    }

    /// The archive folder of a unit, relative to the population folder.
    public static func archivePath(_ u: SweepUnit) -> String { String(format: "networks/p%04d-r%03d", u.point, u.replicate) }

    /// Progress, in networks and in trials (training, test and evaluation trials of every network).
    public struct Status: Sendable {
        public var networksDone: Int
        public var networks: Int
        public var resumed: Int
        public var trialsDone: Int
        public var trials: Int
        public var batchLabel: String
    }

    /// What a run did.
    public struct Summary: Sendable {
        public var networks: Int
        public var resumed: Int
        public var trained: Int
        public var learned: Int
        public var failed: Int
        public var batches: Int
        public var seconds: Double
        public var warnings: [String]
        public var output: URL
    }

    /// Networks per batch for networks of `n` neurons and density up to `pg` on `backend`: the
    /// backend's preference (the CPU reference trains one network at a time, so a batch of one
    /// loses the least on an interruption), else as many as fit.
    public func batchSize(n: Int, pg: Double, backend: any Backend) -> Int {
        let fit = FeedbackMemoryEstimate.largestBatch(n: n, pg: pg, backend: backend)
        let preferred = ComputePolicy(backend).networksPerEngine(maxBatch)
        return Swift.max(0, Swift.min(fit, preferred, maxBatch))
    }

    /// Trains every pending network of this shard into `folder`, resuming from what its results
    /// file already holds.
    public func run(backend: any Backend, folder: URL, status: ((Status) -> Void)? = nil, note: ((String) -> Void)? = nil) throws -> Summary {
        try spec.validate()
        let plan = try spec.plan()
        let output = Self.resultsFile(in: folder, shard: shard)
        // Every batch must fit before anything is written: refuse with the estimate of one network.
        for p in plan.points {
            let need = backend.feedbackMemory(networks: 1, n: p.spec.network.n, pg: p.spec.network.pg)
            try need.check(capabilities: backend.capabilities, what: "FORCE training of one network of N = \(p.spec.network.n) (point \(p.index): \(p.label))")
        }
        let (existing, writer) = try TrainingResults.resume(output, spec: spec, shard: shard)
        var warnings = existing?.warnings ?? []
        let done = existing?.completedUnits(retryErrors: retryErrors) ?? []
        let mine = plan.units(shard: shard)
        let pending = mine.filter { !done.contains($0) }
        let resumed = mine.count - pending.count
        if resumed > 0 { note?("resuming: \(resumed) of \(mine.count) networks already in \(output.path)") }
        if let n = existing?.otherBackendNote(current: backend.info, path: output.path) { note?(n) }
        let trialsPerNetwork = spec.base.trainTrials + spec.base.testTrials + 16 * spec.base.evaluationSeeds

        // Batches: pending units in plan order, grouped by (N, α).
        struct Key: Hashable { var n: Int; var alpha: Double }
        var groups: [Key: [SweepUnit]] = [:]
        var order: [Key] = []
        for u in pending {
            let s = plan.points[u.point].spec
            let k = Key(n: s.network.n, alpha: s.alpha)
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(u)
        }
        var batches: [[SweepUnit]] = []
        for k in order {
            let units = groups[k]!
            let pg = units.map { plan.points[$0.point].spec.network.pg }.max() ?? 1
            let size = Swift.max(1, batchSize(n: k.n, pg: pg, backend: backend))
            stride(from: 0, to: units.count, by: size).forEach { batches.append(Array(units[$0..<Swift.min($0 + size, units.count)])) }
        }

        let t0 = Date()
        var trained = 0, learned = 0, failed = 0
        for batch in batches {
            let first = plan.points[batch[0].point].spec
            let label = "N=\(first.network.n), \(batch.count) network(s)"
            let before = (resumed + trained) * trialsPerNetwork
            func report(_ trials: Int) {
                status?(Status(networksDone: resumed + trained, networks: mine.count, resumed: resumed,
                               trialsDone: Swift.min(before + trials, mine.count * trialsPerNetwork),
                               trials: mine.count * trialsPerNetwork, batchLabel: label))
            }
            report(0)
            let tb = Date()
            let outcomes = trainBatch(batch, plan: plan, backend: backend) { trials in report(trials * batch.count) }
            let seconds = Date().timeIntervalSince(tb) / Double(batch.count)
            var rows: [TrainingRow] = []
            for (u, outcome) in zip(batch, outcomes) {
                let point = plan.points[u.point]
                let seed = point.network(replicate: u.replicate).seed
                switch outcome {
                case .success(let t):
                    var one = point.spec
                    one.network = t.network.spec
                    let rel = Self.archivePath(u)
                    var archive: String? = rel
                    do {
                        let dir = folder.appendingPathComponent(rel)
                        try TrainedNetworkArchive.save(spec: one, network: t.network, startStates: t.startStates, result: t.result,
                                                       provenance: Provenance(backend: backend.info), to: dir)
                        if !t.result.examples.isEmpty {
                            try ExampleTrialPlot.plot(t.result.examples, title: "Population point \(u.point) (\(point.label)), seed \(seed)")
                                .write(to: dir.appendingPathComponent("example_trials.svg"))
                        }
                    } catch {
                        warnings.append("point \(u.point) replicate \(u.replicate): archive not written: \(error)")
                        archive = nil
                    }
                    var row = TrainingRow(fingerprint: spec.fingerprint, point: point, replicate: u.replicate, result: t.result, seed: seed,
                                          archive: archive, seconds: seconds, batch: batch.count)
                    row.backend = backend.info.label
                    if row.learned == true { learned += 1 }
                    if row.failure != nil { failed += 1 }
                    rows.append(row)
                case .failure(let e):
                    var row = TrainingRow(fingerprint: spec.fingerprint, point: u.point, replicate: u.replicate, seed: seed, params: point.named,
                                          seconds: seconds, batch: batch.count)
                    row.error = "\(e)"
                    row.backend = backend.info.label
                    failed += 1
                    rows.append(row)
                }
            }
            try writer.append(rows)
            trained += batch.count
            report(batch.count * trialsPerNetwork)
        }
        return Summary(networks: mine.count, resumed: resumed, trained: trained, learned: learned, failed: failed, batches: batches.count,
                       seconds: Date().timeIntervalSince(t0), warnings: warnings, output: output)
    }

    /// Trains one batch; when the batch as a whole cannot run, each network alone, so that one
    /// network's error does not cost the others.
    func trainBatch(_ batch: [SweepUnit], plan: TrainingPopulationPlan, backend: any Backend,
                    progress: @escaping (Int) -> Void) -> [Result<ForceTraining.Trained, Error>] {
        let spec = plan.points[batch[0].point].spec
        let networks = batch.map { plan.points[$0.point].network(replicate: $0.replicate) }
        do {
            return try ForceTraining.runBatch(spec, networks: networks, backend: backend) { done, _ in progress(done) }.map { .success($0) }
        } catch {
            guard batch.count > 1 else { return [.failure(error)] }
            return batch.map { u in
                Result { try ForceTraining.runBatch(plan.points[u.point].spec, networks: [plan.points[u.point].network(replicate: u.replicate)], backend: backend)[0] }
            }
        }
    }
}
