import Foundation
import WMCore

/// Advances an ensemble on an OpenCL device. Weights, state and the input chunk stay on the
/// device; only recorded rows and the M non-finite flags come back after each chunk.
/// Small networks run many steps per launch (`fused_*`, a work-group per trajectory, state in
/// local memory); otherwise one launch per step (`step_*`).
public final class OpenCLEngine: SimulationEngine, @unchecked Sendable {
    public let ensemble: Ensemble
    public let format: WeightFormat
    public var backendInfo: BackendInfo { backend.info }
    public private(set) var time = 0
    /// Whether steps are fused into one launch per chunk.
    public let fused: Bool

    let backend: OpenCLBackend
    let program: CLProgram
    let weights: DeviceWeights
    let keys: CLBuffer
    let coef: CLBuffer
    let bad: CLBuffer
    var x: CLBuffer
    var y: CLBuffer
    let u: CLBuffer
    let input: InputSource
    let chunkSteps: Int
    let specs: [NetworkSpec]
    let gains: [Float]
    let fusedLocal: Int
    private var recBuffer: CLBuffer?
    private var recIdx: CLBuffer?
    private var recIdxKey: [Int]? = nil
    /// Synapses counted once for procedural weights (nothing stored to count).
    private var proceduralSynapses: Int?

    init(backend: OpenCLBackend, ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws {
        try EngineOptions.check(ensemble: ensemble, networks: networks, input: input, options: options)
        self.backend = backend
        self.ensemble = ensemble
        self.input = input
        let dev = backend.device.info
        let n = ensemble.n, m = ensemble.count, bt = ensemble.trials
        let fmt = try WeightFormatChoice.resolve(options.format, ensemble: ensemble, networksGiven: networks != nil,
                                                 capabilities: backend.capabilities, precision: options.weightPrecision).format
        format = fmt
        chunkSteps = Swift.max(1, options.chunkSteps)

        // Refuse before allocating.
        let est = MemoryEstimate(ensemble: ensemble, format: fmt, chunkSteps: chunkSteps, recordWidth: n, hostCopyOfCSR: false,
                                 indexBytes: WeightFormat.uses16BitIndices(n: n) ? 2 : 4, valueBytes: options.weightPrecision.bytes)
        try est.check(available: Int(Double(dev.globalMemBytes) * 0.9), what: "\(m) network(s) of N = \(n) (\(MemoryEstimate.formatLabel(fmt, precision: options.weightPrecision))) on \(dev.deviceName)")
        try MemoryCheck.device(bytes: ensemble.stateCount * 4, device: dev, what: "state")

        let index16 = WeightFormat.uses16BitIndices(n: n)
        // 16-bit weights are generated and rounded on the host: the device's values differ from the
        // host's by a few float ulp, enough to tip a rounding now and then, and both backends must
        // hold the same network.
        let onDevice = networks == nil && options.generateOnDevice && dev.hasFP64 && options.weightPrecision == .fp32
        if networks == nil && !onDevice && fmt.isStored {
            try OpenCLEngine.checkHostGeneration(ensemble, format: fmt, precision: options.weightPrecision)
        }
        program = try backend.program(families: KernelFamily.engine, options: KernelLibrary.options(index16: index16, fp64: dev.hasFP64, denseColumnMajor: dev.isGPU,
                                                                                                   precision: options.weightPrecision))
        let ctx = backend.context, q = backend.queue
        keys = try CLBuffer(context: ctx, copying: ensemble.networks.flatMap { s -> [UInt32] in
            let r = Philox4x32(seed: s.seed)
            return [r.key.0, r.key.1]
        })

        weights = DeviceWeights(format: fmt, index16: index16, denseColumnMajor: dev.isGPU, precision: options.weightPrecision,
                                sellSigma: options.sellSigma)
        var nets = networks
        if onDevice {
            try DeviceGenerator.generate(into: weights, ensemble: ensemble, keys: keys, program: program, context: ctx, queue: q, device: dev)
        } else {
            if nets == nil {
                nets = try ensemble.networks.map { try fmt == .procedural ? NetworkGenerator.procedural($0) : NetworkGenerator.generate($0) }
            }
            if options.weightPrecision != .fp32 && fmt.isStored {
                for k in nets!.indices { nets![k].recurrent = try options.weightPrecision.rounded(nets![k].recurrent) }
            }
            try weights.upload(nets!, n: n, nIn: ensemble.nIn, context: ctx, queue: q, device: dev)
        }
        if fmt == .procedural { try weights.setProcedural(ensemble.networks, context: ctx) }
        // Spectral-radius gains: from the given networks, or computed on the host (N ≤ 4096).
        var g = [Float](repeating: 1, count: m)
        for (mm, s) in ensemble.networks.enumerated() {
            if let given = nets { g[mm] = given[mm].recurrentGain } else if let target = s.spectralRadius {
                g[mm] = try SpectralRadius.rescaleGain(NetworkGenerator.recurrent(s), target: target)
            }
        }
        gains = g
        specs = nets?.map(\.spec) ?? ensemble.networks
        coef = try CLBuffer(context: ctx, copying: zip(ensemble.networks, g).flatMap { NetworkCoefficients(spec: $0, gain: $1).packed })
        bad = try CLBuffer(context: ctx, copying: [Int32](repeating: Int32.max, count: m))
        x = try CLBuffer(context: ctx, bytes: ensemble.stateCount * 4)
        y = try CLBuffer(context: ctx, bytes: ensemble.stateCount * 4)
        u = try CLBuffer(context: ctx, bytes: chunkSteps * bt * ensemble.nIn * 4)

        // Fused steps when two state copies fit in local memory and launches would dominate: on CPU
        // devices (PoCL launches cost ~0.5 ms) with a trajectory per core or short steps; on GPUs only when there are enough
        // trajectories to fill the device. (Measured on an H100: fusing 1–5 trajectories of a
        // dense N = 1000 network was 4–6× slower than one launch per step — one work-group cannot
        // stream the 4 MB of weights per step fast enough.)
        // On CPU devices a work-group runs on one core, so with fewer trajectories than cores a
        // fused chunk leaves cores idle; that pays only while a step is short enough for the
        // launch to dominate. Measured on PoCL, 2 cores, batch 1 (`bench --fused yes|no`):
        // A (2.5·10⁵ synapses) fused 0.21 vs 0.18 G syn/s per step; B (10⁶) 0.08 vs 0.38;
        // C (10⁷) 0.009 vs 0.30.
        let fits = 2 * n * 4 + 1024 <= Int(dev.localMemBytes)
        let stepSynapses = WeightFormatChoice.expectedSynapses(ensemble) * Double(bt)
        let auto = fits && (dev.isGPU ? m * bt >= 2 * dev.computeUnits : (m * bt >= dev.computeUnits || stepSynapses <= 5e5))
        fused = fits && (options.fusedSteps ?? auto)
        fusedLocal = Swift.min(256, dev.maxWorkGroupSize, DeviceGenerator.roundUp(Swift.max(n, 32), 32))

        let ki = try program.kernel("init_state")
        try ki.setArg(0, Int32(n)); try ki.setArg(1, Int32(bt)); try ki.setArg(2, options.initLow); try ki.setArg(3, options.initHigh)
        try ki.setArg(4, keys); try ki.setArg(5, x)
        try q.enqueue(ki, global: [DeviceGenerator.roundUp(n * bt, 64), m], local: [64, 1])
        try q.finish()
    }

    /// Refuses, before anything is generated, stored weights the host cannot generate for
    /// upload (devices without fp64, 16-bit weights): more than 2³¹ synapses in a network, or
    /// more host memory than there is for the generated CSR and the layout built from it.
    static func checkHostGeneration(_ ensemble: Ensemble, format: WeightFormat, precision: WeightPrecision) throws {
        let why = precision == .fp32 ? "this device has no double precision, so the weights" : "\(precision.rawValue) weights"
        var bytes = 0.0
        for s in ensemble.networks {
            let nnz = MemoryEstimate.nnzBound(s)
            guard nnz < Double(Int32.max) else {
                throw WMError.unsupported("\(why) are generated on the host, which holds fewer than 2³¹ synapses per network (N = \(s.n), sp = \(s.sp) gives about \(String(format: "%.3g", Double(s.n) * Double(s.n) * s.sp))); use fp32 weights generated on the device, or --format procedural")
            }
            // CSR (value + column) while generating, its copy into the device layout, the 16-bit copy.
            bytes += nnz * 8 + MemoryEstimate.weightBytes(s, format: format, indexBytes: 4) + nnz * 4
        }
        let available = MemoryEstimate.hostAvailable
        if bytes > Double(available) {
            throw WMError.insufficientMemory(needed: RunMemoryEstimate.Part.bytes(bytes), available: available,
                                             what: "generating \(ensemble.count) network(s) of N = \(ensemble.n) on the host for upload (\(why) are generated there)")
        }
    }

    public func state() throws -> [Float] {
        try x.read(Float.self, count: ensemble.stateCount, queue: backend.queue)
    }

    public func setState(_ s: [Float]) throws {
        guard s.count == ensemble.stateCount else {
            throw WMError.invalidParameter(name: "state", value: "\(s.count) values", expected: "M·N·B = \(ensemble.stateCount)")
        }
        try x.write(s, queue: backend.queue)
    }

    public func networks() throws -> [Network] {
        let m = ensemble.count, n = ensemble.n, nIn = ensemble.nIn
        if format == .procedural {
            // Regenerated on the device into a temporary CSR: the values the step kernels sum.
            let csr = DeviceWeights(format: .csr, index16: weights.index16, denseColumnMajor: weights.denseColumnMajor)
            try DeviceGenerator.generate(into: csr, ensemble: ensemble, keys: keys, program: program, context: backend.context,
                                         queue: backend.queue, device: backend.device.info)
            let rec = try csr.download(m: m, n: n, nIn: nIn, queue: backend.queue).recurrent
            let inp = try weights.downloadInput(m: m, n: n, nIn: nIn, queue: backend.queue)
            return (0..<m).map { Network(spec: specs[$0], recurrent: rec[$0], input: inp[$0], recurrentGain: gains[$0]) }
        }
        let (rec, inp) = try weights.download(m: m, n: n, nIn: nIn, queue: backend.queue)
        return (0..<ensemble.count).map { Network(spec: specs[$0], recurrent: rec[$0], input: inp[$0], recurrentGain: gains[$0]) }
    }

    /// Stored synapses over the ensemble: sparse formats know their count without a download;
    /// dense storage is read back and its non-zero entries counted.
    public func synapseCount() throws -> Int {
        if format == .procedural {
            if let c = proceduralSynapses { return c }
            let c = try DeviceGenerator.countSynapses(ensemble: ensemble, keys: keys, program: program, context: backend.context, queue: backend.queue)
            proceduralSynapses = c
            return c
        }
        if (format == .csr || format == .ell) && weights.totalNNZ > 0 { return weights.totalNNZ }
        return try networks().reduce(0) { $0 + $1.recurrent.nnz }
    }

    public var fusesSteps: Bool? { fused }

    // MARK: running

    public func advance(steps: Int, record: RecordRequest?, sink: (RecordedChunk) throws -> Void, progress: ((Int) -> Void)?) throws {
        let width = record?.width(n: ensemble.n) ?? 0
        let rowValues = ensemble.count * ensemble.trials * width
        try runChunks(steps: steps, record: record, chunkDone: { firstTime, rows, rec in
            let data = try rec.read(Float.self, count: rows * rowValues, queue: backend.queue)
            try sink(RecordedChunk(firstTime: firstTime, rows: rows, data: data))
        }, progress: progress)
    }

    /// The chunk loop shared by `advance` and the device consumers of recorded states: after each
    /// chunk that recorded rows, `chunkDone(firstTime, rows, recordBuffer)` gets the device
    /// buffer `[rows][M][B][width]` (row 0 is x(firstTime)), valid until the next chunk.
    func runChunks(steps: Int, record: RecordRequest?, chunkDone: (Int, Int, CLBuffer) throws -> Void, progress: ((Int) -> Void)?) throws {
        guard steps >= 0 else { throw WMError.invalidParameter(name: "steps", value: "\(steps)", expected: "≥ 0") }
        try record?.validate(n: ensemble.n)
        let q = backend.queue
        let m = ensemble.count
        let width = record?.width(n: ensemble.n) ?? 0
        let every = record?.every ?? 1
        if let r = record { try prepareRecording(r, width: width) }
        // Flags from an earlier failed call must not be reported again.
        try bad.write([Int32](repeating: Int32.max, count: m), queue: q)
        var done = 0
        while done < steps {
            let count = Swift.min(chunkSteps, steps - done)
            try fillInput(count: count)
            let t0 = time
            let rows = record == nil ? 0 : (t0 + count) / every - t0 / every
            if fused {
                try runFused(t0: t0, count: count, every: every, width: width)
            } else {
                for s in 0..<count {
                    try runStep(s: s, t: t0 + s)
                    swap(&x, &y)
                    if width > 0 && (t0 + s + 1) % every == 0 {
                        try gather(row: (t0 + s + 1) / every - t0 / every - 1, width: width)
                    }
                }
            }
            time += count
            done += count
            let flags = try bad.read(Int32.self, count: m, queue: q)
            if let worst = flags.enumerated().min(by: { $0.element < $1.element }), worst.element != Int32.max {
                throw WMError.nonFinite(step: Int(worst.element), network: worst.offset, detail: "state x(\(worst.element + 1)) is not finite")
            }
            if rows > 0, let rb = recBuffer {
                try chunkDone((t0 / every + 1) * every, rows, rb)
            }
            progress?(done)
        }
    }

    private func prepareRecording(_ r: RecordRequest, width: Int) throws {
        let rowsMax = chunkSteps / r.every + 1
        let bytes = rowsMax * ensemble.count * ensemble.trials * width * 4
        if recBuffer == nil || recBuffer!.byteCount < bytes {
            try MemoryCheck.device(bytes: bytes, device: backend.device.info, what: "record buffer")
            recBuffer = try CLBuffer(context: backend.context, bytes: bytes)
        }
        let idx = r.neurons ?? Array(0..<ensemble.n)
        if recIdxKey != idx {
            recIdx = try CLBuffer(context: backend.context, copying: idx.map { Int32($0) })
            recIdxKey = idx
        }
    }

    private func fillInput(count: Int) throws {
        let spec = input.spec
        let kind: Int32
        switch spec.kind {
        case .none: kind = 0
        case .uniform: kind = 1
        case .gaussian: kind = 2
        case .onehot: kind = 3
        case .file:
            var host: [Float] = []
            try input.fill(t0: time, count: count, trials: ensemble.trials, into: &host)
            try u.write(host, queue: backend.queue)
            return
        }
        let k = try program.kernel("gen_input")
        let r = Philox4x32(seed: spec.seed)
        try k.setArg(0, Int32(time)); try k.setArg(1, Int32(count)); try k.setArg(2, Int32(ensemble.trials))
        try k.setArg(3, Int32(ensemble.nIn)); try k.setArg(4, kind); try k.setArg(5, Float(spec.amplitude))
        try k.setArg(6, [r.key.0, r.key.1] as SIMD2<UInt32>)
        try k.setArg(7, Int32(spec.holdSteps)); try k.setArg(8, Int32(spec.burnIn)); try k.setArg(9, u)
        try backend.queue.enqueue(k, global: [DeviceGenerator.roundUp(count, 16), ensemble.trials], local: [16, 1])
    }

    /// Sets the arguments shared by step_* (0…12) and the format's weight arguments after them.
    private func setWeightArgs(_ k: CLKernel, from first: Int) throws {
        switch format {
        case .procedural:
            try k.setArg(first, weights.lnq!); try k.setArg(first + 1, weights.scale!)
        case .dense, .auto:
            try k.setArg(first, weights.dense!)
        case .csr:
            try k.setArg(first, weights.rowPtr!); try k.setArg(first + 1, weights.nnzOff!)
            try k.setArg(first + 2, weights.col!); try k.setArg(first + 3, weights.val!)
        case .ell:
            try k.setArg(first, weights.rowAt!); try k.setArg(first + 1, weights.sliceStart!); try k.setArg(first + 2, weights.rowLen!)
            try k.setArg(first + 3, weights.col!); try k.setArg(first + 4, weights.val!)
        }
    }

    private var formatSuffix: String { format == .auto ? "dense" : format.rawValue }
    private var kernels: [String: CLKernel] = [:]
    private var localSizes: [String: Int] = [:]

    /// The kernel `name` of this engine's program (created once; a missing kernel throws).
    func kernel(_ name: String) throws -> CLKernel {
        if let k = kernels[name] { return k }
        let k = try program.kernel(name)
        kernels[name] = k
        return k
    }

    /// The local size for `k`: `preferred`, capped by the kernel's own limit on this device
    /// (register-heavy kernels can allow less than the device maximum).
    private func localSize(_ k: CLKernel, preferred: Int) throws -> Int {
        let key = "\(k.name)/\(preferred)"
        if let l = localSizes[key] { return l }
        let limit = try k.workGroupInfo(backend.device).maxWorkGroupSize
        var l = Swift.min(preferred, Swift.max(1, limit))
        if l < preferred { l = Swift.max(1, 1 << (Int.bitWidth - 1 - l.leadingZeroBitCount)) }  // power of two
        localSizes[key] = l
        return l
    }

    private func runStep(s: Int, t: Int) throws {
        let k = try kernel("step_" + formatSuffix)
        let n = ensemble.n, bt = ensemble.trials
        try k.setArg(0, Int32(n)); try k.setArg(1, Int32(bt)); try k.setArg(2, Int32(ensemble.nIn)); try k.setArg(3, Int32(t))
        try k.setArg(4, weights.win); try k.setArg(5, coef); try k.setArg(6, keys)
        try k.setArg(7, u); try k.setArg(8, Int32(s)); try k.setArg(9, x); try k.setArg(10, y)
        try k.setArg(11, bad); try k.setArg(12, Int32(ensemble.activation == .tanh ? 1 : 0))
        try setWeightArgs(k, from: 13)
        let l = try localSize(k, preferred: 64)
        try backend.queue.enqueue(k, global: [DeviceGenerator.roundUp(n * bt, l), ensemble.count], local: [l, 1])
    }

    private func gather(row: Int, width: Int) throws {
        let k = try kernel("record_gather")
        guard let rb = recBuffer, let idx = recIdx else { throw WMError.unsupported("recording requested without a record buffer (internal)") }
        let m = ensemble.count, bt = ensemble.trials
        try k.setArg(0, Int32(ensemble.n)); try k.setArg(1, Int32(bt)); try k.setArg(2, Int32(m)); try k.setArg(3, Int32(width))
        try k.setArg(4, Int32(row)); try k.setArg(5, idx); try k.setArg(6, x); try k.setArg(7, rb)
        try backend.queue.enqueue(k, global: [DeviceGenerator.roundUp(width, 64), m * bt], local: [64, 1])
    }

    private func runFused(t0: Int, count: Int, every: Int, width: Int) throws {
        let k = try kernel("fused_" + formatSuffix)
        let n = ensemble.n, bt = ensemble.trials, m = ensemble.count
        if recBuffer == nil { recBuffer = try CLBuffer(context: backend.context, bytes: 4) }
        if recIdx == nil { recIdx = try CLBuffer(context: backend.context, copying: [Int32(0)]) }
        try k.setArg(0, Int32(n)); try k.setArg(1, Int32(bt)); try k.setArg(2, Int32(m)); try k.setArg(3, Int32(ensemble.nIn))
        try k.setArg(4, Int32(t0)); try k.setArg(5, Int32(count)); try k.setArg(6, weights.win); try k.setArg(7, coef)
        try k.setArg(8, keys); try k.setArg(9, u); try k.setArg(10, x)
        try k.setLocal(11, bytes: n * 4); try k.setLocal(12, bytes: n * 4)
        try k.setArg(13, Int32(every)); try k.setArg(14, Int32(width)); try k.setArg(15, recIdx!); try k.setArg(16, recBuffer!)
        try k.setArg(17, bad); try k.setArg(18, Int32(ensemble.activation == .tanh ? 1 : 0))
        try setWeightArgs(k, from: 19)
        let l = try localSize(k, preferred: fusedLocal)
        try backend.queue.enqueue(k, global: [l * m * bt], local: [l])
    }
}
