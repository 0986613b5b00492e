/// A matrix in the layout of the CPU engine's dense B = 1 sums (`wm_dense_masked_sums`): panels
/// of 16 rows; per panel and column a 16-bit mask of the rows with an entry there, and the
/// entries' values column after column (row order within a column).
///
/// Why: a dense step at B = 1 reads every weight once per step, and A's 4 MB of dense rows come
/// from L3 on every step; at 25 % density these panels hold 1.1 MB (2 bytes per 16 rows and
/// column, 4 per entry), so each core's half stays in its 1.25 MB L2, and the rows sit in vector
/// lanes with x[j] broadcast (no gather, unlike ELL at B = 1). Each row is still summed over its
/// stored entries in column order, so the sums equal the sparse formats' bit for bit.
struct BitmapPanels: @unchecked Sendable {
    /// Rows (and columns) N.
    let n: Int
    /// `masks[p·N + j]`: bit r of it set when row 16p + r has an entry in column j.
    let masks: [UInt16]
    /// Start of each panel's values in `values`.
    let starts: [Int]
    /// Values, panel after panel; 16 zeros past the end (the expanding loads read whole vectors
    /// only where their mask says, but a spare line costs nothing).
    let values: [Float]

    /// The panels of a square CSR matrix (columns increasing within each row).
    init(_ m: CSRMatrix) {
        let n = m.rows, panels = (n + 15) / 16
        var masks = [UInt16](repeating: 0, count: panels * n)
        var starts = [Int](repeating: 0, count: panels)
        var values: [Float] = []
        values.reserveCapacity(m.values.count + 16)
        for p in 0..<panels {
            starts[p] = values.count
            let r0 = 16 * p, rows = Swift.min(16, n - r0)
            var next = (0..<rows).map { Int(m.rowPtr[r0 + $0]) }
            let end = (0..<rows).map { Int(m.rowPtr[r0 + $0 + 1]) }
            for j in 0..<n {
                var mask: UInt16 = 0
                for r in 0..<rows where next[r] < end[r] && Int(m.colIndex[next[r]]) == j {
                    mask |= 1 << UInt16(r)
                    values.append(m.values[next[r]])
                    next[r] += 1
                }
                masks[p * n + j] = mask
            }
        }
        values += repeatElement(0, count: 16)
        self.n = n
        self.masks = masks
        self.starts = starts
        self.values = values
    }
}
