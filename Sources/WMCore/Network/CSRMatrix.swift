/// A sparse matrix in compressed sparse row form (float32 values, 32-bit indices).
/// Column indices within a row are strictly increasing.
public struct CSRMatrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// `rows + 1` offsets into `colIndex`/`values`.
    public var rowPtr: [Int32]
    public var colIndex: [Int32]
    public var values: [Float]

    public init(rows: Int, cols: Int, rowPtr: [Int32], colIndex: [Int32], values: [Float]) {
        self.rows = rows
        self.cols = cols
        self.rowPtr = rowPtr
        self.colIndex = colIndex
        self.values = values
    }

    /// Number of stored entries.
    public var nnz: Int { colIndex.count }

    /// Length of the longest row.
    public var maxRowLength: Int {
        var m = 0
        for i in 0..<rows { m = Swift.max(m, Int(rowPtr[i + 1] - rowPtr[i])) }
        return m
    }

    /// Row-major dense copy.
    public func dense() -> [Float] {
        var d = [Float](repeating: 0, count: rows * cols)
        for i in 0..<rows {
            for p in Int(rowPtr[i])..<Int(rowPtr[i + 1]) { d[i * cols + Int(colIndex[p])] = values[p] }
        }
        return d
    }

    /// The CSR form of a row-major dense matrix (exact zeros are dropped).
    public init(dense d: [Float], rows: Int, cols: Int) {
        var ptr = [Int32](repeating: 0, count: rows + 1)
        var ci: [Int32] = []
        var v: [Float] = []
        for i in 0..<rows {
            for j in 0..<cols where d[i * cols + j] != 0 {
                ci.append(Int32(j))
                v.append(d[i * cols + j])
            }
            ptr[i + 1] = Int32(ci.count)
        }
        self.init(rows: rows, cols: cols, rowPtr: ptr, colIndex: ci, values: v)
    }

    /// Checks the invariants; throws a description of the first violation (used for loaded files).
    public func validate(name: String) throws {
        guard rowPtr.count == rows + 1, rowPtr.first == 0, Int(rowPtr.last ?? -1) == nnz, values.count == nnz else {
            throw WMError.invalidParameter(name: name, value: "CSR arrays", expected: "rowPtr of length N+1 from 0 to nnz, matching colIndex/values")
        }
        for i in 0..<rows {
            let a = Int(rowPtr[i]), b = Int(rowPtr[i + 1])
            guard a <= b else { throw WMError.invalidParameter(name: name, value: "rowPtr[\(i)]", expected: "non-decreasing row offsets") }
            var last: Int32 = -1
            for p in a..<b {
                let c = colIndex[p]
                guard c > last, c < Int32(cols) else {
                    throw WMError.invalidParameter(name: name, value: "colIndex in row \(i)", expected: "strictly increasing column indices in 0..<\(cols)")
                }
                guard values[p].isFinite else {
                    throw WMError.invalidParameter(name: name, value: "weight (\(i), \(c)) = \(values[p])", expected: "finite weights")
                }
                last = c
            }
        }
    }
}
