import Foundation

/// Draws networks from their spec with Philox, the same way `Kernels/generate.cl` does.
///
/// Structure: in row i, the columns of existing synapses are found by geometric skips
/// (gap = ⌊ln u / ln(1−sp)⌋, u a 53-bit uniform in double precision), which samples
/// every entry as an independent Bernoulli(sp) in O(nnz) time. The value of entry (i, j)
/// depends on (seed, i, j) only. Input weights use one Philox block per (i, k).
public enum NetworkGenerator {
    /// ln(1 − sp) in double precision, the skip constant for density sp.
    public static func skipConstant(_ sp: Double) -> Double { Foundation.log1p(-sp) }

    /// Integer Bernoulli threshold: an entry exists when `word < threshold` (exact on every device).
    public static func bernoulliThreshold(_ p: Double) -> UInt64 {
        UInt64((p * 4_294_967_296.0).rounded(.down))
    }

    /// Visits the column indices of row `i` (increasing), stopping at `cols`.
    @inline(__always)
    public static func forEachColumn(row i: Int, cols: Int, lnq: Double, rng: Philox4x32, _ body: (Int) -> Void) {
        var j = -1
        var d: UInt32 = 0
        while true {
            let b = rng.block(UInt32(truncatingIfNeeded: i), d >> 1, 0, RandomStream.recurrentStructure.rawValue)
            let u = (d & 1) == 0 ? RandomBits.unitDouble(b.0, b.1) : RandomBits.unitDouble(b.2, b.3)
            d &+= 1
            let gap = (Foundation.log(u) / lnq).rounded(.down)
            // A gap past the row end (or +inf for tiny densities) ends the row.
            if !(gap < Double(cols - j)) { return }
            j += Int(gap) + 1
            if j >= cols { return }
            body(j)
        }
    }

    /// The (unscaled) standard normal of recurrent entry (i, j).
    @inline(__always)
    public static func recurrentNormal(row i: Int, col j: Int, rng: Philox4x32) -> Float {
        let b = rng.block(UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: j), 0, RandomStream.recurrentValue.rawValue)
        return RandomBits.normal(b.0, b.1)
    }

    /// Recurrent weights J of `spec` in CSR form (scaled, gain 1). Rows are drawn on all cores.
    public static func recurrent(_ spec: NetworkSpec) -> CSRMatrix {
        let n = spec.n
        let rng = Philox4x32(seed: spec.seed)
        let lnq = skipConstant(spec.sp)
        let scale = Float(spec.recurrentScale)
        // Rows in blocks, each block built independently, then concatenated.
        let blocks = Swift.max(1, Swift.min(64, n / 256))
        let per = (n + blocks - 1) / blocks
        final class Parts: @unchecked Sendable {
            var cols: [[Int32]]
            var vals: [[Float]]
            var counts: [[Int32]]
            init(_ b: Int) { cols = .init(repeating: [], count: b); vals = .init(repeating: [], count: b); counts = .init(repeating: [], count: b) }
        }
        let parts = Parts(blocks)
        DispatchQueue.concurrentPerform(iterations: blocks) { blk in
            let lo = blk * per, hi = Swift.min(n, lo + per)
            var c: [Int32] = []
            var v: [Float] = []
            var cnt: [Int32] = []
            c.reserveCapacity(Int(Double(hi - lo) * Double(n) * spec.sp * 1.05) + 16)
            v.reserveCapacity(c.capacity)
            if lo < hi {
                for i in lo..<hi {
                    let before = c.count
                    forEachColumn(row: i, cols: n, lnq: lnq, rng: rng) { j in
                        c.append(Int32(j))
                        v.append(recurrentNormal(row: i, col: j, rng: rng) * scale)
                    }
                    cnt.append(Int32(c.count - before))
                }
            }
            parts.cols[blk] = c
            parts.vals[blk] = v
            parts.counts[blk] = cnt
        }
        var rowPtr = [Int32](repeating: 0, count: n + 1)
        var r = 0
        for cnt in parts.counts {
            for x in cnt { rowPtr[r + 1] = rowPtr[r] + x; r += 1 }
        }
        return CSRMatrix(rows: n, cols: n, rowPtr: rowPtr, colIndex: parts.cols.flatMap { $0 }, values: parts.vals.flatMap { $0 })
    }

    /// Input weights Jin of `spec`, N × nIn row-major (scaled).
    public static func input(_ spec: NetworkSpec) -> [Float] {
        let rng = Philox4x32(seed: spec.seed)
        let thr = bernoulliThreshold(spec.spIn)
        let scale = Float(spec.inputScale)
        var w = [Float](repeating: 0, count: spec.n * spec.nIn)
        for i in 0..<spec.n {
            for k in 0..<spec.nIn {
                let b = rng.block(UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: k), 0, RandomStream.inputWeight.rawValue)
                if UInt64(b.0) < thr { w[i * spec.nIn + k] = RandomBits.normal(b.2, b.3) * scale }
            }
        }
        return w
    }

    /// A network for procedural weights: Jin and the gain, with J left empty (N × N, no entries)
    /// because the engine regenerates its rows every step. With `spec.spectralRadius` J is drawn
    /// once for the exact gain and dropped.
    public static func procedural(_ spec: NetworkSpec) throws -> Network {
        try spec.validate()
        let empty = CSRMatrix(rows: spec.n, cols: spec.n, rowPtr: [Int32](repeating: 0, count: spec.n + 1), colIndex: [], values: [])
        var net = Network(spec: spec, recurrent: empty, input: input(spec))
        if let target = spec.spectralRadius {
            net.recurrentGain = try SpectralRadius.rescaleGain(recurrent(spec), target: target)
        }
        return net
    }

    /// The whole network: J, Jin and — when `spec.spectralRadius` is set — the exact rescaling gain.
    public static func generate(_ spec: NetworkSpec) throws -> Network {
        try spec.validate()
        // Row offsets are 32-bit: refuse networks that could overflow them.
        guard MemoryEstimate.nnzBound(spec) < Double(Int32.max) else {
            throw WMError.invalidParameter(name: "N·N·sp", value: "\(Int(spec.expectedNNZ))", expected: "fewer than 2^31 synapses per network")
        }
        let j = recurrent(spec)
        var net = Network(spec: spec, recurrent: j, input: input(spec))
        if let target = spec.spectralRadius {
            net.recurrentGain = try SpectralRadius.rescaleGain(j, target: target)
        }
        return net
    }
}
