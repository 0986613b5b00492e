import Foundation
import WMCore

/// How fixed and slow points are searched (docs/analysis.md §3).
///
/// Convention: q(x) = ½‖F(x)‖², F the flow (dx/dt in units of 1/τ), summed over the N
/// dimensions. FixedPointFinder's q on the discrete map is (dt/τ)²·q here.
public struct FixedPointOptions: Codable, Sendable, Hashable {
    /// Adam iterations at most, on the device in float32.
    public var iterations = 5000
    public var learningRate = 0.01
    /// Iterations between convergence checks (q of every start on the host).
    public var checkEvery = 100
    /// Stop when every start's q is below `tolQ` or no start's q moved by more than `tolDQ`
    /// (relative) since the last check.
    public var tolQ = 1e-12
    public var tolDQ = 1e-6
    /// Candidates with q (in double, after refinement) below this are fixed points; below
    /// `slowQ` slow points; others are reported as unconverged.
    public var slowQ = 1e-4
    /// Newton iterations in double on each candidate (from float32 Adam to tolQ); 0 turns it off.
    public var newtonIterations = 8
    /// Points closer than this (Euclidean) are one point; the lower q is kept.
    public var uniqueDistance = 1e-3
    /// Points farther from the starts' centroid than this × their mean distance are outliers.
    public var outlierFactor = 10.0
    /// Eigenvalues with |Re λ| below this are slow directions (time constant above 1/this, in τ;
    /// the default is one trial, 35 τ).
    public var slowRate = 1.0 / 35
    /// Trajectory samples (with replacement) added to the classification starts, each + N(0, noise²).
    public var trajectorySamples = 256
    public var noise = 0.5
    public var seed: UInt64 = 0

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case iterations, learningRate, checkEvery, tolQ, tolDQ, slowQ, newtonIterations, uniqueDistance, outlierFactor, slowRate, trajectorySamples, noise, seed
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&iterations, .iterations); try c.fill(&learningRate, .learningRate); try c.fill(&checkEvery, .checkEvery)
        try c.fill(&tolQ, .tolQ); try c.fill(&tolDQ, .tolDQ); try c.fill(&slowQ, .slowQ); try c.fill(&newtonIterations, .newtonIterations)
        try c.fill(&uniqueDistance, .uniqueDistance); try c.fill(&outlierFactor, .outlierFactor); try c.fill(&slowRate, .slowRate)
        try c.fill(&trajectorySamples, .trajectorySamples); try c.fill(&noise, .noise); try c.fill(&seed, .seed)
    }

    public func validate() throws {
        func bad(_ n: String, _ v: Any, _ e: String) -> WMError { .invalidParameter(name: n, value: "\(v)", expected: e) }
        guard iterations >= 1, iterations <= 10_000_000 else { throw bad("iterations", iterations, "1…10000000") }
        guard learningRate.isFinite, learningRate > 0 else { throw bad("learning rate", learningRate, "a finite value > 0") }
        guard checkEvery >= 1 else { throw bad("check every", checkEvery, "≥ 1") }
        guard tolQ.isFinite, tolQ > 0, slowQ.isFinite, slowQ >= tolQ, tolDQ.isFinite, tolDQ >= 0 else {
            throw bad("tolerances", "tolQ \(tolQ), slowQ \(slowQ), tolDQ \(tolDQ)", "0 < tolQ ≤ slowQ, tolDQ ≥ 0")
        }
        guard newtonIterations >= 0, newtonIterations <= 100 else { throw bad("Newton iterations", newtonIterations, "0…100") }
        guard uniqueDistance.isFinite, uniqueDistance >= 0, outlierFactor.isFinite, outlierFactor > 0, slowRate.isFinite, slowRate > 0 else {
            throw bad("filters", "unique \(uniqueDistance), outlier \(outlierFactor), slow rate \(slowRate)", "finite, ≥ 0, > 0, > 0")
        }
        guard trajectorySamples >= 0, noise.isFinite, noise >= 0 else { throw bad("starts", "\(trajectorySamples), noise \(noise)", "samples ≥ 0, noise ≥ 0") }
    }
}

/// One fixed or slow point and its linearisation.
public struct FixedPoint: Codable, Sendable {
    /// q = ½‖F(x)‖² at the point (double).
    public var q: Double
    /// Fixed (q ≤ tolQ) or slow (q ≤ slowQ).
    public var isFixed: Bool
    /// The readouts (z, zd₁, zd₂) at the point.
    public var outputs: [Double]
    /// Starts that converged here.
    public var starts: Int
    /// Largest real part of the Jacobian's eigenvalues; stable when negative.
    public var maxRealPart: Double
    public var stable: Bool
    /// Eigenvalues with |Re λ| < slowRate.
    public var slowDirections: Int
    /// The slowest time constant −1/Re λ of the stable directions, in τ.
    public var slowestTimeConstant: Double?
    /// The 10 eigenvalues with the largest real part, [re, im].
    public var leadingEigenvalues: [[Double]]
    /// The point, [N]: not in the JSON row (written as NPY beside it).
    public var state: [Double] = []

    enum CodingKeys: String, CodingKey {
        case q, isFixed, outputs, starts, maxRealPart, stable, slowDirections, slowestTimeConstant, leadingEigenvalues
    }
}

/// What a search found for one network: the points, and every start that did not converge.
public struct FixedPointResult: Codable, Sendable {
    public var convention = "q = ½‖F(x)‖², F = dx/dt (flow, 1/τ), summed over neurons"
    public var starts: Int
    public var iterations: Int
    public var points: [FixedPoint]
    /// Starts whose q stayed above slowQ (index, q).
    public var unconverged: [[Double]]
    /// Candidates dropped as outliers, and as duplicates of a point.
    public var outliers: Int
    public var duplicates: Int
    public var seconds: Double
}

/// Minimises q(x) = ½‖F(x)‖² from many starts at once on a backend's dense ops (Adam, float32,
/// one GEMM per product for all starts, or per part of them on host BLAS), then refines each candidate by Newton steps in double
/// on the host, filters, merges, and linearises (docs/analysis.md §3).
public enum FixedPointSearch {
    public static func run(_ model: ClosedLoopModel, starts: [[Double]], options o: FixedPointOptions = FixedPointOptions(),
                           ops: any DenseOps, progress: ((Int, Int) -> Void)? = nil) throws -> FixedPointResult {
        try o.validate()
        let n = model.n, b = starts.count
        guard b >= 1, starts.allSatisfy({ $0.count == n && $0.allSatisfy(\.isFinite) }) else {
            throw WMError.invalidParameter(name: "starts", value: "\(b)", expected: "at least one finite start of N = \(n)")
        }
        let t0 = Date()
        let (xs, it) = try minimise(model, starts: starts, options: o, ops: ops, stopEarly: true, progress: progress)

        // Refine in double; classify every start. Starts and points are independent LAPACK
        // problems, solved side by side (HostWorkers).
        let workers = linearisationWorkers(n: n)
        let refined = try HostWorkers.map(b, workers: workers) { k in
            refine(model, (0..<n).map { Double(xs[k * n + $0]) }, options: o)
        }
        var candidates: [(x: [Double], q: Double, start: Int)] = []
        var unconverged: [[Double]] = []
        for (k, r) in refined.enumerated() {
            if r.q <= o.slowQ { candidates.append((r.x, r.q, k)) } else { unconverged.append([Double(k), r.q]) }
        }
        // Outliers: far from the starts' centroid.
        let centroid = (0..<n).map { i in starts.reduce(0.0) { $0 + $1[i] } / Double(b) }
        func distance(_ a: [Double], _ c: [Double]) -> Double { zip(a, c).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        let meanStart = starts.reduce(0.0) { $0 + distance($1, centroid) } / Double(b)
        // With (nearly) identical starts there is no scale to call a point far: no outliers then.
        let kept = meanStart < 1e-9 ? candidates : candidates.filter { distance($0.x, centroid) <= o.outlierFactor * meanStart }
        let outliers = candidates.count - kept.count
        // Uniqueness: lowest q first; a candidate within uniqueDistance of a kept point joins it.
        var unique: [(x: [Double], q: Double, count: Int)] = []
        for c in kept.sorted(by: { $0.q < $1.q }) {
            if let j = unique.firstIndex(where: { distance($0.x, c.x) < o.uniqueDistance }) { unique[j].count += 1 } else { unique.append((c.x, c.q, 1)) }
        }
        let merged = unique
        let points = try HostWorkers.map(merged.count, workers: workers) { i in
            try linearise(model, merged[i].x, q: merged[i].q, starts: merged[i].count, options: o)
        }
        return FixedPointResult(starts: b, iterations: it, points: points, unconverged: unconverged, outliers: outliers,
                                duplicates: kept.count - unique.count, seconds: Date().timeIntervalSince(t0))
    }

    /// Newton refinement and linearisation run this many points side by side, each holding one
    /// N×N double Jacobian (which LAPACK factorises in place).
    public static func linearisationWorkers(n: Int) -> Int { HostWorkers.count(bytesPerWorker: 8 * n * n) }

    /// What a search from `b` starts at N = `n` holds: W_effᵀ and six B×N float32 matrices on the
    /// device; the model, the starts and one N×N double Jacobian per linearisation worker on the host.
    public static func memory(n: Int, starts b: Int) -> RunMemoryEstimate {
        let nd = Double(n), bd = Double(b), P = RunMemoryEstimate.Part.self, jd = Double(linearisationWorkers(n: n))
        return RunMemoryEstimate([
            P.init("fixed-point Adam state (6 × starts × N floats + W_eff)", device: P.bytes(4 * (6 * bd * nd + nd * nd)),
                   largestBuffer: P.bytes(4 * Swift.max(bd, nd) * nd), remedy: "fewer starts (--fp-samples) or a smaller N"),
            P.init("closed-loop model, starts and \(Int(jd)) Jacobian(s) (double)", host: P.bytes(8 * ((1 + jd) * nd * nd + 2 * bd * nd)),
                   remedy: "a smaller N"),
        ])
    }

    /// The Adam phase alone: minimises q from every start (float32 on `ops`) and returns
    /// the final states [B·N] and the iterations taken. With `stopEarly` false it runs exactly
    /// `options.iterations` iterations (the convergence checks still download q every
    /// `checkEvery`, as in a search), which is what workload P of `wmsim bench` times.
    ///
    /// Starts are independent rows, so they run in the parts the ops prefers
    /// (`DenseOps.sideBySideParts`: one per core on host BLAS, one launch on a device), each part
    /// `checkEvery` iterations at a time between the checks; `parts` overrides that (tests).
    public static func minimise(_ model: ClosedLoopModel, starts: [[Double]], options o: FixedPointOptions, ops: any DenseOps,
                                stopEarly: Bool, parts: Int? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> (states: [Float], iterations: Int) {
        let n = model.n, b = starts.count
        var wt = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { wt[j * n + i] = Float(model.weff[i * n + j]) } }
        let WT = try ops.upload(wt, rows: n, cols: n)
        let count = Swift.max(1, Swift.min(parts ?? ops.sideBySideParts(rows: b), b))
        let bounds = (0...count).map { $0 * b / count }
        let state: [AdamRows] = try (0..<count).map { p in
            let rows = bounds[p + 1] - bounds[p]
            let x = try ops.upload(starts[bounds[p]..<bounds[p + 1]].flatMap { $0.map { Float($0) } }, rows: rows, cols: n)
            let s = AdamRows(x: x, r: try ops.allocate(rows: rows, cols: n), f: try ops.allocate(rows: rows, cols: n),
                             g: try ops.allocate(rows: rows, cols: n), m: try ops.allocate(rows: rows, cols: n), v: try ops.allocate(rows: rows, cols: n))
            try ops.activation(s.x, .tanh, into: s.r)
            return s
        }
        let lr = o.learningRate
        // F = tanh(X)·W_effᵀ − X;  ∇q = (F·W_eff) ⊙ (1 − R²) − F.
        @Sendable func flow(_ s: AdamRows, _ ops: any DenseOps) throws {
            try ops.gemm(transA: false, transB: false, alpha: 1, s.r, WT, beta: 0, s.f)
            try ops.mseGradient(prediction: s.f, target: s.x, scale: 1, gradient: s.f, squaredError: nil)
        }
        @Sendable func descend(_ s: AdamRows, _ ops: any DenseOps, iteration: Int) throws {
            try ops.denseBackward(s.f, WT, activation: .tanh, h: s.r, dZ: s.g)
            try ops.mseGradient(prediction: s.g, target: s.f, scale: 1, gradient: s.g, squaredError: nil)
            try ops.adamStep(parameters: s.x, gradients: s.g, m: s.m, v: s.v, AdamStep(learningRate: lr, step: iteration + 1))
            try ops.activation(s.x, .tanh, into: s.r)
        }
        var q = [Double](repeating: .infinity, count: b)
        var it = 0
        while it < o.iterations {
            // A check at every multiple of checkEvery: the flow of every part, then q.
            let now = try ops.sideBySide(count) { p, pops in
                try flow(state[p], pops)
                let f = try pops.download(state[p].f)
                return (0..<(f.count / n)).map { k in 0.5 * (0..<n).reduce(0.0) { $0 + Double(f[k * n + $1]) * Double(f[k * n + $1]) } }
            }.flatMap { $0 }
            let moved = zip(now, q).map { abs($0 - $1) / Swift.max($1, 1e-300) }.max() ?? 0
            q = now
            progress?(it, o.iterations)
            if stopEarly, q.allSatisfy({ $0 <= o.tolQ }) || (it > 0 && moved <= o.tolDQ) { break }
            // The rest of this iteration and every one up to the next check, each part on its own.
            let start = it, end = Swift.min(o.iterations, (it / o.checkEvery + 1) * o.checkEvery)
            _ = try ops.sideBySide(count) { p, pops in
                try descend(state[p], pops, iteration: start)
                for k in (start + 1)..<Swift.max(start + 1, end) {
                    try flow(state[p], pops)
                    try descend(state[p], pops, iteration: k)
                }
            }
            it = end
        }
        return (try state.flatMap { try ops.download($0.x) }, it)
    }

    /// One part's Adam state: the starts' rows of X, tanh X, the flow F, the gradient G and
    /// Adam's moments.
    struct AdamRows: Sendable {
        var x, r, f, g, m, v: DenseMatrix
    }

    /// Newton steps in double from `x` while they lower q (at most `newtonIterations`).
    static func refine(_ model: ClosedLoopModel, _ start: [Double], options o: FixedPointOptions) -> (x: [Double], q: Double) {
        var x = start
        var qk = 0.5 * model.flow(x).reduce(0) { $0 + $1 * $1 }
        for _ in 0..<o.newtonIterations where qk > o.tolQ * 1e-6 {
            guard let step = try? newtonStep(model, x) else { break }
            let trial = zip(x, step).map { $0 - $1 }
            let qt = 0.5 * model.flow(trial).reduce(0) { $0 + $1 * $1 }
            guard qt < qk else { break }
            x = trial
            qk = qt
        }
        return (x, qk)
    }

    /// The Jacobian's eigenvalues at `x`, and what they say: stability, slow directions, the
    /// slowest stable time constant.
    static func linearise(_ model: ClosedLoopModel, _ x: [Double], q: Double, starts: Int, options o: FixedPointOptions) throws -> FixedPoint {
        let eig = try GeneralEigen.eigenvalues(jacobian(model, x), n: model.n)
        let maxRe = eig.first?.re ?? 0
        let slow = eig.filter { abs($0.re) < o.slowRate }.count
        let stableRates = eig.filter { $0.re < 0 }.map { -1 / $0.re }
        let z = model.outputs(x)
        return FixedPoint(q: q, isFixed: q <= o.tolQ, outputs: [z.0, z.1, z.2], starts: starts, maxRealPart: maxRe, stable: maxRe < 0,
                          slowDirections: slow, slowestTimeConstant: stableRates.max(), leadingEigenvalues: eig.prefix(10).map { [$0.re, $0.im] },
                          state: x)
    }

    /// The Jacobian of the flow, A = −I + W_eff·diag(1 − tanh²x), row-major.
    public static func jacobian(_ model: ClosedLoopModel, _ x: [Double]) -> [Double] {
        let n = model.n
        let d = x.map { 1 - Foundation.tanh($0) * Foundation.tanh($0) }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { a[i * n + j] = model.weff[i * n + j] * d[j] }
            a[i * n + i] -= 1
        }
        return a
    }

    /// The Newton step A⁻¹F at x.
    static func newtonStep(_ model: ClosedLoopModel, _ x: [Double]) throws -> [Double] {
        try LinearSolve.solve(jacobian(model, x), n: model.n, model.flow(x))
    }
}
