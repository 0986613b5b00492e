import Foundation
import WMCore

/// How a trained network holds its memory, by the reference's post-hoc rule (docs/analysis.md §2).
public enum Mechanism: String, Codable, Sendable, CaseIterable {
    /// Every start settles and the settled outputs take at least 6 distinct values.
    case fixedPoints = "fixed points"
    /// Every start settles on fewer than 6 distinct outputs.
    case slowManifold = "slow manifold"
    /// Not settled, and every start's mean output differs (chaos lands here too).
    case limitCycle = "limit cycle"
    /// Not settled, some mean output beyond ±4 (the largest encoding 1.5 + 2.5).
    case far
    /// Not settled otherwise.
    case mixed
}

/// The second, noiseless classifier: the 4 trial-end states only.
public enum NoiselessMechanism: String, Codable, Sendable {
    /// Settled on at least 3 distinct outputs (rounded to 2 decimals).
    case fixed
    /// Settled on fewer.
    case manifold
    /// Not settled.
    case unsettled
}

/// The thresholds and sizes of the classification; the defaults are the reference's.
public struct ClassificationOptions: Codable, Sendable, Hashable {
    /// Perturbed copies of each of the 5 base states (the origin and the 4 trial-end states).
    public var copies = 20
    /// Standard deviation of the Gaussian perturbation of every copy.
    public var noise = 0.5
    /// Input-free steps (50 trial lengths).
    public var steps = 17_500
    /// Steps at the end over which the mean and variance of z are taken.
    public var window = 700
    /// Settled: every start's variance of z over the window below this.
    public var settledVariance = 1e-9
    /// Final outputs are compared after rounding to this many decimals.
    public var decimals = 4
    /// "fixed points" from this many distinct settled outputs on.
    public var fixedPointsMinimum = 6
    /// "far" beyond ±this mean output.
    public var farBound = 4.0
    /// The noiseless classifier's variance bound, decimals and minimum.
    public var noiselessVariance = 1e-6
    public var noiselessDecimals = 2
    public var noiselessMinimum = 3
    /// Steps of the autonomous run at which ‖dx/dt‖ is measured from the 4 trial-end states.
    public var slownessSteps = [0, 350, 1750, 3500, 7000, 10500, 14000, 17499]
    /// Seed of the perturbations (Philox stream `analysisStart`).
    public var seed: UInt64 = 0

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case copies, noise, steps, window, settledVariance, decimals, fixedPointsMinimum, farBound
        case noiselessVariance, noiselessDecimals, noiselessMinimum, slownessSteps, seed
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&copies, .copies); try c.fill(&noise, .noise); try c.fill(&steps, .steps); try c.fill(&window, .window)
        try c.fill(&settledVariance, .settledVariance); try c.fill(&decimals, .decimals); try c.fill(&fixedPointsMinimum, .fixedPointsMinimum)
        try c.fill(&farBound, .farBound); try c.fill(&noiselessVariance, .noiselessVariance); try c.fill(&noiselessDecimals, .noiselessDecimals)
        try c.fill(&noiselessMinimum, .noiselessMinimum); try c.fill(&slownessSteps, .slownessSteps); try c.fill(&seed, .seed)
    }

    public func validate() throws {
        func bad(_ name: String, _ v: Any, _ e: String) -> WMError { .invalidParameter(name: name, value: "\(v)", expected: e) }
        guard copies >= 1, copies <= 10_000 else { throw bad("copies", copies, "1…10000") }
        guard noise.isFinite, noise >= 0 else { throw bad("noise", noise, "a finite value ≥ 0") }
        guard steps >= 1, steps <= 100_000_000 else { throw bad("steps", steps, "1…100000000") }
        guard window >= 2, window <= steps else { throw bad("window", window, "2…steps (a variance needs two values)") }
        guard settledVariance.isFinite, settledVariance > 0, noiselessVariance.isFinite, noiselessVariance > 0 else {
            throw bad("settled variance", "\(settledVariance), \(noiselessVariance)", "finite values > 0")
        }
        guard (0...12).contains(decimals), (0...12).contains(noiselessDecimals) else { throw bad("decimals", "\(decimals), \(noiselessDecimals)", "0…12") }
        guard fixedPointsMinimum >= 1, noiselessMinimum >= 1 else { throw bad("distinct minimum", "\(fixedPointsMinimum), \(noiselessMinimum)", "≥ 1") }
        guard farBound.isFinite, farBound > 0 else { throw bad("far bound", farBound, "a finite value > 0") }
        guard slownessSteps.allSatisfy({ $0 >= 0 && $0 <= steps }) else { throw bad("slowness steps", slownessSteps, "steps within 0…\(steps)") }
    }
}

/// What the classification found for one network.
public struct MechanismResult: Codable, Sendable {
    public var mechanism: Mechanism
    /// Distinct final outputs of the perturbed starts (rounded to `decimals`): the n of the
    /// reference's labels `fixedPoint{n}` / `manifoldFps{n}`.
    public var distinct: Int
    /// The largest variance of z over the window, over the perturbed starts.
    public var maxVariance: Double
    /// Per perturbed start (base-major: origin, then the 4 trial-end states, `copies` each): the
    /// mean and the final value of z.
    public var meanOutput: [Double]
    public var finalOutput: [Double]
    public var noiseless: NoiselessMechanism
    public var noiselessDistinct: Int
    /// The final z of the 4 noiseless starts.
    public var noiselessFinalOutput: [Double]
    /// ‖dx/dt‖ = ‖F(x)‖ from each trial-end state ([4][slownessSteps]).
    public var slowness: [[Double]]
    public var seconds: Double
}

/// The post-hoc classification of §3.5 (docs/analysis.md §2), all starts in one batch.
public enum MechanismClassifier {
    /// The perturbed starts, base-major: `copies` copies each of the origin and the trial-end
    /// states, plus N(0, noise²) per neuron (Philox, stream `analysisStart`, counter (start, neuron)).
    public static func starts(n: Int, trialEndStates: [[Double]], options o: ClassificationOptions) -> [[Double]] {
        let bases = [[Double](repeating: 0, count: n)] + trialEndStates
        let philox = Philox4x32(seed: o.seed)
        var out: [[Double]] = []
        for (k, base) in bases.enumerated() {
            for c in 0..<o.copies {
                let s = UInt32(k * o.copies + c)
                out.append((0..<n).map { i in
                    let w = philox.block(s, UInt32(i), 0, RandomStream.analysisStart.rawValue)
                    return base[i] + o.noise * Double(RandomBits.normal(w.0, w.1))
                })
            }
        }
        return out
    }

    /// Distinct values after rounding to `decimals`.
    static func distinct(_ v: [Double], decimals: Int) -> Int {
        let scale = Foundation.pow(10.0, Double(decimals))
        return Set(v.map { ($0 * scale).rounded() / scale }).count
    }

    /// Classifies `model` from its 4 trial-end states, running every start on `ops`.
    public static func classify(_ model: ClosedLoopModel, trialEndStates: [[Double]], options o: ClassificationOptions = ClassificationOptions(),
                                ops: any DenseOps, progress: ((Int, Int) -> Void)? = nil) throws -> MechanismResult {
        try o.validate()
        guard trialEndStates.count == 4, trialEndStates.allSatisfy({ $0.count == model.n && $0.allSatisfy(\.isFinite) }) else {
            throw WMError.invalidParameter(name: "trial-end states", value: "\(trialEndStates.count) state(s)", expected: "4 finite states of N = \(model.n)")
        }
        let t0 = Date()
        let noisy = starts(n: model.n, trialEndStates: trialEndStates, options: o)
        let all = noisy + trialEndStates
        let b = all.count, p = noisy.count, n = model.n
        let sim = try ClosedLoopSimulator(model: model, trajectories: b, ops: ops)
        try sim.setStates(all.flatMap { $0 })
        var sum = [Double](repeating: 0, count: b), sumSq = [Double](repeating: 0, count: b), last = [Double](repeating: 0, count: b)
        var slowness = [[Double]](repeating: [], count: 4)
        func measureSlowness() throws {
            let x = try sim.states()
            for k in 0..<4 {
                let state = (0..<n).map { Double(x[(p + k) * n + $0]) }
                slowness[k].append(model.flow(state).reduce(0) { $0 + $1 * $1 }.squareRoot())
            }
        }
        if o.slownessSteps.contains(0) { try measureSlowness() }
        let windowStart = o.steps - o.window
        // z is averaged about its first value in the window, which keeps the variance exact when
        // z is large and nearly constant.
        var shift = [Double](repeating: 0, count: b)
        try sim.run(o.steps, observeStep: { s in s >= windowStart || o.slownessSteps.contains(s + 1) || s % 350 == 349 }) { s in
            if s % 350 == 349 { progress?(s + 1, o.steps) }
            if o.slownessSteps.contains(s + 1) { try measureSlowness() }
            guard s >= windowStart else { return }
            let z = try sim.outputs()
            for j in 0..<b {
                let v = Double(z[3 * j])
                if s == windowStart { shift[j] = v }
                sum[j] += v - shift[j]
                sumSq[j] += (v - shift[j]) * (v - shift[j])
                last[j] = v
            }
        }
        let w = Double(o.window)
        let mean = (0..<b).map { shift[$0] + sum[$0] / w }
        let variance = (0..<b).map { Swift.max(0, (sumSq[$0] - sum[$0] * sum[$0] / w) / (w - 1)) }

        let meanP = Array(mean[0..<p]), finalP = Array(last[0..<p]), varP = Array(variance[0..<p])
        let maxVar = varP.max() ?? 0
        let nDistinct = distinct(finalP, decimals: o.decimals)
        let mechanism: Mechanism
        if varP.allSatisfy({ $0 < o.settledVariance }) {
            mechanism = nDistinct >= o.fixedPointsMinimum ? .fixedPoints : .slowManifold
        } else if Set(meanP).count == p {
            mechanism = .limitCycle
        } else if (meanP.max() ?? 0) > o.farBound || (meanP.min() ?? 0) < -o.farBound {
            mechanism = .far
        } else {
            mechanism = .mixed
        }
        let finalQ = Array(last[p..<b]), varQ = Array(variance[p..<b])
        let qDistinct = distinct(finalQ, decimals: o.noiselessDecimals)
        let noiseless: NoiselessMechanism = varQ.allSatisfy({ $0 < o.noiselessVariance }) ? (qDistinct >= o.noiselessMinimum ? .fixed : .manifold) : .unsettled
        return MechanismResult(mechanism: mechanism, distinct: nDistinct, maxVariance: maxVar, meanOutput: meanP, finalOutput: finalP,
                               noiseless: noiseless, noiselessDistinct: qDistinct, noiselessFinalOutput: finalQ, slowness: slowness,
                               seconds: Date().timeIntervalSince(t0))
    }
}
