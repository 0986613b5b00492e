/// Column blocks of a sliced-ELL matrix for the CPU engine's B > 1 sums
/// (`wm_ell_blocked_rows_*`): for each row, the slot where each block of `width` columns starts.
///
/// Why: at B > 1 every stored entry reads its column's row of x, B floats (256 bytes at B = 64).
/// When x outgrows L2 (workload B: N = 10⁴, 2.5 MB) those rows come from L3 at every entry;
/// summing all of a worker's rows over one block of columns before the next keeps the block's
/// rows of x in L2 (measured with the kernels alone, N = 10⁴, sp = 0.01, B = 64, two threads:
/// 21 → 15 cycles per entry). The partial sums wait in y between blocks as the same fp32 values
/// the registers held, so every output is still the fma chain over its row's entries in column
/// order from +0, bit for bit the unblocked sums. Where x fits in L2 (workload A: 256 KB),
/// blocks sized for L1 measured no faster (loads, not the L2, bound the kernel there), so the
/// engine leaves the sums unblocked.
struct ColumnBlocks: Sendable {
    /// Columns per block (the last one may be narrower).
    let width: Int
    /// Blocks per row.
    let count: Int
    /// `bounds[i·(count + 1) + b]`: the first slot of row i whose column is ≥ b·width; the last of
    /// each row is its length.
    let bounds: [Int32]
    /// Rows summed over all blocks before their epilogue: their partial sums stay in L2 beside the
    /// block of x.
    let groupRows: Int

    /// Bytes of x one block covers (half the L2 of this project's reference CPU, 1.25 MB).
    static let xBlockBytes = 512 << 10
    /// Bytes of partial sums a group of rows holds.
    static let groupBytes = 512 << 10
    /// x up to this size stays unblocked (it fits in L2 with the weights streaming past).
    static let unblockedXBytes = 1 << 20
    /// Fewest expected entries per row and block: each block reloads and stores the row's B sums.
    static let minEntriesPerBlock = 8.0

    /// Tests: a forced width and group (width 0: never block); nil: the measured rule.
    nonisolated(unsafe) static var override: (width: Int, groupRows: Int)? = nil

    /// The block width for N columns at density sp and `trials` trials, nil for unblocked sums:
    /// blocks only where x is larger than `unblockedXBytes` and each row has enough entries per
    /// block, and only with the AVX-512 kernels (the others sum unblocked).
    static func width(n: Int, sp: Double, trials: Int) -> Int? {
        guard trials > 1, CPUEngine.vectorKernelLevel >= 2 else { return nil }
        if let o = override { return o.width > 0 && o.width < n ? o.width : nil }
        let rowBytes = trials * 4
        guard n * rowBytes > unblockedXBytes else { return nil }
        let w = Swift.max(16, xBlockBytes / rowBytes / 16 * 16)
        return w < n && Double(w) * sp >= minEntriesPerBlock ? w : nil
    }

    /// Bytes of the bounds for N rows at this width.
    static func bytes(n: Int, width: Int) -> Int { n * ((n + width - 1) / width + 1) * 4 }

    /// The bounds of `e` (columns increasing along each row) for blocks of `width` columns.
    init(_ e: SlicedELL, width: Int, trials: Int) {
        let n = e.rows, s = SlicedELL.sliceRows
        let count = (n + width - 1) / width
        var bounds = [Int32](repeating: 0, count: n * (count + 1))
        for i in 0..<n {
            let first = e.sliceOffset[i / s] + i % s, length = Int(e.rowLength[i])
            let column: (Int) -> Int = e.narrowColumns ? { Int(e.columns16[first + s * $0]) } : { Int(e.columns32[first + s * $0]) }
            var k = 0
            for b in 0..<count {
                while k < length && column(k) < b * width { k += 1 }
                bounds[i * (count + 1) + b] = Int32(k)
            }
            bounds[i * (count + 1) + count] = Int32(length)
        }
        self.width = width
        self.count = count
        self.bounds = bounds
        if let o = ColumnBlocks.override {
            groupRows = o.groupRows
        } else {
            groupRows = Swift.max(16, ColumnBlocks.groupBytes / (trials * 4) / 16 * 16)
        }
    }
}
