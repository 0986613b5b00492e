import Foundation
import WMCore

/// The first line of a sweep results file: which sweep wrote it.
public typealias SweepHeader = ResultsHeader<SweepSpec>

/// A capacity sweep's results file.
public typealias SweepResults = ResultsFile<SweepSpec, SweepRow>
/// Appends to a capacity sweep's results file.
public typealias SweepResultsWriter = ResultsFileWriter<SweepSpec, SweepRow>

/// One decoder's scores of one network in a sweep.
public struct DecoderScores: Sendable, Hashable {
    /// Memory capacity Σ r² over the decoder's lags.
    public var mc: Double?
    /// The lags scored (ridge: 1…maxLag).
    public var lags: [Int]
    /// r at each lag (NaN where undefined).
    public var r: [Double]?

    public init(mc: Double?, lags: [Int], r: [Double]?) {
        self.mc = mc
        self.lags = lags
        self.r = r
    }

    /// The scores of a memory curve.
    public init(_ c: MemoryCurve) { self.init(mc: c.memoryCapacity, lags: c.lags, r: c.r) }
}

/// One measured network: a (point, replicate) unit of a sweep, one JSON line. Each decoder's
/// scores are the fields `<kind>MC`, `<kind>R` and `<kind>Lags` (left out for decoders whose lags
/// are always 1…K, see `DecoderKind.lagsImpliedInFiles`).
public struct SweepRow: ResultsRow {
    public var type = "result"
    public var fingerprint: String
    public var point: Int
    public var replicate: Int
    /// Network seed.
    public var seed: UInt64
    /// Network parameters of the point (every axis; base values where not varied).
    public var params: [String: Double]
    /// Scores per decoder that ran and succeeded.
    public var scores: [DecoderKind: DecoderScores] = [:]
    /// Why the network has no result (diverged, degenerate states, …).
    public var error: String?
    /// Wall seconds of the batch this network ran in, divided by its networks.
    public var seconds: Double
    /// Networks simulated together in that batch.
    public var batch: Int
    /// Where it was measured (`BackendInfo.label`; nil in older files).
    public var backend: String?

    public init(fingerprint: String, point: Int, replicate: Int, seed: UInt64, params: [String: Double],
                scores: [DecoderKind: DecoderScores] = [:], error: String? = nil, seconds: Double, batch: Int) {
        self.fingerprint = fingerprint
        self.point = point
        self.replicate = replicate
        self.seed = seed
        self.params = params
        self.scores = scores
        self.error = error
        self.seconds = seconds
        self.batch = batch
    }

    public var unit: SweepUnit { SweepUnit(point: point, replicate: replicate) }
    public var isError: Bool { error != nil }

    public func sameResult(as other: SweepRow) -> Bool { DecoderKind.allCases.allSatisfy { mc($0) == other.mc($0) } }

    /// r of `decoder` at lag X (nil when that decoder did not decode X or failed).
    public func r(lag: Int, decoder: DecoderKind) -> Double? {
        guard let s = scores[decoder], let r = s.r, let i = s.lags.firstIndex(of: lag), i < r.count else { return nil }
        return r[i]
    }

    /// Memory capacity of `decoder`.
    public func mc(_ decoder: DecoderKind) -> Double? { scores[decoder]?.mc }

    enum Fixed: String, CodingKey { case type, fingerprint, point, replicate, seed, params, error, seconds, batch, backend }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Fixed.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "result"
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        point = try c.decode(Int.self, forKey: .point)
        replicate = try c.decode(Int.self, forKey: .replicate)
        seed = try c.decode(UInt64.self, forKey: .seed)
        params = try c.decode([String: Double].self, forKey: .params)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        seconds = try c.decode(Double.self, forKey: .seconds)
        batch = try c.decode(Int.self, forKey: .batch)
        backend = try c.decodeIfPresent(String.self, forKey: .backend)
        let d = try decoder.container(keyedBy: DynamicCodingKey.self)
        for kind in DecoderKind.allCases {
            let mc = try d.decodeIfPresent(Double.self, forKey: DynamicCodingKey("\(kind.rawValue)MC"))
            let r = try d.decodeIfPresent([Double].self, forKey: DynamicCodingKey("\(kind.rawValue)R"))
            guard mc != nil || r != nil else { continue }
            let lags = try d.decodeIfPresent([Int].self, forKey: DynamicCodingKey("\(kind.rawValue)Lags")) ?? Array(1...Swift.max(1, r?.count ?? 1))
            scores[kind] = DecoderScores(mc: mc, lags: lags, r: r)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Fixed.self)
        try c.encode(type, forKey: .type)
        try c.encode(fingerprint, forKey: .fingerprint)
        try c.encode(point, forKey: .point)
        try c.encode(replicate, forKey: .replicate)
        try c.encode(seed, forKey: .seed)
        try c.encode(params, forKey: .params)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(batch, forKey: .batch)
        try c.encodeIfPresent(backend, forKey: .backend)
        var d = encoder.container(keyedBy: DynamicCodingKey.self)
        for (kind, s) in scores {
            try d.encodeIfPresent(s.mc, forKey: DynamicCodingKey("\(kind.rawValue)MC"))
            try d.encodeIfPresent(s.r, forKey: DynamicCodingKey("\(kind.rawValue)R"))
            if !kind.lagsImpliedInFiles {
                try d.encode(s.lags, forKey: DynamicCodingKey("\(kind.rawValue)Lags"))
            }
        }
    }
}

/// A (point, replicate) pair.
public struct SweepUnit: Hashable, Sendable, Comparable {
    public var point: Int
    public var replicate: Int
    public init(point: Int, replicate: Int) { self.point = point; self.replicate = replicate }
    public static func < (a: Self, b: Self) -> Bool { (a.point, a.replicate) < (b.point, b.replicate) }
}
