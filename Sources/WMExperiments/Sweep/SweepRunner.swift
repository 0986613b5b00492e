import Foundation
import WMCore

/// Runs the pending networks of a sweep in batched launches and streams rows to a results file.
///
/// Networks that share N and nIn run together as one ensemble (one launch advances all of them;
/// each has its own gains, densities and seed), in batches whose readout memory stays within
/// `memoryBudget`. Rows are appended and synced after every batch, so rerunning the same command
/// resumes after the last finished batch.
public struct SweepRunner {
    public var spec: SweepSpec
    public var shard: SweepShard?
    /// Rerun the units whose row holds an error (e.g. out of memory) instead of skipping them;
    /// the new row replaces the error row when the file is read.
    public var retryErrors = false
    /// Bytes the readout statistics of one batch may take (default 2 GiB).
    public var memoryBudget = 2 << 30
    /// Largest batch regardless of memory (on CPU backends at most 4 engine groups).
    public var maxBatch = 256

    public init(spec: SweepSpec, shard: SweepShard? = nil) {
        self.spec = spec
        self.shard = shard
    }

    /// Progress: networks done (this run and before), total in this shard, and the current batch.
    public struct Status: Sendable {
        public var done: Int
        public var total: Int
        public var resumed: Int
        public var batchLabel: String
    }

    /// What a run did.
    public struct Summary: Sendable {
        public var points: Int
        public var networks: Int
        public var resumed: Int
        public var measured: Int
        public var failed: Int
        public var batches: Int
        public var seconds: Double
        public var warnings: [String]
        public var output: URL
        /// Networks measured per second of this run.
        public var networksPerSecond: Double { seconds > 0 ? Double(measured) / seconds : 0 }
    }

    /// Readout bytes per network (see `CapacityBatch.bytesPerNetwork`).
    public static func bytesPerNetwork(_ s: CapacitySpec) -> Int { CapacityBatch.bytesPerNetwork(s) }

    /// Runs every pending unit of this shard into `output`, resuming from what it already holds.
    /// `input(nIn)` gives the input stream for networks with nIn channels.
    public func run(backend: any Backend, output: URL, input: (Int) throws -> InputSource,
                    status: ((Status) -> Void)? = nil, note: ((String) -> Void)? = nil) throws -> Summary {
        try spec.validate()
        let plan = try spec.plan()
        let (existing, writer) = try SweepResults.resume(output, spec: spec, shard: shard)
        var warnings: [String] = existing?.warnings ?? []
        let done = existing?.completedUnits(retryErrors: retryErrors) ?? []
        let mine = plan.units(shard: shard)
        let total = mine.count
        let resumed = mine.filter { done.contains(SweepUnit(point: $0.point.index, replicate: $0.replicate)) }.count
        // Pending units in plan order; batched by shape.
        var units: [CapacityBatch.Unit] = []
        var keys: [(SweepPoint, Int)] = []
        for (p, r) in mine where !done.contains(SweepUnit(point: p.index, replicate: r)) {
            var s = p.spec
            s.network = p.network(replicate: r)
            units.append(CapacityBatch.Unit(spec: s, mlpSeed: spec.base.mlp.seed &+ UInt64(r), label: "point \(p.index) (\(p.label)) replicate \(r)"))
            keys.append((p, r))
        }
        var batcher = CapacityBatch()
        batcher.memoryBudget = memoryBudget
        // CPUs gain nothing from batches beyond a few engine groups (CapacityRun runs them group by
        // group anyway), and smaller batches mean finer resumption; GPUs want everything at once.
        let group = ComputePolicy(backend).networksPerEngine(Int.max)
        batcher.maxBatch = group < maxBatch ? Swift.min(maxBatch, Swift.max(4, 4 * group)) : maxBatch
        let todo = batcher.batches(units)
        if resumed > 0 { note?("resuming: \(resumed) of \(total) networks already in \(output.path)") }
        if let n = existing?.otherBackendNote(current: backend.info, path: output.path) { note?(n) }
        let t0 = Date()
        var measured = 0, failed = 0
        for batch in todo {
            let bu = batch.map { units[$0] }
            let label = "N=\(bu[0].spec.network.n), \(batch.count) network(s)"
            status?(Status(done: resumed + measured, total: total, resumed: resumed, batchLabel: label))
            let src = try input(bu[0].spec.network.nIn)
            // `done` counts only networks whose rows are synced (what an interruption keeps); the
            // batch in flight shows its own progress in the label.
            let outcomes = try batcher.measure(bu, backend: backend, input: src, warnings: &warnings) { f in
                status?(Status(done: resumed + measured, total: total, resumed: resumed, batchLabel: label + String(format: ", %.0f%% simulated", 100 * f)))
            }
            var rows: [SweepRow] = []
            for (j, o) in zip(batch, outcomes) {
                let (p, r) = keys[j]
                var row = SweepRow(fingerprint: spec.fingerprint, point: p.index, replicate: r, seed: units[j].spec.network.seed, params: p.named,
                                   scores: o.curves.mapValues(DecoderScores.init), seconds: o.seconds, batch: o.batch)
                row.error = o.error
                row.backend = backend.info.label
                if o.error != nil { failed += 1 }
                rows.append(row)
            }
            try writer.append(rows)
            measured += batch.count
            status?(Status(done: resumed + measured, total: total, resumed: resumed, batchLabel: label))
        }
        return Summary(points: Set(mine.map(\.point.index)).count, networks: total, resumed: resumed, measured: measured, failed: failed, batches: todo.count,
                       seconds: Date().timeIntervalSince(t0), warnings: warnings, output: output)
    }
}
