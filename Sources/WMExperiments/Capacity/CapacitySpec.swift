import Foundation
import WMCore

/// A memory-capacity measurement (docs/model.md §1–2).
///
/// Timeline of every trial: `washout` steps, then `train`, `validation` and `test` segments.
/// The state x(t) has seen u(0)…u(t−1); the decoder for lag k reads x(t) and predicts u(t−k),
/// k = 1…maxLag (lag 0 is not counted: x(t) has not seen u(t)). With nIn > 1 every channel
/// carries its own i.i.d. stream and the decoders read channel 0 (the others are distractors). Trials of a network are pooled
/// into one regression; networks (seeds) are independent repetitions.
public struct CapacitySpec: Codable, Sendable, Hashable {
    /// The network (seed defaults: N 1000, g 0.95, sp 0.25, gIn 10, spIn 0.05, template rule).
    public var network = NetworkSpec()
    /// Independent networks (seeds network.seed, +1, …): the mean and a 95 % CI are reported.
    public var networks = 5
    /// Trials per network (pooled).
    public var trials = 1
    /// Input stream (scalar; default i.i.d. uniform in [−1, 1)).
    public var input = InputSpec()
    public var washout = 1000
    public var train = 4000
    public var validation = 1000
    public var test = 2000
    /// Largest lag K.
    public var maxLag = 100
    /// Ridge λ (relative to trace(G)/N); nil = chosen per lag on the validation segment.
    public var lambda: Double? = nil
    /// Ridge λ in absolute units of the centred Gram matrix (exclusive with `lambda`); nil = not used.
    public var absoluteLambda: Double? = nil
    /// The initial state's range: x(0) uniform in [low, high) per neuron and trial (Philox,
    /// stream `initialState`); nil = the engine's default. Both or neither.
    public var initLow: Double? = nil
    public var initHigh: Double? = nil
    /// Decoders to train.
    public var decoders: [DecoderKind] = [.ridge, .mlp]
    /// MLP settings.
    public var mlp = MLPConfig()
    /// Lags the MLP decodes; nil = a spread of lags up to maxLag.
    public var mlpLags: [Int]? = nil
    /// One MLP per lag (true) instead of one multi-output MLP for all `mlpLags` (false).
    public var mlpPerLag = false
    /// Report the first lag where r drops below this.
    public var threshold = 0.5
    /// Weight storage.
    public var format = WeightFormat.auto
    /// Precision of the stored recurrent weights (`WeightPrecision`); nil = fp32. Left out of the
    /// spec's JSON when nil, so the fingerprints of runs without it are unchanged.
    public var weightPrecision: WeightPrecision? = nil
    /// The decoders read this many recorded neurons, a seeded random subset (`ReadoutSubset`),
    /// instead of all N; nil = all. Left out of the spec's JSON when nil, so the fingerprints of
    /// runs without it are unchanged.
    public var readoutNeurons: Int? = nil

    public init() {}

    /// States each decoder reads per sample: `readoutNeurons`, or N.
    public var readoutWidth: Int { readoutNeurons ?? network.n }

    /// The neurons the decoders read (`ReadoutSubset`), or nil for all of them.
    public var readoutSubset: [Int]? { readoutNeurons.map { ReadoutSubset.neurons($0, of: network.n) } }

    /// Total steps per trial.
    public var totalSteps: Int { washout + train + validation + test }

    /// The lags the MLP decodes.
    public var resolvedMLPLags: [Int] {
        if let l = mlpLags { return l }
        let base = [1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 70, 100, 150, 200]
        let l = base.filter { $0 <= maxLag }
        return l.isEmpty ? [1] : l
    }

    /// Throws for settings that cannot give a meaningful measurement.
    public func validate() throws {
        let storing = decoders.filter { $0.storedLags(self) != nil }
        guard storing.count <= 1 else {
            throw WMError.invalidParameter(name: "decoders", value: storing.map(\.rawValue).joined(separator: "+"),
                                           expected: "at most one decoder that stores states (their stored targets would disagree)")
        }
        try network.validate()
        try input.validate()
        guard input.kind == .uniform || input.kind == .gaussian || input.kind == .file else {
            throw WMError.invalidParameter(name: "input", value: input.kind.rawValue, expected: "uniform, gaussian or file (an i.i.d. scalar stream)")
        }
        // A constant stream has no variance: every lag's correlation would be undefined.
        if input.kind != .file, !(input.amplitude > 0) {
            throw WMError.invalidParameter(name: "input amplitude", value: "\(input.amplitude)",
                                           expected: "> 0 (a constant input leaves every lag's correlation undefined, so there is no capacity to measure)")
        }
        guard networks >= 1, trials >= 1 else { throw WMError.invalidParameter(name: "networks/trials", value: "\(networks)/\(trials)", expected: "≥ 1") }
        // Counts are bounded so that every product below stays exact in Int; memory is refused
        // separately, from `memory(backend:)`.
        for (name, v) in [("networks", networks), ("trials", trials), ("washout", washout), ("train", train), ("validation", validation),
                          ("test", test), ("maxLag", maxLag)] where v > 1_000_000_000 {
            throw WMError.invalidParameter(name: name, value: "\(v)", expected: "at most 10^9")
        }
        guard maxLag >= 1 else { throw WMError.invalidParameter(name: "maxLag", value: "\(maxLag)", expected: "≥ 1") }
        guard washout >= maxLag else {
            throw WMError.invalidParameter(name: "washout", value: "\(washout)", expected: "≥ maxLag = \(maxLag) (targets u(t−k) must exist)")
        }
        for (name, v) in [("train", train), ("validation", validation), ("test", test)] where v < 1 {
            throw WMError.invalidParameter(name: name, value: "\(v)", expected: "a non-empty segment (≥ 1 step)")
        }
        guard train * trials > maxLag + 1 else {
            throw WMError.invalidParameter(name: "maxLag", value: "\(maxLag)", expected: "smaller than the training samples (\(train * trials))")
        }
        if let l = absoluteLambda {
            guard l > 0, l.isFinite else {
                throw WMError.invalidParameter(name: "absolute lambda", value: "\(l)", expected: "a finite λ > 0")
            }
            guard lambda == nil else {
                throw WMError.invalidParameter(name: "lambda", value: "relative \(lambda!) and absolute \(l)", expected: "one of --lambda (relative to trace(G)/N) and --absolute-lambda")
            }
        }
        if initLow != nil || initHigh != nil {
            guard let lo = initLow, let hi = initHigh, lo.isFinite, hi.isFinite, lo <= hi else {
                throw WMError.invalidParameter(name: "initial state range", value: "[\(initLow.map { "\($0)" } ?? "?"), \(initHigh.map { "\($0)" } ?? "?"))",
                                               expected: "both bounds, finite, low ≤ high")
            }
        }
        if let l = lambda, !(l > 0) || !l.isFinite {
            throw WMError.invalidParameter(name: "lambda", value: "\(l)", expected: "a finite λ > 0 (or omit it to choose λ on the validation segment)")
        }
        guard !decoders.isEmpty else { throw WMError.invalidParameter(name: "decoders", value: "none", expected: "ridge and/or mlp") }
        for l in resolvedMLPLags where l < 1 || l > maxLag {
            throw WMError.invalidParameter(name: "mlpLags", value: "\(l)", expected: "lags in 1…\(maxLag)")
        }
        if let r = readoutNeurons {
            guard r >= 1, r <= network.n else {
                throw WMError.invalidParameter(name: "readoutNeurons", value: "\(r)",
                                               expected: "1…N = \(network.n): a subset of the network's neurons (omit it to read all of them)")
            }
        }
        guard threshold.isFinite else { throw WMError.invalidParameter(name: "threshold", value: "\(threshold)", expected: "a finite r") }
        if let p = weightPrecision, p != .fp32, format == .procedural {
            throw WMError.invalidParameter(name: "weightPrecision", value: "\(p.rawValue) with format procedural",
                                           expected: "fp32: procedural weights are regenerated, not stored, so there is nothing to store in 16 bits; use a stored format (ell, csr, dense)")
        }
    }

    /// Refuses segments too short for the statistic to mean anything; checked when a run starts
    /// (not when a results file is read, so files of older runs stay readable).
    ///
    /// A Pearson r over n samples of unrelated series has E[r²] = 1/(n − 1), so MC (a sum of
    /// maxLag r²) has a chance level of about maxLag/(n − 1): 10 samples per lag keep it below
    /// 0.1. Validation picks λ by r, which needs a few dozen samples to mean anything. An input
    /// file is one stream shared by every trial, so its trials add no independent samples.
    public func checkSegments() throws {
        let testSamples = testSamples, minimumTest = Self.minimumTestSamples(maxLag: maxLag)
        guard testSamples >= minimumTest else {
            throw WMError.invalidParameter(name: "test", value: "\(test) step(s)" + (input.kind == .file ? " of one shared input file" : " × \(trials) trial(s)") + " = \(testSamples) samples",
                                           expected: "at least \(minimumTest) test samples (max(30, 10 × maxLag)): MC's chance level is about maxLag/(samples − 1) and r over fewer samples is noise")
        }
        let validationSamples = input.kind == .file ? validation : validation * trials
        guard validationSamples >= Self.minimumValidationSamples else {
            throw WMError.invalidParameter(name: "validation", value: "\(validationSamples) samples",
                                           expected: "at least \(Self.minimumValidationSamples) validation samples (λ is chosen by r on them)")
        }
    }

    /// Independent test samples: steps × trials, or the steps alone for an input file (one stream
    /// shared by every trial).
    public var testSamples: Int { input.kind == .file ? test : test * trials }

    /// The fewest test samples (steps × trials) a capacity is measured on: max(30, 10 · maxLag).
    public static func minimumTestSamples(maxLag: Int) -> Int { Swift.max(30, 10 * maxLag) }
    /// The fewest validation samples λ is chosen on.
    public static let minimumValidationSamples = 30

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case network, networks, trials, input, washout, train, validation, test, maxLag, lambda, absoluteLambda, initLow, initHigh
        case decoders, mlp, mlpLags, mlpPerLag, threshold, format, readoutNeurons, weightPrecision
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&network, .network)
        try c.fill(&networks, .networks)
        try c.fill(&trials, .trials)
        try c.fill(&input, .input)
        try c.fill(&washout, .washout)
        try c.fill(&train, .train)
        try c.fill(&validation, .validation)
        try c.fill(&test, .test)
        try c.fill(&maxLag, .maxLag)
        lambda = try c.decodeIfPresent(Double.self, forKey: .lambda)
        absoluteLambda = try c.decodeIfPresent(Double.self, forKey: .absoluteLambda)
        initLow = try c.decodeIfPresent(Double.self, forKey: .initLow)
        initHigh = try c.decodeIfPresent(Double.self, forKey: .initHigh)
        try c.fill(&decoders, .decoders)
        try c.fill(&mlp, .mlp)
        mlpLags = try c.decodeIfPresent([Int].self, forKey: .mlpLags)
        try c.fill(&mlpPerLag, .mlpPerLag)
        try c.fill(&threshold, .threshold)
        try c.fill(&format, .format)
        readoutNeurons = try c.decodeIfPresent(Int.self, forKey: .readoutNeurons)
        // fp32 is the default and is left out, so a file that names it has the same fingerprint.
        let precision = try c.decodeIfPresent(WeightPrecision.self, forKey: .weightPrecision)
        weightPrecision = precision == .fp32 ? nil : precision
    }
}
