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
    /// Precision of the stored recurrent weights (`WeightPrecision`); fp32 unless asked.
    public var weightPrecision: WeightPrecision = .fp32
    /// OpenCL `ell`: rows are sorted by length within windows of this many rows (`SELLLayout`;
    /// 1: no sorting). Moves bytes, never results.
    public var sellSigma: Int = SELLLayout.defaultSigma

    public init() {}

    /// Throws for an invalid option.
    public func validate() throws {
        guard initLow.isFinite, initHigh.isFinite, initLow <= initHigh else {
            throw WMError.invalidParameter(name: "initial state range", value: "[\(initLow), \(initHigh))", expected: "finite bounds with low ≤ high")
        }
        guard chunkSteps >= 1 else { throw WMError.invalidParameter(name: "chunk steps", value: "\(chunkSteps)", expected: "≥ 1") }
        guard sellSigma >= 1 else { throw WMError.invalidParameter(name: "SELL sorting window σ", value: "\(sellSigma)", expected: "≥ 1 row (1: no sorting)") }
        if weightPrecision != .fp32 && format == .procedural {
            throw WMError.invalidParameter(name: "weight precision", value: "\(weightPrecision.rawValue) with --format procedural",
                                           expected: "fp32: procedural weights are regenerated, not stored, so there is nothing to store in 16 bits; use a stored format (ell, csr, dense)")
        }
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
