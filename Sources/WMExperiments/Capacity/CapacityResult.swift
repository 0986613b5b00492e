import WMCore

/// The result of one decoder over all networks.
public struct DecoderResult: Codable, Sendable {
    public var decoder: DecoderKind
    /// One curve per network (nil where it failed; see `warnings`).
    public var perNetwork: [MemoryCurve?]
    /// Mean curve over the networks that succeeded.
    public var mean: MemoryCurve
    /// Mean memory capacity Σ r² (k ≥ 1 over the decoder's lags) and its 95 % CI (Student t).
    public var memoryCapacity: Double
    public var memoryCapacityCI95: [Double]
    /// First lag where the mean r drops below the threshold.
    public var firstLagBelowThreshold: Int?
    /// Training histories, per network (per network and lag with `mlpPerLag`), for decoders that train.
    public var histories: [MLPHistory]?
    public var seconds: Double
}

/// Everything `wmsim capacity` reports. In JSON each decoder's result sits under its own key
/// ("ridge", "mlp").
public struct CapacityResult: Codable, Sendable {
    public var spec: CapacitySpec
    public var backend: BackendInfo
    public var format: String
    /// The decoders' results, keyed by kind.
    public var decoders: [DecoderKind: DecoderResult]
    public var simulateSeconds: Double
    public var warnings: [String]
    public var convention = MemoryCurve.standardConvention
    /// Where the ridge moments were reduced: "device" or "host" (nil in older files).
    public var moments: String? = nil

    public init(spec: CapacitySpec, backend: BackendInfo, format: String, decoders: [DecoderKind: DecoderResult],
                simulateSeconds: Double, warnings: [String]) {
        self.spec = spec
        self.backend = backend
        self.format = format
        self.decoders = decoders
        self.simulateSeconds = simulateSeconds
        self.warnings = warnings
    }

    /// The result of `kind`, if it ran.
    public subscript(_ kind: DecoderKind) -> DecoderResult? { decoders[kind] }

    /// The results in `DecoderKind` order.
    public var ordered: [DecoderResult] { DecoderKind.allCases.compactMap { decoders[$0] } }

    enum Fixed: String, CodingKey { case spec, backend, format, simulateSeconds, warnings, convention, moments }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Fixed.self)
        spec = try c.decode(CapacitySpec.self, forKey: .spec)
        backend = try c.decode(BackendInfo.self, forKey: .backend)
        format = try c.decode(String.self, forKey: .format)
        simulateSeconds = try c.decode(Double.self, forKey: .simulateSeconds)
        warnings = try c.decode([String].self, forKey: .warnings)
        convention = try c.decodeIfPresent(String.self, forKey: .convention) ?? MemoryCurve.standardConvention
        moments = try c.decodeIfPresent(String.self, forKey: .moments)
        decoders = try DynamicCodingKey.decodeResults(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Fixed.self)
        try c.encode(spec, forKey: .spec)
        try c.encode(backend, forKey: .backend)
        try c.encode(format, forKey: .format)
        try c.encode(simulateSeconds, forKey: .simulateSeconds)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(convention, forKey: .convention)
        try c.encodeIfPresent(moments, forKey: .moments)
        try DynamicCodingKey.encode(decoders, to: encoder)
    }
}
