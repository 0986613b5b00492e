
/// What an engine reduces where its states are while it runs (see
/// `SimulationEngine.advance(steps:lagMoments:segmentDone:progress:)`): for every network and every
/// segment of state times, the products of z = [x(t) − c ; u(t−1) − d … u(t−K) − d ; 1] over the
/// segment's rows and trials.
public struct LagMomentsPlan: Sendable {
    /// State times t (of x(t)) of each segment: increasing and disjoint, each with t ≥ `lags`.
    public var segments: [ClosedRange<Int>]
    /// K: targets u(t − k) for k = 1…K.
    public var lags: Int
    /// The target stream `[t][B]` for t = 0 ..< (last segment's end): one input channel per trial.
    public var stream: [Float]
    /// d, subtracted from every target before the products (a value near the stream's mean keeps
    /// the raw sums close to the centred ones).
    public var targetShift: Float

    public init(segments: [ClosedRange<Int>], lags: Int, stream: [Float], targetShift: Float) {
        self.segments = segments
        self.lags = lags
        self.stream = stream
        self.targetShift = targetShift
    }

    /// Throws unless the plan fits `trials` trials and a run over state times `start` … `end`
    /// (the engine is at time `start − 1`: segments must begin after it).
    public func validate(trials: Int, start: Int = 1, end: Int) throws {
        guard lags >= 1 else { throw WMError.invalidParameter(name: "lags", value: "\(lags)", expected: "≥ 1") }
        var previous = Int.min
        for s in segments {
            guard s.lowerBound > previous, s.lowerBound >= lags, s.lowerBound >= start else {
                throw WMError.invalidParameter(name: "moment segments", value: "\(segments)",
                                               expected: "increasing, disjoint state times t ≥ max(\(start), K = \(lags)) (segments must start after the engine's current time)")
            }
            previous = s.upperBound
        }
        if let last = segments.last {
            guard last.upperBound <= end else {
                throw WMError.invalidParameter(name: "moment segments", value: "ending at t = \(last.upperBound)", expected: "within the run (t ≤ \(end))")
            }
            guard stream.count >= last.upperBound * trials else {
                throw WMError.invalidParameter(name: "target stream", value: "\(stream.count) values", expected: "≥ \(last.upperBound) steps × \(trials) trials")
            }
        }
        guard targetShift.isFinite else { throw WMError.invalidParameter(name: "target shift", value: "\(targetShift)", expected: "finite") }
    }
}

/// The device's sums for one network over one segment; the host turns them into centred moments.
public struct RawLagMoments: Sendable, Equatable {
    /// Rows × trials summed.
    public var count: Int
    /// The reference state c [N] (x at the segment's first time, trial 0).
    public var shift: [Float]
    /// Σ z_i z_j, `[N][N + K + 1]` row-major: entries with j ≥ i are filled (the shifted Gram
    /// matrix's upper triangle, then the K cross products with the targets, then Σ (x_i − c_i));
    /// entries with j < i are 0.
    public var products: [Double]

    public init(count: Int, shift: [Float], products: [Double]) {
        self.count = count
        self.shift = shift
        self.products = products
    }
}

extension LagMomentsPlan {
    /// Bytes of the accumulators (one buffer of M·N·(N + K + 1) doubles).
    public static func accumulatorBytes(networks m: Int, n: Int, lags k: Int) -> Int { m * n * (n + k + 1) * 8 }

    /// Device bytes a reduction allocates besides the engine's record buffer: the accumulators,
    /// the M·N reference states and the target stream.
    public static func deviceBytes(networks m: Int, n: Int, lags k: Int, streamValues: Int) -> Int {
        accumulatorBytes(networks: m, n: n, lags: k) + m * n * 4 + streamValues * 4
    }
}
