import Foundation
import WMCore

/// Draws an ensemble's networks on the device with the kernels of `generate.cl`
/// (bit-identical structure to `NetworkGenerator`, values within a few ulp).
enum DeviceGenerator {
    /// Rounds `x` up to a multiple of `m`.
    static func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

    static func generate(into w: DeviceWeights, ensemble: Ensemble, keys: CLBuffer, program: CLProgram,
                         context: CLContext, queue: CLQueue, device: CLDeviceInfo) throws {
        let n = ensemble.n, m = ensemble.count, nIn = ensemble.nIn
        let specs = ensemble.networks
        let lnq = try CLBuffer(context: context, copying: specs.map { NetworkGenerator.skipConstant($0.sp) })
        let scale = try CLBuffer(context: context, copying: specs.map { Float($0.recurrentScale) })
        let global = [roundUp(n, 64), m]
        let local = [64, 1]

        // Input weights.
        w.win = try CLBuffer(context: context, bytes: m * n * nIn * 4)
        let gi = try program.kernel("gen_input_weights")
        try gi.setArg(0, Int32(n))
        try gi.setArg(1, Int32(nIn))
        try gi.setArg(2, try CLBuffer(context: context, copying: specs.map { NetworkGenerator.bernoulliThreshold($0.spIn) }))
        try gi.setArg(3, keys)
        try gi.setArg(4, try CLBuffer(context: context, copying: specs.map { Float($0.inputScale) }))
        try gi.setArg(5, w.win)
        try queue.enqueue(gi, global: global, local: local)

        if w.format == .procedural {
            // Nothing more to store: the step regenerates the rows.
            try queue.finish()
            return
        }
        if w.format == .dense {
            let total = m * n * n, vb = w.precision.bytes
            try MemoryCheck.device(bytes: total * vb, device: device, what: "dense weights")
            let d = try CLBuffer(context: context, bytes: total * vb)
            let k = try program.kernel("gen_dense_fill")
            try k.setArg(0, Int32(n)); try k.setArg(1, lnq); try k.setArg(2, keys); try k.setArg(3, scale); try k.setArg(4, d)
            try queue.enqueue(k, global: global, local: local)
            w.dense = d
            try queue.finish()
            return
        }

        // Row counts first (sparse formats).
        let counts = try CLBuffer(context: context, bytes: m * n * 4)
        let kc = try program.kernel("gen_row_counts")
        try kc.setArg(0, Int32(n)); try kc.setArg(1, lnq); try kc.setArg(2, keys); try kc.setArg(3, counts)
        try queue.enqueue(kc, global: global, local: local)
        let cnt = try counts.read(Int32.self, count: m * n, queue: queue)

        if w.format == .csr {
            var ptr = [Int32](repeating: 0, count: m * (n + 1))
            var off = [Int32](repeating: 0, count: m)
            var total = 0
            for mm in 0..<m {
                off[mm] = Int32(total)
                var acc = 0
                for i in 0..<n {
                    acc += Int(cnt[mm * n + i])
                    ptr[mm * (n + 1) + i + 1] = Int32(acc)
                }
                total += acc
                guard total < Int(Int32.max) else { throw WMError.unsupported("more than 2^31 synapses in one ensemble; split it") }
            }
            try MemoryCheck.device(bytes: total * (w.precision.bytes + w.indexBytes), device: device, what: "CSR weights")
            w.totalNNZ = total
            w.rowPtr = try CLBuffer(context: context, copying: ptr)
            w.nnzOff = try CLBuffer(context: context, copying: off)
            w.col = try CLBuffer(context: context, bytes: Swift.max(total, 1) * w.indexBytes)
            w.val = try CLBuffer(context: context, bytes: Swift.max(total, 1) * w.precision.bytes)
            let k = try program.kernel("gen_csr_fill")
            try k.setArg(0, Int32(n)); try k.setArg(1, lnq); try k.setArg(2, keys); try k.setArg(3, scale)
            try k.setArg(4, w.rowPtr!); try k.setArg(5, w.nnzOff!); try k.setArg(6, w.col!); try k.setArg(7, w.val!)
            try queue.enqueue(k, global: global, local: local)
        } else {
            let layout = try SELLLayout(rowLengths: cnt, rows: n, networks: m, sigma: w.sellSigma)
            let entries = Swift.max(layout.storedEntries, 1)
            try MemoryCheck.device(bytes: entries * (w.precision.bytes + w.indexBytes), device: device, what: "ELL weights")
            try w.setLayout(layout, context: context)
            w.col = try CLBuffer(context: context, bytes: entries * w.indexBytes)
            w.val = try CLBuffer(context: context, bytes: entries * w.precision.bytes)
            let k = try program.kernel("gen_sell_fill")
            try k.setArg(0, Int32(n)); try k.setArg(1, lnq); try k.setArg(2, keys); try k.setArg(3, scale)
            try k.setArg(4, w.rowAt!); try k.setArg(5, w.sliceStart!); try k.setArg(6, w.col!); try k.setArg(7, w.val!)
            try queue.enqueue(k, global: global, local: local)
        }
        try queue.finish()
    }
}

extension DeviceGenerator {
    /// Synapses of every network of `ensemble`, counted on the device from the structure alone
    /// (`gen_row_counts`; what procedural weights would regenerate).
    static func countSynapses(ensemble: Ensemble, keys: CLBuffer, program: CLProgram, context: CLContext, queue: CLQueue) throws -> Int {
        let n = ensemble.n, m = ensemble.count
        let lnq = try CLBuffer(context: context, copying: ensemble.networks.map { NetworkGenerator.skipConstant($0.sp) })
        let counts = try CLBuffer(context: context, bytes: m * n * 4)
        let kc = try program.kernel("gen_row_counts")
        try kc.setArg(0, Int32(n)); try kc.setArg(1, lnq); try kc.setArg(2, keys); try kc.setArg(3, counts)
        try queue.enqueue(kc, global: [roundUp(n, 64), m], local: [64, 1])
        return try counts.read(Int32.self, count: m * n, queue: queue).reduce(0) { $0 + Int($1) }
    }
}

/// Device memory checks made before allocating.
enum MemoryCheck {
    static func device(bytes: Int, device: CLDeviceInfo, what: String) throws {
        if UInt64(bytes) > device.maxAllocBytes {
            throw WMError.insufficientMemory(needed: bytes, available: Int(device.maxAllocBytes), what: "\(what) in one buffer on \(device.deviceName) (largest allocation)")
        }
    }
}
