import WMCore

/// What an `OpenCLEngine` accumulates on the device while it runs (see
/// `OpenCLEngine.advance(steps:lagMoments:segmentDone:progress:)`): for every network and every
/// segment of state times, the products of z = [x(t) − c ; u(t−1) − d … u(t−K) − d ; 1] over the
/// segment's rows and trials.
public struct LagMomentsPlan: Sendable {
    /// State times t (of x(t)) of each segment: increasing and disjoint, each with t ≥ `lags`.
    public var segments: [ClosedRange<Int>]
    /// K: targets u(t − k) for k = 1…K.
    public var lags: Int
    /// The target stream `[t][B]` for t = 0 ..< (last segment's end): one input channel per trial.
    public var stream: [Float]
    /// d, subtracted from every target before the products (a value near the stream's mean keeps
    /// the raw sums close to the centred ones).
    public var targetShift: Float

    public init(segments: [ClosedRange<Int>], lags: Int, stream: [Float], targetShift: Float) {
        self.segments = segments
        self.lags = lags
        self.stream = stream
        self.targetShift = targetShift
    }

    /// Throws unless the plan fits `trials` trials and a run over state times `start` … `end`
    /// (the engine is at time `start − 1`: segments must begin after it).
    public func validate(trials: Int, start: Int = 1, end: Int) throws {
        guard lags >= 1 else { throw WMError.invalidParameter(name: "lags", value: "\(lags)", expected: "≥ 1") }
        var previous = Int.min
        for s in segments {
            guard s.lowerBound > previous, s.lowerBound >= lags, s.lowerBound >= start else {
                throw WMError.invalidParameter(name: "moment segments", value: "\(segments)",
                                               expected: "increasing, disjoint state times t ≥ max(\(start), K = \(lags)) (segments must start after the engine's current time)")
            }
            previous = s.upperBound
        }
        if let last = segments.last {
            guard last.upperBound <= end else {
                throw WMError.invalidParameter(name: "moment segments", value: "ending at t = \(last.upperBound)", expected: "within the run (t ≤ \(end))")
            }
            guard stream.count >= last.upperBound * trials else {
                throw WMError.invalidParameter(name: "target stream", value: "\(stream.count) values", expected: "≥ \(last.upperBound) steps × \(trials) trials")
            }
        }
        guard targetShift.isFinite else { throw WMError.invalidParameter(name: "target shift", value: "\(targetShift)", expected: "finite") }
    }
}

/// The device's sums for one network over one segment; the host turns them into centred moments.
public struct RawLagMoments: Sendable, Equatable {
    /// Rows × trials summed.
    public var count: Int
    /// The reference state c [N] (x at the segment's first time, trial 0).
    public var shift: [Float]
    /// Σ z_i z_j, `[N][N + K + 1]` row-major: entries with j ≥ i are filled (the shifted Gram
    /// matrix's upper triangle, then the K cross products with the targets, then Σ (x_i − c_i));
    /// entries with j < i are 0.
    public var products: [Double]
}

extension OpenCLEngine {
    /// Whether `advance(steps:lagMoments:…)` can run here: the device has double precision and
    /// takes 16 × 16 work-groups for the accumulation kernel.
    public var supportsDeviceMoments: Bool {
        guard backend.device.info.hasFP64, let k = try? kernel("moments_accumulate") else { return false }
        return ((try? k.workGroupInfo(backend.device).maxWorkGroupSize) ?? 0) >= 256
    }

    /// Whether accumulating on the device is the better choice here: a GPU or accelerator that
    /// supports it. On CPU devices the states are in host memory already and the host's BLAS
    /// accumulation is faster (measured on PoCL, 2 cores: 7.5 s against 20.9 s for the default
    /// N = 1000 capacity run).
    /// The accumulators must also fit: one buffer of `deviceMomentBytes` within the device's
    /// largest allocation and half its global memory (else the host path is used).
    public func prefersDeviceMoments(lags k: Int, streamValues: Int) -> Bool {
        let info = backend.device.info
        let bytes = Self.deviceMomentBytes(networks: ensemble.count, n: ensemble.n, lags: k, streamValues: streamValues)
        let accBytes = UInt64(Self.accumulatorBytes(networks: ensemble.count, n: ensemble.n, lags: k))
        return info.deviceType != "CPU" && supportsDeviceMoments
            && (info.maxAllocBytes == 0 || accBytes <= info.maxAllocBytes) && UInt64(bytes) <= info.globalMemBytes / 2
    }

    /// Output tile of `moments_accumulate` (16 × 16 work-items of 4 × 4 outputs).
    static var momentTile: Int { 64 }

    /// Bytes of the accumulators (one buffer of M·N·(N + K + 1) doubles).
    static func accumulatorBytes(networks m: Int, n: Int, lags k: Int) -> Int { m * n * (n + k + 1) * 8 }

    /// Device bytes that `advance(steps:lagMoments:…)` allocates besides the record buffer.
    public static func deviceMomentBytes(networks m: Int, n: Int, lags k: Int, streamValues: Int) -> Int {
        accumulatorBytes(networks: m, n: n, lags: k) + m * n * 4 + streamValues * 4
    }

    /// Advances `steps` steps recording every neuron, but instead of downloading the states it
    /// accumulates the products of `plan` on the device; when a segment's last time has run,
    /// `segmentDone(segment, perNetwork)` gets its sums (one download of M·N·(N + K + 1) doubles
    /// per segment). Device memory: O(M·N·(N + K)) whatever the run's length.
    public func advance(steps: Int, lagMoments plan: LagMomentsPlan,
                        segmentDone: (Int, [RawLagMoments]) throws -> Void, progress: ((Int) -> Void)?) throws {
        guard supportsDeviceMoments else {
            throw WMError.unsupported("device moments need double precision (cl_khr_fp64) on \(backend.device.info.deviceName)")
        }
        let n = ensemble.n, m = ensemble.count, bt = ensemble.trials, k = plan.lags
        try plan.validate(trials: bt, start: time + 1, end: time + steps)
        let w = n + k + 1
        let accBytes = Self.accumulatorBytes(networks: m, n: n, lags: k)
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
