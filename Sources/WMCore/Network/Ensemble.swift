/// M networks that share N, nIn and the activation, each run for B independent trials
/// (trial b has its own initial state and input stream). One launch advances all M·B trajectories.
public struct Ensemble: Sendable, Hashable, Codable {
    /// One spec per network (own gains, densities, rule, noise and seed).
    public var networks: [NetworkSpec]
    /// Trials per network.
    public var trials: Int

    public init(networks: [NetworkSpec], trials: Int = 1) {
        self.networks = networks
        self.trials = trials
    }

    /// `count` networks from one spec with seeds `spec.seed, spec.seed+1, …`.
    public init(spec: NetworkSpec, count: Int, trials: Int = 1) {
        self.networks = (0..<Swift.max(count, 0)).map { i in var s = spec; s.seed = spec.seed &+ UInt64(i); return s }
        self.trials = trials
    }

    public var n: Int { networks.first?.n ?? 0 }
    public var nIn: Int { networks.first?.nIn ?? 0 }
    public var count: Int { networks.count }
    public var activation: Activation { networks.first?.activation ?? .tanh }
    /// Number of state values, M·N·B.
    public var stateCount: Int { count * n * trials }

    /// Checks every spec and that the shared properties agree.
    public func validate() throws {
        guard !networks.isEmpty else { throw WMError.invalidParameter(name: "networks", value: "0", expected: "at least one network") }
        guard trials >= 1 else { throw WMError.invalidParameter(name: "trials", value: "\(trials)", expected: "≥ 1") }
        for (i, s) in networks.enumerated() {
            do { try s.validate() } catch let e as WMError {
                throw networks.count == 1 ? e : WMError.incompatibleEnsemble("network \(i): \(e.description)")
            }
            guard s.n == n else { throw WMError.incompatibleEnsemble("network \(i) has N = \(s.n), network 0 has N = \(n); one ensemble shares N") }
            guard s.nIn == nIn else { throw WMError.incompatibleEnsemble("network \(i) has nIn = \(s.nIn), network 0 has \(nIn)") }
            guard s.activation == activation else { throw WMError.incompatibleEnsemble("network \(i) uses \(s.activation), network 0 uses \(activation)") }
        }
        let states = Double(count) * Double(n) * Double(trials)
        guard states < Double(Int32.max) else {
            throw WMError.invalidParameter(name: "M·N·B", value: String(format: "%.3g", states), expected: "fewer than 2^31 state values per ensemble; split it")
        }
    }
}
