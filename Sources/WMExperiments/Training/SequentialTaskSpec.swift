import Foundation
import WMCore

/// The sequential working-memory task ("sequential pattern matching", docs/training.md): two
/// stimuli, each a 2-D code of class 0 or 1 sampled afresh at every step, separated and followed
/// by delays, then a response window in which the main output reports the encoded sum of the two
/// classes. Two dummy outputs hold the current stimulus's class code during each delay. Trials run
/// back to back without reset.
///
/// The defaults are the reference timeline (100/50/100/50/50 steps at dt = 0.1, 350 steps a
/// trial) and the reference sum encoding (sum 0 → 1.0, 1 → 0.5, 2 → 1.5).
public struct SequentialTaskSpec: Codable, Sendable, Hashable {
    /// Steps of each period, in order.
    public var stimulus1 = 100
    public var delay1 = 50
    public var stimulus2 = 100
    public var delay2 = 50
    public var response = 50
    /// Response target for a class sum of 0, 1 and 2.
    public var responseTargets: [Double] = [1.0, 0.5, 1.5]
    /// Mean 2-D code of class 0 and of class 1 (Gaussian clusters). They must not be parallel:
    /// with m₁ = c·m₀ (e.g. m₁ = −m₀) the two dummy targets are proportional at every step, the
    /// two dummy readouts stay identical and the task cannot be learned. The defaults
    /// (1, −0.5) and (0.5, 1) are orthogonal.
    public var classMeans: [[Double]] = [[1.0, -0.5], [0.5, 1.0]]
    /// Standard deviation of each code coordinate around its class mean.
    public var classSpread = 0.2
    /// Codes read from files instead of the Gaussian clusters: an NPY of shape [samples, 2] and an
    /// NPY of [samples] labels (0 or 1). A stimulus step draws a random sample of its class; the
    /// dummy target is the mean of that class's samples.
    public var codesPath: String? = nil
    public var labelsPath: String? = nil

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable { case stimulus1, delay1, stimulus2, delay2, response, responseTargets, classMeans, classSpread, codesPath, labelsPath }

    /// Decodes a file that names only what differs from the defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&stimulus1, .stimulus1)
        try c.fill(&delay1, .delay1)
        try c.fill(&stimulus2, .stimulus2)
        try c.fill(&delay2, .delay2)
        try c.fill(&response, .response)
        try c.fill(&responseTargets, .responseTargets)
        try c.fill(&classMeans, .classMeans)
        try c.fill(&classSpread, .classSpread)
        try c.fill(&codesPath, .codesPath)
        try c.fill(&labelsPath, .labelsPath)
    }

    /// The five periods in trial order.
    public var periods: [TaskPeriod] { TaskPeriod.allCases }

    /// Steps in the period `p`.
    public func steps(_ p: TaskPeriod) -> Int {
        switch p {
        case .stimulus1: return stimulus1
        case .delay1: return delay1
        case .stimulus2: return stimulus2
        case .delay2: return delay2
        case .response: return response
        }
    }

    /// Steps of one trial.
    public var trialSteps: Int { periods.reduce(0) { $0 + steps($1) } }

    /// The period of step `s` (0 ≤ s < trialSteps) of a trial.
    public func period(at s: Int) -> TaskPeriod {
        var end = 0
        for p in periods {
            end += steps(p)
            if s < end { return p }
        }
        return .response
    }

    /// Throws for a timeline, encoding or class layout that cannot define the task.
    public func validate() throws {
        for p in periods {
            let n = steps(p)
            let least = (p == .stimulus1 || p == .stimulus2 || p == .response) ? 1 : 0
            guard n >= least, n <= 1_000_000 else {
                throw WMError.invalidParameter(name: "\(p.rawValue) steps", value: "\(n)", expected: least == 1 ? "1…1000000" : "0…1000000")
            }
        }
        guard responseTargets.count == 3, responseTargets.allSatisfy(\.isFinite) else {
            throw WMError.invalidParameter(name: "response targets", value: "\(responseTargets)", expected: "three finite values, for a class sum of 0, 1 and 2")
        }
        guard classSpread.isFinite, classSpread >= 0 else {
            throw WMError.invalidParameter(name: "class spread", value: "\(classSpread)", expected: "a finite value ≥ 0")
        }
        guard (codesPath == nil) == (labelsPath == nil) else {
            throw WMError.invalidParameter(name: "code files", value: codesPath == nil ? "labels only" : "codes only",
                                           expected: "both a codes NPY [samples, 2] and a labels NPY [samples]")
        }
        if codesPath == nil { try Self.checkMeans(classMeans) }
    }

    /// Throws unless `means` are two finite, non-parallel 2-D vectors.
    static func checkMeans(_ means: [[Double]]) throws {
        guard means.count == 2, means.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isFinite) }) else {
            throw WMError.invalidParameter(name: "class means", value: "\(means)", expected: "two finite 2-D codes, [[x0, y0], [x1, y1]]")
        }
        let a = means[0], b = means[1]
        let det = a[0] * b[1] - a[1] * b[0]
        let scale = (a[0] * a[0] + a[1] * a[1]).squareRoot() * (b[0] * b[0] + b[1] * b[1]).squareRoot()
        guard abs(det) > 1e-6 * Swift.max(scale, 1e-300) else {
            throw WMError.invalidParameter(
                name: "class means", value: "\(means)",
                expected: "two codes that are not parallel (with one a multiple of the other, e.g. its negative, the two dummy targets are proportional and the task cannot be learned)")
        }
    }
}

/// A period of a trial.
public enum TaskPeriod: String, Codable, Sendable, CaseIterable {
    case stimulus1, delay1, stimulus2, delay2, response
}
