import Foundation
import WMCore

/// Runs a capacity measurement end to end: simulate, stream moments, fit the decoders, score on
/// the test segment, average over networks.
public enum CapacityMeasurement {
    /// Progress: a phase name and (done, total).
    public typealias Progress = (String, Int, Int) -> Void

    /// Runs `spec`; with `networks` given (e.g. loaded from a saved archive) those are measured
    /// instead of generated ones (`spec.networks` is then ignored).
    public static func run(_ spec: CapacitySpec, backend: any Backend, input: InputSource, networks given: [Network]? = nil,
                           moments: MomentsPlacement = .auto, progress: Progress? = nil) throws -> CapacityResult {
        if given == nil {
            // Before the networks' specs are even listed (measureEach checks loaded networks).
            try spec.validate()
            try spec.checkSegments()
            try spec.memory(backend: backend).check(capabilities: backend.capabilities, what: "capacity of \(spec.networks) network(s) of N = \(spec.network.n)")
        }
        var spec = spec
        var networks = MeasuredNetworks(spec)
        if let g = given {
            networks = try MeasuredNetworks(given: g)
            spec.networks = g.count
            spec.network = networks.specs[0]
        }
        let each = try measureEach(spec, networks: networks, backend: backend, input: input, moments: moments, progress: progress)
        var results: [DecoderKind: DecoderResult] = [:]
        for kind in DecoderKind.allCases where spec.decoders.contains(kind) {
            do {
                results[kind] = try summarize(kind, each.curves[kind] ?? [], spec: spec, histories: each.histories[kind], seconds: each.seconds[kind] ?? 0)
            } catch let WMError.noResult(why) {
                // The reasons are in the warnings; a run that fails here never printed them.
                throw WMError.noResult(why + (each.warnings.isEmpty ? "" : ":\n  " + each.warnings.joined(separator: "\n  ")))
            }
        }
        var result = CapacityResult(spec: spec, backend: each.info.backend, format: each.info.format.rawValue, decoders: results,
                                    simulateSeconds: each.simulateSeconds, warnings: each.warnings)
        result.moments = each.info.momentsOnDevice ? "device" : "host"
        return result
    }

    /// Memory curves of every network of one run, before averaging.
    public struct PerNetwork: Sendable {
        /// Per decoder that ran: one curve per network (nil where it failed or the network was dropped).
        public var curves: [DecoderKind: [MemoryCurve?]]
        /// Training histories in network order, for decoders that train.
        public var histories: [DecoderKind: [MLPHistory]]
        public var warnings: [String]
        public var info: CapacityRun.RunInfo
        public var simulateSeconds = 0.0
        /// Wall seconds each decoder took over all networks.
        public var seconds: [DecoderKind: Double]

        /// The curve of network `m` from `kind` (nil where it has none).
        public func curve(_ kind: DecoderKind, _ m: Int) -> MemoryCurve? {
            guard let c = curves[kind], m < c.count else { return nil }
            return c[m]
        }
    }

    /// Simulates and decodes every network of `networks` (default: the `spec.networks` seeds of
    /// `spec.network`); `mlpSeeds` gives each network's training seed (default `spec.mlp.seed + index`).
    public static func measureEach(_ spec: CapacitySpec, networks: MeasuredNetworks? = nil, mlpSeeds: [UInt64]? = nil,
                                   backend: any Backend, input: InputSource,
                                   moments: MomentsPlacement = .auto, progress: Progress? = nil) throws -> PerNetwork {
        try spec.validate()
        try spec.checkSegments()
        let count = networks?.count ?? spec.networks
        try spec.memory(networks: count, backend: backend)
            .check(capabilities: backend.capabilities, what: "capacity of \(count) network(s) of N = \(spec.network.n)")
        let networks = networks ?? MeasuredNetworks(spec)
        let t0 = Date()
        let stored = spec.decoders.lazy.compactMap { $0.storedLags(spec) }.first
        let (collected, info) = try CapacityRun.collect(spec, networks: networks, backend: backend, input: input,
                                                        storeLags: stored, moments: moments) {
            progress?("simulate", $0, $1)
        }
        var out = PerNetwork(curves: [:], histories: [:], warnings: [], info: info, simulateSeconds: Date().timeIntervalSince(t0), seconds: [:])
        for (m, why) in info.failedNetworks.sorted(by: { $0.key < $1.key }) { out.warnings.append("\(networks.labels[m]) dropped: \(why)") }
        let active = collected.indices.filter { info.failedNetworks[$0] == nil }
        let context = DecoderContext(spec: spec, networks: networks,
                                     seeds: collected.indices.map { mlpSeeds?[$0] ?? spec.mlp.seed &+ UInt64($0) },
                                     backend: backend, progress: progress)
        try decode(collected, active: active, context: context, into: &out)
        if let w = saturationWarning(info) { out.warnings.append(w) }
        return out
    }

    /// Runs every decoder of `context.spec` on what a run collected (the networks `active`) and
    /// adds their curves, histories, warnings and times to `out`: the part of `measureEach` after
    /// the simulation, which a readout curve runs once per size.
    static func decode(_ collected: [CapacityRun.Collected], active: [Int], context: DecoderContext, into out: inout PerNetwork) throws {
        for kind in DecoderKind.allCases where context.spec.decoders.contains(kind) {
            let t = Date()
            let outcome = try kind.decoder.decode(collected, active: active, context: context)
            out.curves[kind] = outcome.curves
            out.histories[kind] = outcome.histories
            out.warnings += outcome.warnings
            out.seconds[kind] = Date().timeIntervalSince(t)
        }
    }

    /// The warning for a run whose final states are mostly saturated, if it is.
    static func saturationWarning(_ info: CapacityRun.RunInfo) -> String? {
        guard info.saturatedFraction > 0.5 else { return nil }
        return String(format: "%.0f%% of the units are saturated (|x| > 0.99) at the end of the run; lower gIn or g for a meaningful capacity", info.saturatedFraction * 100)
    }

    static func summarize(_ kind: DecoderKind, _ curves: [MemoryCurve?], spec: CapacitySpec, histories: [MLPHistory]?, seconds: Double) throws -> DecoderResult {
        let ok = curves.compactMap { $0 }
        guard !ok.isEmpty else {
            throw WMError.noResult("the \(kind.rawValue) decoder failed on every network (saturated or degenerate states, diverging training)")
        }
        guard ok.contains(where: { $0.r.contains(where: \.isFinite) }) else {
            throw WMError.noResult("every lag's correlation is undefined for the \(kind.rawValue) decoder (a constant input or constant states): there is no capacity to report")
        }
        let (mean, ci) = try MemoryCurve.mean(ok)
        return DecoderResult(decoder: kind, perNetwork: curves, mean: mean, memoryCapacity: mean.memoryCapacity, memoryCapacityCI95: ci,
                             firstLagBelowThreshold: mean.firstLag(below: spec.threshold), histories: histories, seconds: seconds)
    }
}
