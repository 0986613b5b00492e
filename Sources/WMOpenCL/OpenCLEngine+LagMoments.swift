import WMCore

extension OpenCLEngine {
    /// Why `advance(steps:lagMoments:…)` cannot run here, or nil: the accumulation kernel needs
    /// double precision and 16 × 16 work-groups.
    public var lagMomentsUnavailableReason: String? {
        let info = backend.device.info
        guard info.hasFP64 else { return "\(info.deviceName) has no double precision (cl_khr_fp64)" }
        guard let k = try? kernel("moments_accumulate") else { return "the moments kernel does not build on \(info.deviceName)" }
        let wg = (try? k.workGroupInfo(backend.device).maxWorkGroupSize) ?? 0
        return wg >= 256 ? nil : "\(info.deviceName) runs at most \(wg) work-items of the moments kernel in a work-group (needs 256)"
    }

    /// Output tile of `moments_accumulate` (16 × 16 work-items of 4 × 4 outputs).
    static var momentTile: Int { 64 }

    /// Advances `steps` steps recording every neuron, but instead of downloading the states it
    /// accumulates the products of `plan` on the device; when a segment's last time has run,
    /// `segmentDone(segment, perNetwork)` gets its sums (one download of M·N·(N + K + 1) doubles
    /// per segment). Device memory: O(M·N·(N + K)) whatever the run's length.
    public func advance(steps: Int, lagMoments plan: LagMomentsPlan,
                        segmentDone: (Int, [RawLagMoments]) throws -> Void, progress: ((Int) -> Void)?) throws {
        if let why = lagMomentsUnavailableReason { throw WMError.unsupported("lag moments on the device: \(why)") }
        let n = ensemble.n, m = ensemble.count, bt = ensemble.trials, k = plan.lags
        try plan.validate(trials: bt, start: time + 1, end: time + steps)
        let w = n + k + 1
        let accBytes = LagMomentsPlan.accumulatorBytes(networks: m, n: n, lags: k)
        try MemoryCheck.device(bytes: accBytes, device: backend.device.info, what: "moment accumulators (M·N·(N + K + 1) doubles)")
        let ctx = backend.context, q = backend.queue
        let acc = try CLBuffer(context: ctx, bytes: accBytes)
        let shift = try CLBuffer(context: ctx, bytes: m * n * 4)
        let stream = try CLBuffer(context: ctx, copying: plan.stream)
        let t = Self.momentTile
        let rowTiles = (n + t - 1) / t, colTiles = (w + t - 1) / t
        var pairs: [SIMD2<Int32>] = []
        for i in 0..<rowTiles { for j in i..<colTiles { pairs.append(SIMD2(Int32(i), Int32(j))) } }
        let tiles = try CLBuffer(context: ctx, copying: pairs)
        let accumulate = try kernel("moments_accumulate"), shiftKernel = try kernel("moments_shift")
        var counts = [Int](repeating: 0, count: plan.segments.count)

        try runChunks(steps: steps, record: RecordRequest(every: 1, neurons: nil), chunkDone: { first, rows, rec in
            let last = first + rows - 1
            for (s, seg) in plan.segments.enumerated() where seg.lowerBound <= last && seg.upperBound >= first {
                let lo = Swift.max(first, seg.lowerBound), hi = Swift.min(last, seg.upperBound)
                if lo == seg.lowerBound {
                    try shiftKernel.setArg(0, Int32(n)); try shiftKernel.setArg(1, Int32(bt)); try shiftKernel.setArg(2, Int32(m))
                    try shiftKernel.setArg(3, Int32(lo - first)); try shiftKernel.setArg(4, rec); try shiftKernel.setArg(5, shift)
                    try q.enqueue(shiftKernel, global: [DeviceGenerator.roundUp(n, 64), m], local: [64, 1])
                    try acc.fillZero(queue: q)
                    counts[s] = 0
                }
                try accumulate.setArg(0, Int32(n)); try accumulate.setArg(1, Int32(k)); try accumulate.setArg(2, Int32(bt))
                try accumulate.setArg(3, Int32(m)); try accumulate.setArg(4, Int32(lo - first)); try accumulate.setArg(5, Int32(hi - lo + 1))
                try accumulate.setArg(6, Int32(first)); try accumulate.setArg(7, rec); try accumulate.setArg(8, shift)
                try accumulate.setArg(9, stream); try accumulate.setArg(10, plan.targetShift); try accumulate.setArg(11, tiles)
                try accumulate.setArg(12, acc)
                try q.enqueue(accumulate, global: [pairs.count * 16, m * 16], local: [16, 16])
                counts[s] += (hi - lo + 1) * bt
                if hi == seg.upperBound {
                    let sums = try acc.read(Double.self, count: m * n * w, queue: q)
                    let c = try shift.read(Float.self, count: m * n, queue: q)
                    let raws = (0..<m).map { mm in
                        RawLagMoments(count: counts[s], shift: Array(c[(mm * n)..<((mm + 1) * n)]),
                                      products: Array(sums[(mm * n * w)..<((mm + 1) * n * w)]))
                    }
                    try segmentDone(s, raws)
                }
            }
        }, progress: progress)
    }
}
