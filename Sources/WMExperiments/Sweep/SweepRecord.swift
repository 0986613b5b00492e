import Foundation
import WMCore

/// The first line of a sweep results file: which sweep wrote it.
public struct SweepHeader: Codable, Sendable {
    public var type = "header"
    public var fingerprint: String
    public var spec: SweepSpec
    /// The shard this file holds (nil: the whole sweep, or a merge of all shards).
    public var shard: SweepShard?
    public var tool = "wmsim"
    public var version = WMSimVersion.string
    public var created: String

    public init(spec: SweepSpec, shard: SweepShard?) {
        fingerprint = spec.fingerprint
        self.spec = spec
        self.shard = shard
        created = ISO8601DateFormatter().string(from: Date())
    }
}

/// One measured network: a (point, replicate) unit of a sweep, one JSON line.
public struct SweepRow: Codable, Sendable {
    public var type = "result"
    public var fingerprint: String
    public var point: Int
    public var replicate: Int
    /// Network seed.
    public var seed: UInt64
    /// Network parameters of the point (every axis; base values where not varied).
    public var params: [String: Double]
    /// Ridge memory capacity Σ_{k≥1} r² and r for lags 1…maxLag (NaN where undefined).
    public var ridgeMC: Double?
    public var ridgeR: [Double]?
    /// MLP capacity over its lags and r at `mlpLags`.
    public var mlpMC: Double?
    public var mlpLags: [Int]?
    public var mlpR: [Double]?
    /// Why the network has no result (diverged, degenerate states, …).
    public var error: String?
    /// Wall seconds of the batch this network ran in, divided by its networks.
    public var seconds: Double
    /// Networks simulated together in that batch.
    public var batch: Int

    public var unit: SweepUnit { SweepUnit(point: point, replicate: replicate) }

    /// r of `decoder` at lag X (nil when that decoder did not decode X or failed).
    public func r(lag: Int, decoder: DecoderKind) -> Double? {
        switch decoder {
        case .ridge:
            guard let r = ridgeR, lag >= 1, lag <= r.count else { return nil }
            return r[lag - 1]
        case .mlp:
            guard let l = mlpLags, let r = mlpR, let i = l.firstIndex(of: lag) else { return nil }
            return r[i]
        }
    }

    /// Memory capacity of `decoder`.
    public func mc(_ decoder: DecoderKind) -> Double? { decoder == .ridge ? ridgeMC : mlpMC }
}

/// A (point, replicate) pair.
public struct SweepUnit: Hashable, Sendable, Comparable {
    public var point: Int
    public var replicate: Int
    public init(point: Int, replicate: Int) { self.point = point; self.replicate = replicate }
    public static func < (a: Self, b: Self) -> Bool { (a.point, a.replicate) < (b.point, b.replicate) }
}

/// JSON Lines coding shared by the sweep files (NaN and ±∞ as strings).
enum SweepJSON {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }

    static func line<T: Encodable>(_ v: T) throws -> Data {
        var d = try encoder().encode(v)
        d.append(0x0A)
        return d
    }
}
