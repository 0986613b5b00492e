import ArgumentParser
import Foundation
import WMCore
import WMExperiments
import WMOpenCL

extension DecoderKind: ExpressibleByArgument {}
extension MLPActivation: ExpressibleByArgument {}

/// `wmsim capacity`: the memory curve of random networks with ridge and MLP decoders.
struct Capacity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure working-memory capacity: decode u(t−k) from the rates for k = 1…K (ridge and a 2-hidden-layer MLP).",
        discussion: """
            Each trial runs washout, train, validation and test segments on one i.i.d.
            input stream. x(t) has seen u(0)…u(t−1), so lag k ≥ 1 decodes u(t−k) from
            x(t); lag 0 is not counted. Ridge: all lags at once from streamed state
            moments (states are never stored), λ per lag on the validation segment.
            MLP: one multi-output network over --mlp-lags, Adam, early stopping.
            Capacity per lag is r² on the test segment; MC = Σ r². Several network
            seeds give the mean and a 95 % confidence interval.
            Writes capacity.json (provenance, spec, per-network curves), memory_curve.csv
            and memory_curve.svg into --out.
            """)

    @OptionGroup var net: NetworkOptions
    @OptionGroup var backendOptions: BackendOptions

    @Option(help: "Configuration file (.json or .toml, CapacitySpec keys); flags override it.") var config: String?
    @Option(help: "Network seeds averaged (default 5).") var networks: Int?
    @Option(help: "Trials per network, pooled (default 1).") var trials: Int?
    @Option(help: "Washout steps (default 1000; ≥ --max-lag).") var washout: Int?
    @Option(help: "Training steps (default 4000).") var train: Int?
    @Option(help: "Validation steps (default 1000).") var validation: Int?
    @Option(help: "Test steps (default 2000).") var test: Int?
    @Option(help: "Largest lag K (default 100).") var maxLag: Int?
    @Option(help: "Fixed ridge λ relative to trace(G)/N (default: chosen per lag on validation).") var lambda: Double?
    @Option(parsing: .upToNextOption, help: "Decoders: ridge mlp (default both).") var decoders: [DecoderKind] = []
    @Option(help: "Input: uniform or gaussian (default uniform ±1).") var input: InputKind?
    @Option(help: "Input amplitude (default 1).") var inputAmplitude: Double?
    @Option(help: "Input seed (default 7).") var inputSeed: UInt64?
    @Option(help: "MLP hidden widths, e.g. 64,64.") var mlpHidden: String?
    @Option(help: "MLP activation: tanh or relu.") var mlpActivation: MLPActivation?
    @Option(help: "MLP Adam learning rate (default 1e-3).") var mlpLr: Double?
    @Option(help: "MLP most epochs (default 100).") var mlpEpochs: Int?
    @Option(help: "MLP minibatch size (default 64).") var mlpBatch: Int?
    @Option(help: "MLP early-stopping patience in epochs (default 8).") var mlpPatience: Int?
    @Option(help: "Lags the MLP decodes, e.g. 1,2,5,10 (default a spread up to K).") var mlpLags: String?
    @Flag(help: "Train one MLP per lag instead of one multi-output MLP.") var mlpPerLag = false
    @Option(help: "Report the first lag where r drops below this (default 0.5).") var threshold: Double?
    @Option(help: "Weight storage: auto, dense, ell, csr.") var format: WeightFormat?
    @Option(help: "Output folder (default wmsim-out/capacity-<date>).") var out: String?
    @Flag(help: "Overwrite a non-empty output folder.") var force = false
    @Flag(help: "Print every lag (default: a spread of lags).") var allLags = false
    @Option(help: "Measure networks saved with `simulate --save-network` (folder) instead of generating them.") var loadNetwork: String?

    func spec() throws -> CapacitySpec {
        var s = try config.map {
            try ConfigFile.decode(CapacitySpec.self, from: URL(fileURLWithPath: $0), allowed: [
                "": Set(CapacitySpec.CodingKeys.allCases.map(\.rawValue)),
                "network": Set(NetworkSpec.CodingKeys.allCases.map(\.rawValue)),
                "input": Set(InputSpec.CodingKeys.allCases.map(\.rawValue)),
            ])
        } ?? CapacitySpec()
        net.apply(to: &s.network)
        if let v = networks { s.networks = v }
        if let v = trials { s.trials = v }
        if let v = washout { s.washout = v }
        if let v = train { s.train = v }
        if let v = validation { s.validation = v }
        if let v = test { s.test = v }
        if let v = maxLag { s.maxLag = v }
        if let v = lambda { s.lambda = v }
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
        if let v = threshold { s.threshold = v }
        if let v = format { s.format = v }
        return s
    }

    func run() throws {
        do { try execute() } catch let e as WMError { throw CLIError(e.description) }
    }

    func execute() throws {
        let s = try spec()
        try s.validate()
        try s.mlp.validate()
        let outDir = try OutputFolder.prepare(out, command: "capacity", force: force)
        let backend = try backendOptions.make()
        let source = try InputOptions.source(s.input, nIn: 1)
        Console.note("capacity: \(s.networks) network(s) × \(s.trials) trial(s), N = \(s.network.n), \(s.totalSteps) steps each (washout \(s.washout), train \(s.train), validation \(s.validation), test \(s.test)), lags 1…\(s.maxLag), decoders \(s.decoders.map(\.rawValue).joined(separator: "+"))")
        var bars: [String: Progress] = [:]
        let loaded = try loadNetwork.map { try NetworkArchive.load(from: URL(fileURLWithPath: $0)) }
        let result = try CapacityMeasurement.run(s, backend: backend, input: source, networks: loaded) { phase, done, total in
            let p = bars[phase] ?? Progress(phase, total: total, unit: phase == "simulate" ? "steps" : "networks")
            bars[phase] = p
            p.update(done)
        }
        for p in bars.values { p.finish() }
        try CapacityOutput.write(result, to: outDir)
        print(CapacityOutput.table(result, allLags: allLags))
        for w in result.warnings { Console.note("warning: \(w)") }
        print("wrote \(outDir.path)/{capacity.json,memory_curve.csv,memory_curve.svg}")
    }
}
