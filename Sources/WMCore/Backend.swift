/// Which compute backend and device ran something (recorded in every output).
public struct BackendInfo: Codable, Sendable, Hashable {
    /// "cpu" or "opencl".
    public var kind: String
    /// Device name (CPU model or OpenCL device).
    public var device: String
    /// OpenCL platform, if any.
    public var platform: String?
    /// Free-form details (driver, compute units, build options).
    public var details: String?

    public init(kind: String, device: String, platform: String? = nil, details: String? = nil) {
        self.kind = kind
        self.device = device
        self.platform = platform
        self.details = details
    }
}

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

/// Which states to keep while running.
public struct RecordRequest: Sendable, Hashable {
    /// Keep x(t) for t = every, 2·every, … (t counts steps taken; x(0) is the initial state).
    public var every: Int
    /// Neuron indices to keep (nil: all).
    public var neurons: [Int]?

    public init(every: Int = 1, neurons: [Int]? = nil) {
        self.every = every
        self.neurons = neurons
    }

    /// Throws for an invalid request against N neurons.
    public func validate(n: Int) throws {
        guard every >= 1 else { throw WMError.invalidParameter(name: "record every", value: "\(every)", expected: "≥ 1") }
        if let idx = neurons {
            guard !idx.isEmpty else { throw WMError.invalidParameter(name: "recorded neurons", value: "[]", expected: "at least one neuron") }
            for i in idx where i < 0 || i >= n {
                throw WMError.invalidParameter(name: "recorded neuron", value: "\(i)", expected: "an index in 0..<\(n)")
            }
        }
    }

    /// The number of neurons recorded out of n.
    public func width(n: Int) -> Int { neurons?.count ?? n }
}

/// States recorded during one chunk: `rows` rows of `[M][B][nRec]`, the first being x(firstTime).
public struct RecordedChunk: Sendable {
    public var firstTime: Int
    public var rows: Int
    public var data: [Float]

    public init(firstTime: Int, rows: Int, data: [Float]) {
        self.firstTime = firstTime
        self.rows = rows
        self.data = data
    }
}

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
}

extension SimulationEngine {
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

/// A compute backend: builds engines for ensembles.
public protocol Backend: AnyObject {
    /// Backend and device.
    var info: BackendInfo { get }
    /// An engine for `ensemble`, with the given networks (or generated from the specs when nil),
    /// driven by `input`. Checks memory before allocating.
    func makeEngine(ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws -> any SimulationEngine
}
