import ArgumentParser
import Foundation
import WMCore

extension UpdateRule: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension InputKind: ExpressibleByArgument {}
extension WeightFormat: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}

/// Network parameters; each overrides the config file / default when given.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("n"), help: "Neurons N (default 1000).") var n: Int?
    @Option(help: "Recurrent gain g (default 0.95).") var g: Double?
    @Option(help: "Recurrent density sp in (0, 1] (default 0.25).") var sp: Double?
    @Option(name: .customLong("gin"), help: "Input gain gIn (default 10).") var gIn: Double?
    @Option(name: .customLong("spin"), help: "Input density spIn in (0, 1] (default 0.05).") var spIn: Double?
    @Option(name: .customLong("nin"), help: "Input channels nIn (default 1).") var nIn: Int?
    @Option(help: "Bias added to every neuron's drive (default 0).") var bias: Double?
    @Option(help: "Update rule: template (r' = f(d r + (1−d)(J r + Jin u + b))) or leaky (x' = (1−a)x + a f(J x + Jin u + b)). Default template.") var rule: UpdateRule?
    @Option(help: "Time step dt, ms (template rule; default 0.1).") var dt: Double?
    @Option(help: "Time constant τ, ms (template rule; default 20).") var tau: Double?
    @Option(help: "Leak a in (0, 1] (leaky rule; default 1).") var leak: Double?
    @Option(help: "Nonlinearity: tanh or linear (default tanh).") var activation: Activation?
    @Option(help: "Private noise σ added to each neuron's drive per step (default 0).") var noise: Double?
    @Option(help: "Rescale W to this exact spectral radius (dense eigenvalues, N ≤ 4096).") var spectralRadius: Double?
    @Option(help: "Network seed (default 1); network m of an ensemble uses seed + m.") var seed: UInt64?

    /// The network flags given on the command line ("--rule", …): none can apply to networks
    /// loaded from a folder, whose saved specification is what runs.
    var given: [String] {
        let flags: [(String, Any?)] = [("--n", n), ("--g", g), ("--sp", sp), ("--gin", gIn), ("--spin", spIn), ("--nin", nIn), ("--bias", bias),
                                       ("--rule", rule), ("--dt", dt), ("--tau", tau), ("--leak", leak), ("--activation", activation),
                                       ("--noise", noise), ("--spectral-radius", spectralRadius), ("--seed", seed)]
        return flags.filter { $0.1 != nil }.map(\.0)
    }

    /// Throws when network flags are combined with `--load-network`.
    func refuseWithLoadedNetworks() throws {
        guard !given.isEmpty else { return }
        throw ValidationError("\(given.joined(separator: ", ")) cannot apply to networks loaded with --load-network: their saved specification is what runs (drop the flag, or generate networks instead)")
    }

    func apply(to s: inout NetworkSpec) {
        if let v = n { s.n = v }
        if let v = g { s.g = v }
        if let v = sp { s.sp = v }
        if let v = gIn { s.gIn = v }
        if let v = spIn { s.spIn = v }
        if let v = nIn { s.nIn = v }
        if let v = bias { s.bias = v }
        if let v = rule { s.rule = v }
        if let v = dt { s.dt = v }
        if let v = tau { s.tau = v }
        if let v = leak { s.leak = v }
        if let v = activation { s.activation = v }
        if let v = noise { s.noise = v }
        if let v = spectralRadius { s.spectralRadius = v }
        if let v = seed { s.seed = v }
    }
}

/// Input-stream parameters.
struct InputOptions: ParsableArguments {
    @Option(help: "Input: uniform (i.i.d. in ±amplitude), gaussian, onehot (template items held --hold steps), file, none. Default uniform.")
    var input: InputKind?
    @Option(help: "Input amplitude (default 1).") var inputAmplitude: Double?
    @Option(help: "Steps each onehot item is held (default 10).") var hold: Int?
    @Option(help: "Zero-input steps before the first onehot item (default 0).") var burnIn: Int?
    @Option(help: "Input-stream seed (default 7).") var inputSeed: UInt64?
    @Option(help: "Input stream file (.npy [T, nIn] or CSV with nIn columns); implies --input file.", completion: .file(extensions: ["npy", "csv", "txt"])) var inputFile: String?

    func apply(to s: inout InputSpec) {
        if let v = input { s.kind = v }
        if let v = inputAmplitude { s.amplitude = v }
        if let v = hold { s.holdSteps = v }
        if let v = burnIn { s.burnIn = v }
        if let v = inputSeed { s.seed = v }
        if let v = inputFile { s.path = v; s.kind = .file }
    }

    /// Loads the user stream for kind `file`.
    static func source(_ spec: InputSpec, nIn: Int) throws -> InputSource {
        guard spec.kind == .file else { return try InputSource(spec: spec, nIn: nIn) }
        guard let path = spec.path else { return try InputSource(spec: spec, nIn: nIn) }
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else { throw WMError.file(path: path, reason: "input file not found") }
        let values: [Float]
        let cols: Int
        if url.pathExtension.lowercased() == "npy" {
            let a = try NPY.read(url)
            // [T, 1, nIn] is what `simulate --save-network` writes for one trial.
            guard a.shape.count == 1 || a.shape.count == 2 || (a.shape.count == 3 && a.shape[1] == 1) else {
                throw WMError.file(path: path, reason: "input must be [T], [T, nIn] or [T, 1, nIn] (one stream shared by every trial), got shape \(a.shape)"
                                   + (a.shape.count == 3 ? "; a saved run with several trials replays from its input.json (use --load-network alone)" : ""))
            }
            cols = a.shape.count == 1 ? 1 : a.shape[a.shape.count - 1]
            values = try a.floats()
        } else {
            let m = try DelimitedText.readMatrix(url)
            cols = m.cols
            values = m.values.map { Float($0) }
        }
        guard cols == nIn else { throw WMError.file(path: path, reason: "input has \(cols) column(s); the network has nIn = \(nIn)") }
        return try InputSource(spec: spec, nIn: nIn, data: values)
    }
}

/// Parses "0,5,10-20" into neuron indices.
func parseIndexList(_ s: String) throws -> [Int] {
    var out: [Int] = []
    for part in s.split(separator: ",") {
        let p = part.trimmingCharacters(in: .whitespaces)
        if let dash = p.firstIndex(of: "-"), dash != p.startIndex {
            guard let a = Int(p[..<dash]), let b = Int(p[p.index(after: dash)...]), a <= b else {
                throw ValidationError("bad neuron range '\(p)'; write e.g. 0,5,10-20")
            }
            out += Array(a...b)
        } else {
            guard let v = Int(p) else { throw ValidationError("bad neuron index '\(p)'; write e.g. 0,5,10-20") }
            out.append(v)
        }
    }
    return out
}
