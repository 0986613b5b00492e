import CLAPACK
import Foundation
import WMCore
import WMOpenCL

/// The result of one decoder over all networks.
public struct DecoderResult: Codable, Sendable {
    /// "ridge" or "mlp".
    public var decoder: String
    /// One curve per network (nil where it failed; see `warnings`).
    public var perNetwork: [MemoryCurve?]
    /// Mean curve over the networks that succeeded.
    public var mean: MemoryCurve
    /// Mean memory capacity Σ r² (k ≥ 1 over the decoder's lags) and its 95 % CI (Student t).
    public var memoryCapacity: Double
    public var memoryCapacityCI95: [Double]
    /// First lag where the mean r drops below the threshold.
    public var firstLagBelowThreshold: Int?
    /// MLP only: training histories, per network (per network and lag with `mlpPerLag`).
    public var histories: [MLPHistory]?
    public var seconds: Double
}

/// Everything `wmsim capacity` reports.
public struct CapacityResult: Codable, Sendable {
    public var spec: CapacitySpec
    public var backend: BackendInfo
    public var format: String
    public var ridge: DecoderResult?
    public var mlp: DecoderResult?
    public var simulateSeconds: Double
    public var warnings: [String]
    public var convention = MemoryCurve.standardConvention
    /// Where the ridge moments were accumulated: "device" or "host" (nil in files written
    /// before this field existed).
    public var moments: String? = nil
}

/// Runs a capacity measurement end to end: simulate, stream moments, fit the decoders, score on
/// the test segment, average over networks.
public enum CapacityMeasurement {
    /// Progress: a phase name and (done, total).
    public typealias Progress = (String, Int, Int) -> Void

    /// The dense operations the MLP trains with on `backend`: the OpenCL GEMM kernels on GPUs and
    /// accelerators; OpenBLAS when the device is the CPU anyway (PoCL) — there OpenBLAS is ~4× faster
    /// than the portable kernels, and parity between the two is tested (`DenseParityTests`).
    /// `WMSIM_MLP_OPS=opencl|cpu` forces one.
    public static func denseOps(for backend: any Backend) throws -> any DenseOps {
        let forced = ProcessInfo.processInfo.environment["WMSIM_MLP_OPS"]
        if let cl = backend as? OpenCLBackend, forced == "opencl" || (forced != "cpu" && cl.device.info.deviceType != "CPU") {
            return try OpenCLDenseOps(backend: cl)
        }
        return CPUDenseOps()
    }

    /// Runs `spec`; with `networks` given (e.g. loaded from a saved archive) those are measured
    /// instead of generated ones (`spec.networks` is then ignored).
    public static func run(_ spec: CapacitySpec, backend: any Backend, input: InputSource, networks given: [Network]? = nil,
                           moments: MomentsPlacement = .auto, progress: Progress? = nil) throws -> CapacityResult {
        var spec = spec
        if let g = given {
            guard let first = g.first else { throw WMError.invalidParameter(name: "networks", value: "[]", expected: "at least one network") }
            spec.networks = g.count
            spec.network = first.spec
        }
        let each = try measureEach(spec, backend: backend, input: input, networks: given, moments: moments, progress: progress)
        var ridge: DecoderResult? = nil, mlp: DecoderResult? = nil
        if spec.decoders.contains(.ridge) {
            ridge = try summarize("ridge", each.ridge, spec: spec, histories: nil, seconds: each.ridgeSeconds)
        }
        if spec.decoders.contains(.mlp) {
            mlp = try summarize("mlp", each.mlp, spec: spec, histories: each.histories, seconds: each.mlpSeconds)
        }
        var result = CapacityResult(spec: spec, backend: each.info.backend, format: each.info.format.rawValue, ridge: ridge, mlp: mlp,
                                    simulateSeconds: each.simulateSeconds, warnings: each.warnings)
        result.moments = each.info.momentsOnDevice ? "device" : "host"
        return result
    }

    /// Memory curves of every network of one run, before averaging.
    public struct PerNetwork: Sendable {
        /// Ridge curve per network (nil where it failed or ridge was not asked for).
        public var ridge: [MemoryCurve?]
        /// MLP curve per network (nil where it failed or the MLP was not asked for).
        public var mlp: [MemoryCurve?]
        /// MLP training histories in network order.
        public var histories: [MLPHistory]
        public var warnings: [String]
        public var info: CapacityRun.RunInfo
        public var simulateSeconds = 0.0, ridgeSeconds = 0.0, mlpSeconds = 0.0
    }

    /// Simulates and decodes every network. `specs` (one N and nIn; sweeps) replaces the seeds of
    /// `spec.network`; `mlpSeeds` gives each network's MLP seed (default `spec.mlp.seed + index`),
    /// `labels` names networks in warnings (default "network seed S").
    public static func measureEach(_ spec: CapacitySpec, backend: any Backend, input: InputSource, networks given: [Network]? = nil,
                                   specs: [NetworkSpec]? = nil, mlpSeeds: [UInt64]? = nil, labels: [String]? = nil,
                                   moments: MomentsPlacement = .auto, progress: Progress? = nil) throws -> PerNetwork {
        try spec.validate()
        var warnings: [String] = []
        let wantMLP = spec.decoders.contains(.mlp)
        let mlpLags = spec.resolvedMLPLags
        let t0 = Date()
        let (collected, info) = try CapacityRun.collect(spec, backend: backend, input: input, networks: given, specs: specs,
                                                        storeLags: wantMLP ? mlpLags : nil, moments: moments) {
            progress?("simulate", $0, $1)
        }
        let simSeconds = Date().timeIntervalSince(t0)
        let count = collected.count
        let seeds: [UInt64] = given?.map(\.spec.seed) ?? specs?.map(\.seed) ?? (0..<count).map { spec.network.seed &+ UInt64($0) }
        let names: [String] = labels ?? seeds.map { "network seed \($0)" }
        var out = PerNetwork(ridge: [MemoryCurve?](repeating: nil, count: count), mlp: [MemoryCurve?](repeating: nil, count: count),
                             histories: [], warnings: [], info: info, simulateSeconds: simSeconds)
        for (m, why) in info.failedNetworks.sorted(by: { $0.key < $1.key }) { warnings.append("\(names[m]) dropped: \(why)") }

        if spec.decoders.contains(.ridge) {
            let t1 = Date()
            for (m, c) in collected.enumerated() where info.failedNetworks[m] == nil {
                progress?("ridge", m, count)
                do {
                    let readout: RidgeReadout
                    if let l = spec.lambda {
                        readout = try RidgeReadout(training: c.moments[0], validation: c.moments[1], relativeLambdas: [l])
                    } else {
                        readout = try RidgeReadout(training: c.moments[0], validation: c.moments[1])
                    }
                    out.ridge[m] = MemoryCurve(scores: try readout.evaluate(c.moments[2]))
                } catch let e as WMError {
                    warnings.append("ridge, \(names[m]): \(e.description)")
                }
            }
            out.ridgeSeconds = Date().timeIntervalSince(t1)
        }

        if wantMLP {
            let t2 = Date()
            let ops = try denseOps(for: backend)
            let n = collected.isEmpty ? spec.network.n : (given?.first?.spec.n ?? specs?.first?.n ?? spec.network.n)
            let todo = collected.indices.filter { info.failedNetworks[$0] == nil }
            let seeds = todo.map { mlpSeeds?[$0] ?? spec.mlp.seed &+ UInt64($0) }
            let results = MLPResults(count: todo.count)
            let cores = ProcessInfo.processInfo.activeProcessorCount
            if ops is CPUDenseOps && cores >= 2 && todo.count >= 2 {
                // Small GEMMs gain little from BLAS threads (which spin): train one network per core
                // with single-threaded BLAS instead (measured 1.7× faster on 2 cores).
                let before = openblas_get_num_threads()
                openblas_set_num_threads(1)
                defer { openblas_set_num_threads(before) }
                let workers = Swift.min(cores, todo.count)
                let next = MLPResults.Counter()
                let relay = MLPResults.ProgressRelay(progress, total: todo.count)
                relay.finished()
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    let local = CPUDenseOps(singleThreaded: true)
                    while let i = next.take(below: todo.count) {
                        results.set(i, Result { try trainMLP(collected[todo[i]], n: n, lags: mlpLags, spec: spec, seed: seeds[i], ops: local) })
                        relay.finished(1)
                    }
                }
            } else {
                for (i, m) in todo.enumerated() {
                    progress?("mlp", i, todo.count)
                    results.set(i, Result { try trainMLP(collected[m], n: n, lags: mlpLags, spec: spec, seed: seeds[i], ops: ops) })
                }
            }
            for (i, m) in todo.enumerated() {
                switch results.get(i) {
                case let .success((curve, hist))?:
                    out.mlp[m] = curve
                    out.histories += hist
                case let .failure(e as WMError)?:
                    warnings.append("mlp, \(names[m]): \(e.description)")
                case let .failure(e)?:
                    throw e
                case nil:
                    break
                }
            }
            out.mlpSeconds = Date().timeIntervalSince(t2)
        }
        if info.saturatedFraction > 0.5 {
            warnings.append(String(format: "%.0f%% of the units are saturated (|x| > 0.99) at the end of the run; lower gIn or g for a meaningful capacity", info.saturatedFraction * 100))
        }
        out.warnings = warnings
        return out
    }

    /// Trains and scores the MLP of one network (one multi-output MLP, or one per lag).
    static func trainMLP(_ c: CapacityRun.Collected, n: Int, lags mlpLags: [Int], spec: CapacitySpec, seed: UInt64,
                         ops: any DenseOps) throws -> (MemoryCurve, [MLPHistory]) {
        var cfg = spec.mlp
        cfg.seed = seed
        let k = mlpLags.count
        let tr = c.stored[0], va = c.stored[1], te = c.stored[2]
        let groups: [[Int]] = spec.mlpPerLag ? (0..<k).map { [$0] } : [Array(0..<k)]
        var histories: [MLPHistory] = []
        var pv = [Float](repeating: 0, count: va.rows * k), pt = [Float](repeating: 0, count: te.rows * k)
        for cols in groups {
            func pick(_ y: [Float], _ rows: Int) -> [Float] {
                cols.count == k ? y : (0..<rows).flatMap { r in cols.map { y[r * k + $0] } }
            }
            let (model, hist) = try MLPDecoder.train(trainX: tr.states, trainY: pick(tr.targets, tr.rows), valX: va.states,
                                                     valY: pick(va.targets, va.rows), n: n, k: cols.count, config: cfg, ops: ops)
            histories.append(hist)
            let gv = try MLPDecoder.predict(model, x: va.states, rows: va.rows, ops: ops)
            let gt = try MLPDecoder.predict(model, x: te.states, rows: te.rows, ops: ops)
            for (q, col) in cols.enumerated() {
                for r in 0..<va.rows { pv[r * k + col] = gv[r * cols.count + q] }
                for r in 0..<te.rows { pt[r * k + col] = gt[r * cols.count + q] }
            }
        }
        let rv = pearsonPerColumn(pv, va.targets, rows: va.rows, cols: k)
        let rt = pearsonPerColumn(pt, te.targets, rows: te.rows, cols: k)
        let mse = (0..<k).map { j in (0..<te.rows).reduce(0.0) { s, i in let d = Double(pt[i * k + j] - te.targets[i * k + j]); return s + d * d } / Double(te.rows) }
        let curve = MemoryCurve(lags: mlpLags, r: rt, lambda: [Double](repeating: .nan, count: k), validationR: rv, testMSE: mse,
                                convention: MemoryCurve.standardConvention + " (MLP: sum over the decoded lags only)")
        return (curve, histories)
    }

    static func summarize(_ name: String, _ curves: [MemoryCurve?], spec: CapacitySpec, histories: [MLPHistory]?, seconds: Double) throws -> DecoderResult {
        let ok = curves.compactMap { $0 }
        guard !ok.isEmpty else {
            throw WMError.invalidParameter(name: "\(name) decoder", value: "failed on every network", expected: "at least one network with usable states (see the warnings above: saturated or degenerate states, diverging training)")
        }
        let (mean, ci) = try MemoryCurve.mean(ok)
        return DecoderResult(decoder: name, perNetwork: curves, mean: mean, memoryCapacity: mean.memoryCapacity, memoryCapacityCI95: ci,
                             firstLagBelowThreshold: mean.firstLag(below: spec.threshold), histories: histories, seconds: seconds)
    }

    /// Pearson r per column of two row-major [rows × cols] arrays (NaN when a column is constant).
    public static func pearsonPerColumn(_ a: [Float], _ b: [Float], rows: Int, cols: Int) -> [Double] {
        (0..<cols).map { j in
            var sa = 0.0, sb = 0.0
            for i in 0..<rows { sa += Double(a[i * cols + j]); sb += Double(b[i * cols + j]) }
            let ma = sa / Double(rows), mb = sb / Double(rows)
            var cab = 0.0, caa = 0.0, cbb = 0.0
            for i in 0..<rows {
                let x = Double(a[i * cols + j]) - ma, y = Double(b[i * cols + j]) - mb
                cab += x * y; caa += x * x; cbb += y * y
            }
            return caa > 0 && cbb > 0 ? cab / (caa * cbb).squareRoot() : .nan
        }
    }

}

/// Per-network MLP outcomes filled by concurrent workers.
final class MLPResults: @unchecked Sendable {
    private var items: [Result<(MemoryCurve, [MLPHistory]), any Error>?]
    private let lock = NSLock()

    init(count: Int) { items = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<(MemoryCurve, [MLPHistory]), any Error>) { lock.withLock { items[i] = r } }
    func get(_ i: Int) -> Result<(MemoryCurve, [MLPHistory]), any Error>? { lock.withLock { items[i] } }

    /// Reports "mlp" progress (networks finished) from worker threads, one call at a time.
    final class ProgressRelay: @unchecked Sendable {
        private let body: CapacityMeasurement.Progress?
        private let total: Int
        private var done = 0
        private let lock = NSLock()
        init(_ body: CapacityMeasurement.Progress?, total: Int) { self.body = body; self.total = total }
        func finished(_ count: Int = 0) { lock.withLock { done += count; body?("mlp", done, total) } }
    }

    /// Hands out indices 0, 1, … to workers.
    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func take(below n: Int) -> Int? {
            lock.withLock {
                guard value < n else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }
}
