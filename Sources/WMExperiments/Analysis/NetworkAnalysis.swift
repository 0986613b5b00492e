import Foundation
import WMCore

/// An analysis of trained networks (docs/analysis.md): which archives, and how each is analysed.
/// Results are one JSON line per network (`AnalysisRow`), resumable and shardable like sweeps.
public struct AnalysisSpec: Codable, Sendable, Hashable {
    /// Trained-network folders (`wmsim train` archives), in the order analysed.
    public var archives: [String]
    public var classification = ClassificationOptions()
    /// The fixed- and slow-point search (nil: not run).
    public var fixedPoints: FixedPointOptions? = FixedPointOptions()
    /// The robustness tests (nil: not run).
    public var robustness: RobustnessOptions? = RobustnessOptions()

    public init(archives: [String], classification: ClassificationOptions = ClassificationOptions(),
                fixedPoints: FixedPointOptions? = FixedPointOptions(), robustness: RobustnessOptions? = RobustnessOptions()) {
        self.archives = archives
        self.classification = classification
        self.fixedPoints = fixedPoints
        self.robustness = robustness
    }

    public func validate() throws {
        guard !archives.isEmpty else { throw WMError.invalidParameter(name: "archives", value: "none", expected: "at least one trained network") }
        try validateOptions()
    }

    /// The options' checks alone (a job that analyses networks not trained yet checks these).
    public func validateOptions() throws {
        try classification.validate()
        try fixedPoints?.validate()
        try robustness?.validate()
    }

    /// What analysing one network of N = `n` holds at its peak: the closed-loop model in double
    /// on the host, and the largest batch of the phases (they run one after the other and free
    /// their buffers): the classification's perturbed runs, the fixed-point search, the delay
    /// test's branches (4 × extensions trajectories, plus their snapshots on the host) and the
    /// noise test (σ × repeats × 4 trajectories).
    public func memory(n: Int) -> RunMemoryEstimate {
        let P = RunMemoryEstimate.Part.self, nd = Double(n)
        func sim(_ b: Int) -> Int { ClosedLoopSimulator.bytes(n: n, trajectories: b) }
        let classified = 5 * classification.copies + 4
        let jacobians = FixedPointSearch.linearisationWorkers(n: n)
        var phases: [RunMemoryEstimate.Part] = [P.init("classification runs (\(classified) trajectories)", device: sim(classified), largestBuffer: P.bytes(4 * nd * nd),
                                  remedy: "fewer perturbed copies (--copies)")]
        if let fo = fixedPoints {
            let f = FixedPointSearch.memory(n: n, starts: classified - 4 + fo.trajectorySamples).parts[0]
            phases.append(P.init(f.name, device: f.device, largestBuffer: f.largestBuffer, remedy: "fewer trajectory samples (--fp-samples) or --no-fixed-points"))
        }
        if let r = robustness {
            let k = Double(r.extensions.count)
            // Host: the snapshots, and the failing branches' states on their way to the batch that
            // settles them (float32 download, double copy).
            phases.append(P.init("delay-test branches (4 × \(r.extensions.count) extensions)", host: P.bytes(4 * 4 * k * nd + 12 * 4 * k * nd),
                                 device: sim(4 * r.extensions.count), largestBuffer: P.bytes(4 * Swift.max(nd, 8 * k) * nd),
                                 remedy: "fewer delay extensions (--max-extension) or --no-robustness"))
            let b = r.sigmas.count * r.repeats * 4
            phases.append(P.init("noise-test runs (\(b) trajectories)", host: P.bytes(12 * Double(b) * nd), device: sim(b), largestBuffer: P.bytes(4 * Swift.max(nd, 2 * Double(b)) * nd),
                                 remedy: "fewer noise repeats (--noise-repeats) or --no-robustness"))
        }
        let peak = phases.max { $0.host + $0.device < $1.host + $1.device }!
        return RunMemoryEstimate([
            P.init("closed-loop model and linearisation (double N×N, \(jacobians) Jacobian(s) at once)", host: P.bytes(8 * Double(1 + jacobians) * nd * nd),
                   remedy: "a smaller N"),
            peak,
        ])
    }

    public var fingerprint: String { Fingerprint.hex(canonicalJSON) }

    public var canonicalJSON: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? enc.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }

    /// The trained-network folders under `paths`: a folder holding trained.json, or the archives
    /// of a `wmsim train` output (networks/*/ of a population, network-*/ of a batch), sorted.
    public static func discover(_ paths: [String]) throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for p in paths {
            let url = URL(fileURLWithPath: p).standardizedFileURL
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                throw WMError.file(path: url.path, reason: "not a folder (give a trained network's folder or a `wmsim train` output folder)")
            }
            if fm.fileExists(atPath: url.appendingPathComponent("trained.json").path) { out.append(url.path); continue }
            var found: [String] = []
            for sub in [url.appendingPathComponent("networks"), url] {
                let items = (try? fm.contentsOfDirectory(atPath: sub.path)) ?? []
                for item in items.sorted() where sub.lastPathComponent == "networks" || item.hasPrefix("network-") {
                    let d = sub.appendingPathComponent(item)
                    if fm.fileExists(atPath: d.appendingPathComponent("trained.json").path) { found.append(d.path) }
                }
            }
            guard !found.isEmpty else {
                throw WMError.file(path: url.path, reason: "holds no trained network (no trained.json here, in networks/*/ or in network-*/)")
            }
            out += found
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}

extension AnalysisSpec: ResultsSpec {
    public static let resultsKind = "network-analysis"
    public static let resultsNoun = "analysis"
    public func units() throws -> [SweepUnit] { archives.indices.map { SweepUnit(point: $0, replicate: 0) } }
}

/// One analysed network, one JSON line.
public struct AnalysisRow: ResultsRow {
    public var type = "result"
    public var fingerprint: String
    /// Index of the archive in the spec.
    public var point: Int
    public var replicate = 0
    public var archive: String
    /// The network's parameters (N, g, pg, fb, alpha, inputScale, seed) from its archive.
    public var params: [String: Double] = [:]
    /// The training verdict stored in the archive.
    public var learned: Bool?
    public var classification: MechanismResult?
    public var fixedPoints: FixedPointResult?
    public var robustness: RobustnessResult?
    public var saturation: SaturationResult?
    /// The NPY [points, N] of the points' states, relative to the results file's folder.
    public var pointStates: String?
    /// Why the network has no analysis (not loadable, training failed, …).
    public var error: String?
    public var seconds: Double
    /// Where it was analysed (`BackendInfo.label`; nil in older files).
    public var backend: String?

    public var unit: SweepUnit { SweepUnit(point: point, replicate: replicate) }
    public var isError: Bool { error != nil }

    public func sameResult(as other: AnalysisRow) -> Bool {
        classification?.mechanism == other.classification?.mechanism && classification?.distinct == other.classification?.distinct && error == other.error
    }
}

public typealias AnalysisResults = ResultsFile<AnalysisSpec, AnalysisRow>

/// Analyses the pending networks of an `AnalysisSpec` one after the other, appending and syncing
/// a row after each, so a rerun resumes; a network that cannot be analysed gets a row with its
/// error and the others go on.
public struct AnalysisRunner {
    public var spec: AnalysisSpec
    public var shard: SweepShard?
    /// Rerun the units whose row holds an error (e.g. out of memory) instead of skipping them;
    /// the new row replaces the error row when the file is read.
    public var retryErrors = false

    public init(spec: AnalysisSpec, shard: SweepShard? = nil) {
        self.spec = spec
        self.shard = shard
    }

    public struct Summary: Sendable {
        public var networks: Int
        public var resumed: Int
        public var analysed: Int
        public var failed: Int
        public var seconds: Double
        public var warnings: [String]
    }

    /// Progress: networks done (with resumed ones), in this shard, and the current network's steps.
    public struct Status: Sendable {
        public var done: Int
        public var total: Int
        public var resumed: Int
        public var fraction: Double
    }

    /// The folder name of a results file's companions ("analysis-points", "analysis-plots").
    public static func companion(_ output: URL, _ what: String) -> String { output.deletingPathExtension().lastPathComponent + "-" + what }

    /// Writes the population figures of `rows` into the plots folder of `output`; returns their names.
    @discardableResult
    public static func writePopulationPlots(_ rows: [AnalysisRow], output: URL) throws -> [String] {
        let plots = output.deletingLastPathComponent().appendingPathComponent(companion(output, "plots"))
        try FileManager.default.createDirectory(at: plots, withIntermediateDirectories: true)
        return try AnalysisPlots.population(rows).map { name, plot in
            try plot.write(to: plots.appendingPathComponent(name))
            return name
        }
    }

    public func run(backend: any Backend, output: URL, status: ((Status) -> Void)? = nil, note: ((String) -> Void)? = nil) throws -> Summary {
        try spec.validate()
        let all = try spec.units()
        let mine = shard.map { s in all.filter { $0.point % s.count == s.index } } ?? all
        let (existing, writer) = try AnalysisResults.resume(output, spec: spec, shard: shard)
        let done = existing?.completedUnits(retryErrors: retryErrors) ?? []
        let pending = mine.filter { !done.contains($0) }
        let resumed = mine.count - pending.count
        if resumed > 0 { note?("resuming: \(resumed) of \(mine.count) networks already in \(output.path)") }
        if let n = existing?.otherBackendNote(current: backend.info, path: output.path) { note?(n) }
        let ops = try backend.makeDenseOps()
        let t0 = Date()
        var analysed = 0, failed = 0
        for u in pending {
            let path = spec.archives[u.point]
            let tn = Date()
            var row = AnalysisRow(fingerprint: spec.fingerprint, point: u.point, archive: path, seconds: 0)
            row.backend = backend.info.label
            do {
                let a = try TrainedNetworkArchive.load(from: URL(fileURLWithPath: path))
                let s = a.spec.network
                row.params = ["N": Double(s.n), "g": s.g, "pg": s.pg, "fb": s.fb, "alpha": a.spec.alpha, "inputScale": s.inputScale, "seed": Double(s.seed)]
                row.learned = a.result.failure == nil ? a.result.learned : nil
                guard a.result.failure == nil, a.startStates.count == 4 else {
                    throw WMError.unsupported("training failed (\(a.result.failure ?? "no start states")); there are no trial-end states to analyse")
                }
                let model = try ClosedLoopModel(a.network)
                try spec.memory(n: model.n).check(capabilities: backend.capabilities, what: "the analysis of a network of N = \(model.n)")
                row.classification = try MechanismClassifier.classify(model, trialEndStates: a.startStates, options: spec.classification, ops: ops) { s, total in
                    status?(Status(done: resumed + analysed, total: mine.count, resumed: resumed, fraction: 0.4 * Double(s) / Double(total)))
                }
                let trials = try TrialTrajectories.run(model, startStates: a.startStates, task: a.spec.task, taskSeed: a.spec.taskSeed, ops: ops)
                row.saturation = trials.saturation
                let trajectories = trials.trajectories
                var points: [FixedPoint] = []
                if let fo = spec.fixedPoints {
                    let starts = MechanismClassifier.starts(n: model.n, trialEndStates: a.startStates, options: spec.classification)
                        + TrialTrajectories.sample(trajectories.flatMap { $0 }, count: fo.trajectorySamples, noise: fo.noise, seed: fo.seed)
                    let fp = try FixedPointSearch.run(model, starts: starts, options: fo, ops: ops) { it, total in
                        status?(Status(done: resumed + analysed, total: mine.count, resumed: resumed, fraction: 0.4 + 0.3 * Double(it) / Double(total)))
                    }
                    row.fixedPoints = fp
                    points = fp.points
                    if !fp.points.isEmpty {
                        let rel = "\(Self.companion(output, "points"))/network-\(String(format: "%05d", u.point)).npy"
                        let url = output.deletingLastPathComponent().appendingPathComponent(rel)
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try NPY.write(fp.points.flatMap(\.state), shape: [fp.points.count, model.n], to: url)
                        row.pointStates = rel
                    }
                }
                // A figure that cannot be drawn is a warning, never a lost analysis.
                do {
                    let name = "\(URL(fileURLWithPath: path).lastPathComponent) (N = \(model.n), g = \(SweepPoint.format(a.spec.network.g)), fb = \(SweepPoint.format(a.spec.network.fb)))"
                    let plots = output.deletingLastPathComponent().appendingPathComponent(Self.companion(output, "plots"))
                    try FileManager.default.createDirectory(at: plots, withIntermediateDirectories: true)
                    let stem = "network-\(String(format: "%05d", u.point))"
                    try AnalysisPlots.phasePortrait(trajectories: trajectories, points: points, title: "\(name): trials and fixed points")
                        .write(to: plots.appendingPathComponent("\(stem)-pca.svg"))
                    if let c = row.classification {
                        try AnalysisPlots.slowness(c, steps: spec.classification.slownessSteps, dt: model.step, title: "\(name): \(c.mechanism.rawValue)")
                            .write(to: plots.appendingPathComponent("\(stem)-slowness.svg"))
                    }
                    if !points.isEmpty {
                        try AnalysisPlots.spectrum(points, title: "\(name): Jacobian eigenvalues").write(to: plots.appendingPathComponent("\(stem)-eigenvalues.svg"))
                    }
                } catch {
                    note?("figures of \(URL(fileURLWithPath: path).lastPathComponent) not drawn: \(error)")
                }
                if let ro = spec.robustness {
                    row.robustness = try RobustnessTests.run(model, startStates: a.startStates, task: a.spec.task, taskSeed: a.spec.taskSeed,
                                                             options: ro, ops: ops) { f in
                        status?(Status(done: resumed + analysed, total: mine.count, resumed: resumed, fraction: 0.7 + 0.3 * f))
                    }
                }
            } catch {
                row.error = "\(error)"
                failed += 1
            }
            row.seconds = Date().timeIntervalSince(tn)
            try writer.append([row])
            analysed += 1
            status?(Status(done: resumed + analysed, total: mine.count, resumed: resumed, fraction: 0))
        }
        return Summary(networks: mine.count, resumed: resumed, analysed: analysed, failed: failed, seconds: Date().timeIntervalSince(t0),
                       warnings: existing?.warnings ?? [])
    }
}
