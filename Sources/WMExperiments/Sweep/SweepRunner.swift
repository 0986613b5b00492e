import Foundation
import WMCore
import WMOpenCL

/// Runs the pending networks of a sweep in batched launches and streams rows to a results file.
///
/// Networks that share N and nIn run together as one ensemble (one launch advances all of them;
/// each has its own gains, densities and seed), in batches whose readout memory stays within
/// `memoryBudget`. Rows are appended and synced after every batch, so rerunning the same command
/// resumes after the last finished batch.
public struct SweepRunner {
    public var spec: SweepSpec
    public var shard: SweepShard?
    /// Bytes the readout statistics of one batch may take (default 2 GiB).
    public var memoryBudget = 2 << 30
    /// Largest batch regardless of memory.
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

    /// Readout bytes per network: three segments of moments (N² + N·K + …, double) and, with the
    /// MLP, the stored states and targets (float).
    public static func bytesPerNetwork(_ s: CapacitySpec) -> Int {
        let n = s.network.n, k = s.maxLag
        var b = 3 * (n * n + n * k + n + k + 4) * 8
        if s.decoders.contains(.mlp) {
            b += (s.train + s.validation + s.test) * s.trials * (n + s.resolvedMLPLags.count) * 4
        }
        return b
    }

    /// Pending units in batches: grouped by (N, nIn), in plan order, split by memory.
    func batches(_ plan: SweepPlan, done: Set<SweepUnit>) -> [[(SweepPoint, Int)]] {
        var groups: [String: [(SweepPoint, Int)]] = [:]
        var order: [String] = []
        for p in plan.points(shard: shard) {
            let key = "\(p.spec.network.n)/\(p.spec.network.nIn)"
            for r in 0..<plan.replicates where !done.contains(SweepUnit(point: p.index, replicate: r)) {
                if groups[key] == nil { groups[key] = []; order.append(key) }
                groups[key]!.append((p, r))
            }
        }
        var out: [[(SweepPoint, Int)]] = []
        for key in order {
            let units = groups[key]!
            let per = Self.bytesPerNetwork(units[0].0.spec)
            let size = Swift.max(1, Swift.min(maxBatch, memoryBudget / Swift.max(per, 1)))
            for i in stride(from: 0, to: units.count, by: size) { out.append(Array(units[i..<Swift.min(units.count, i + size)])) }
        }
        return out
    }

    /// Runs every pending unit of this shard into `output`, resuming from what it already holds.
    /// `input(nIn)` gives the input stream for networks with nIn channels.
    public func run(backend: any Backend, output: URL, input: (Int) throws -> InputSource,
                    status: ((Status) -> Void)? = nil, note: ((String) -> Void)? = nil) throws -> Summary {
        try spec.validate()
        let plan = try spec.plan()
        let fm = FileManager.default
        var existing: SweepResults? = nil
        var warnings: [String] = []
        if fm.fileExists(atPath: output.path) {
            let ex = try SweepResults.read(output)
            if let why = SweepResults.mismatch(spec, ex.header.spec) {
                throw WMError.file(path: output.path, reason: "holds results of a different sweep (fingerprint \(ex.header.fingerprint), this sweep \(spec.fingerprint)): \(why). Results of different sweeps are never mixed; choose another --out or remove the file")
            }
            guard ex.header.shard == shard else {
                throw WMError.file(path: output.path, reason: "holds shard \(ex.header.shard?.description ?? "all") of this sweep, not \(shard?.description ?? "all"); choose another --out")
            }
            warnings += ex.warnings
            existing = ex
        }
        let done = existing?.units ?? []
        let mine = plan.points(shard: shard)
        let total = mine.count * plan.replicates
        let resumed = mine.reduce(0) { acc, p in acc + (0..<plan.replicates).filter { done.contains(SweepUnit(point: p.index, replicate: $0)) }.count }
        let writer = try SweepResultsWriter(url: output, header: SweepHeader(spec: spec, shard: shard), existing: existing)
        let todo = batches(plan, done: done)
        if resumed > 0 { note?("resuming: \(resumed) of \(total) networks already in \(output.path)") }
        let t0 = Date()
        var measured = 0, failed = 0
        for batch in todo {
            let first = batch[0].0
            var bspec = first.spec
            bspec.networks = batch.count
            let specs = batch.map { $0.0.network(replicate: $0.1) }
            let mlpSeeds = batch.map { spec.base.mlp.seed &+ UInt64($0.1) }
            let labels = batch.map { "point \($0.0.index) (\($0.0.label)) replicate \($0.1)" }
            let label = "N=\(first.spec.network.n), \(batch.count) network(s)"
            status?(Status(done: resumed + measured, total: total, resumed: resumed, batchLabel: label))
            let tb = Date()
            let src = try input(first.spec.network.nIn)
            let each: CapacityMeasurement.PerNetwork
            do {
                each = try CapacityMeasurement.measureEach(bspec, backend: backend, input: src, specs: specs, mlpSeeds: mlpSeeds, labels: labels) { _, d, t in
                    // Simulation progress inside the batch, as fractional networks.
                    if t > 0 { status?(Status(done: resumed + measured + batch.count * d / t, total: total, resumed: resumed, batchLabel: label)) }
                }
            } catch let WMError.nonFinite(_, _, detail) {
                // Every network of the batch diverged: record them as failed and go on.
                each = CapacityMeasurement.PerNetwork(ridge: .init(repeating: nil, count: batch.count), mlp: .init(repeating: nil, count: batch.count),
                                                      histories: [], warnings: ["\(label): every network diverged (\(detail))"],
                                                      info: CapacityRun.RunInfo(backend: backend.info, format: .auto, saturatedFraction: 0,
                                                                                failedNetworks: Dictionary(uniqueKeysWithValues: (0..<batch.count).map { ($0, detail) })))
            }
            let secs = Date().timeIntervalSince(tb) / Double(batch.count)
            var rows: [SweepRow] = []
            for (i, (p, r)) in batch.enumerated() {
                var row = SweepRow(fingerprint: spec.fingerprint, point: p.index, replicate: r, seed: specs[i].seed, params: p.named,
                                   seconds: secs, batch: batch.count)
                if let c = each.ridge[i] { row.ridgeMC = c.memoryCapacity; row.ridgeR = c.r }
                if let c = each.mlp[i] { row.mlpMC = c.memoryCapacity; row.mlpLags = c.lags; row.mlpR = c.r }
                let wanted = (spec.base.decoders.contains(.ridge) && row.ridgeMC == nil) || (spec.base.decoders.contains(.mlp) && row.mlpMC == nil)
                if wanted {
                    row.error = each.info.failedNetworks[i] ?? each.warnings.first { $0.contains(labels[i]) } ?? "no result"
                    failed += 1
                }
                rows.append(row)
            }
            try writer.append(rows)
            warnings += each.warnings
            measured += batch.count
            status?(Status(done: resumed + measured, total: total, resumed: resumed, batchLabel: label))
        }
        return Summary(points: mine.count, networks: total, resumed: resumed, measured: measured, failed: failed, batches: todo.count,
                       seconds: Date().timeIntervalSince(t0), warnings: warnings, output: output)
    }
}
