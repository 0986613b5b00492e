import Foundation
import WMCore

/// A parameter the optimiser may change, with its bounds.
public struct OptimizationBound: Codable, Sendable, Hashable {
    public var parameter: SweepParameter
    public var lower: Double
    public var upper: Double

    public init(_ parameter: SweepParameter, lower: Double, upper: Double) throws {
        self.parameter = parameter
        self.lower = lower
        self.upper = upper
        try validate()
    }

    /// Parses `NAME=lower:upper`.
    public init(parsing text: String) throws {
        let f = text.split(separator: "=", maxSplits: 1)
        let r = f.count == 2 ? f[1].split(separator: ":") : []
        guard f.count == 2, r.count == 2, let a = Double(r[0].trimmingCharacters(in: .whitespaces)), let b = Double(r[1].trimmingCharacters(in: .whitespaces)) else {
            throw WMError.invalidParameter(name: "--param", value: text, expected: "NAME=lower:upper, e.g. g=0.5:1.5")
        }
        try self.init(try SweepParameter(name: String(f[0])), lower: a, upper: b)
    }

    public func validate() throws {
        guard parameter.isNetworkParameter else {
            throw WMError.invalidParameter(name: "--param X", value: "bounds", expected: "a network parameter; the lag is chosen with --objective r --lag X")
        }
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw WMError.invalidParameter(name: "\(parameter.rawValue) bounds", value: "\(lower):\(upper)", expected: "finite lower < upper (an empty or inverted range)")
        }
    }
}

/// What the optimiser maximises.
public enum OptimizationObjective: String, Codable, Sendable, CaseIterable {
    /// Memory capacity Σ_{k≥1} r².
    case mc
    /// Pearson r at one lag X (the seed's "capacity": correlation of true and decoded input).
    case r
}

/// Maximise capacity over parameter bounds with CMA-ES, each generation measured in batched launches.
///
/// Candidate c is measured on network seeds `base.network.seed + 0 … seedsPerEvaluation−1` (the
/// same seeds for every candidate: common random numbers) and scored by the mean objective. The
/// best candidate and the base parameters are then re-measured on `finalSeeds` fresh seeds
/// (`base.network.seed + 1_000_000 + i`), which gives an unbiased estimate and a paired comparison.
public struct OptimizationSpec: Codable, Sendable, Hashable {
    public var base: CapacitySpec = SweepSpec.defaultBase
    public var parameters: [OptimizationBound] = []
    public var objective: OptimizationObjective = .mc
    /// Lag X for `objective = r`.
    public var lag: Int? = nil
    public var decoder: DecoderKind = .ridge
    public var seedsPerEvaluation = 1
    public var finalSeeds = 10
    /// CMA-ES settings; `maxEvaluations` is the budget of candidate evaluations (default 120).
    public var cmaes = CMAESConfig(maxEvaluations: 120)

    public init() {}

    public func validate() throws {
        var b = base
        b.networks = 1
        try b.validate()
        guard !parameters.isEmpty else { throw WMError.invalidParameter(name: "parameters", value: "none", expected: "at least one --param NAME=lower:upper") }
        var seen = Set<SweepParameter>()
        for p in parameters {
            try p.validate()
            guard seen.insert(p.parameter).inserted else { throw WMError.invalidParameter(name: "--param", value: "\(p.parameter.rawValue) twice", expected: "each parameter once") }
            if p.parameter == .leak && base.network.rule != .leaky {
                throw WMError.invalidParameter(name: "leak", value: "optimised", expected: "rule = leaky (the leak only acts in the leaky rule)")
            }
            // Both corners must give a valid network.
            for v in [p.lower, p.upper] {
                var s = b
                try p.parameter.apply(p.parameter.isInteger ? v.rounded() : v, to: &s)
                do { try s.network.validate() } catch let e as WMError {
                    throw WMError.invalidParameter(name: "\(p.parameter.rawValue) bounds", value: "\(p.lower):\(p.upper)", expected: "values where the network is valid (\(e.description))")
                }
            }
        }
        guard base.decoders.contains(decoder) else {
            throw WMError.invalidParameter(name: "decoder", value: decoder.rawValue, expected: "one of the measured decoders (\(base.decoders.map(\.rawValue).joined(separator: ", ")))")
        }
        if objective == .r {
            guard let l = lag else { throw WMError.invalidParameter(name: "lag", value: "none", expected: "--lag X with --objective r") }
            guard l >= 1 && l <= base.maxLag else { throw WMError.invalidParameter(name: "lag", value: "\(l)", expected: "1…maxLag = \(base.maxLag)") }
            if !decoder.lags(base).contains(l) {
                throw WMError.invalidParameter(name: "lag", value: "\(l)", expected: "one of the \(decoder.rawValue) decoder's lags \(decoder.lags(base))")
            }
        }
        guard seedsPerEvaluation >= 1, seedsPerEvaluation <= 10_000, finalSeeds >= MeanInterval.minimumCount, finalSeeds <= 10_000 else {
            throw WMError.invalidParameter(name: "seeds", value: "\(seedsPerEvaluation)/\(finalSeeds)",
                                           expected: "1…10000 per evaluation and \(MeanInterval.minimumCount)…10000 final seeds (for a CI)")
        }
        guard let budget = cmaes.maxEvaluations, budget >= 2 else {
            throw WMError.invalidParameter(name: "budget", value: "\(cmaes.maxEvaluations.map(String.init) ?? "none")", expected: "≥ 2 evaluations")
        }
    }

    /// The larger of the estimates at the lower and the upper corner of the bounds (memory grows
    /// monotonically with N, nIn and the density), for the most networks measured together: the
    /// final seeds of the best and the base candidates, in batches no larger than
    /// `CapacityBatch` makes (its readout budget).
    public func memory(backend: any Backend, batcher: CapacityBatch = CapacityBatch()) -> RunMemoryEstimate {
        var worst = RunMemoryEstimate()
        for corner in [\OptimizationBound.lower, \OptimizationBound.upper] {
            var s = base
            for p in parameters { try? p.parameter.apply(p.parameter.isInteger ? p[keyPath: corner].rounded() : p[keyPath: corner], to: &s) }
            let perBatch = Swift.max(1, Swift.min(batcher.maxBatch, batcher.memoryBudget / Swift.max(CapacityBatch.bytesPerNetwork(s), 1)))
            let e = s.memory(networks: Swift.min(perBatch, Swift.max(seedsPerEvaluation, 2 * finalSeeds)), backend: backend)
            if e.hostTotal(backend.capabilities) + e.device > worst.hostTotal(backend.capabilities) + worst.device { worst = e }
        }
        return worst
    }

    /// FNV-1a 64 of the canonical JSON: a state file belongs to exactly one optimisation.
    public var fingerprint: String {
        var s = self
        s.base.normaliseUnusedDecoderSettings()
        return Fingerprint.of(s)
    }

    /// The objective of one measured network (nil: failed or undefined).
    public func score(_ o: CapacityBatch.Outcome) -> Double? {
        guard let c = o.curves[decoder] else { return nil }
        switch objective {
        case .mc: return c.memoryCapacity.isFinite ? c.memoryCapacity : nil
        case .r:
            guard let l = lag, let i = c.lags.firstIndex(of: l), c.r[i].isFinite else { return nil }
            return c.r[i]
        }
    }

    /// The measurement at parameter values `x` (in `parameters` order) for network seed offset `r`.
    public func unit(_ x: [Double], seedOffset r: UInt64, label: String) throws -> CapacityBatch.Unit {
        var s = base
        s.networks = 1
        for (p, v) in zip(parameters, x) { try p.parameter.apply(p.parameter.isInteger ? v.rounded() : v, to: &s) }
        s.network.seed = base.network.seed &+ r
        return CapacityBatch.Unit(spec: s, mlpSeed: base.mlp.seed &+ r, label: label)
    }
}
