import Foundation
import WMCore

/// Runs the same randomly drawn configurations on two backends (the CPU reference and an OpenCL
/// device) and compares every quantity against `ParityTolerance` (the table the parity tests use).
public enum CrossCheck {
    /// One compared quantity.
    public struct Row: Codable, Sendable {
        public var config: Int
        public var description: String
        public var quantity: String
        public var maxAbs: Double
        public var maxRel: Double
        public var tolerance: Double
        public var passed: Bool
    }

    /// A drawn configuration.
    public struct Config: Sendable {
        public var ensemble: Ensemble
        public var input: InputSpec
        public var format: WeightFormat
        public var fused: Bool?
        public var steps: Int
        /// Precision of the stored weights (fp32 for procedural ones).
        public var precision: WeightPrecision = .fp32

        public var summary: String {
            let s = ensemble.networks[0]
            return "N=\(s.n) sp=\(String(format: "%.3g", s.sp)) M=\(ensemble.count) B=\(ensemble.trials) \(s.rule.rawValue) \(s.activation.rawValue) \(format.rawValue) input=\(input.kind.rawValue)"
                + (s.noise > 0 ? " noise" : "") + (fused == true ? " fused" : fused == false ? " per-step" : "")
                + (precision == .fp32 ? "" : " \(precision.rawValue)")
        }
    }

    /// The weight formats configurations are drawn in: the stored ones and procedural weights
    /// (regenerated every step; `procedural: false` leaves them out, for devices without fp64).
    public static func formats(n: Int, procedural: Bool = true) -> [WeightFormat] {
        // Dense N×N storage only where it is small.
        let stored: [WeightFormat] = n > 2048 ? [.csr, .ell] : [.csr, .ell, .dense]
        return procedural ? stored + [.procedural] : stored
    }

    /// `count` configurations drawn from `seed`; sizes include ones that are not multiples of any
    /// work-group size (1, 7, 61, 1000, 4099) and every format (procedural weights too, unless
    /// `procedural` is false), rule and input kind. Stored weights take the `precisions` in turn,
    /// four configurations each (0–3 the first, 4–7 the second, …); procedural ones stay fp32.
    public static func configurations(count: Int, seed: UInt64, maxN: Int = 4099, procedural: Bool = true,
                                      precisions: [WeightPrecision] = [.fp32]) -> [Config] {
        let precisions = precisions.isEmpty ? [.fp32] : precisions
        let rng = Philox4x32(seed: seed)
        var out: [Config] = []
        let sizes = [1, 7, 61, 1000, 4099, 300, 2048, 33]
        for c in 0..<count {
            let w = rng.block(UInt32(c), 0, 0, 0)
            let w2 = rng.block(UInt32(c), 1, 0, 0)
            func unit(_ x: UInt32) -> Double { Double(RandomBits.unitFloat(x)) }
            var s = NetworkSpec()
            s.n = Swift.min(maxN, sizes[c % sizes.count])
            // The format turns with c and shifts by one every 8 configurations (one turn of the
            // sizes), so that every size, and every fused setting (c % 4, below), meets every
            // format; the first 4 configurations hold one of each.
            let formats = formats(n: s.n, procedural: procedural)
            let format = formats[(c % sizes.count + c / sizes.count) % formats.count]
            s.sp = s.n == 1 ? 1 : Swift.max(2.0 / Double(s.n), Swift.min(1, 0.02 + 0.4 * unit(w.0)))
            s.g = 0.3 + 0.7 * unit(w.1)
            s.rule = c % 2 == 0 ? .leaky : .template
            s.leak = 0.2 + 0.8 * unit(w.2)
            s.activation = c % 5 == 4 ? .linear : .tanh
            s.nIn = 1 + Int(w.3 % 4)
            s.gIn = 0.5 + 2 * unit(w2.0)
            s.spIn = 0.3
            s.noise = c % 3 == 1 ? 0.05 : 0
            s.bias = c % 4 == 2 ? 0.1 : 0
            s.seed = UInt64(w2.1) | 1
            let m = 1 + Int(w2.2 % 3)
            let trials = 1 + Int(w2.3 % 4)
            var input = InputSpec()
            input.kind = [InputKind.uniform, .gaussian, .onehot][c % 3]
            input.seed = UInt64(w2.2)
            input.holdSteps = 3
            let fused: Bool? = c % 4 == 3 ? true : (c % 4 == 1 ? false : nil)
            let precision = format.isStored ? precisions[(c / 4) % precisions.count] : .fp32
            out.append(Config(ensemble: Ensemble(spec: s, count: m, trials: trials), input: input, format: format, fused: fused, steps: 30,
                              precision: precision))
        }
        return out
    }

    static func compare(_ a: [Float], _ b: [Float]) -> (abs: Double, rel: Double) {
        var ma = 0.0, mr = 0.0
        if a.count != b.count { return (.infinity, .infinity) }
        for (x, y) in zip(a, b) {
            let d = Double(abs(x - y))
            if !(d <= ma) { ma = d.isNaN ? .infinity : d }
            let r = d / Swift.max(Double(abs(x)), 1e-30)
            if d > 0 && r > mr { mr = r }
        }
        return (ma, mr)
    }

    /// Runs `steps` steps on two engines in the same state: `device` accumulates the lag moments
    /// (K = 3, all trials pooled, two segments) on the device, `host` records its states and sums
    /// them with `SegmentMoments`. Returns the largest difference of G̃, C̃ and the means, absolute
    /// and relative to each quantity's largest entry.
    static func momentDifference(device: any SimulationEngine, host: any SimulationEngine, input: InputSource, steps: Int) throws -> (abs: Double, rel: Double) {
        let ens = device.ensemble, n = ens.n, bt = ens.trials, m = ens.count, k = 3
        let t0 = device.time, end = t0 + steps
        var all: [Float] = []
        try input.fill(t0: 0, count: end, trials: bt, into: &all)
        let u = (0..<(end * bt)).map { all[$0 * ens.nIn] }
        let first = Swift.max(t0 + 1, k)
        let mid = (first + end) / 2
        let segments = [first...mid, (mid + 1)...end]
        var got = [[SegmentMoments]](repeating: [], count: 2)
        try device.advance(steps: steps, lagMoments: LagMomentsPlan(segments: segments, lags: k, stream: u, targetShift: 0), segmentDone: { s, raws in
            got[s] = raws.map { SegmentMoments(raw: $0, n: n, k: k, times: segments[s], stream: u, trials: bt, targetShift: 0) }
        }, progress: nil)
        let rec = try host.run(steps: steps, record: RecordRequest())
        var worst: (abs: Double, rel: Double) = (0, 0)
        for (s, seg) in segments.enumerated() {
            for mm in 0..<m {
                var ref = SegmentMoments(n: n, k: k)
                for b in 0..<bt {
                    let states = seg.flatMap { t -> ArraySlice<Float> in
                        let base = ((t - rec.firstTime) * m + mm) * bt * n + b * n
                        return rec.data[base..<(base + n)]
                    }
                    ref.add(states: states, targets: seg.flatMap { t in (1...k).map { u[(t - $0) * bt + b] } }, rows: seg.count)
                }
                for (a, b) in [(got[s][mm].centeredGram, ref.centeredGram), (got[s][mm].centeredCross, ref.centeredCross),
                               (got[s][mm].meanS, ref.meanS), (got[s][mm].meanY, ref.meanY)] {
                    let scale = Swift.max(b.map(Swift.abs).max() ?? 0, 1e-300)
                    let diff = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
                    worst = (Swift.max(worst.abs, diff), Swift.max(worst.rel, diff / scale))
                }
            }
        }
        return worst
    }

    /// Compares `reference` and `candidate` on `configs`; `progress` gets each finished row.
    public static func run(configs: [Config], reference: any Backend, candidate: any Backend,
                           progress: ((Row) -> Void)? = nil) throws -> [Row] {
        var rows: [Row] = []
        func add(_ c: Int, _ cfg: Config, _ q: String, _ d: (abs: Double, rel: Double), tol: Double, relative: Bool = false) {
            let v = relative ? d.rel : d.abs
            let row = Row(config: c, description: cfg.summary, quantity: q, maxAbs: d.abs, maxRel: d.rel, tolerance: tol, passed: v <= tol)
            rows.append(row)
            progress?(row)
        }
        for (c, cfg) in configs.enumerated() {
            var opt = EngineOptions()
            opt.format = cfg.format
            opt.fusedSteps = cfg.fused
            opt.chunkSteps = 13
            opt.weightPrecision = cfg.precision
            let src = try InputSource(spec: cfg.input, nIn: cfg.ensemble.nIn)
            let ea = try reference.makeEngine(ensemble: cfg.ensemble, networks: nil, input: src, options: opt)
            let eb = try candidate.makeEngine(ensemble: cfg.ensemble, networks: nil, input: src, options: opt)
            // A comparison of other weights than those drawn would pass for the wrong reason.
            for e in [ea, eb] where e.format != cfg.format {
                throw WMError.unsupported("config \(c) (\(cfg.summary)): the \(e.backendInfo.kind) engine runs \(e.format.rawValue) weights, not the \(cfg.format.rawValue) drawn")
            }
            let na = try ea.networks(), nb = try eb.networks()
            // Structure compares the sparsity pattern (dense storage compares the zero pattern).
            var structureOK = true
            for (x, y) in zip(na, nb) {
                let a = x.recurrent.dense().map { $0 != 0 }, b = y.recurrent.dense().map { $0 != 0 }
                if a != b { structureOK = false }
            }
            add(c, cfg, "structure", structureOK ? (0, 0) : (1, 1), tol: 0)
            add(c, cfg, "J", compare(na.flatMap { $0.effectiveRecurrent.dense() }, nb.flatMap { $0.effectiveRecurrent.dense() }), tol: ParityTolerance.weightsRelative, relative: true)
            add(c, cfg, "Jin", compare(na.flatMap(\.input), nb.flatMap(\.input)), tol: ParityTolerance.weightsRelative, relative: true)
            add(c, cfg, "x(0)", compare(try ea.state(), try eb.state()), tol: ParityTolerance.initialState)

            // One step from a common random state in (−1, 1).
            let r = Philox4x32(seed: 2024 &+ UInt64(c))
            let common = (0..<cfg.ensemble.stateCount).map { i -> Float in RandomBits.unitFloat(r.block(UInt32(i), 0, 0, 9).0) * 2 - 1 }
            try ea.setState(common)
            try eb.setState(common)
            try ea.advance(steps: 1)
            try eb.advance(steps: 1)
            add(c, cfg, "one step", compare(try ea.state(), try eb.state()), tol: ParityTolerance.oneStep)

            // A trajectory with recorded rows, continuing from there.
            let rec = RecordRequest(every: 2, neurons: nil)
            let ta = try ea.run(steps: cfg.steps, record: rec)
            let tb = try eb.run(steps: cfg.steps, record: rec)
            add(c, cfg, "\(cfg.steps)-step trajectory", compare(ta.data, tb.data), tol: ParityTolerance.trajectory)

            // Lag-target moments accumulated on the device against the host reference on the very
            // same states (a second engine of the candidate, recorded and summed in double).
            let e1 = try candidate.makeEngine(ensemble: cfg.ensemble, networks: nil, input: src, options: opt)
            if e1.lagMomentsUnavailableReason == nil {
                let e2 = try candidate.makeEngine(ensemble: cfg.ensemble, networks: nil, input: src, options: opt)
                try e1.setState(common)
                try e2.setState(common)
                let d = try momentDifference(device: e1, host: e2, input: src, steps: cfg.steps)
                add(c, cfg, "lag moments", d, tol: ParityTolerance.lagMomentsRelative, relative: true)
            }
        }
        return rows
    }
}
