import Foundation

/// The recurrent weights of one network without storing them: row i's synapses regenerated from
/// the network's Philox key whenever they are needed (GeNN's procedural connectivity).
///
/// A row is produced by the very functions `NetworkGenerator.recurrent` stores (`forEachColumn`,
/// `recurrentNormal` times the scale), in column order, so the synapses and values are
/// bit-identical to every stored format and a CPU step sums them in the same order.
public struct ProceduralWeights: Sendable {
    /// Neurons N.
    public let n: Int
    /// The network's generator.
    public let rng: Philox4x32
    /// ln(1 − sp), the skip constant.
    public let lnq: Double
    /// g/√(N·sp) as a float (the stored values are `normal · scale` in float).
    public let scale: Float
    /// Expected synapses per row, N·sp (sizes scratch buffers).
    public let expectedRowLength: Double

    public init(_ spec: NetworkSpec) {
        n = spec.n
        rng = Philox4x32(seed: spec.seed)
        lnq = NetworkGenerator.skipConstant(spec.sp)
        scale = Float(spec.recurrentScale)
        expectedRowLength = Double(spec.n) * spec.sp
    }

    /// Calls `body(j, w)` for every synapse (i, j) of row i, columns increasing.
    @inline(__always)
    public func forEachSynapse(row i: Int, _ body: (Int, Float) -> Void) {
        let rng = self.rng, scale = self.scale
        NetworkGenerator.forEachColumn(row: i, cols: n, lnq: lnq, rng: rng) { j in
            body(j, NetworkGenerator.recurrentNormal(row: i, col: j, rng: rng) * scale)
        }
    }

    /// Writes row i into `buffer` (replacing what it held) and returns its length.
    @inline(__always)
    public func fill(row i: Int, into buffer: RowBuffer) -> Int {
        buffer.count = 0
        forEachSynapse(row: i) { j, w in buffer.append(column: Int32(truncatingIfNeeded: j), value: w) }
        return buffer.count
    }

    /// Synapses of rows lo..<hi (structure only: no values are drawn).
    public func synapseCount(rows: Range<Int>) -> Int {
        var c = 0
        for i in rows { NetworkGenerator.forEachColumn(row: i, cols: n, lnq: lnq, rng: rng) { _ in c += 1 } }
        return c
    }

    /// Synapses of the whole network, counted on all cores (O(nnz) Philox blocks and logarithms,
    /// no memory).
    public func synapseCount() -> Int {
        let blocks = Swift.max(1, Swift.min(256, n / 1024))
        let per = (n + blocks - 1) / blocks
        final class Counts: @unchecked Sendable { var v: [Int]; init(_ b: Int) { v = [Int](repeating: 0, count: b) } }
        let counts = Counts(blocks)
        DispatchQueue.concurrentPerform(iterations: blocks) { b in
            let lo = b * per, hi = Swift.min(n, lo + per)
            if lo < hi { counts.v[b] = synapseCount(rows: lo..<hi) }
        }
        return counts.v.reduce(0, +)
    }
}

/// A growable scratch row (column indices and values) for one worker thread: one allocation
/// reused across rows, so regenerating a row allocates nothing.
public final class RowBuffer {
    public private(set) var columns: UnsafeMutablePointer<Int32>
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int
    /// Entries held.
    public var count = 0

    public init(capacity: Int) {
        self.capacity = Swift.max(16, capacity)
        columns = .allocate(capacity: self.capacity)
        values = .allocate(capacity: self.capacity)
    }

    deinit {
        columns.deallocate()
        values.deallocate()
    }

    @inline(__always)
    public func append(column: Int32, value: Float) {
        if count == capacity { grow() }
        columns[count] = column
        values[count] = value
        count += 1
    }

    private func grow() {
        let c = capacity * 2
        let nc = UnsafeMutablePointer<Int32>.allocate(capacity: c)
        let nv = UnsafeMutablePointer<Float>.allocate(capacity: c)
        nc.update(from: columns, count: count)
        nv.update(from: values, count: count)
        columns.deallocate()
        values.deallocate()
        columns = nc
        values = nv
        capacity = c
    }
}
