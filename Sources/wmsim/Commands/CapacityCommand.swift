import ArgumentParser
import Foundation
import WMCore
import WMExperiments


/// `wmsim capacity`: the memory curve of random networks with ridge and MLP decoders.
struct CapacityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
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
            With several readout sizes (--readout-neurons 50,100,200 or ladder[:MAX]) the
            networks run once and the decoders are fitted for every size on nested random
            subsets: MC against n, in readout_curve.json, readout_curve.csv,
            memory_curves_by_n.csv, readout_curve.svg and memory_curves_by_n.svg.
            """)

    @OptionGroup var net: NetworkOptions
    @OptionGroup var backendOptions: BackendOptions

    @Option(help: "Configuration file (.json or .toml, CapacitySpec keys); flags override it.", completion: .file(extensions: ["json", "toml"])) var config: String?
    @Option(help: "Network seeds averaged (default 5).") var networks: Int?
    @OptionGroup var measure: CapacityOptions
    @Option(help: "Output folder (default wmsim-out/capacity-<date>).", completion: .directory) var out: String?
    @Flag(help: "Overwrite a non-empty output folder.") var force = false
    @Flag(help: "Print every lag (default: a spread of lags).") var allLags = false
    @Flag(help: "Draw memory_curve.svg with a log lag axis (short lags spread out).") var logLagAxis = false
    @Option(help: "Measure networks saved with `simulate --save-network` (folder) instead of generating them.", completion: .directory) var loadNetwork: String?
    @Option(help: "Where the ridge moments are summed (ridge only): auto (on GPUs and accelerators with fp64), device (refused where the backend has none), or host.")
    var moments: MomentsPlacement = .auto

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
        try measure.apply(to: &s, readoutCurve: true)
        return s
    }

    func run() throws {
        do { try execute() } catch let e as WMError { throw CLIError(e.description) }
    }

    /// Prepares the output folder, runs `measure` with a progress bar per phase ("simulate" in
    /// steps, the fits in `fitUnit`), and removes the folder again when it was made for this run
    /// and the measurement fails, so a failed run leaves nothing half-written behind.
    func measureIntoFolder<R>(fitUnit: String, _ measure: (@escaping CapacityMeasurement.Progress) throws -> R) throws -> (R, URL) {
        let existed = out.map { FileManager.default.fileExists(atPath: $0) } ?? false
        let outDir = try OutputFolder.prepare(out, command: "capacity", force: force)
        var bars: [String: Progress] = [:]
        let result: R
        do {
            result = try measure { phase, done, total in
                let p = bars[phase] ?? Progress(phase, total: total, unit: phase == "simulate" ? "steps" : fitUnit)
                bars[phase] = p
                p.update(done)
            }
        } catch {
            if !existed { OutputFolder.removeIfEmpty(outDir) }
            throw error
        }
        for p in bars.values { p.finish() }
        return (result, outDir)
    }

    /// The checked spec, the backend, the input source and the loaded networks (if any) of a run,
    /// all validated before any output folder is made.
    func prepare() throws -> (CapacitySpec, any Backend, InputSource, [Network]?) {
        let s = try spec()
        try s.validate()
        try s.mlp.validate()
        let backend = try backendOptions.make()
        try ComputePolicy(backend).check(moments)
        let source = try InputOptions.source(s.input, nIn: s.network.nIn)
        if loadNetwork != nil {
            try net.refuseWithLoadedNetworks()
            if networks != nil { throw ValidationError("--networks cannot apply to --load-network: every saved network is measured") }
        }
        let loaded = try loadNetwork.map { try NetworkArchive.load(from: URL(fileURLWithPath: $0)) }
        return (s, backend, source, loaded)
    }

    func execute() throws {
        if let sizes = try measure.readoutSizes(), sizes.isCurve { return try executeCurve(sizes) }
        let (s, backend, source, loaded) = try prepare()
        if loaded == nil, let note = s.weightFormat(backend: backend).note { Console.note(note) }
        Console.note("capacity: \(loaded?.count ?? s.networks) \(loaded == nil ? "" : "loaded ")network(s) × \(s.trials) trial(s), N = \(loaded?.first?.spec.n ?? s.network.n), \(s.totalSteps) steps each (washout \(s.washout), train \(s.train), validation \(s.validation), test \(s.test)), lags 1…\(s.maxLag), decoders \(s.decoders.map(\.rawValue).joined(separator: "+"))"
                     + (s.readoutNeurons.map { ", reading \($0) neurons (a fixed random subset)" } ?? ""))
        let (result, outDir) = try measureIntoFolder(fitUnit: "networks") { progress in
            try CapacityMeasurement.run(s, backend: backend, input: source, networks: loaded, moments: moments, progress: progress)
        }
        try CapacityOutput.write(result, to: outDir, logLags: logLagAxis)
        print(CapacityOutput.table(result, allLags: allLags))
        for w in result.warnings { Console.note("warning: \(w)") }
        print("wrote \(outDir.path)/{capacity.json,memory_curve.csv,memory_curve.svg}")
    }
}
