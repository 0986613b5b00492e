import Foundation
import WMCore

/// One of the standard throughput workloads of `shared/benchmarks/README.md`.
///
/// Every network: leaky rule with leak a = 1 (`x' = tanh(W x + Win u)`), no bias, one input
/// channel with gIn = 10 and spIn = 0.05, input i.i.d. uniform(−1, 1), float32, states not
/// recorded (the run only advances the networks).
///
/// | id | N | sp | g | steps | networks |
/// |---|---|---|---|---|---|
/// | A | 1 000 | 0.25 | 0.95 | 10 000 | 1 |
/// | B | 10 000 | 0.01 | 0.95 | 2 000 | 1 |
/// | C | 100 000 | 0.001 | 0.95 | 200 | 1 |
/// | D | 1 000 000 | 0.0001 (100 synapses per neuron) | 0.95 | 20 | 1 |
/// | E | 100…2000 | 0.05…0.5 | 0.5…1.5 | 2 000 | 500 (gIn 0.1…10) |
/// | G | 10 000 000 | 0.0001 (1000 synapses per neuron) | 0.95 | 10 | 1 (devices with their own memory only) |
///
/// For E, `n` and `sp` hold the upper ends of the ranges; the networks themselves come from
/// `StandardWorkloads.ensembles(for:)`.
public struct Workload: Sendable, Codable, Hashable {
    /// "A", "B", "C", "D", "E" or "G".
    public var id: String
    /// Neurons per network (E: the largest N drawn, 2000).
    public var n: Int
    /// Recurrent density (E: the largest density drawn, 0.5).
    public var sp: Double
    /// Steps each network is advanced.
    public var steps: Int
    /// Independent trials per network (B of the engine's `[M][N][B]` state).
    public var batch: Int
    /// Number of networks (1 for A, B, C; 500 for E).
    public var networks: Int
    /// Human-readable summary.
    public var description: String

    public init(id: String, n: Int, sp: Double, steps: Int, batch: Int, networks: Int = 1, description: String) {
        self.id = id
        self.n = n
        self.sp = sp
        self.steps = steps
        self.batch = batch
        self.networks = networks
        self.description = description
    }

    /// A short name such as "A-b64".
    public var name: String { "\(id)-b\(batch)" }

    /// G (10¹⁰ synapses per step) runs only on devices with their own memory: on this 2-core
    /// machine one procedural step would take about 8 minutes (0.02 G syn/s).
    public var needsOwnDeviceMemory: Bool { id.uppercased() == "G" }
}

/// The standard workloads and the ensembles they run.
public enum StandardWorkloads {
    /// Seed of the first network of A/B/C (and of the parameter draws of E).
    public static let seed: UInt64 = 20_240_601
    /// Seed of the uniform input stream.
    public static let inputSeed: UInt64 = 7
    /// Steps are divided by this factor in quick mode (tests and CI smoke runs).
    public static let quickFactor = 10
    /// E: networks are grouped by N rounded to a multiple of this.
    public static let eNRounding = 100

    /// The template of every network: leaky, a = 1, tanh, bias 0, g 0.95, nIn 1, gIn 10, spIn 0.05.
    public static func baseSpec(n: Int, sp: Double) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = n
        s.sp = sp
        s.g = 0.95
        s.gIn = 10
        s.spIn = 0.05
        s.nIn = 1
        s.bias = 0
        s.rule = .leaky
        s.leak = 1
        s.activation = .tanh
        s.noise = 0
        s.spectralRadius = nil
        s.seed = seed
        return s
    }

    /// The input: i.i.d. uniform(−1, 1) on the single channel.
    public static var inputSpec: InputSpec { InputSpec(kind: .uniform, amplitude: 1, seed: inputSeed) }

    /// The input source for a workload's ensembles (nIn = 1).
    public static func inputSource() throws -> InputSource { try InputSource(spec: inputSpec, nIn: 1) }

    /// A, B, C at batch 1 and 64, then E at batch 1. `quick` divides steps by 10. D (10⁸ synapses,
    /// minutes per run with procedural weights on a CPU) runs only when asked for.
    public static func all(quick: Bool) -> [Workload] {
        var out: [Workload] = []
        for id in ["A", "B", "C"] {
            for b in [1, 64] { out.append(workload(id, batch: b, quick: quick)!) }
        }
        out.append(workload("E", batch: 1, quick: quick)!)
        return out
    }

    /// The workload `id` ("A", "B", "C", "D", "E", "G"; case-insensitive) at `batch`, or nil for an unknown id.
    public static func workload(_ id: String, batch: Int, quick: Bool = false) -> Workload? {
        let q = quick ? quickFactor : 1
        switch id.uppercased() {
        case "A":
            return Workload(id: "A", n: 1_000, sp: 0.25, steps: 10_000 / q, batch: batch,
                            description: "N = 1000, sp = 0.25 (nnz ≈ 250 k), dense-ish")
        case "B":
            return Workload(id: "B", n: 10_000, sp: 0.01, steps: 2_000 / q, batch: batch,
                            description: "N = 10000, sp = 0.01 (nnz ≈ 1 M), sparse")
        case "C":
            return Workload(id: "C", n: 100_000, sp: 0.001, steps: 200 / q, batch: batch,
                            description: "N = 100000, sp = 0.001 (nnz ≈ 10 M), large sparse")
        case "D":
            // The large-N workload of issue 16: 10⁸ synapses, stored (~1.6 GB on the CPU backend
            // with the generated CSR) or procedural (no weight memory).
            return Workload(id: "D", n: 1_000_000, sp: 0.0001, steps: 20 / q, batch: batch,
                            description: "N = 1000000, sp = 0.0001 (100 synapses per neuron, nnz ≈ 100 M), large N")
        case "G":
            // GeNN-scale: 10¹⁰ synapses, procedural under --format auto (stored weights would
            // need 80 GB in one allocation); no peer can hold it.
            return Workload(id: "G", n: 10_000_000, sp: 0.0001, steps: Swift.max(1, 10 / q), batch: batch,
                            description: "N = 10000000, sp = 0.0001 (1000 synapses per neuron, nnz ≈ 10 G), GPU only")
        case "E":
            return Workload(id: "E", n: 2_000, sp: 0.5, steps: 2_000 / q, batch: batch, networks: 500,
                            description: "500 networks, N uniform in 100…2000 (rounded to a multiple of 100 and grouped by N), sp 0.05…0.5, g 0.5…1.5, gIn 0.1…10")
        default:
            return nil
        }
    }

    /// The ensemble of A, B or C (one network). For E this is only the first N-group of
    /// `ensembles(for:)`; use that to run all of E.
    public static func ensemble(for w: Workload) -> Ensemble {
        ensembles(for: w)[0]
    }

    /// The ensembles a workload runs: one for A, B, C; for E one per distinct N.
    ///
    /// E: an `Ensemble` shares N, so the 500 drawn networks are grouped by N after rounding N to
    /// the nearest multiple of 100 (100, 200, …, 2000: 20 groups, the end groups about half as
    /// large as the others). sp, g and gIn stay per network. The draws use a SplitMix64 stream
    /// seeded with `seed` and are reproducible; network k gets weight seed `seed + 1 + k`.
    public static func ensembles(for w: Workload) -> [Ensemble] {
        if w.id.uppercased() != "E" {
            let s = baseSpec(n: w.n, sp: w.sp)
            return [Ensemble(spec: s, count: Swift.max(1, w.networks), trials: w.batch)]
        }
        var groups: [Int: [NetworkSpec]] = [:]
        for s in eSpecs(count: w.networks) { groups[s.n, default: []].append(s) }
        return groups.keys.sorted().map { Ensemble(networks: groups[$0]!, trials: w.batch) }
    }

    /// The `count` network specs of E (N already rounded), in draw order.
    public static func eSpecs(count: Int = 500) -> [NetworkSpec] {
        var rng = SplitMix64(seed: seed)
        var out: [NetworkSpec] = []
        out.reserveCapacity(count)
        for k in 0..<count {
            let nRaw = 100 + Int(rng.next() % 1901)              // uniform integer in 100…2000
            let n = Swift.max(eNRounding, ((nRaw + eNRounding / 2) / eNRounding) * eNRounding)
            let sp = 0.05 + 0.45 * rng.unit()
            let g = 0.5 + 1.0 * rng.unit()
            let gIn = 0.1 + 9.9 * rng.unit()
            var s = baseSpec(n: n, sp: sp)
            s.g = g
            s.gIn = gIn
            s.seed = seed &+ 1 &+ UInt64(k)
            out.append(s)
        }
        return out
    }
}
