/// Storage of the recurrent weights.
public enum WeightFormat: String, Codable, Sendable, CaseIterable {
    /// Chosen from density and size (see `resolve`), and procedural when the stored weights would
    /// not fit (`WeightFormatChoice`).
    case auto
    /// N×N row-major floats.
    case dense
    /// Padded rows (column-major), one row length per row; 16-bit indices when N ≤ 65536.
    case ell
    /// Compressed sparse rows; 16-bit indices when N ≤ 65536.
    case csr
    /// Nothing stored: every step regenerates each row's synapses (geometric skips and values)
    /// from the network's Philox key, the same synapses and values as the stored formats
    /// (`ProceduralWeights`). Needs double precision for the skips, and a network generated from
    /// its spec (not one loaded or trained).
    case procedural

    /// The concrete format for networks of size n and largest density `sp`, from density and size
    /// alone. Dense above 20 % density while N·N floats stay ≤ 256 MiB per network; ELL otherwise
    /// (Bernoulli rows are balanced, so padding costs little); CSR and procedural only on request.
    /// The fallback to procedural when memory is short is `WeightFormatChoice.resolve`.
    public func resolve(n: Int, sp: Double) -> WeightFormat {
        guard self == .auto else { return self }
        if sp >= 0.2 && n * n * 4 <= 256 << 20 { return .dense }
        return .ell
    }

    /// Whether the weights are held in memory (every format but procedural).
    public var isStored: Bool { self != .procedural }

    /// Whether column indices fit 16 bits.
    public static func uses16BitIndices(n: Int) -> Bool { n <= 65536 }
}
