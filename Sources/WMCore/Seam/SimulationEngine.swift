/// Advances an ensemble in time on some backend. State layout `[M][N][B]`, index `(m·N + i)·B + b`.
public protocol SimulationEngine: AnyObject {
    /// What runs.
    var ensemble: Ensemble { get }
    /// Steps taken so far (the current state is x(time)).
    var time: Int { get }
    /// The weight format in use.
    var format: WeightFormat { get }
    /// The backend and device.
    var backendInfo: BackendInfo { get }
    /// Advances `steps` steps, handing recorded states to `sink` chunk by chunk and the number of
    /// steps done to `progress`. Throws `WMError.nonFinite` (with step and network) as soon as a
    /// chunk produced a NaN/Inf; the state is then that of the end of the failing chunk.
    func advance(steps: Int, record: RecordRequest?, sink: (RecordedChunk) throws -> Void, progress: ((Int) -> Void)?) throws
    /// The current state, `[M][N][B]`.
    func state() throws -> [Float]
    /// Replaces the current state (`[M][N][B]`); time is unchanged.
    func setState(_ x: [Float]) throws
    /// The networks as the engine holds them (downloaded from the device if needed).
    func networks() throws -> [Network]
    /// Stored recurrent synapses of all networks (for dense storage the non-zero entries).
    func synapseCount() throws -> Int
    /// Whether steps run many to a launch (OpenCL `fused_*` kernels); nil where launches do not apply.
    var fusesSteps: Bool? { get }
    /// Bytes of recurrent weights one step reads, as this engine stores them, when it knows
    /// them better than the format's formula (nil: use the formula, `Throughput.bytesPerStep`).
    var weightBytesPerStep: Double? { get }
    /// Why `advance(steps:lagMoments:…)` cannot run on this engine, or nil when it can.
    var lagMomentsUnavailableReason: String? { get }
    /// Advances `steps` steps and, instead of handing over the states, reduces the products of
    /// `plan` where the states are; when a segment's last time has run, `segmentDone(segment,
    /// perNetwork)` gets its sums. Memory: O(M·N·(N + K)) whatever the run's length. The host
    /// half of this reduction is `SegmentMoments(raw:…)`.
    func advance(steps: Int, lagMoments plan: LagMomentsPlan,
                 segmentDone: (Int, [RawLagMoments]) throws -> Void, progress: ((Int) -> Void)?) throws
}

extension SimulationEngine {
    public var weightBytesPerStep: Double? { nil }

    /// Counts the synapses of the downloaded networks.
    public func synapseCount() throws -> Int {
        try networks().reduce(0) { $0 + $1.recurrent.nnz }
    }

    public var fusesSteps: Bool? { nil }

    /// Engines whose states live in host memory reduce nothing themselves: their recorded states
    /// go to `SegmentMoments.add` (the host half of the reduction).
    public var lagMomentsUnavailableReason: String? {
        "the \(backendInfo.kind) engine keeps its states in host memory; their moments are summed on the host"
    }

    public func advance(steps: Int, lagMoments plan: LagMomentsPlan,
                        segmentDone: (Int, [RawLagMoments]) throws -> Void, progress: ((Int) -> Void)?) throws {
        throw WMError.unsupported("lag moments on the device: " + (lagMomentsUnavailableReason ?? "not implemented by this engine"))
    }

    /// Advances without recording.
    public func advance(steps: Int) throws {
        try advance(steps: steps, record: nil, sink: { _ in }, progress: nil)
    }

    /// Advances and returns all recorded rows concatenated, `[rows][M][B][nRec]`.
    public func run(steps: Int, record: RecordRequest) throws -> RecordedChunk {
        var data: [Float] = []
        var rows = 0
        var first = -1
        try advance(steps: steps, record: record, sink: { c in
            if first < 0 { first = c.firstTime }
            rows += c.rows
            data += c.data
        }, progress: nil)
        return RecordedChunk(firstTime: first < 0 ? time : first, rows: rows, data: data)
    }
}
