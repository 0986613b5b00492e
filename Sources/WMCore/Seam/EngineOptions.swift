/// Options of an engine.
public struct EngineOptions: Sendable, Hashable {
    /// Weight storage.
    public var format: WeightFormat = .auto
    /// Initial states are uniform in [initLow, initHigh) (template: 0…0.1).
    public var initLow: Float = 0
    public var initHigh: Float = 0.1
    /// Steps per chunk (input generated and records downloaded per chunk).
    public var chunkSteps: Int = 256
    /// OpenCL: generate weights on the device (else on the host and upload).
    public var generateOnDevice: Bool = true
    /// OpenCL: run many steps in one launch (work-group per trajectory, state in local memory)
    /// when the state fits. nil = automatic.
    public var fusedSteps: Bool? = nil

    public init() {}

    /// Throws for an invalid option.
    public func validate() throws {
        guard initLow.isFinite, initHigh.isFinite, initLow <= initHigh else {
            throw WMError.invalidParameter(name: "initial state range", value: "[\(initLow), \(initHigh))", expected: "finite bounds with low ≤ high")
        }
        guard chunkSteps >= 1 else { throw WMError.invalidParameter(name: "chunk steps", value: "\(chunkSteps)", expected: "≥ 1") }
    }

    /// Validates the ensemble, the options and any supplied networks; shared by every backend.
    public static func check(ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws {
        try ensemble.validate()
        try options.validate()
        guard input.nIn == ensemble.nIn else {
            throw WMError.invalidParameter(name: "input channels", value: "\(input.nIn)", expected: "nIn = \(ensemble.nIn) of the networks")
        }
        if let given = networks {
            guard given.count == ensemble.count else {
                throw WMError.invalidParameter(name: "networks", value: "\(given.count)", expected: "one per ensemble member (\(ensemble.count))")
            }
            for (m, net) in given.enumerated() { try net.validate(for: ensemble.networks[m], index: m) }
        }
    }
}
