import Foundation

/// The weight format an engine uses for an ensemble on a backend, decided in one place for both
/// backends, their engines, the memory estimates of experiments and the notes the CLI prints.
///
/// - A stored format (`dense`, `ell`, `csr`) is used as asked; one that does not fit is refused
///   by the engine's memory check, with the estimate.
/// - `auto` picks a stored format from density and size (`WeightFormat.resolve`), and falls back
///   to `procedural` when those stored weights and the states would not fit in the memory the
///   engine computes in, or the weights not in one allocation; `note` then says so with the
///   estimate. It never falls back for networks supplied ready-made or without double precision.
/// - `procedural` is refused for networks supplied ready-made (loaded or trained: only a network
///   generated from its spec can be regenerated) and on devices without double precision (the
///   geometric skips are computed in double).
public struct WeightFormatChoice: Sendable, Hashable {
    /// The concrete format (never `auto`).
    public var format: WeightFormat
    /// Why `auto` chose procedural weights, with the estimate; nil otherwise.
    public var note: String?

    public init(format: WeightFormat, note: String? = nil) {
        self.format = format
        self.note = note
    }

    /// The choice for `requested` (see the type's documentation).
    ///
    /// With 16-bit weights (`precision` other than fp32) `auto` never falls back to procedural
    /// weights, which are not stored: a network that does not fit is refused with the estimate.
    public static func resolve(_ requested: WeightFormat, ensemble: Ensemble, networksGiven: Bool, capabilities c: BackendCapabilities,
                               precision: WeightPrecision = .fp32,
                               hostAvailable: Int = MemoryEstimate.hostAvailable) throws -> WeightFormatChoice {
        let n = ensemble.n, sp = ensemble.networks.map(\.sp).max() ?? 1
        if requested == .procedural {
            guard !networksGiven else {
                throw WMError.invalidParameter(name: "format", value: "procedural",
                                               expected: "a stored format (auto, dense, ell, csr) for networks supplied ready-made (loaded or trained): procedural weights are regenerated from the spec's seed, so only networks generated from their spec can use them")
            }
            guard c.hasFP64 else {
                throw WMError.unsupported("--format procedural on a device without double precision: the geometric skips of every row are regenerated in double (cl_khr_fp64); use a stored format (ell, csr, dense) or --backend cpu")
            }
            return WeightFormatChoice(format: .procedural)
        }
        let stored = requested.resolve(n: n, sp: sp)
        guard requested == .auto, !networksGiven, c.hasFP64, precision == .fp32 else { return WeightFormatChoice(format: stored) }
        let need = storedBytes(ensemble, format: stored, capabilities: c)
        let available = c.usesHostMemory ? Swift.min(hostAvailable, c.memoryBytes) : Int(Double(c.memoryBytes) * 0.9)
        if need.total <= Double(available) && need.weights <= Double(c.maxAllocationBytes) { return WeightFormatChoice(format: stored) }
        let why = need.total > Double(available)
            ? "would need about \(formatBytes(RunMemoryEstimate.Part.bytes(need.total))) with the states, \(formatBytes(available)) available"
            : "would need one allocation of about \(formatBytes(RunMemoryEstimate.Part.bytes(need.weights))), the device's largest is \(formatBytes(c.maxAllocationBytes))"
        return WeightFormatChoice(format: .procedural,
                                  note: "--format auto: \(stored.rawValue) weights of \(ensemble.count) network(s) of N = \(n) \(why); "
                                      + "using procedural weights (no weight memory: every step regenerates the "
                                      + String(format: "%.3g", expectedSynapses(ensemble)) + " synapses from the seed, more arithmetic per synapse)")
    }

    /// Expected synapses of the ensemble, Σ N²·sp (the work of one procedural step per trial).
    public static func expectedSynapses(_ ensemble: Ensemble) -> Double {
        ensemble.networks.reduce(0) { $0 + Double($1.n) * Double($1.n) * $1.sp }
    }

    /// Bytes the engine would hold for `ensemble` with weights stored in `format` (resolved): the
    /// weights of all networks (`weights`, one buffer on a device) and, in `total`, also the host
    /// copy of the generated CSR where the CPU backend keeps one, the input weights and two state
    /// copies. Procedural weights count as 0.
    /// Devices store `precision`'s bytes per weight; the CPU backend keeps floats.
    public static func storedBytes(_ ensemble: Ensemble, format: WeightFormat, capabilities c: BackendCapabilities,
                                   precision: WeightPrecision = .fp32) -> (weights: Double, total: Double) {
        // The CPU backend (host memory, host BLAS) stores 32-bit columns in its estimate and keeps
        // the generated CSR beside ELL or dense; devices use 16-bit columns when N ≤ 65 536.
        let cpu = c.usesHostMemory && !c.denseOpsOnDevice
        let idx = cpu ? 4 : (WeightFormat.uses16BitIndices(n: ensemble.n) ? 2 : 4)
        var weights = 0.0, other = 0.0
        for s in ensemble.networks {
            weights += MemoryEstimate.weightBytes(s, format: format, indexBytes: idx, valueBytes: cpu ? 4 : precision.bytes)
            if cpu && format != .csr && format != .procedural { other += MemoryEstimate.nnzBound(s) * 8 + Double(s.n + 1) * 4 }
            other += Double(s.n) * Double(s.nIn) * 4
        }
        other += 2 * Double(ensemble.stateCount) * 4
        return (weights, weights + other)
    }
}
