import Foundation
import WMCore

/// Recurrent and input weights of an ensemble in device memory, in one format.
/// CSR: per-network row offsets `rowPtr[m·(N+1) + i]` and network offsets `nnzOff[m]`.
/// ELL: SELL-C-σ (`SELLLayout`): the row at each position `rowAt[m·N + p]`, its length
/// `rowLen[m·N + p]`, slice starts `sliceStart` (64-bit), entries slot-major within each slice.
/// Dense: `N×N` per network, column-major on GPUs (neighbouring rows contiguous, coalesced) and
/// row-major on CPU devices (vectorised partial sums); see `Kernels/step.cl`. Indices are 16-bit when N ≤ 65536.
/// Procedural: no recurrent weights, only each network's skip constant `lnq[m]` (double) and
/// scale `scale[m]`, from which `Kernels/procedural.cl` regenerates the rows every step.
/// Values (`val`, `dense`) hold `precision`: floats, or 16 bits widened to float as they are read.
final class DeviceWeights {
    let format: WeightFormat
    let index16: Bool
    let precision: WeightPrecision
    /// Sorting window σ of the SELL layout.
    let sellSigma: Int
    /// The SELL layout (ELL only).
    var sell: SELLLayout?
    var rowAt: CLBuffer?
    var sliceStart: CLBuffer?
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

    init(format: WeightFormat, index16: Bool, denseColumnMajor: Bool, precision: WeightPrecision = .fp32, sellSigma: Int = SELLLayout.defaultSigma) {
        self.format = format
        self.index16 = index16
        self.denseColumnMajor = denseColumnMajor
        self.precision = precision
        self.sellSigma = sellSigma
    }

    /// A value buffer holding `values` in `precision` (rounded to nearest even).
    func makeValueBuffer(_ values: [Float], context: CLContext) throws -> CLBuffer {
        if precision == .fp32 { return try CLBuffer(context: context, copying: values) }
        let p = precision
        return try CLBuffer(context: context, copying: values.map { p.bits16($0) })
    }

    /// Reads `count` values back as floats.
    func readValues(_ buffer: CLBuffer, count: Int, queue: CLQueue) throws -> [Float] {
        switch precision {
        case .fp32: return try buffer.read(Float.self, count: count, queue: queue)
        case .fp16: return try buffer.read(UInt16.self, count: count, queue: queue).map(HalfBits.float)
        case .bf16: return try buffer.read(UInt16.self, count: count, queue: queue).map { Float(bitPattern: UInt32($0) << 16) }
        }
    }

    /// Installs a SELL layout's index buffers (positions and slice starts).
    func setLayout(_ layout: SELLLayout, context: CLContext) throws {
        sell = layout
        rowAt = try CLBuffer(context: context, copying: layout.rowAt)
        rowLen = try CLBuffer(context: context, copying: layout.length)
        sliceStart = try CLBuffer(context: context, copying: layout.sliceStart)
        totalNNZ = layout.synapses
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
    /// Every buffer is checked against the device's largest allocation before it is made.
    func upload(_ nets: [Network], n: Int, nIn: Int, context: CLContext, queue: CLQueue, device: CLDeviceInfo) throws {
        let entries: Int
        switch format {
        case .procedural: entries = 0
        case .dense, .auto: entries = nets.count * n * n
        case .csr, .ell: entries = nets.reduce(0) { $0 + $1.recurrent.nnz }  // ELL adds padding: checked again below
        }
        try MemoryCheck.device(bytes: entries * precision.bytes, device: device, what: "\(format.rawValue) weights")
        win = try CLBuffer(context: context, copying: nets.flatMap(\.input))
        switch format {
        case .procedural:
            break
        case .dense, .auto:
            dense = try makeValueBuffer(nets.flatMap { denseLayout($0.recurrent.dense(), n) }, context: context)
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
            val = try makeValueBuffer(nets.flatMap(\.recurrent.values), context: context)
            totalNNZ = total
        case .ell:
            let (layout, columns, values) = try SELLLayout.fill(nets.map(\.recurrent), sigma: sellSigma)
            try MemoryCheck.device(bytes: layout.storedEntries * precision.bytes, device: device, what: "ell weights")
            try setLayout(layout, context: context)
            try makeIndexBuffer(columns, context: context)
            val = try makeValueBuffer(values, context: context)
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
            let d = try readValues(dense!, count: m * n * n, queue: queue)
            for mm in 0..<m {
                mats.append(CSRMatrix(dense: denseLayout(Array(d[(mm * n * n)..<((mm + 1) * n * n)]), n), rows: n, cols: n))
            }
        case .csr:
            let ptr = try rowPtr!.read(Int32.self, count: m * (n + 1), queue: queue)
            let off = try nnzOff!.read(Int32.self, count: m, queue: queue)
            let ci = try readIndices(count: totalNNZ, queue: queue)
            let v = try readValues(val!, count: totalNNZ, queue: queue)
            for mm in 0..<m {
                let p = Array(ptr[(mm * (n + 1))..<((mm + 1) * (n + 1))])
                let a = Int(off[mm]), b = a + Int(p[n])
                mats.append(CSRMatrix(rows: n, cols: n, rowPtr: p, colIndex: Array(ci[a..<b]), values: Array(v[a..<b])))
            }
        case .ell:
            guard let layout = sell else { throw WMError.unsupported("ELL weights without a layout (internal)") }
            let ci = try readIndices(count: layout.storedEntries, queue: queue)
            let v = try readValues(val!, count: layout.storedEntries, queue: queue)
            mats = layout.matrices(columns: ci, values: v)
        }
        return (mats, inputs)
    }
}
