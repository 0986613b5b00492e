import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension DecoderKind: ExpressibleByArgument {}
extension MLPActivation: ExpressibleByArgument {}
extension MomentsPlacement: ExpressibleByArgument {}

/// The measurement options shared by `capacity`, `sweep` and `optimize` (segments, lags, decoders,
/// MLP, input); each overrides the config file / default when given.
struct CapacityOptions: ParsableArguments {
    @Option(help: "Trials per network, pooled (default 1).") var trials: Int?
    @Option(help: "Washout steps (default 1000; ≥ --max-lag).") var washout: Int?
    @Option(help: "Training steps (default 4000).") var train: Int?
    @Option(help: "Validation steps (default 1000).") var validation: Int?
    @Option(help: "Test steps (default 2000).") var test: Int?
    @Option(help: "Largest lag K (default 100).") var maxLag: Int?
    @Option(help: "Fixed ridge λ relative to trace(G)/N (default: chosen per lag on validation).") var lambda: Double?
    @Option(help: "Fixed ridge λ in absolute units of the centred Gram matrix (instead of --lambda).") var absoluteLambda: Double?
    @Option(help: "Initial state: x(0) uniform in [low, high) per neuron, e.g. --initial-state=-0.5,0.5 (default: the engine's).") var initialState: String?
    @Option(parsing: .upToNextOption, help: "Decoders: \(DecoderKind.allCases.map(\.rawValue).joined(separator: " ")) (default: all for capacity, ridge for sweeps).") var decoders: [DecoderKind] = []
    @Option(help: "Input: uniform or gaussian (default uniform ±1).") var input: InputKind?
    @Option(help: "Input amplitude (default 1).") var inputAmplitude: Double?
    @Option(help: "Input seed (default 7).") var inputSeed: UInt64?
    @Option(help: "Input stream file (.npy [T], [T, nIn] or [T, 1, nIn], or CSV): the same stream for every trial; implies --input file.", completion: .file(extensions: ["npy", "csv", "txt"])) var inputFile: String?
    @Option(help: "MLP hidden widths, e.g. 64,64.") var mlpHidden: String?
    @Option(help: "MLP activation: tanh or relu.") var mlpActivation: MLPActivation?
    @Option(help: "MLP Adam learning rate (default 1e-3).") var mlpLr: Double?
    @Option(help: "MLP most epochs (default 100).") var mlpEpochs: Int?
    @Option(help: "MLP minibatch size (default 64).") var mlpBatch: Int?
    @Option(help: "MLP early-stopping patience in epochs (default 8).") var mlpPatience: Int?
    @Option(help: "Lags the MLP decodes, e.g. 1,2,5,10 (default a spread up to K).") var mlpLags: String?
    @Flag(help: "Train one MLP per lag instead of one multi-output MLP.") var mlpPerLag = false
    @Option(help: "Z-score each neuron's state before the MLP (statistics of the training segment): true or false (default true; docs/capacity.md says what it changes).")
    var mlpStandardize: Bool?
    @Option(help: "Report the first lag where r drops below this (default 0.5).") var threshold: Double?
    @Option(help: ArgumentHelp("The decoders read this many neurons, a fixed random subset (the same on every backend; docs/model.md §2), instead of all N: no N × N Gram matrix (default all). `capacity` also takes several sizes (50,100,200, or ladder[:MAX]) for the memory curve over n from one simulation.", valueName: "n"))
    var readoutNeurons: String?
    @Option(help: "Weight storage: auto, dense, ell, csr, procedural (auto falls back to procedural when stored weights do not fit).") var format: WeightFormat?
    @Option(help: "Precision of the stored recurrent weights: fp32, fp16 or bf16 (default fp32; 16-bit weights are rounded once and summed in fp32; docs/model.md §3 gives the error on the memory curve).") var weightPrecision: WeightPrecision?

    /// What `--readout-neurons` asks for (nil when not given).
    func readoutSizes() throws -> ReadoutSizes? {
        try readoutNeurons.map { text in
            do { return try ReadoutSizes.parse(text) } catch let e as WMError { throw ValidationError(e.description) }
        }
    }

    /// Applies every option to `s`. Several readout sizes make a readout curve, which only
    /// `capacity` measures (`readoutCurve: true`: it reads them from `readoutSizes()`); elsewhere
    /// they are refused.
    func apply(to s: inout CapacitySpec, readoutCurve: Bool = false) throws {
        if let v = trials { s.trials = v }
        if let v = washout { s.washout = v }
        if let v = train { s.train = v }
        if let v = validation { s.validation = v }
        if let v = test { s.test = v }
        if let v = maxLag { s.maxLag = v }
        if let v = lambda { s.lambda = v }
        if let v = absoluteLambda { s.absoluteLambda = v }
        if let v = initialState {
            let parts = v.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let lo = parts[0], let hi = parts[1] else {
                throw ValidationError("--initial-state takes LOW,HIGH (e.g. -0.5,0.5), got '\(v)'")
            }
            s.initLow = lo
            s.initHigh = hi
        }
        if let v = inputFile {
            if let k = input, k != .file { throw ValidationError("--input-file cannot be combined with --input \(k.rawValue)") }
            s.input.kind = .file
            s.input.path = v
        }
        if !decoders.isEmpty { s.decoders = decoders }
        if let v = input { s.input.kind = v }
        if let v = inputAmplitude { s.input.amplitude = v }
        if let v = inputSeed { s.input.seed = v }
        if let v = mlpHidden {
            let w = v.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard w.count == 2 else { throw ValidationError("--mlp-hidden takes two widths, e.g. 64,64") }
            s.mlp.hidden1 = w[0]; s.mlp.hidden2 = w[1]
        }
        if let v = mlpActivation { s.mlp.activation = v }
        if let v = mlpLr { s.mlp.learningRate = v }
        if let v = mlpEpochs { s.mlp.epochs = v }
        if let v = mlpBatch { s.mlp.batchSize = v }
        if let v = mlpPatience { s.mlp.patience = v }
        if let v = mlpLags { s.mlpLags = try parseIndexList(v) }
        if mlpPerLag { s.mlpPerLag = true }
        if let v = mlpStandardize { s.mlp.standardize = v }
        if let v = threshold { s.threshold = v }
        if let v = format { s.format = v }
        if let v = weightPrecision { s.weightPrecision = v == .fp32 ? nil : v }
        switch try readoutSizes() {
        case .one(let n)?: s.readoutNeurons = n
        case .some where !readoutCurve:
            throw ValidationError("--readout-neurons \(readoutNeurons ?? "") asks for several readout sizes, a memory curve over n, which `wmsim capacity` measures; this command takes one size")
        default: break
        }
    }
}
