/// Recurrent weights of one network in the layout a CPU step reads.
public enum CPUWeights: Sendable {
    case csr(CSRMatrix)
    /// ELL in slices of 16 rows (`SlicedELL`).
    case ell(SlicedELL)
    /// Row-major N×N.
    case dense([Float])

    /// Converts CSR to `format` (resolved).
    public init(_ m: CSRMatrix, format: WeightFormat) {
        switch format {
        case .csr, .auto: self = .csr(m)
        case .dense: self = .dense(m.dense())
        case .ell: self = .ell(SlicedELL(m))
        }
    }
}
