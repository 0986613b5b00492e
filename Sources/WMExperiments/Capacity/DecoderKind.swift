/// A decoder that reads u(t − k) out of the network state x(t). Results, records, CSV columns,
/// merges and the optimiser are keyed by it; each kind's behaviour lives in its
/// `CapacityDecoder` (adding a decoder: a case here and its implementation, see
/// docs/architecture.md).
public enum DecoderKind: String, Codable, Sendable, CaseIterable {
    /// Ridge regression from the streamed state moments, λ per lag on the validation segment.
    case ridge
    /// A two-hidden-layer MLP trained with Adam on stored states.
    case mlp

    /// The implementation.
    var decoder: any CapacityDecoder {
        switch self {
        case .ridge: return RidgeCapacityDecoder()
        case .mlp: return MLPCapacityDecoder()
        }
    }

    /// The lags this decoder scores in a measurement of `spec`.
    public func lags(_ spec: CapacitySpec) -> [Int] { decoder.lags(spec) }

    /// The lags whose targets this decoder needs stored beside the states (nil: it reads the
    /// streamed moments only).
    public func storedLags(_ spec: CapacitySpec) -> [Int]? { decoder.storedLags(spec) }

    /// Whether result files leave its lags out because they are always 1…K (ridge); the others
    /// always write `<kind>Lags`.
    public var lagsImpliedInFiles: Bool { self == .ridge }
}

/// A coding key made at run time (decoder-keyed fields: "ridge", "ridgeMC", …).
struct DynamicCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// The per-decoder results stored under the decoders' names beside a result's fixed keys.
    static func decodeResults(from decoder: any Decoder) throws -> [DecoderKind: DecoderResult] {
        let d = try decoder.container(keyedBy: DynamicCodingKey.self)
        var out: [DecoderKind: DecoderResult] = [:]
        for kind in DecoderKind.allCases {
            if let r = try d.decodeIfPresent(DecoderResult.self, forKey: DynamicCodingKey(kind.rawValue)) { out[kind] = r }
        }
        return out
    }

    /// Writes `results` under the decoders' names (in `DecoderKind` order).
    static func encode(_ results: [DecoderKind: DecoderResult], to encoder: any Encoder) throws {
        var d = encoder.container(keyedBy: DynamicCodingKey.self)
        for kind in DecoderKind.allCases { if let r = results[kind] { try d.encode(r, forKey: DynamicCodingKey(kind.rawValue)) } }
    }
}
