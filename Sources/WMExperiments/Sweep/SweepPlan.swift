import Foundation
import WMCore

/// One simulated parameter point of a sweep.
public struct SweepPoint: Sendable, Hashable {
    /// Position in the plan (stable for a given spec).
    public var index: Int
    /// The network parameters of every axis at this point (base values where an axis is not varied).
    public var values: [SweepParameter: Double]
    /// Axes whose one-at-a-time line holds this point (all axes in grid and list modes).
    public var onAxes: [SweepParameter]
    /// The measurement at this point (`networks` = 1; replicates set the seed).
    public var spec: CapacitySpec

    /// `values` keyed by parameter name.
    public var named: [String: Double] { Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) }) }

    /// "N=500 g=0.9".
    public var label: String { values.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\(Self.format($0.value))" }.joined(separator: " ") }

    static func format(_ v: Double) -> String { v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : String(v) }

    /// The network spec of replicate r.
    public func network(replicate r: Int) -> NetworkSpec {
        var s = spec.network
        s.seed = spec.network.seed &+ UInt64(r)
        return s
    }
}

/// The points and readout lags of a sweep, and how its networks split into shards.
public struct SweepPlan: Sendable {
    public var points: [SweepPoint]
    /// Values of the lag X (empty unless X is an axis or a list key).
    public var lags: [Int]
    public var replicates: Int

    /// All (point, replicate) units.
    public var unitCount: Int { points.count * replicates }

    /// The units (point, replicate) that shard i of n runs: unit k = point · replicates +
    /// replicate belongs to shard k mod n. Shards split networks, not points, so a sweep of 2
    /// points × 20 seeds spreads over 8 shards evenly (sizes differ by at most one network).
    public func units(shard: SweepShard?) -> [(point: SweepPoint, replicate: Int)] {
        var out: [(point: SweepPoint, replicate: Int)] = []
        for p in points {
            for r in 0..<replicates where shard.map({ (p.index * replicates + r) % $0.count == $0.index }) ?? true { out.append((p, r)) }
        }
        return out
    }

    /// Points with at least one unit in shard i of n.
    public func points(shard: SweepShard?) -> [SweepPoint] {
        guard shard != nil else { return points }
        var seen = Set<Int>()
        return units(shard: shard).compactMap { seen.insert($0.point.index).inserted ? $0.point : nil }
    }
}

/// Shard i of n (0-based), as in `--shard 2/8` or a SLURM array task id.
public struct SweepShard: Codable, Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw WMError.invalidParameter(name: "shard", value: "\(index)/\(count)", expected: "i/n with 0 ≤ i < n")
        }
        self.index = index
        self.count = count
    }

    /// Parses "i/n".
    public init(parsing s: String) throws {
        let f = s.split(separator: "/")
        guard f.count == 2, let i = Int(f[0]), let n = Int(f[1]) else {
            throw WMError.invalidParameter(name: "shard", value: s, expected: "i/n with 0 ≤ i < n, e.g. 0/4")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }
}

extension SweepSpec {
    /// Expands the axes into points (deduplicated) and checks every point's measurement.
    public func plan() throws -> SweepPlan {
        var netAxes = axes.filter { $0.parameter.isNetworkParameter }
        try SweepAxis.checkPlanSize(netAxes, mode: mode, listed: points?.count ?? 0, replicates: replicates, noun: "sweep")
        if let x = axes.first(where: { $0.parameter == .x }), x.values.count > 10_000 {
            throw WMError.invalidParameter(name: "X", value: "\(x.values.count) lags", expected: "at most 10000 lags")
        }
        var lags = axes.first { $0.parameter == .x }?.values.map { Int($0) } ?? []
        var combos: [[SweepParameter: Double]] = []
        var baseValues: [SweepParameter: Double] = [:]
        var base1 = base
        base1.networks = 1
        switch mode {
        case .grid:
            combos = SweepAxis.grid(netAxes)
        case .oneAtATime:
            for a in netAxes { baseValues[a.parameter] = a.parameter.value(in: base1) }
            for a in netAxes {
                for v in a.values { var d = baseValues; d[a.parameter] = v; combos.append(d) }
            }
            if combos.isEmpty { combos = [[:]] }
        case .list:
            var lagSet: [Int] = []
            for p in points ?? [] {
                var d: [SweepParameter: Double] = [:]
                for (k, v) in p {
                    let q = try SweepParameter(name: k)
                    if q == .x {
                        guard v >= 1, v.rounded() == v else { throw WMError.invalidParameter(name: "X", value: "\(v)", expected: "a whole lag ≥ 1") }
                        if !lagSet.contains(Int(v)) { lagSet.append(Int(v)) }
                    } else { d[q] = v }
                }
                combos.append(d)
            }
            lags = lagSet
            netAxes = []
        }
        for l in lags where l < 1 || l > base.maxLag {
            throw WMError.invalidParameter(name: "X", value: "\(l)", expected: "a lag in 1…maxLag = \(base.maxLag)")
        }
        // Deduplicate (one-at-a-time shares the base point between axes), keeping first-seen order.
        var unique: [[SweepParameter: Double]] = []
        var seen = Set<[SweepParameter: Double]>()
        for c in combos where seen.insert(c).inserted { unique.append(c) }
        var pts: [SweepPoint] = []
        for (i, c) in unique.enumerated() {
            var s = base1
            for (p, v) in c.sorted(by: { $0.key < $1.key }) { try p.apply(v, to: &s) }
            do { try s.validate() } catch let e as WMError {
                throw WMError.invalidPoint(point: "sweep point \(i) (\(SweepPoint(index: i, values: c, onAxes: [], spec: s).label))", reason: e.description)
            }
            var on: [SweepParameter] = Array(c.keys).sorted()
            if mode == .oneAtATime {
                on = netAxes.map(\.parameter).filter { a in
                    guard let v = c[a], netAxes.first(where: { $0.parameter == a })!.values.contains(v) else { return false }
                    return netAxes.allSatisfy { b in b.parameter == a || c[b.parameter] == baseValues[b.parameter] }
                }
            }
            pts.append(SweepPoint(index: i, values: c, onAxes: on, spec: s))
        }
        return SweepPlan(points: pts, lags: lags, replicates: replicates)
    }
}

extension SweepSpec: ResultsSpec {
    public static let resultsKind = "capacity-sweep"
    public static let resultsNoun = "sweep"

    /// Every (point, replicate) of the plan.
    public func units() throws -> [SweepUnit] {
        let p = try plan()
        return p.points.flatMap { pt in (0..<p.replicates).map { SweepUnit(point: pt.index, replicate: $0) } }
    }
}
