/// The input stream that drives a network.
public enum InputKind: String, Codable, Sendable, CaseIterable {
    /// i.i.d. uniform in [−amplitude, amplitude) on every channel (24-bit resolution).
    case uniform
    /// i.i.d. Gaussian with standard deviation `amplitude` on every channel.
    case gaussian
    /// The template's task: items drawn uniformly from 1…nIn, one-hot (value `amplitude`) over
    /// the nIn channels, each held for `holdSteps` steps, after `burnIn` steps of zero input.
    case onehot
    /// A user-supplied stream (NPY or CSV), `[T, nIn]`; trials share it.
    case file
    /// No input at all.
    case none
}

/// Where the input comes from. The stream depends on `seed`, the step t and the trial b only,
/// so every network of an ensemble sees the same input in trial b (common random numbers).
public struct InputSpec: Codable, Sendable, Hashable {
    public var kind: InputKind = .uniform
    /// Scale: half-width (uniform), s.d. (gaussian) or item value (onehot).
    public var amplitude: Double = 1
    /// Steps each item is held (onehot).
    public var holdSteps: Int = 10
    /// Steps of zero input before the first item (onehot).
    public var burnIn: Int = 0
    /// Seed of the input stream.
    public var seed: UInt64 = 7
    /// File with a user stream (kind `file`).
    public var path: String? = nil

    public init(kind: InputKind = .uniform, amplitude: Double = 1, seed: UInt64 = 7) {
        self.kind = kind
        self.amplitude = amplitude
        self.seed = seed
    }

    public enum CodingKeys: String, CodingKey, CaseIterable { case kind, amplitude, holdSteps, burnIn, seed, path }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&kind, .kind)
        try c.fill(&amplitude, .amplitude)
        try c.fill(&holdSteps, .holdSteps)
        try c.fill(&burnIn, .burnIn)
        try c.fill(&seed, .seed)
        path = try c.decodeIfPresent(String.self, forKey: .path)
    }

    /// Throws for values out of range.
    public func validate() throws {
        guard amplitude.isFinite, amplitude >= 0 else {
            throw WMError.invalidParameter(name: "input amplitude", value: "\(amplitude)", expected: "a finite value ≥ 0")
        }
        guard holdSteps >= 1 else {
            throw WMError.invalidParameter(name: "holdSteps", value: "\(holdSteps)", expected: "≥ 1")
        }
        guard burnIn >= 0 else {
            throw WMError.invalidParameter(name: "burnIn", value: "\(burnIn)", expected: "≥ 0")
        }
        if kind == .file && (path ?? "").isEmpty {
            throw WMError.invalidParameter(name: "input path", value: "none", expected: "a file for input kind 'file'")
        }
    }
}
