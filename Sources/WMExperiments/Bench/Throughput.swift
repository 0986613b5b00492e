import Foundation
import WMCore

/// The throughput of one workload on one backend (`Throughput.run`).
///
/// Figures of merit (shared/benchmarks/README.md):
/// - `synapticUpdatesPerSecond` = nnz · steps · batch / seconds, nnz the real number of stored
///   recurrent synapses of the generated networks (also for dense storage: nnz, not N²).
/// - `stepsPerSecond` = steps / seconds (for E: steps of every network, one after the other, so
///   the time for all 500 networks to take one step).
/// - `effectiveGBPerSecond` = `bytesPerStep` · steps / seconds / 1e9, where `bytesPerStep` is the
///   compulsory traffic of one step: the recurrent weights in the format used (dense N²·v; CSR
///   nnz·(v + idx) + (N+1)·4; ELL nnz·(v + idx) + N·4 (row lengths; N·8 with the device's row positions), padding not
///   counted; v = 4 bytes per weight, 2 for 16-bit weights on a device (the CPU backend holds
///   them as floats); idx = 2 bytes when N ≤ 65536, else 4; procedural 0), the input weights
///   N·nIn·4, and reading and writing the state 2·N·B·4, summed over networks. Re-reads of x
///   through caches are not counted.
public struct ThroughputResult: Codable, Sendable, Hashable {
    /// Workload id ("A", "B", "C", "D", "E").
    public var workload: String
    /// Trials per network.
    public var batch: Int
    /// Backend kind ("cpu" or "opencl").
    public var backend: String
    /// Device name.
    public var device: String
    /// Weight format used (resolved; for E the distinct formats of the groups joined by "+").
    public var format: String
    /// Precision of the stored weights when not fp32 ("fp16", "bf16"); nil for fp32.
    public var weightPrecision: String? = nil
    /// The SELL sorting window σ the engine was given (`bench --sell-sigma`; used by OpenCL ell).
    public var sellSigma: Int? = nil
    /// Fused steps as requested (`bench --fused yes|no`); nil when left to the engine.
    public var fusedRequested: Bool? = nil
    /// OpenCL: whether steps were fused into one launch per chunk (E: true only if every group was);
    /// nil for other engines.
    public var fused: Bool?
    /// Networks run (1, or 500 for E).
    public var networks: Int
    /// Steps timed per repeat.
    public var steps: Int
    /// Stored recurrent synapses over all networks.
    public var nnz: Int
    /// Repeats timed.
    public var repeats: Int
    /// Median over repeats of the time of `advance(steps:)` (E: of the sum over the N-groups), s.
    public var seconds: Double
    /// Every repeat's time, s.
    public var allSeconds: [Double]
    /// Engine construction, network generation included (E: summed over groups), s.
    public var setupSeconds: Double
    /// nnz · steps · batch / seconds.
    public var synapticUpdatesPerSecond: Double
    /// steps / seconds.
    public var stepsPerSecond: Double
    /// Compulsory bytes of one step (see the type's documentation).
    public var bytesPerStep: Double
    /// bytesPerStep · steps / seconds, in 10⁹ bytes/s.
    public var effectiveGBPerSecond: Double

    /// One line for logs: "A-b1 cpu csr: 1.23 G syn/s, 456 steps/s, 7.8 GB/s (setup 0.12 s)".
    public var summary: String {
        let f = fused.map { $0 ? " fused" : "" } ?? ""
        return "\(workload)-b\(batch) \(backend) \(format)\(weightPrecision.map { " " + $0 } ?? "")\(f): "
            + String(format: "%.3f G syn/s, %.1f steps/s, %.2f GB/s, %.4f s (setup %.3f s)",
                      synapticUpdatesPerSecond / 1e9, stepsPerSecond, effectiveGBPerSecond, seconds, setupSeconds)
    }
}

/// Times the standard workloads on a backend.
public enum Throughput {
    /// A sensible warm-up: a tenth of the steps, at least 1.
    public static func defaultWarmupSteps(for w: Workload) -> Int { Swift.max(1, w.steps / 10) }

    /// Runs workload `w` on `backend`: builds each engine once (timed as setup, generation
    /// included), computes nnz outside all timing, advances `warmupSteps` untimed steps, then
    /// times `engine.advance(steps: w.steps)` `repeats` times with `ContinuousClock` and takes the
    /// median. E runs its N-groups one after the other (one engine alive at a time), each split
    /// into the groups a sweep uses on `backend` (`ComputePolicy.networksPerEngine`: one network at a time on
    /// the CPU backend, one per core on CPU OpenCL devices, all at once on GPUs); a repeat's time is
    /// the sum over groups.
    /// `precision`, `sellSigma` and `fusedSteps` go to the engine options (`EngineOptions`).
    public static func run(_ w: Workload, backend: any Backend, format: WeightFormat = .auto, precision: WeightPrecision = .fp32,
                           sellSigma: Int = SELLLayout.defaultSigma, fusedSteps: Bool? = nil,
                           repeats: Int = 3, warmupSteps: Int) throws -> ThroughputResult {
        guard repeats >= 1 else { throw WMError.invalidParameter(name: "repeats", value: "\(repeats)", expected: "≥ 1") }
        guard warmupSteps >= 0 else { throw WMError.invalidParameter(name: "warmup steps", value: "\(warmupSteps)", expected: "≥ 0") }
        guard w.steps >= 1 else { throw WMError.invalidParameter(name: "steps", value: "\(w.steps)", expected: "≥ 1") }
        if w.needsOwnDeviceMemory && backend.capabilities.usesHostMemory {
            throw WMError.unsupported("workload \(w.id) (N = \(w.n), about \(String(format: "%.3g", Double(w.n) * Double(w.n) * w.sp)) synapse updates per step and trial) runs only on a device with its own memory (a GPU): on \(backend.info.device) one step would take minutes; try D (N = 10⁶)")
        }
        let input = try StandardWorkloads.inputSource()
        var options = EngineOptions()
        options.format = format
        options.weightPrecision = precision
        options.sellSigma = sellSigma
        options.fusedSteps = fusedSteps
        let c = backend.capabilities
        let valueBytes = c.usesHostMemory && !c.denseOpsOnDevice ? 4 : precision.bytes
        let clock = ContinuousClock()

        var setup = 0.0
        var perRepeat = [Double](repeating: 0, count: repeats)
        var nnzTotal = 0
        var bytes = 0.0
        var formats: [String] = []
        var fusedAll: Bool? = nil
        var networks = 0
        // Ensembles run in the groups a sweep would use on this backend (ComputePolicy):
        // one network at a time on the CPU backend, so its weights stay in cache across steps.
        let groups = StandardWorkloads.ensembles(for: w).flatMap { ens -> [Ensemble] in
            let size = ComputePolicy(backend).networksPerEngine(ens.count)
            guard size < ens.count else { return [ens] }
            return stride(from: 0, to: ens.count, by: size).map {
                Ensemble(networks: Array(ens.networks[$0..<Swift.min(ens.count, $0 + size)]), trials: ens.trials)
            }
        }
        for ens in groups {
            let t0 = clock.now
            let engine = try backend.makeEngine(ensemble: ens, networks: nil, input: input, options: options)
            setup += seconds(clock.now - t0)

            let fmt = engine.format
            if !formats.contains(fmt.rawValue) { formats.append(fmt.rawValue) }
            if let fused = engine.fusesSteps {
                fusedAll = (fusedAll ?? true) && fused
            }
            let nnz = try engine.synapseCount()
            nnzTotal += nnz
            networks += ens.count
            bytes += bytesPerStep(n: ens.n, nIn: ens.nIn, batch: ens.trials, networks: ens.count, format: fmt, nnz: nnz, valueBytes: valueBytes,
                                  rowPositions: !(c.usesHostMemory && !c.denseOpsOnDevice), weightBytes: engine.weightBytesPerStep)

            if warmupSteps > 0 { try engine.advance(steps: warmupSteps) }
            for r in 0..<repeats {
                let s = clock.now
                try engine.advance(steps: w.steps)
                perRepeat[r] += seconds(clock.now - s)
            }
        }
        let sec = median(perRepeat)
        let updates = Double(nnzTotal) * Double(w.steps) * Double(w.batch)
        return ThroughputResult(
            workload: w.id, batch: w.batch, backend: backend.info.kind, device: backend.info.device,
            format: formats.joined(separator: "+"), weightPrecision: precision == .fp32 ? nil : precision.rawValue,
            sellSigma: sellSigma, fusedRequested: fusedSteps, fused: fusedAll, networks: networks,
            steps: w.steps, nnz: nnzTotal, repeats: repeats, seconds: sec, allSeconds: perRepeat,
            setupSeconds: setup,
            synapticUpdatesPerSecond: updates / sec,
            stepsPerSecond: Double(w.steps) / sec,
            bytesPerStep: bytes,
            effectiveGBPerSecond: bytes * Double(w.steps) / sec / 1e9)
    }

    /// Compulsory bytes of one step of `networks` networks of size `n` with `nnz` stored synapses
    /// in all, stored in `format` (resolved); see `ThroughputResult`.
    /// `rowPositions`: the device's SELL layout also reads each row's position (4 more bytes per row).
    /// `weightBytes`: the engine's own count of the weights it reads (`SimulationEngine.weightBytesPerStep`),
    /// which replaces the format's formula (the CPU engine's dense B = 1 reads bitmap panels).
    public static func bytesPerStep(n: Int, nIn: Int, batch: Int, networks: Int, format: WeightFormat, nnz: Int, valueBytes: Int = 4,
                                    rowPositions: Bool = false, weightBytes: Double? = nil) -> Double {
        let idx = WeightFormat.uses16BitIndices(n: n) ? 2.0 : 4.0
        let nd = Double(n), m = Double(networks)
        var perNet = nd * Double(nIn) * 4 + 2 * nd * Double(batch) * 4   // input weights, state read + write
        var weights = 0.0
        let v = Double(valueBytes)
        switch format {
        case .dense, .auto: perNet += nd * nd * v
        case .csr: perNet += (nd + 1) * 4; weights = Double(nnz) * (v + idx)
        case .ell: perNet += nd * (rowPositions ? 8 : 4); weights = Double(nnz) * (v + idx)
        case .procedural: break  // nothing read: the rows are regenerated in registers
        }
        if let w = weightBytes {
            if format == .dense || format == .auto { perNet -= nd * nd * v }
            weights = w
        }
        return weights + m * perNet
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        guard !s.isEmpty else { return .nan }
        let h = s.count / 2
        return s.count % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2
    }
}
