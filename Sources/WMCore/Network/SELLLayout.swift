/// Where the OpenCL engine's `ell` format puts each stored entry: SELL-C-σ (Kreutzer et al.,
/// SIAM J. Sci. Comput. 36, 2014).
///
/// - Within each window of σ consecutive rows the rows are ordered by decreasing length
///   (stable: equal lengths keep row order), which gives every row a *position*.
/// - Positions are cut into slices of C. A slice is padded only to its own longest row, and its
///   slots are stored one after another, C entries per slot: the entry in slot k of the row at
///   position p of network m sits at `sliceStart[m·S + p / C] + k·C + p % C` (S slices per
///   network). Neighbouring work-items (positions) read neighbouring entries, as in plain ELL.
///
/// Slot k of a row is its k-th entry in column order, as in every format, so a row's sum is the
/// same fma chain whatever σ and C are: the layout moves bytes, never results. Sorting only
/// reduces padding. Bernoulli rows of workload C (N = 10⁵, about 100 ± 10 entries) padded to
/// the matrix's longest row, as plain ELL does, store about 40 % padding; SELL-32 without
/// sorting about 20 %; with σ = 1024 under 2 % (`paddingFraction`).
public struct SELLLayout: Sendable, Equatable {
    /// Rows per slice when none is given: a GPU warp, so one slot of a slice is one coalesced read.
    public static let defaultSliceRows = 32
    /// Sorting window when none is given.
    public static let defaultSigma = 1024

    /// Rows per network N.
    public let rows: Int
    /// Networks M laid out one after another.
    public let networks: Int
    /// Rows per slice C.
    public let sliceRows: Int
    /// Sorting window σ in rows (1: no sorting).
    public let sigma: Int
    /// The row held at each position, `rowAt[m·N + p]`.
    public let rowAt: [Int32]
    /// Stored entries of the row at each position, `length[m·N + p]`.
    public let length: [Int32]
    /// First entry of every slice over all networks (slice s of network m at `m·S + s`), then
    /// the total: `M·S + 1` values.
    public let sliceStart: [Int64]

    /// Slices per network S = ⌈N / C⌉.
    public var slicesPerNetwork: Int { (rows + sliceRows - 1) / sliceRows }
    /// Entries stored, padding included.
    public var storedEntries: Int { Int(sliceStart.last ?? 0) }
    /// Synapses (entries that are not padding).
    public var synapses: Int { length.reduce(0) { $0 + Int($1) } }
    /// Share of the stored entries that are padding.
    public var paddingFraction: Double { storedEntries == 0 ? 0 : 1 - Double(synapses) / Double(storedEntries) }

    /// The layout of `networks` networks of `rows` rows whose row lengths are
    /// `rowLengths[m·N + i]`. Throws for a slice height or window below 1 or mismatched lengths.
    public init(rowLengths: [Int32], rows n: Int, networks m: Int,
                sliceRows c: Int = SELLLayout.defaultSliceRows, sigma: Int = SELLLayout.defaultSigma) throws {
        guard c >= 1 else { throw WMError.invalidParameter(name: "SELL slice rows", value: "\(c)", expected: "≥ 1") }
        guard sigma >= 1 else { throw WMError.invalidParameter(name: "SELL sorting window σ", value: "\(sigma)", expected: "≥ 1 row (1: no sorting)") }
        guard n >= 1, m >= 1, rowLengths.count == n * m else {
            throw WMError.invalidParameter(name: "row lengths", value: "\(rowLengths.count)", expected: "M·N = \(m)·\(n)")
        }
        let slices = (n + c - 1) / c
        var rowAt = [Int32](repeating: 0, count: m * n)
        var len = [Int32](repeating: 0, count: m * n)
        var start = [Int64](repeating: 0, count: m * slices + 1)
        var total: Int64 = 0
        for net in 0..<m {
            let base = net * n
            var w0 = 0
            while w0 < n {
                let w1 = Swift.min(w0 + sigma, n)
                var order = Array(Int32(w0)..<Int32(w1))
                if sigma > 1 {
                    // Stable by construction: ties are broken by the row index.
                    order.sort { a, b in
                        let la = rowLengths[base + Int(a)], lb = rowLengths[base + Int(b)]
                        return la != lb ? la > lb : a < b
                    }
                }
                for (k, r) in order.enumerated() {
                    rowAt[base + w0 + k] = r
                    len[base + w0 + k] = rowLengths[base + Int(r)]
                }
                w0 = w1
            }
            for s in 0..<slices {
                start[net * slices + s] = total
                let lo = s * c, hi = Swift.min(lo + c, n)
                let width = len[(base + lo)..<(base + hi)].max() ?? 0
                total += Int64(width) * Int64(c)
            }
        }
        start[m * slices] = total
        rows = n
        networks = m
        sliceRows = c
        self.sigma = sigma
        self.rowAt = rowAt
        length = len
        sliceStart = start
    }

    /// Index of slot `k` of the row at position `p` of network `m` in the stored arrays.
    @inline(__always)
    public func entry(network m: Int, position p: Int, slot k: Int) -> Int {
        Int(sliceStart[m * slicesPerNetwork + p / sliceRows]) + k * sliceRows + p % sliceRows
    }

    /// The layout of `matrices` (one per network, all N × N) with their entries in it: columns
    /// and values per stored entry, padding as column = the row, weight 0 (never summed).
    public static func fill(_ matrices: [CSRMatrix], sliceRows c: Int = defaultSliceRows, sigma: Int = defaultSigma) throws
        -> (layout: SELLLayout, columns: [Int32], values: [Float]) {
        guard let n = matrices.first?.rows else { throw WMError.invalidParameter(name: "networks", value: "0", expected: "≥ 1") }
        var lengths = [Int32](repeating: 0, count: matrices.count * n)
        for (m, a) in matrices.enumerated() {
            guard a.rows == n else { throw WMError.invalidParameter(name: "network \(m) rows", value: "\(a.rows)", expected: "N = \(n) like network 0") }
            for i in 0..<n { lengths[m * n + i] = a.rowPtr[i + 1] - a.rowPtr[i] }
        }
        let layout = try SELLLayout(rowLengths: lengths, rows: n, networks: matrices.count, sliceRows: c, sigma: sigma)
        var cols = [Int32](repeating: 0, count: layout.storedEntries)
        var vals = [Float](repeating: 0, count: layout.storedEntries)
        for (m, a) in matrices.enumerated() {
            for p in 0..<n {
                let i = Int(layout.rowAt[m * n + p])
                let first = Int(a.rowPtr[i]), count = Int(layout.length[m * n + p])
                let s = m * layout.slicesPerNetwork + p / c
                let width = Int(layout.sliceStart[s + 1] - layout.sliceStart[s]) / c
                for k in 0..<width {
                    let q = layout.entry(network: m, position: p, slot: k)
                    if k < count {
                        cols[q] = a.colIndex[first + k]
                        vals[q] = a.values[first + k]
                    } else {
                        cols[q] = Int32(i)
                    }
                }
            }
        }
        return (layout, cols, vals)
    }

    /// The matrices back from stored columns and values (what `fill` wrote).
    public func matrices(columns: [Int32], values: [Float]) -> [CSRMatrix] {
        (0..<networks).map { m in
            var positionOf = [Int](repeating: 0, count: rows)
            for p in 0..<rows { positionOf[Int(rowAt[m * rows + p])] = p }
            var ptr = [Int32](repeating: 0, count: rows + 1)
            var ci: [Int32] = [], v: [Float] = []
            for i in 0..<rows {
                let p = positionOf[i], count = Int(length[m * rows + p])
                for k in 0..<count {
                    let q = entry(network: m, position: p, slot: k)
                    ci.append(columns[q])
                    v.append(values[q])
                }
                ptr[i + 1] = ptr[i] + Int32(count)
            }
            return CSRMatrix(rows: rows, cols: rows, rowPtr: ptr, colIndex: ci, values: v)
        }
    }
}
