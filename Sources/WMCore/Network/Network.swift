/// A generated (or loaded) network: recurrent weights, input weights and the spec they came from.
public struct Network: Sendable, Equatable {
    /// The spec; for loaded networks N and nIn come from the files.
    public var spec: NetworkSpec
    /// Recurrent weights J (N × N), already scaled by g/√(N·sp).
    public var recurrent: CSRMatrix
    /// Input weights Jin (N × nIn), row-major, already scaled by gIn/√(nIn·spIn).
    public var input: [Float]
    /// Extra factor on J (exact spectral-radius rescaling); 1 otherwise. Effective J = gain · recurrent.
    public var recurrentGain: Float

    public init(spec: NetworkSpec, recurrent: CSRMatrix, input: [Float], recurrentGain: Float = 1) {
        self.spec = spec
        self.recurrent = recurrent
        self.input = input
        self.recurrentGain = recurrentGain
    }

    /// Checks that this network fits `spec` (N, nIn) and that its arrays are consistent and finite.
    public func validate(for spec: NetworkSpec, index: Int) throws {
        let what = "network \(index)"
        guard recurrent.rows == spec.n, recurrent.cols == spec.n else {
            throw WMError.incompatibleEnsemble("\(what) has J of size \(recurrent.rows)×\(recurrent.cols); the ensemble has N = \(spec.n)")
        }
        guard input.count == spec.n * spec.nIn else {
            throw WMError.incompatibleEnsemble("\(what) has \(input.count) input weights; N·nIn = \(spec.n * spec.nIn)")
        }
        guard recurrentGain.isFinite else { throw WMError.invalidParameter(name: "\(what) gain", value: "\(recurrentGain)", expected: "a finite gain") }
        guard input.allSatisfy(\.isFinite) else { throw WMError.invalidParameter(name: "\(what) Jin", value: "non-finite", expected: "finite weights") }
        try recurrent.validate(name: "\(what) J")
    }

    /// J with the gain folded in (what the dynamics use).
    public var effectiveRecurrent: CSRMatrix {
        var m = recurrent
        if recurrentGain != 1 { m.values = m.values.map { $0 * recurrentGain } }
        return m
    }
}
