/// How the recurrent connections of a feedback network are drawn.
public enum FeedbackConnectivity: String, Codable, Sendable, CaseIterable {
    /// Exactly round(pg·N²) non-zero entries at uniformly random positions (the reference's
    /// `scipy.sparse.random`), chosen by selection sampling over the N² positions in row order.
    case exactCount = "exact"
    /// Every entry independently with probability pg (wmsim's generator, geometric skips).
    case bernoulli
}

/// A rate network with output feedback, trained by FORCE (docs/training.md §1):
///
///     x ← x + (dt/τ)·(−x + g·J·r + wf·z + wfd·zd + wi·u),   r = tanh(x)
///     z = woᵀ r (main output),  zd = wdᵀ r (two dummy outputs)
///
/// J has values N(0, 1)/√(pg·N); wi ~ N(0, 1)/inputScale [N × 2]; wf [N] and wfd [N × 2]
/// ~ N(0, 1)/fb; x0 = 0.1·N(0, 1); wo and wd start at zero. The defaults are the middle of the
/// reference sweep (g ∈ 0.8…1.5, pg ∈ 0.4…0.9, fb ∈ 1…40) at the reference N, dt and scales.
public struct FeedbackNetworkSpec: Codable, Sendable, Hashable {
    public var n = 1000
    /// Gain of the recurrent weights.
    public var g = 1.2
    /// Recurrent density.
    public var pg = 0.7
    /// Feedback scale: wf and wfd are N(0, 1)/fb.
    public var fb = 10.0
    /// Input scale: wi is N(0, 1)/inputScale.
    public var inputScale = 50.0
    public var dt = 0.1
    public var tau = 1.0
    public var connectivity = FeedbackConnectivity.exactCount
    public var seed: UInt64 = 0

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable { case n, g, pg, fb, inputScale, dt, tau, connectivity, seed }

    /// Decodes a file that names only what differs from the defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&n, .n)
        try c.fill(&g, .g)
        try c.fill(&pg, .pg)
        try c.fill(&fb, .fb)
        try c.fill(&inputScale, .inputScale)
        try c.fill(&dt, .dt)
        try c.fill(&tau, .tau)
        try c.fill(&connectivity, .connectivity)
        try c.fill(&seed, .seed)
    }

    /// Input channels (the 2-D stimulus code) and dummy outputs.
    public static let inputs = 2
    public static let dummies = 2

    /// Recurrent non-zeros of the exact-count draw.
    public var exactCount: Int { Int((pg * Double(n) * Double(n)).rounded()) }

    /// Throws for a spec that cannot define a network.
    public func validate() throws {
        guard n >= 1, n <= 1 << 20 else { throw WMError.invalidParameter(name: "N", value: "\(n)", expected: "1…1048576") }
        guard g.isFinite, g >= 0 else { throw WMError.invalidParameter(name: "g", value: "\(g)", expected: "a finite value ≥ 0") }
        guard pg.isFinite, pg > 0, pg <= 1 else { throw WMError.invalidParameter(name: "pg", value: "\(pg)", expected: "a density in (0, 1]") }
        guard fb.isFinite, fb > 0 else {
            throw WMError.invalidParameter(name: "fb", value: "\(fb)", expected: "a finite feedback scale > 0 (feedback weights are N(0,1)/fb; fb = 0 would divide by zero)")
        }
        guard inputScale.isFinite, inputScale > 0 else { throw WMError.invalidParameter(name: "input scale", value: "\(inputScale)", expected: "a finite value > 0") }
        guard dt.isFinite, tau.isFinite, dt > 0, tau > 0, dt <= tau else {
            throw WMError.invalidParameter(name: "dt/τ", value: "\(dt)/\(tau)", expected: "0 < dt ≤ τ (explicit Euler)")
        }
        guard pg * Double(n) * Double(n) < Double(Int32.max) else {
            throw WMError.invalidParameter(name: "pg·N²", value: "\(Int(pg * Double(n) * Double(n)))", expected: "fewer than 2^31 synapses")
        }
    }
}
