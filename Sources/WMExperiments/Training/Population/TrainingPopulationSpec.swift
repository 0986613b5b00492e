import Foundation
import WMCore

/// A population of trained networks: FORCE training and evaluation at many parameter points,
/// `replicates` network seeds each (docs/training.md §6).
///
/// Replicate r of every point uses network seed `base.network.seed + r` (common random numbers:
/// points differ only in their parameters), and every network sees the same task stream. Seeds
/// do not depend on batching or sharding.
public struct TrainingPopulationSpec: Codable, Sendable, Hashable {
    /// Training and evaluation at every point.
    public var base = ForceTrainingSpec()
    /// How the axes combine (grid, one-at-a-time, or the explicit `points`).
    public var mode: SweepMode = .grid
    public var axes: [TrainingAxis] = []
    /// Explicit points (list mode): parameter name → value.
    public var points: [[String: Double]]? = nil
    /// Network seeds per point.
    public var replicates = 1

    public init(base: ForceTrainingSpec = ForceTrainingSpec(), mode: SweepMode = .grid, axes: [TrainingAxis] = [],
                points: [[String: Double]]? = nil, replicates: Int = 1) {
        self.base = base
        self.mode = mode
        self.axes = axes
        self.points = points
        self.replicates = replicates
    }

    public enum CodingKeys: String, CodingKey, CaseIterable { case base, mode, axes, points, replicates }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&base, .base)
        try c.fill(&mode, .mode)
        try c.fill(&axes, .axes)
        points = try c.decodeIfPresent([[String: Double]].self, forKey: .points)
        try c.fill(&replicates, .replicates)
    }

    /// Reads a population file (.toml or .json; unknown keys are refused):
    ///
    ///     replicates = 4
    ///     [base]                 # trainTrials, testTrials, alpha, learnEvery, evaluationSeeds, …
    ///     trainTrials = 3500
    ///     [base.network]         # n, g, pg, fb, inputScale, connectivity, seed, …
    ///     n = 1000
    ///     [base.task]            # stimulus1, delay1, stimulus2, delay2, response, classSpread, …
    ///     [[axes]]
    ///     name = "g"
    ///     values = [1.0, 1.2, 1.5]
    public static func load(_ url: URL) throws -> TrainingPopulationSpec {
        try ConfigFile.decode(TrainingPopulationSpec.self, from: url, allowed: [
            "": Set(CodingKeys.allCases.map(\.rawValue)),
            "base": Set(ForceTrainingSpec.CodingKeys.allCases.map(\.rawValue)),
            "base.network": Set(FeedbackNetworkSpec.CodingKeys.allCases.map(\.rawValue)),
            "base.task": Set(SequentialTaskSpec.CodingKeys.allCases.map(\.rawValue)),
            "axes": Set(TrainingAxis.CodingKeys.allCases.map(\.rawValue)),
        ])
    }

    /// The most networks one population may hold.
    public static let largestPopulation = 1_000_000

    /// Throws for unknown or repeated parameters, an empty population and any point whose
    /// training spec is invalid (naming the point).
    public func validate() throws {
        guard replicates >= 1, replicates <= 100_000 else {
            throw WMError.invalidParameter(name: "replicates", value: "\(replicates)", expected: "1…100000")
        }
        try base.validate()
        switch mode {
        case .grid, .oneAtATime:
            guard points == nil else { throw WMError.invalidParameter(name: "points", value: "given", expected: "points only with mode = \"list\"") }
        case .list:
            guard let p = points, !p.isEmpty else {
                throw WMError.invalidParameter(name: "points", value: "none", expected: "at least one point in list mode")
            }
            guard axes.isEmpty else { throw WMError.invalidParameter(name: "axes", value: "given", expected: "no axes in list mode (points name their parameters)") }
            let names = Set(p[0].keys)
            for (i, q) in p.enumerated() {
                guard Set(q.keys) == names else {
                    throw WMError.invalidParameter(name: "points[\(i)]", value: q.keys.sorted().joined(separator: ","), expected: "the same parameters as point 0 (\(names.sorted().joined(separator: ",")))")
                }
            }
        }
        var seen = Set<TrainingParameter>()
        for a in axes {
            try a.validate()
            guard seen.insert(a.parameter).inserted else {
                throw WMError.invalidParameter(name: "axes", value: "\(a.parameter.rawValue) twice", expected: "each parameter once")
            }
        }
        let plan = try self.plan()
        guard plan.points.count * replicates <= Self.largestPopulation else {
            throw WMError.invalidParameter(name: "population", value: "\(plan.points.count) points × \(replicates) seeds",
                                           expected: "at most \(Self.largestPopulation) networks")
        }
    }

    /// The parameters that vary, in canonical order.
    public var variedParameters: [TrainingParameter] {
        if mode == .list, let p = points?.first { return p.keys.compactMap { try? TrainingParameter(name: $0) }.sorted() }
        return axes.map(\.parameter).sorted()
    }

    /// A short stable identity: FNV-1a 64 of the canonical JSON. Results files carry it.
    public var fingerprint: String { Fingerprint.hex(canonicalJSON) }

    /// Sorted-key JSON of the spec.
    public var canonicalJSON: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? enc.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }
}

/// One parameter point of a training population.
public struct TrainingPoint: Sendable, Hashable {
    /// Position in the plan.
    public var index: Int
    /// The value of every varied parameter at this point.
    public var values: [TrainingParameter: Double]
    /// Training at this point (network seed of replicate 0).
    public var spec: ForceTrainingSpec

    /// `values` keyed by parameter name.
    public var named: [String: Double] { Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) }) }

    /// "g=1.2 pg=0.7".
    public var label: String { values.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\(SweepPoint.format($0.value))" }.joined(separator: " ") }

    /// The network of replicate r.
    public func network(replicate r: Int) -> FeedbackNetworkSpec {
        var s = spec.network
        s.seed = spec.network.seed &+ UInt64(r)
        return s
    }
}

/// The points of a training population and how its networks split into shards.
public struct TrainingPopulationPlan: Sendable {
    public var points: [TrainingPoint]
    public var replicates: Int

    /// Every unit in plan order.
    public var units: [SweepUnit] { points.flatMap { p in (0..<replicates).map { SweepUnit(point: p.index, replicate: $0) } } }

    /// The units shard `shard` trains: unit u (in plan order) belongs to shard u mod n, so shards
    /// split networks, not points, and differ by at most one network.
    public func units(shard: SweepShard?) -> [SweepUnit] {
        guard let s = shard else { return units }
        return units.enumerated().filter { $0.offset % s.count == s.index }.map(\.element)
    }
}

extension TrainingPopulationSpec: ResultsSpec {
    public static let resultsKind = "training-population"
    public static let resultsNoun = "population"

    /// Expands the axes into points (deduplicated, first-seen order) and checks each point.
    public func plan() throws -> TrainingPopulationPlan {
        try TrainingAxis.checkPlanSize(axes, mode: mode, listed: points?.count ?? 0, replicates: replicates, noun: "population")
        var combos: [[TrainingParameter: Double]]
        switch mode {
        case .grid:
            combos = TrainingAxis.grid(axes)
        case .oneAtATime:
            var baseValues: [TrainingParameter: Double] = [:]
            for a in axes { baseValues[a.parameter] = a.parameter.value(in: base) }
            combos = axes.flatMap { a in a.values.map { v in var d = baseValues; d[a.parameter] = v; return d } }
            if combos.isEmpty { combos = [[:]] }
        case .list:
            combos = try (points ?? []).map { p in
                var d: [TrainingParameter: Double] = [:]
                for (k, v) in p {
                    let q = try TrainingParameter(name: k)
                    guard d[q] == nil else {
                        throw WMError.invalidParameter(name: "points", value: "\(q.rawValue) named twice", expected: "each parameter once per point")
                    }
                    d[q] = v
                }
                return d
            }
        }
        var seen = Set<[TrainingParameter: Double]>()
        var pts: [TrainingPoint] = []
        for c in combos where seen.insert(c).inserted {
            var s = base
            for (p, v) in c.sorted(by: { $0.key < $1.key }) { try p.apply(v, to: &s) }
            let point = TrainingPoint(index: pts.count, values: c, spec: s)
            do { try s.validate() } catch let e as WMError {
                throw WMError.invalidPoint(point: "population point \(point.index) (\(point.label))", reason: e.description)
            }
            pts.append(point)
        }
        return TrainingPopulationPlan(points: pts, replicates: replicates)
    }

    public func units() throws -> [SweepUnit] { try plan().units }
}
