/// Storage of the recurrent weights.
public enum WeightFormat: String, Codable, Sendable, CaseIterable {
    /// Chosen from density and size (see `resolve`).
    case auto
    /// N×N row-major floats.
    case dense
    /// Padded rows (column-major), one row length per row; 16-bit indices when N ≤ 65536.
    case ell
    /// Compressed sparse rows; 16-bit indices when N ≤ 65536.
    case csr

    /// The concrete format for networks of size n and largest density `sp`.
    /// Dense above 20 % density while N·N floats stay ≤ 256 MiB per network; ELL otherwise
    /// (Bernoulli rows are balanced, so padding costs little); CSR only on request.
    public func resolve(n: Int, sp: Double) -> WeightFormat {
        guard self == .auto else { return self }
        if sp >= 0.2 && n * n * 4 <= 256 << 20 { return .dense }
        return .ell
    }

    /// Whether column indices fit 16 bits.
    public static func uses16BitIndices(n: Int) -> Bool { n <= 65536 }
}
