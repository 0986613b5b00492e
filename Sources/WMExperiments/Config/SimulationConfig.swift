import Foundation
import WMCore

/// A simulation described in a JSON or TOML file (`wmsim simulate --config FILE`). Every key is
/// optional; command-line flags override the file. Unknown keys are errors (typos lose runs).
///
/// ```toml
/// networks = 4          # ensemble size; seeds network.seed, +1, +2, …
/// trials = 2
/// steps = 5000
/// format = "auto"       # auto | dense | ell | csr | procedural
/// recordEvery = 10
/// recordNeurons = [0, 1, 2]
/// initLow = 0.0
/// initHigh = 0.1
/// [network]
/// n = 2000
/// g = 1.2
/// rule = "leaky"
/// [input]
/// kind = "onehot"
/// holdSteps = 50
/// ```
public struct SimulationConfig: Codable, Sendable, Equatable {
    public var network = NetworkSpec()
    public var input = InputSpec()
    public var networks = 1
    public var trials = 1
    public var steps = 1000
    public var format = WeightFormat.auto
    /// Precision of the stored recurrent weights.
    public var weightPrecision = WeightPrecision.fp32
    public var recordEvery = 1
    public var recordNeurons: [Int]? = nil
    public var initLow: Float = 0
    public var initHigh: Float = 0.1

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case network, input, networks, trials, steps, format, weightPrecision, recordEvery, recordNeurons, initLow, initHigh
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&network, .network)
        try c.fill(&input, .input)
        try c.fill(&networks, .networks)
        try c.fill(&trials, .trials)
        try c.fill(&steps, .steps)
        try c.fill(&format, .format)
        try c.fill(&weightPrecision, .weightPrecision)
        try c.fill(&recordEvery, .recordEvery)
        recordNeurons = try c.decodeIfPresent([Int].self, forKey: .recordNeurons)
        try c.fill(&initLow, .initLow)
        try c.fill(&initHigh, .initHigh)
    }

    /// Reads a `.json` or `.toml` file.
    public static func load(_ url: URL) throws -> SimulationConfig {
        try ConfigFile.decode(SimulationConfig.self, from: url, allowed: [
            "": Set(CodingKeys.allCases.map(\.rawValue)),
            "network": Set(NetworkSpec.CodingKeys.allCases.map(\.rawValue)),
            "input": Set(InputSpec.CodingKeys.allCases.map(\.rawValue)),
        ])
    }
}
