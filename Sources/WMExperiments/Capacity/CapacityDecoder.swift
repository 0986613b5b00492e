import WMCore

/// What a decoder gets to work with once every network has run.
struct DecoderContext {
    var spec: CapacitySpec
    var networks: MeasuredNetworks
    /// Each network's training seed (decoders that train from random initial weights).
    var seeds: [UInt64]
    var backend: any Backend
    var progress: CapacityMeasurement.Progress?
}

/// One decoder's curves over the networks of a run.
struct DecoderOutcome {
    /// One curve per network, nil where the decoder failed (see `warnings`) or the network was dropped.
    var curves: [MemoryCurve?]
    /// Training histories, in network order (decoders that train iteratively).
    var histories: [MLPHistory]? = nil
    var warnings: [String] = []
}

/// How one kind of decoder turns what a run collected into a memory curve per network.
protocol CapacityDecoder: Sendable {
    var kind: DecoderKind { get }
    /// The lags it scores.
    func lags(_ spec: CapacitySpec) -> [Int]
    /// The lags whose targets it needs stored with the states, or nil when the streamed moments
    /// suffice. At most one decoder of a run may store (the stored targets follow its lag order).
    func storedLags(_ spec: CapacitySpec) -> [Int]?
    /// Decodes the networks `active` (indices into `collected`; the others were dropped).
    func decode(_ collected: [CapacityRun.Collected], active: [Int], context: DecoderContext) throws -> DecoderOutcome
}
