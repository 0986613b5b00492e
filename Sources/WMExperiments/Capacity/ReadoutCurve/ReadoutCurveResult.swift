import WMCore

/// One size of a readout curve: each decoder's result (per-network curves, mean curve, MC with
/// its 95 % CI over networks), as `CapacityResult` holds them. In JSON each decoder sits under its
/// own key ("ridge", "mlp") beside `readoutNeurons`.
public struct ReadoutCurvePoint: Codable, Sendable {
    /// The number of neurons read, n.
    public var readoutNeurons: Int
    /// The decoders' results, keyed by kind.
    public var decoders: [DecoderKind: DecoderResult]

    public init(readoutNeurons: Int, decoders: [DecoderKind: DecoderResult]) {
        self.readoutNeurons = readoutNeurons
        self.decoders = decoders
    }

    /// The result of `kind`, if it ran.
    public subscript(_ kind: DecoderKind) -> DecoderResult? { decoders[kind] }

    enum Fixed: String, CodingKey { case readoutNeurons }

    public init(from decoder: any Decoder) throws {
        readoutNeurons = try decoder.container(keyedBy: Fixed.self).decode(Int.self, forKey: .readoutNeurons)
        decoders = try DynamicCodingKey.decodeResults(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Fixed.self)
        try c.encode(readoutNeurons, forKey: .readoutNeurons)
        try DynamicCodingKey.encode(decoders, to: encoder)
    }
}

/// Everything `wmsim capacity --readout-neurons n1,n2,…` reports: the memory capacity as a
/// function of the number of readout neurons, one point per size, from one simulation.
public struct ReadoutCurveResult: Codable, Sendable {
    /// The result kind written into the file (`result.kind`), which `wmsim report` recognises.
    public static let resultKind = "readout-curve"
    /// How the subsets of the points relate (written into every file).
    public static let subsetConvention =
        "nested readout subsets: the n neurons of smallest Philox key (ReadoutSubset, docs/model.md §2), so every smaller subset lies inside every larger one; one simulation, the decoders fitted per n"

    public var kind = ReadoutCurveResult.resultKind
    public var spec: ReadoutCurveSpec
    public var backend: BackendInfo
    public var format: String
    /// One point per size, in increasing n.
    public var points: [ReadoutCurvePoint]
    public var simulateSeconds: Double
    public var warnings: [String]
    public var convention = MemoryCurve.standardConvention
    public var subsets = ReadoutCurveResult.subsetConvention
    /// Where the ridge moments were reduced ("host": a subset's moments are summed on the host).
    public var moments = "host"

    public init(spec: ReadoutCurveSpec, backend: BackendInfo, format: String, points: [ReadoutCurvePoint], simulateSeconds: Double, warnings: [String]) {
        self.spec = spec
        self.backend = backend
        self.format = format
        self.points = points
        self.simulateSeconds = simulateSeconds
        self.warnings = warnings
    }

    /// The decoders that have a result at some size, in `DecoderKind` order.
    public var decoderKinds: [DecoderKind] { DecoderKind.allCases.filter { k in points.contains { $0[k] != nil } } }

    /// The point at size `n` as the `CapacityResult` of `capacity --readout-neurons n` (its spec,
    /// decoders and the run's provenance; the warnings are the whole run's).
    public func capacityResult(at n: Int) -> CapacityResult? {
        guard let p = points.first(where: { $0.readoutNeurons == n }) else { return nil }
        var r = CapacityResult(spec: spec.point(n), backend: backend, format: format, decoders: p.decoders,
                               simulateSeconds: simulateSeconds, warnings: warnings)
        r.moments = moments
        return r
    }
}
