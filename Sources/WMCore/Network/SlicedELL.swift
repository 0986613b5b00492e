/// ELL storage for the CPU engine in slices of 16 rows (SELL-16, rows kept in order).
///
/// Slice s holds rows 16s … 16s + 15 padded to that slice's longest row; its slots are stored
/// one after another, 16 entries per slot: entry (row i, slot k) sits at
/// `sliceOffset[i / 16] + 16·k + i % 16`. A step reads every slice as one contiguous stream
/// (the device's global ELL, `slot·N + i`, jumps N entries per slot, which defeats CPU
/// prefetchers at large N), and padding follows each slice's longest row rather than the
/// matrix's. Column indices are 16-bit when N ≤ 65 536 (6 bytes per synapse instead of 8).
/// Slot k of a row is its k-th stored entry in column order, as in every other format, so sums
/// are accumulated in the same order everywhere.
public struct SlicedELL: Sendable {
    /// Rows per slice.
    public static let sliceRows = 16

    /// Number of rows N.
    public let rows: Int
    /// Stored entries per row, padded with zeros to a whole number of slices.
    public let rowLength: [Int32]
    /// Start of each slice's entries, plus the end (count: slices + 1).
    public let sliceOffset: [Int]
    /// Column indices when N > 65 536 (else empty).
    public let columns32: [Int32]
    /// Column indices when N ≤ 65 536 (else empty).
    public let columns16: [UInt16]
    /// Weights; padding entries are 0 (column 0) and never summed.
    public let values: [Float]

    /// Whether the columns are stored in 16 bits (`columns16`).
    public let narrowColumns: Bool

    /// Bytes of the stored entries (values and columns).
    public var storedBytes: Int { values.count * 4 + columns32.count * 4 + columns16.count * 2 }

    /// Stores `m` in slices; 16-bit columns when `m.columns ≤ 65 536` unless `wideColumns`.
    public init(_ m: CSRMatrix, wideColumns: Bool = false) {
        let n = m.rows, s = SlicedELL.sliceRows
        let slices = (n + s - 1) / s
        var len = [Int32](repeating: 0, count: slices * s)
        var off = [Int](repeating: 0, count: slices + 1)
        for i in 0..<n { len[i] = m.rowPtr[i + 1] - m.rowPtr[i] }
        for q in 0..<slices {
            let width = Int(len[(q * s)..<((q + 1) * s)].max() ?? 0)
            off[q + 1] = off[q] + width * s
        }
        let total = off[slices]
        let narrow = !wideColumns && m.cols <= 65_536
        var c32 = [Int32](repeating: 0, count: narrow ? 0 : total)
        var c16 = [UInt16](repeating: 0, count: narrow ? total : 0)
        var v = [Float](repeating: 0, count: total)
        for i in 0..<n {
            let a = Int(m.rowPtr[i]), b = Int(m.rowPtr[i + 1])
            let base = off[i / s] + i % s
            for p in a..<b {
                let at = base + (p - a) * s
                v[at] = m.values[p]
                if narrow { c16[at] = UInt16(m.colIndex[p]) } else { c32[at] = m.colIndex[p] }
            }
        }
        rows = n
        rowLength = len
        sliceOffset = off
        columns32 = c32
        columns16 = c16
        values = v
        narrowColumns = narrow
    }
}
