/// Recurrent weights of one network in the layout a CPU step reads.
public enum CPUWeights: Sendable {
    case csr(CSRMatrix)
    /// ELL in slices of 16 rows (`SlicedELL`).
    case ell(SlicedELL)
    /// Row-major N×N.
    case dense([Float])
    /// Nothing stored: rows regenerated from the seed every step.
    case procedural(ProceduralWeights)

    /// Converts CSR to a stored `format` (resolved; procedural weights come from the spec, not
    /// from a matrix: `init(spec:)`).
    public init(_ m: CSRMatrix, format: WeightFormat) {
        switch format {
        case .csr, .auto, .procedural: self = .csr(m)
        case .dense: self = .dense(m.dense())
        case .ell: self = .ell(SlicedELL(m))
        }
    }

    /// Procedural weights of `spec`.
    public init(procedural spec: NetworkSpec) { self = .procedural(ProceduralWeights(spec)) }
}
