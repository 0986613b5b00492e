import WMCore

/// Which networks a capacity measurement measures, resolved once from what the caller has:
/// seeds of one spec (`wmsim capacity`), specs of their own (sweeps, the optimiser), or networks
/// loaded from an archive. Every later step (ensembles, seeds, labels) reads it from here.
public struct MeasuredNetworks: Sendable {
    /// The networks' specs, in measurement order (one N and nIn).
    public let specs: [NetworkSpec]
    /// Networks supplied ready-made, used instead of generating them from `specs`.
    public let given: [Network]?
    /// How warnings name each network.
    public let labels: [String]

    /// `spec.networks` networks of `spec.network`, with seeds s, s + 1, ….
    public init(_ spec: CapacitySpec) {
        self.init(specs: Ensemble(spec: spec.network, count: spec.networks).networks)
    }

    /// Networks generated from `specs`; `labels` default to "network seed S".
    public init(specs: [NetworkSpec], labels: [String]? = nil) {
        self.specs = specs
        given = nil
        self.labels = labels ?? specs.map { "network seed \($0.seed)" }
    }

    /// Networks measured as given (e.g. loaded from a saved archive).
    public init(given: [Network]) throws {
        guard !given.isEmpty else { throw WMError.invalidParameter(name: "networks", value: "[]", expected: "at least one network") }
        specs = given.map(\.spec)
        self.given = given
        labels = specs.map { "network seed \($0.seed)" }
    }

    public var count: Int { specs.count }
    /// Neurons per network (0 when there are none).
    public var n: Int { specs.first?.n ?? 0 }
    public var seeds: [UInt64] { specs.map(\.seed) }

    /// The ensemble of networks `ids` with `trials` trials each.
    public func ensemble(_ ids: [Int]? = nil, trials: Int) -> Ensemble {
        Ensemble(networks: (ids ?? Array(specs.indices)).map { specs[$0] }, trials: trials)
    }

    /// The given networks `ids` (nil when the networks are generated).
    public func given(_ ids: [Int]) -> [Network]? { given.map { g in ids.map { g[$0] } } }
}
