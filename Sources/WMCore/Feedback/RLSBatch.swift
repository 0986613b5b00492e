/// Recursive least squares for M networks at once, on a backend's device (`Backend.makeRLSBatch`):
/// the hot path of batched FORCE training. Network m has P_m (N × N, I/α at the start) and its
/// readouts W_m (N × outputs, zero at the start); `update` applies
///
///     k = P r,  c = 1/(1 + rᵀk),  P ← P − c·k·kᵀ,  W[:, o] ← W[:, o] − c·e_o·k
///
/// to every network asked to, with its rates r and a-priori errors e. A network whose
/// 1 + rᵀPr is ≤ 0 or not finite, or whose errors are not finite, is left unchanged and reported.
public protocol RLSBatch: AnyObject {
    var networks: Int { get }
    var n: Int { get }
    var outputs: Int { get }
    /// "double" or "float": the precision P and W are kept in.
    var precision: String { get }
    /// One update of every network m with `apply[m]`; rates `[M][N]`, errors `[M][outputs]`.
    /// Returns, per network, nil when the update was applied (or not asked for) or why it was refused.
    func update(rates: [Float], errors: [Double], apply: [Bool]) throws -> [RecursiveLeastSquares.Failure?]
    /// P (whole, `[M][N][N]`) and W (`[M][N][outputs]`), in double.
    func matrices() throws -> (p: [Double], weights: [Double])
}

extension RLSBatch {
    /// Throws unless the arguments of `update` have the batch's shapes.
    public func checkUpdate(rates: [Float], errors: [Double], apply: [Bool]) throws {
        guard rates.count == networks * n, errors.count == networks * outputs, apply.count == networks else {
            throw WMError.invalidParameter(name: "RLS update", value: "\(rates.count) rates, \(errors.count) errors, \(apply.count) flags",
                                           expected: "\(networks * n) rates, \(networks * outputs) errors and \(networks) flags")
        }
    }

    /// Throws for a batch that cannot exist.
    public static func checkShape(networks: Int, n: Int, outputs: Int, alpha: Double) throws {
        guard networks >= 1, n >= 1, outputs >= 1 else {
            throw WMError.invalidParameter(name: "RLS batch", value: "M = \(networks), N = \(n), outputs = \(outputs)", expected: "all ≥ 1")
        }
        guard alpha.isFinite, alpha > 0 else { throw WMError.invalidParameter(name: "α", value: "\(alpha)", expected: "a finite value > 0 (P starts at I/α)") }
    }
}

/// The CPU reference of `RLSBatch`: one `RecursiveLeastSquares` (double) per network.
public final class CPURLSBatch: RLSBatch {
    public let networks: Int, n: Int, outputs: Int
    public let precision = "double"
    private var states: [RecursiveLeastSquares]
    private var weights: [[Double]]

    public init(networks: Int, n: Int, outputs: Int, alpha: Double) throws {
        try Self.checkShape(networks: networks, n: n, outputs: outputs, alpha: alpha)
        self.networks = networks
        self.n = n
        self.outputs = outputs
        states = try (0..<networks).map { _ in try RecursiveLeastSquares(n: n, alpha: alpha) }
        weights = [[Double]](repeating: [Double](repeating: 0, count: n * outputs), count: networks)
    }

    public func update(rates: [Float], errors: [Double], apply: [Bool]) throws -> [RecursiveLeastSquares.Failure?] {
        try checkUpdate(rates: rates, errors: errors, apply: apply)
        var out = [RecursiveLeastSquares.Failure?](repeating: nil, count: networks)
        for m in 0..<networks where apply[m] {
            let r = rates[(m * n)..<((m + 1) * n)].map(Double.init)
            let e = Array(errors[(m * outputs)..<((m + 1) * outputs)])
            do {
                try r.withUnsafeBufferPointer { try states[m].update(rates: $0, errors: e, weights: &weights[m], outputs: outputs) }
            } catch let failure as RecursiveLeastSquares.Failure {
                out[m] = failure
            }
        }
        return out
    }

    public func matrices() throws -> (p: [Double], weights: [Double]) {
        (states.flatMap(\.matrix), weights.flatMap { $0 })
    }
}
