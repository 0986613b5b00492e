import CEngineKernels
import CLAPACK
import Foundation

/// The plain-Swift reference engine. Sparse formats accumulate each row in column order with
/// fused multiply-adds (the order the OpenCL kernels use); dense uses OpenBLAS sgemm/sgemv.
/// The epilogue (drive, update, finite check) runs vectorised over contiguous spans of rows ×
/// trials (`CPUEngine+Rows.swift`, `VectorMath`). Rows are split across all cores, each core's
/// share the same every step (`wm_pool_run`'s persistent threads), so its weights stay in its
/// caches. With the AVX-512 kernels, dense B = 1 steps read the weights as bitmap panels
/// (`densePanels`) and sum each row in column order on the pool's threads.
/// `@unchecked Sendable`: worker closures only read immutable properties; mutable state is
/// touched by the calling thread alone.
public final class CPUEngine: SimulationEngine, @unchecked Sendable {
    public let ensemble: Ensemble
    public let format: WeightFormat
    public let backendInfo: BackendInfo
    public private(set) var time = 0

    /// The networks; with procedural weights their `recurrent` is empty (only Jin and the gain are
    /// kept) and `networks()` regenerates J.
    let nets: [Network]
    let weights: [CPUWeights]
    let coeffs: [NetworkCoefficients]
    let rngs: [Philox4x32]
    let input: InputSource
    let chunkSteps: Int
    /// State x(t) and the next one, `[M][N][B]`, cache-line aligned (`AlignedFloats`).
    var x: AlignedFloats
    var y: AlignedFloats
    var u: [Float] = []
    /// This step's inputs channel-major (`uT[k·B + b]`), refilled every step.
    var uT: [Float] = []
    /// Per network, Jin channel-major (`[k·N + i]`) so that B = 1 adds each channel over a span
    /// of rows; empty when B > 1.
    let jinT: [[Float]]
    /// Per network, the dense weights as bitmap panels (`BitmapPanels`), for B = 1 with the
    /// AVX-512 kernels; empty otherwise (dense steps then call sgemv).
    let densePanels: [BitmapPanels]
    /// Per network, column blocks of the sliced-ELL weights for B > 1 (`ColumnBlocks`), nil where
    /// the sums run unblocked.
    let columnBlocks: [ColumnBlocks?]
    /// Per-step non-finite flags, reused across steps.
    var badScratch: [Int] = []
    let cores = ProcessInfo.processInfo.activeProcessorCount
    /// Synapses over the ensemble, exact; procedural rows are counted once, when asked, by
    /// regenerating their structure.
    lazy var storedSynapses: Int = weights.enumerated().reduce(0) { total, w in
        if case let .procedural(p) = w.element { return total + p.synapseCount() }
        return total + nets[w.offset].recurrent.nnz
    }
    /// Sparse step work per trial, for the choice of threads: exact for stored weights, the
    /// expectation N²·sp for procedural ones (counting them costs a step's worth of logarithms).
    lazy var stepSynapses: Int = format == .procedural
        ? ensemble.networks.reduce(0) { $0 + Int(Double($1.n) * Double($1.n) * $1.sp) } : storedSynapses

    /// `format` is resolved (`WeightFormatChoice`); procedural weights are built from the specs and
    /// `networks` then carry only Jin and the gains.
    init(ensemble: Ensemble, networks: [Network], format fmt: WeightFormat, input: InputSource, options: EngineOptions, info: BackendInfo) throws {
        self.ensemble = ensemble
        format = fmt
        backendInfo = info
        nets = networks
        weights = fmt == .procedural ? networks.map { CPUWeights(procedural: $0.spec) } : networks.map { CPUWeights($0.recurrent, format: fmt) }
        coeffs = networks.map { NetworkCoefficients(spec: $0.spec, gain: $0.recurrentGain) }
        rngs = ensemble.networks.map { Philox4x32(seed: $0.seed) }
        self.input = input
        jinT = ensemble.trials == 1 ? networks.map { CPUEngine.channelMajor($0.input, n: ensemble.n, nIn: ensemble.nIn) } : []
        chunkSteps = Swift.max(1, options.chunkSteps)
        densePanels = fmt == .dense && ensemble.trials == 1 && CPUEngine.vectorKernelLevel >= 2
            ? networks.map { BitmapPanels($0.recurrent) } : []
        columnBlocks = weights.enumerated().map { m, w in
            // The nominal density decides, as in the backend's memory estimate, so what is
            // allocated is what was estimated.
            guard case let .ell(e) = w, let width = ColumnBlocks.width(n: ensemble.n, sp: ensemble.networks[m].sp, trials: ensemble.trials) else { return nil }
            return ColumnBlocks(e, width: width, trials: ensemble.trials)
        }
        let n = ensemble.n, bt = ensemble.trials
        var x0 = [Float](repeating: 0, count: ensemble.stateCount)
        for m in 0..<ensemble.count {
            for i in 0..<n {
                for b in 0..<bt {
                    x0[(m * n + i) * bt + b] = UpdateMath.initial(seed: rngs[m], neuron: i, trial: b, lo: options.initLow, hi: options.initHigh)
                }
            }
        }
        x = AlignedFloats(x0)
        y = AlignedFloats(x0)
    }

    public func state() throws -> [Float] { x.array }

    public func setState(_ s: [Float]) throws {
        guard s.count == x.count else {
            throw WMError.invalidParameter(name: "state", value: "\(s.count) values", expected: "M·N·B = \(x.count)")
        }
        x = AlignedFloats(s)
    }

    public func networks() throws -> [Network] {
        guard format == .procedural else { return nets }
        return nets.map { net in
            var full = net
            full.recurrent = NetworkGenerator.recurrent(net.spec)
            return full
        }
    }

    public func synapseCount() throws -> Int { storedSynapses }

    /// Dense weights at B = 1 are read as bitmap panels (masks and entries), not N² floats.
    public var weightBytesPerStep: Double? {
        guard !densePanels.isEmpty else { return nil }
        return densePanels.reduce(0.0) { $0 + Double($1.masks.count * 2 + $1.values.count * 4) }
    }

    public func advance(steps: Int, record: RecordRequest?, sink: (RecordedChunk) throws -> Void, progress: ((Int) -> Void)?) throws {
        guard steps >= 0 else { throw WMError.invalidParameter(name: "steps", value: "\(steps)", expected: "≥ 0") }
        try record?.validate(n: ensemble.n)
        let m = ensemble.count, n = ensemble.n, bt = ensemble.trials
        let width = record?.width(n: n) ?? 0
        var done = 0
        var firstBad = [Int](repeating: Int.max, count: m)
        while done < steps {
            let count = Swift.min(chunkSteps, steps - done)
            try input.fill(t0: time, count: count, trials: bt, into: &u)
            var rec: [Float] = []
            var rows = 0
            var first = -1
            for s in 0..<count {
                stepOnce(inputRow: s, bad: &firstBad)
                swap(&x, &y)
                time += 1
                if let r = record, time % r.every == 0 {
                    if first < 0 { first = time }
                    rows += 1
                    CPUEngine.gather(x, m: m, n: n, b: bt, neurons: r.neurons, width: width, into: &rec)
                }
            }
            done += count
            if let bad = firstBad.enumerated().min(by: { $0.element < $1.element }), bad.element != Int.max {
                throw WMError.nonFinite(step: bad.element, network: bad.offset, detail: "state x(\(bad.element + 1)) is not finite")
            }
            if rows > 0 { try sink(RecordedChunk(firstTime: first, rows: rows, data: rec)) }
            progress?(done)
        }
    }

    /// Appends one record row `[M][B][width]` of state `x` (`[M][N][B]`) to `rec`.
    static func gather(_ x: AlignedFloats, m: Int, n: Int, b bt: Int, neurons: [Int]?, width: Int, into rec: inout [Float]) {
        let start = rec.count
        rec.append(contentsOf: repeatElement(0, count: m * bt * width))
        x.withUnsafeBufferPointer { xp in
            rec.withUnsafeMutableBufferPointer { rp in
                let out = rp.baseAddress! + start
                for mm in 0..<m {
                    for b in 0..<bt {
                        let dst = out + (mm * bt + b) * width
                        let src = xp.baseAddress! + mm * n * bt + b
                        if let idx = neurons {
                            for (q, i) in idx.enumerated() { dst[q] = src[i * bt] }
                        } else if bt == 1 {
                            dst.update(from: src, count: n)
                        } else {
                            for i in 0..<n { dst[i] = src[i * bt] }
                        }
                    }
                }
            }
        }
    }

    /// Pointers shared across worker threads; each iteration writes disjoint rows.
    struct Shared: @unchecked Sendable {
        var x: UnsafePointer<Float>
        var y: UnsafeMutablePointer<Float>
        /// This step's inputs, channel-major: `uT[k·B + b]`.
        var uT: UnsafePointer<Float>
        var bad: UnsafeMutablePointer<Int>
    }

    /// `[i·nIn + k]` → `[k·N + i]`.
    static func channelMajor(_ w: [Float], n: Int, nIn: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n * nIn)
        for i in 0..<n {
            for k in 0..<nIn { out[k * n + i] = w[i * nIn + k] }
        }
        return out
    }

    /// The closure a pooled run calls per part (`wm_pool_run` takes a C function and a context).
    final class PoolJob: @unchecked Sendable {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    /// Runs `body(p)` for p in 0..<parts on the pool's persistent threads (part 0 here).
    static func poolRun(parts: Int, _ body: @escaping (Int) -> Void) {
        let job = PoolJob(body)
        withExtendedLifetime(job) {
            wm_pool_run(Int32(parts), { ctx, part in
                Unmanaged<PoolJob>.fromOpaque(ctx!).takeUnretainedValue().body(Int(part))
            }, Unmanaged.passUnretained(job).toOpaque())
        }
    }

    func stepOnce(inputRow s: Int, bad: inout [Int]) {
        let m = ensemble.count, n = ensemble.n, bt = ensemble.trials, nIn = ensemble.nIn
        let useTanh = ensemble.activation == .tanh
        let t = time
        // Work per step beyond BLAS: the epilogue (dense) or the sparse rows. Small steps run on
        // the calling thread — a parallel dispatch costs more than it saves below ~10⁵ operations.
        // Dense from bitmap panels: the sums themselves run in the row blocks.
        let panels = format == .dense && !densePanels.isEmpty && CPUEngine.vectorKernelLevel >= 2
        let work = format == .dense ? (panels ? m * n * n : m * n * bt * 8) : stepSynapses * bt
        let parallel = work >= 1 << 17
        // One block per core and network: each core owns the same rows every step (its share of
        // the weights stays in its L2 where it fits), and the blocks of all networks are dealt to
        // the cores in contiguous runs.
        let blocksPerNet = parallel ? Swift.max(1, Swift.min(n / 64, cores)) : 1
        // Whole multiples of 16 rows: a block then starts on a cache line of each ELL slot.
        let rowsPerBlock = ((n + blocksPerNet - 1) / blocksPerNet + 15) & ~15
        if badScratch.count < m * blocksPerNet { badScratch = [Int](repeating: Int.max, count: m * blocksPerNet) }
        for q in 0..<(m * blocksPerNet) { badScratch[q] = Int.max }
        if uT.count != nIn * bt { uT = [Float](repeating: 0, count: nIn * bt) }
        let row = s * bt * nIn
        for b in 0..<bt {
            for k in 0..<nIn { uT[k * bt + b] = u[row + b * nIn + k] }
        }
        badScratch.withUnsafeMutableBufferPointer { badSlotsBuf in
        let badSlots = badSlotsBuf.baseAddress!
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                uT.withUnsafeBufferPointer { up in
                    let sh = Shared(x: xp.baseAddress!, y: yp.baseAddress!, uT: up.baseAddress!, bad: badSlots)
                    // Dense: the recurrent product for all rows at once through BLAS, then the epilogue.
                    if format == .dense && !panels {
                        for mm in 0..<m {
                            guard case let .dense(w) = weights[mm] else { continue }
                            w.withUnsafeBufferPointer { wp in
                                let xm = sh.x + mm * n * bt, ym = sh.y + mm * n * bt
                                if bt == 1 {
                                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(n), 1, wp.baseAddress, Int32(n), xm, 1, 0, ym, 1)
                                } else {
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(bt), Int32(n), 1, wp.baseAddress, Int32(n), xm, Int32(bt), 0, ym, Int32(bt))
                                }
                            }
                        }
                    }
                    let job: @Sendable (Int) -> Void = { job in
                        let mm = job / blocksPerNet, blk = job % blocksPerNet
                        let lo = blk * rowsPerBlock, hi = Swift.min(n, lo + rowsPerBlock)
                        guard lo < hi else { return }
                        self.rows(network: mm, lo: lo, hi: hi, t: t, useTanh: useTanh, sh: sh, badSlot: job, panels: panels)
                    }
                    let jobs = m * blocksPerNet
                    if parallel {
                        let parts = Swift.min(cores, jobs)
                        CPUEngine.poolRun(parts: parts) { p in
                            for q in (p * jobs / parts)..<((p + 1) * jobs / parts) { job(q) }
                        }
                    } else {
                        for q in 0..<jobs { job(q) }
                    }
                }
            }
        }
        for mm in 0..<m {
            for blk in 0..<blocksPerNet { bad[mm] = Swift.min(bad[mm], badSlots[mm * blocksPerNet + blk]) }
        }
        }
    }
}
