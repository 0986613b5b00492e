import Foundation
import WMCore

/// How the axes of a sweep combine into points.
public enum SweepMode: String, Codable, Sendable, CaseIterable {
    /// Every combination of the axes' values.
    case grid
    /// Each axis varied alone, every other axis at the base value (the seed's study design).
    case oneAtATime = "one-at-a-time"
    /// The explicit `points` of the spec.
    case list
}

/// A parameter sweep: capacity measured at many parameter points, `replicates` network seeds each.
///
/// Replicate r of every point uses network seed `base.network.seed + r` and MLP seed
/// `base.mlp.seed + r` (common random numbers: points differ only in their parameters), and every
/// network sees the same input stream. The seeds do not depend on batching or sharding.
public struct SweepSpec: Codable, Sendable, Hashable {
    /// The capacity measurement at every point; its `networks` is ignored (see `replicates`).
    /// Sweeps default to the ridge decoder only (add "mlp" to `base.decoders` for both).
    public var base: CapacitySpec
    public var mode: SweepMode = .grid
    /// The varied parameters (grid and one-at-a-time).
    public var axes: [SweepAxis] = []
    /// Explicit points (list mode): parameter name → value.
    public var points: [[String: Double]]? = nil
    /// Network seeds per point.
    public var replicates = 5

    public init(base: CapacitySpec = SweepSpec.defaultBase, mode: SweepMode = .grid, axes: [SweepAxis] = [],
                points: [[String: Double]]? = nil, replicates: Int = 5) {
        self.base = base
        self.mode = mode
        self.axes = axes
        self.points = points
        self.replicates = replicates
    }

    /// The capacity defaults with only the ridge decoder.
    public static var defaultBase: CapacitySpec {
        var s = CapacitySpec()
        s.decoders = [.ridge]
        s.networks = 1
        return s
    }

    /// Throws for unknown or repeated parameters, empty sweeps, and any point whose network or
    /// measurement is invalid (naming the point).
    public func validate() throws {
        guard replicates >= 1, replicates <= 100_000 else {
            throw WMError.invalidParameter(name: "replicates", value: "\(replicates)", expected: "1…100000")
        }
        var base1 = base
        base1.networks = 1
        try base1.validate()
        switch mode {
        case .grid, .oneAtATime:
            guard !axes.isEmpty else {
                throw WMError.invalidParameter(name: "axes", value: "none", expected: "at least one varied parameter (--vary NAME=…)")
            }
            guard points == nil else { throw WMError.invalidParameter(name: "points", value: "given", expected: "points only with mode = \"list\"") }
        case .list:
            guard let p = points, !p.isEmpty else {
                throw WMError.invalidParameter(name: "points", value: "none", expected: "at least one point in list mode")
            }
            guard axes.isEmpty else { throw WMError.invalidParameter(name: "axes", value: "given", expected: "no axes in list mode (points name their parameters)") }
        }
        var seen = Set<SweepParameter>()
        for a in axes {
            try a.validate()
            guard seen.insert(a.parameter).inserted else {
                throw WMError.invalidParameter(name: "axes", value: "\(a.parameter.rawValue) twice", expected: "each parameter once")
            }
        }
        for p in variedParameters where p == .leak && base.network.rule != .leaky {
            throw WMError.invalidParameter(name: "leak", value: "varied", expected: "rule = leaky (the leak only acts in the leaky rule; set --rule leaky)")
        }
        if mode == .list, let pts = points {
            let names = Set(pts[0].keys)
            for (i, p) in pts.enumerated() {
                guard Set(p.keys) == names else {
                    throw WMError.invalidParameter(name: "points[\(i)]", value: p.keys.sorted().joined(separator: ","), expected: "the same parameters as point 0 (\(names.sorted().joined(separator: ",")))")
                }
                for k in p.keys { _ = try SweepParameter(name: k) }
            }
        }
        _ = try plan()
    }

    /// The parameters that vary, in canonical order.
    public var variedParameters: [SweepParameter] {
        if mode == .list, let p = points?.first { return p.keys.compactMap { try? SweepParameter(name: $0) }.sorted() }
        return axes.map(\.parameter)
    }

    /// A short stable identity of the sweep: FNV-1a 64 of the spec's canonical JSON.
    /// Results files carry it; results of different sweeps are never mixed.
    public var fingerprint: String { Fingerprint.hex(canonicalJSON) }

    /// Sorted-key JSON of the spec (the fingerprint's input).
    public var canonicalJSON: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var s = self
        s.base.networks = 1
        s.base.normaliseUnusedDecoderSettings()
        return (try? enc.encode(s)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }

    public enum CodingKeys: String, CodingKey, CaseIterable { case base, mode, axes, points, replicates }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        base = try c.decodeIfPresent(CapacitySpec.self, forKey: .base) ?? SweepSpec.defaultBase
        if !((try? c.nestedContainer(keyedBy: CapacitySpec.CodingKeys.self, forKey: .base))?.contains(.decoders) ?? false) {
            base.decoders = [.ridge]
        }
        mode = try c.decodeIfPresent(SweepMode.self, forKey: .mode) ?? .grid
        axes = try c.decodeIfPresent([SweepAxis].self, forKey: .axes) ?? []
        points = try c.decodeIfPresent([[String: Double]].self, forKey: .points)
        replicates = try c.decodeIfPresent(Int.self, forKey: .replicates) ?? 5
    }
}

extension SweepSpec {
    /// Reads a sweep file (.toml or .json; unknown keys are refused):
    ///
    ///     mode = "one-at-a-time"        # grid | one-at-a-time | list
    ///     replicates = 5
    ///     [base]                        # capacity keys (train, maxLag, decoders, …)
    ///     train = 4000
    ///     [base.network]                # network keys (n, g, sp, gIn, spIn, …)
    ///     n = 1000
    ///     [[axes]]
    ///     name = "g"
    ///     from = 0.5
    ///     to = 1.5
    ///     steps = 5                     # or values = [0.5, 1.0, 1.5]; scale = "log"
    public static func load(_ url: URL) throws -> SweepSpec {
        try ConfigFile.decode(SweepSpec.self, from: url, allowed: [
            "": Set(CodingKeys.allCases.map(\.rawValue)),
            "base": Set(CapacitySpec.CodingKeys.allCases.map(\.rawValue)),
            "base.network": Set(NetworkSpec.CodingKeys.allCases.map(\.rawValue)),
            "base.input": Set(InputSpec.CodingKeys.allCases.map(\.rawValue)),
            "axes": Set(SweepAxis.CodingKeys.allCases.map(\.rawValue)),
        ])
    }
}
