import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim simulate`: run an ensemble and write firing rates (NPY) and a JSON summary.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate random rate networks and record their firing rates.",
        discussion: """
            Writes into --out (default wmsim-out/simulate-<date>):
            rates.npy: float32 [rows, M, B, nRec]; row r holds x(t) for
              t = every·(r+1). x(0) is the initial state; x(t) has seen the
              inputs u(0)…u(t−1).
            summary.json: provenance (version, command, backend, device,
              date), the full spec and seeds, shapes, timing, final-rate
              statistics per network.
            network/ (with --save-network): per network J in CSR
              (J_indptr, J_indices, J_data) and Jin as NPY, network.json,
              and input.npy float32 [T, B, nIn], the input stream used.
            Flags override --config (JSON or TOML; see the README).
            """)

    @OptionGroup var net: NetworkOptions
    @OptionGroup var inp: InputOptions
    @OptionGroup var backendOptions: BackendOptions

    @Option(help: "Configuration file (.json or .toml); flags override it.", completion: .file(extensions: ["json", "toml"])) var config: String?
    @Option(help: "Networks M in the ensemble (seeds seed, seed+1, …; default 1).") var networks: Int?
    @Option(help: "Independent trials B per network (default 1).") var trials: Int?
    @Option(help: "Steps T (default 1000).") var steps: Int?
    @Option(help: "Weight storage: auto, dense, ell, csr, procedural (default auto; auto falls back to procedural when stored weights do not fit).") var format: WeightFormat?
    @Option(help: "Precision of the stored recurrent weights: fp32, fp16 or bf16 (default fp32; 16-bit weights are rounded once and summed in fp32, docs/model.md §3).") var weightPrecision: WeightPrecision?
    @Option(help: "Record every k-th step (default 1).") var recordEvery: Int?
    @Option(help: "Neurons to record, e.g. 0,5,10-20 (default: all).") var recordNeurons: String?
    @Flag(help: "Record nothing (only the summary).") var noRecord = false
    @Option(help: "Output folder (default wmsim-out/simulate-<date>).", completion: .directory) var out: String?
    @Flag(help: "Overwrite a non-empty output folder.") var force = false
    @Flag(help: "Save the generated networks and the input stream as NPY (network/).") var saveNetwork = false
    @Flag(help: "With --save-network, also save each J densely (J_dense.npy).") var denseNetwork = false
    @Option(help: "Load networks saved with --save-network (folder) instead of generating them.", completion: .directory) var loadNetwork: String?
    @Option(help: "Steps per chunk (input generated and records fetched per chunk; default 256).") var chunk: Int = 256

    func validate() throws {
        if let s = steps, s < 0 { throw ValidationError("--steps must be ≥ 0") }
        if let m = networks, m < 1 { throw ValidationError("--networks must be ≥ 1") }
        if let b = trials, b < 1 { throw ValidationError("--trials must be ≥ 1") }
        if let e = recordEvery, e < 1 { throw ValidationError("--record-every must be ≥ 1") }
        if chunk < 1 || chunk > 1_000_000 { throw ValidationError("--chunk must be in 1…1000000") }
    }

    func effectiveConfig() throws -> SimulationConfig {
        var c = try config.map { try SimulationConfig.load(URL(fileURLWithPath: $0)) } ?? SimulationConfig()
        net.apply(to: &c.network)
        inp.apply(to: &c.input)
        if let v = networks { c.networks = v }
        if let v = trials { c.trials = v }
        if let v = steps { c.steps = v }
        if let v = format { c.format = v }
        if let v = weightPrecision { c.weightPrecision = v }
        if let v = recordEvery { c.recordEvery = v }
        if let v = recordNeurons { c.recordNeurons = try parseIndexList(v) }
        return c
    }

    func run() throws {
        do { try execute() } catch let e as WMError {
            throw CLIError(e.description)
        }
    }

    func execute() throws {
        var cfg = try effectiveConfig()
        // Bounded before any list of networks is built (the engine then checks their memory).
        guard (1...1_000_000).contains(cfg.networks), (1...1_000_000_000).contains(cfg.trials), (0...1_000_000_000_000).contains(cfg.steps) else {
            throw WMError.invalidParameter(name: "networks/trials/steps", value: "\(cfg.networks)/\(cfg.trials)/\(cfg.steps)",
                                           expected: "networks 1…10^6, trials 1…10^9, steps 0…10^12")
        }
        // Networks: generated from the spec, or loaded.
        var loaded: [Network]? = nil
        var ensemble: Ensemble
        if let dir = loadNetwork {
            try net.refuseWithLoadedNetworks()
            if networks != nil { throw ValidationError("--networks cannot apply to --load-network: every saved network runs") }
            // The stream the networks were saved with, unless another is asked for: a saved run replays exactly.
            let saved = URL(fileURLWithPath: dir).appendingPathComponent("input.json")
            // Any input chosen by a flag or a config file leaves the default spec.
            if cfg.input == InputSpec(), FileManager.default.fileExists(atPath: saved.path) {
                cfg.input = try JSONDecoder().decode(InputSpec.self, from: Data(contentsOf: saved))
                Console.note("input: the stream saved with the networks (\(saved.path)); input flags or a config file choose another")
            }
            let nets = try NetworkArchive.load(from: URL(fileURLWithPath: dir))
            loaded = nets
            // The summary records what ran: the saved specification, not the defaults.
            if let first = nets.first { cfg.network = first.spec; cfg.networks = nets.count }
            ensemble = Ensemble(networks: nets.map { var s = $0.spec; s.spectralRadius = nil; return s }, trials: cfg.trials)
        } else {
            ensemble = Ensemble(spec: cfg.network, count: cfg.networks, trials: cfg.trials)
        }
        try ensemble.validate()
        let source = try InputOptions.source(cfg.input, nIn: ensemble.nIn)
        let record: RecordRequest? = noRecord ? nil : RecordRequest(every: cfg.recordEvery, neurons: cfg.recordNeurons)
        try record?.validate(n: ensemble.n)
        if cfg.input.kind == .file, source.fileSteps < cfg.steps {
            throw WMError.invalidParameter(name: "--steps", value: "\(cfg.steps)", expected: "at most the \(source.fileSteps) rows of the input file")
        }

        if let r = record {
            // rates.npy is written as the run goes: refuse a recording the disk cannot hold.
            let bytes = Double(cfg.steps / r.every) * Double(ensemble.count) * Double(ensemble.trials) * Double(r.width(n: ensemble.n)) * 4
            try DiskSpace.check(bytes: bytes, near: URL(fileURLWithPath: out ?? "."), what: "recording rates.npy (steps/record-every × networks × trials × neurons × 4 bytes)",
                                remedy: "record fewer neurons (--record-neurons), less often (--record-every), fewer steps, or --no-record")
        }
        let outDir = try OutputFolder.prepare(out, command: "simulate", force: force)
        let backend = try backendOptions.make()
        var opt = EngineOptions()
        opt.format = cfg.format
        opt.weightPrecision = cfg.weightPrecision
        opt.initLow = cfg.initLow
        opt.initHigh = cfg.initHigh
        opt.chunkSteps = chunk
        if let note = try WeightFormatChoice.resolve(cfg.format, ensemble: ensemble, networksGiven: loaded != nil, capabilities: backend.capabilities,
                                                     precision: cfg.weightPrecision).note {
            Console.note(note)
        }
        let setupStart = Date()
        let engine = try backend.makeEngine(ensemble: ensemble, networks: loaded, input: source, options: opt)
        let setup = Date().timeIntervalSince(setupStart)
        // Procedural weights are regenerated in full only to be saved; the summary needs their
        // specs and gains alone.
        let nets = engine.format == .procedural && !saveNetwork
            ? try ensemble.networks.map { try NetworkGenerator.procedural($0) } : try engine.networks()
        let nnz = try engine.synapseCount()
        var files: [String] = []
        if saveNetwork {
            try NetworkArchive.save(nets, to: outDir.appendingPathComponent("network"), dense: denseNetwork)
            try InputStreamFile.write(source, steps: cfg.steps, trials: ensemble.trials, to: outDir.appendingPathComponent("network/input.npy"))
            // The initial state, so a run that recorded only some neurons replays too.
            try NPY.write(try engine.state(), shape: [ensemble.count, ensemble.n, ensemble.trials], to: outDir.appendingPathComponent("network/x0.npy"))
            var savedInput = cfg.input
            // An absolute path, so the folder replays from anywhere.
            if let path = savedInput.path { savedInput.path = URL(fileURLWithPath: path).standardizedFileURL.path }
            try ResultWriter.json(savedInput, to: outDir.appendingPathComponent("network/input.json"))
            files.append("network/")
        }

        // Recording straight to disk, chunk by chunk.
        let width = record?.width(n: ensemble.n) ?? 0
        let rows = record.map { cfg.steps / $0.every } ?? 0
        var writer: NPYStreamWriter? = nil
        if let _ = record {
            writer = try NPYStreamWriter(url: outDir.appendingPathComponent("rates.npy"), shape: [rows, ensemble.count, ensemble.trials, width])
            files.append("rates.npy")
        }
        let progress = Progress("simulate", total: cfg.steps)
        let start = Date()
        var failure: String? = nil
        do {
            try engine.advance(steps: cfg.steps, record: record, sink: { chunk in try writer?.append(chunk.data) }, progress: { progress.update($0) })
            try writer?.finish()
        } catch {
            // Any failure (NaN, device, disk) still leaves a summary with the error.
            failure = (error as? WMError)?.description ?? "\(error)"
            writer?.cancel()
        }
        progress.finish()
        let elapsed = Date().timeIntervalSince(start)
        let final = try engine.state()
        let summary = SimulationSummary(
            provenance: Provenance(backend: engine.backendInfo), status: failure == nil ? "ok" : "failed", error: failure,
            config: cfg, networks: nets.map(\.spec), recurrentGain: nets.map(\.recurrentGain),
            n: ensemble.n, nIn: ensemble.nIn, networksCount: ensemble.count, trials: ensemble.trials,
            format: engine.format.rawValue, fusedSteps: engine.fusesSteps,
            synapses: nnz, steps: engine.time,
            record: record.map { r in
                SimulationSummary.Record(file: "rates.npy", shape: [rows, ensemble.count, ensemble.trials, width], every: r.every,
                                         neurons: r.neurons, firstTime: r.every,
                                         layout: "[row, network, trial, neuron]; row r holds x(t) for t = every·(r+1)")
            },
            setupSeconds: setup, runSeconds: elapsed,
            stepsPerSecond: Double(engine.time) / max(elapsed, 1e-9),
            synapticUpdatesPerSecond: Double(nnz) * Double(engine.time) * Double(ensemble.trials) / max(elapsed, 1e-9),
            finalRates: FinalRateStats.per(network: final, m: ensemble.count, n: ensemble.n, b: ensemble.trials),
            files: files + ["summary.json"])
        try ResultWriter.json(summary, to: outDir.appendingPathComponent("summary.json"))
        if let f = failure { throw CLIError("\(f)\nsummary written to \(outDir.path)/summary.json") }
        print("simulated \(ensemble.count) network(s) × \(ensemble.trials) trial(s), N = \(ensemble.n), \(engine.time) steps in \(String(format: "%.3f", elapsed)) s "
            + "(\(Format.si(summary.synapticUpdatesPerSecond)) synaptic updates/s, \(engine.format.rawValue)"
            + (cfg.weightPrecision == .fp32 ? "" : ", \(cfg.weightPrecision.rawValue) weights") + ")")
        for (m, s) in summary.finalRates.enumerated().prefix(8) {
            print(String(format: "  network %d: final rates mean %.4f, sd %.4f, range [%.3f, %.3f]", m, s.mean, s.sd, s.min, s.max))
        }
        print("wrote \(outDir.path)/{\(summary.files.joined(separator: ","))}")
    }
}
