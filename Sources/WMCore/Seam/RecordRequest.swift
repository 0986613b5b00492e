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
