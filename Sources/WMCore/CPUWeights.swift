/// Recurrent weights of one network in the layout a CPU step reads.
public enum CPUWeights: Sendable {
    case csr(CSRMatrix)
    /// ELL: `width` slots per row, column-major (`slot·N + i`), with per-row lengths.
    case ell(width: Int, rowLength: [Int32], colIndex: [Int32], values: [Float])
    /// Row-major N×N.
    case dense([Float])

    /// Converts CSR to `format` (resolved).
    public init(_ m: CSRMatrix, format: WeightFormat) {
        switch format {
        case .csr, .auto: self = .csr(m)
        case .dense: self = .dense(m.dense())
        case .ell:
            let n = m.rows
            let width = m.maxRowLength
            var len = [Int32](repeating: 0, count: n)
            var ci = [Int32](repeating: 0, count: width * n)
            var v = [Float](repeating: 0, count: width * n)
            for i in 0..<n {
                let a = Int(m.rowPtr[i]), b = Int(m.rowPtr[i + 1])
                len[i] = Int32(b - a)
                for p in a..<b {
                    ci[(p - a) * n + i] = m.colIndex[p]
                    v[(p - a) * n + i] = m.values[p]
                }
            }
            self = .ell(width: width, rowLength: len, colIndex: ci, values: v)
        }
    }
}
