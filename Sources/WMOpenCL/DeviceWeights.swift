import Foundation
import WMCore

/// Recurrent and input weights of an ensemble in device memory, in one format.
/// CSR: per-network row offsets `rowPtr[m·(N+1) + i]` and network offsets `nnzOff[m]`.
/// ELL: common width W, column-major per network, row lengths `rowLen[m·N + i]`.
/// Dense: `N×N` per network, column-major on GPUs (neighbouring rows contiguous, coalesced) and
/// row-major on CPU devices (vectorised partial sums); see `Kernels/step.cl`. Indices are 16-bit when N ≤ 65536.
/// Procedural: no recurrent weights, only each network's skip constant `lnq[m]` (double) and
/// scale `scale[m]`, from which `Kernels/procedural.cl` regenerates the rows every step.
final class DeviceWeights {
    let format: WeightFormat
    let index16: Bool
    var ellWidth = 0
    var rowPtr: CLBuffer?
    var nnzOff: CLBuffer?
    var rowLen: CLBuffer?
    var col: CLBuffer?
    var val: CLBuffer?
    var dense: CLBuffer?
    var lnq: CLBuffer?
    var scale: CLBuffer?
    var win: CLBuffer!
    var totalNNZ = 0

    /// Dense storage is column-major (GPU layout).
    let denseColumnMajor: Bool

    init(format: WeightFormat, index16: Bool, denseColumnMajor: Bool) {
        self.format = format
        self.index16 = index16
        self.denseColumnMajor = denseColumnMajor
    }

    /// Row-major dense ↔ device layout (the transpose is its own inverse).
    func denseLayout(_ a: [Float], _ n: Int) -> [Float] { denseColumnMajor ? DeviceWeights.transpose(a, n) : a }

    /// Transpose of a square n×n row-major matrix.
    static func transpose(_ a: [Float], _ n: Int) -> [Float] {
        var t = [Float](repeating: 0, count: a.count)
        a.withUnsafeBufferPointer { src in
            t.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n { for j in 0..<n { dst[j * n + i] = src[i * n + j] } }
            }
        }
        return t
    }

    /// Bytes of one column index.
    var indexBytes: Int { index16 ? 2 : 4 }

    /// Uploads host networks.
    func upload(_ nets: [Network], n: Int, nIn: Int, context: CLContext, queue: CLQueue) throws {
        let m = nets.count
        win = try CLBuffer(context: context, copying: nets.flatMap(\.input))
        switch format {
        case .procedural:
            break
        case .dense, .auto:
            dense = try CLBuffer(context: context, copying: nets.flatMap { denseLayout($0.recurrent.dense(), n) })
        case .csr:
            var ptr: [Int32] = []
            var off: [Int32] = []
            var total = 0
            for net in nets {
                off.append(Int32(total))
                ptr += net.recurrent.rowPtr
                total += net.recurrent.nnz
            }
            guard total < Int(Int32.max) else { throw WMError.unsupported("more than 2^31 synapses in one ensemble; split it") }
            rowPtr = try CLBuffer(context: context, copying: ptr)
            nnzOff = try CLBuffer(context: context, copying: off)
            try makeIndexBuffer(nets.flatMap(\.recurrent.colIndex), context: context)
            val = try CLBuffer(context: context, copying: nets.flatMap(\.recurrent.values))
            totalNNZ = total
        case .ell:
            let w = nets.map(\.recurrent.maxRowLength).max() ?? 0
            ellWidth = Swift.max(w, 1)
            var len = [Int32](repeating: 0, count: m * n)
            var ci = [Int32](repeating: 0, count: m * ellWidth * n)
            var v = [Float](repeating: 0, count: m * ellWidth * n)
            for (mm, net) in nets.enumerated() {
                let r = net.recurrent
                for i in 0..<n {
                    let a = Int(r.rowPtr[i]), b = Int(r.rowPtr[i + 1])
                    len[mm * n + i] = Int32(b - a)
                    let base = mm * ellWidth * n + i
                    for k in 0..<ellWidth { ci[base + k * n] = Int32(i) }
                    for p in a..<b {
                        ci[base + (p - a) * n] = r.colIndex[p]
                        v[base + (p - a) * n] = r.values[p]
                    }
                }
                totalNNZ += r.nnz
            }
            rowLen = try CLBuffer(context: context, copying: len)
            try makeIndexBuffer(ci, context: context)
            val = try CLBuffer(context: context, copying: v)
        }
    }

    private func makeIndexBuffer(_ idx: [Int32], context: CLContext) throws {
        if index16 {
            col = try CLBuffer(context: context, copying: idx.map { UInt16(truncatingIfNeeded: $0) })
        } else {
            col = try CLBuffer(context: context, copying: idx.map { UInt32(bitPattern: $0) })
        }
    }

    /// The procedural parameters of `specs`: skip constants and scales.
    func setProcedural(_ specs: [NetworkSpec], context: CLContext) throws {
        lnq = try CLBuffer(context: context, copying: specs.map { NetworkGenerator.skipConstant($0.sp) })
        scale = try CLBuffer(context: context, copying: specs.map { Float($0.recurrentScale) })
    }

    /// The input weights of every network.
    func downloadInput(m: Int, n: Int, nIn: Int, queue: CLQueue) throws -> [[Float]] {
        let winAll = try win.read(Float.self, count: m * n * nIn, queue: queue)
        return (0..<m).map { Array(winAll[($0 * n * nIn)..<(($0 + 1) * n * nIn)]) }
    }

    /// Reads the column indices back as Int32.
    private func readIndices(count: Int, queue: CLQueue) throws -> [Int32] {
        guard let col else { return [] }
        if index16 { return try col.read(UInt16.self, count: count, queue: queue).map { Int32($0) } }
        return try col.read(UInt32.self, count: count, queue: queue).map { Int32(bitPattern: $0) }
    }

    /// Downloads the recurrent weights of every network as CSR, and the input weights.
    func download(m: Int, n: Int, nIn: Int, queue: CLQueue) throws -> (recurrent: [CSRMatrix], input: [[Float]]) {
        let inputs = try downloadInput(m: m, n: n, nIn: nIn, queue: queue)
        var mats: [CSRMatrix] = []
        switch format {
        case .procedural:
            throw WMError.unsupported("procedural weights are not stored; the engine regenerates them to download (internal)")
        case .dense, .auto:
            let d = try dense!.read(Float.self, count: m * n * n, queue: queue)
            for mm in 0..<m {
                mats.append(CSRMatrix(dense: denseLayout(Array(d[(mm * n * n)..<((mm + 1) * n * n)]), n), rows: n, cols: n))
            }
        case .csr:
            let ptr = try rowPtr!.read(Int32.self, count: m * (n + 1), queue: queue)
            let off = try nnzOff!.read(Int32.self, count: m, queue: queue)
            let ci = try readIndices(count: totalNNZ, queue: queue)
            let v = try val!.read(Float.self, count: totalNNZ, queue: queue)
            for mm in 0..<m {
                let p = Array(ptr[(mm * (n + 1))..<((mm + 1) * (n + 1))])
                let a = Int(off[mm]), b = a + Int(p[n])
                mats.append(CSRMatrix(rows: n, cols: n, rowPtr: p, colIndex: Array(ci[a..<b]), values: Array(v[a..<b])))
            }
        case .ell:
            let w = ellWidth
            let len = try rowLen!.read(Int32.self, count: m * n, queue: queue)
            let ci = try readIndices(count: m * w * n, queue: queue)
            let v = try val!.read(Float.self, count: m * w * n, queue: queue)
            for mm in 0..<m {
                var ptr = [Int32](repeating: 0, count: n + 1)
                var cc: [Int32] = []
                var vv: [Float] = []
                for i in 0..<n {
                    let base = mm * w * n + i
                    for k in 0..<Int(len[mm * n + i]) {
                        cc.append(ci[base + k * n])
                        vv.append(v[base + k * n])
                    }
                    ptr[i + 1] = Int32(cc.count)
                }
                mats.append(CSRMatrix(rows: n, cols: n, rowPtr: ptr, colIndex: cc, values: vv))
            }
        }
        return (mats, inputs)
    }
}
