import Foundation
import WMCore

/// States and lag targets of one segment kept for the MLP decoder (the ridge path never stores
/// states: it streams them into `SegmentMoments`).
public struct StoredSegment: Sendable {
    public var rows = 0
    public var states: [Float] = []
    public var targets: [Float] = []
}

/// Runs the networks of a `CapacitySpec` once and streams every recorded state into per-network,
/// per-segment sufficient statistics (ridge) and, when asked, stored segments (MLP).
public enum CapacityRun {
    /// Segment of state time t (x(t), t ≥ 1): 0 train, 1 validation, 2 test, nil washout.
    static func segment(_ t: Int, _ s: CapacitySpec) -> Int? {
        let a = s.washout, b = a + s.train, c = b + s.validation, d = c + s.test
        if t <= a || t > d { return nil }
        return t <= b ? 0 : (t <= c ? 1 : 2)
    }

    /// State times of the training, validation and test segments.
    static func segmentTimes(_ s: CapacitySpec) -> [ClosedRange<Int>] {
        let a = s.washout, b = a + s.train, c = b + s.validation, d = c + s.test
        return [(a + 1)...b, (b + 1)...c, (c + 1)...d]
    }

    /// Everything collected for one network.
    public struct Collected: Sendable {
        public var moments: [SegmentMoments]
        public var stored: [StoredSegment]
    }

    /// Runs `networks` (default: the `spec.networks` seeds of `spec.network`) on `backend`;
    /// `storeLags` (MLP) selects lags whose targets are kept with the stored states.
    /// Memory: O(M·(N² + N·K)) for the moments plus the stored segments.
    public static func collect(_ spec: CapacitySpec, networks: MeasuredNetworks? = nil, backend: any Backend, input: InputSource,
                               storeLags: [Int]?, moments: MomentsPlacement = .auto,
                               progress: ((Int, Int) -> Void)? = nil) throws -> (collected: [Collected], info: RunInfo) {
        try spec.validate()
        if spec.readoutNeurons != nil && moments == .device {
            throw WMError.invalidParameter(name: "--moments", value: "device",
                                           expected: "auto or host with --readout-neurons: the device reduction reads every neuron, the subset's moments are summed on the host")
        }
        let policy = ComputePolicy(backend)
        try policy.check(moments)
        let networks = networks ?? MeasuredNetworks(spec)
        let ensemble = networks.ensemble(trials: spec.trials)
        try ensemble.validate()
        guard ensemble.nIn == input.nIn else {
            throw WMError.incompatibleEnsemble("the networks have nIn = \(ensemble.nIn), the input stream \(input.nIn) channel(s)")
        }
        let m = ensemble.count, bt = ensemble.trials, k = spec.maxLag
        // The decoders read `n` states per sample: every neuron, or the readout subset.
        let n = spec.readoutNeurons ?? ensemble.n
        guard n <= ensemble.n else {
            throw WMError.invalidParameter(name: "readoutNeurons", value: "\(n)", expected: "1…N = \(ensemble.n): a subset of the network's neurons")
        }
        let total = spec.totalSteps
        if spec.input.kind == .file, input.fileSteps < total {
            throw WMError.invalidParameter(name: "input file", value: "\(input.fileSteps) steps", expected: "at least washout + train + validation + test = \(total)")
        }
        // The whole stream on the host for the lag targets: channel 0 of every trial, [t][b].
        var u: [Float] = []
        try input.fill(t0: 0, count: total, trials: bt, into: &u)
        let nIn = input.nIn
        if nIn > 1 { u = (0..<(total * bt)).map { u[$0 * nIn] } }

        var collected: [Collected] = []
        for _ in 0..<m {
            let mom: [SegmentMoments] = [SegmentMoments(n: n, k: k), SegmentMoments(n: n, k: k), SegmentMoments(n: n, k: k)]
            collected.append(Collected(moments: mom, stored: [StoredSegment](repeating: StoredSegment(), count: 3)))
        }
        // Networks run in groups: on CPUs a group small enough that each network's weights stay in
        // a core's cache across steps (measured ~3× faster per network-step than all in lockstep).
        let group = policy.networksPerEngine(m)
        var info: RunInfo? = nil
        var saturated = 0.0
        var failed: [Int: String] = [:]
        for g0 in stride(from: 0, to: m, by: group) {
            var ids = Array(g0..<Swift.min(m, g0 + group))
            var engine: (any SimulationEngine)? = nil
            var onDevice = false
            // A network whose state turns non-finite is dropped (and reported); the rest of its
            // group runs again without it.
            while engine == nil && !ids.isEmpty {
                for g in ids { collected[g] = Collected(moments: (0..<3).map { _ in SegmentMoments(n: n, k: k) }, stored: [StoredSegment](repeating: StoredSegment(), count: 3)) }
                let sub = networks.ensemble(ids, trials: bt)
                let current = ids
                do {
                    (engine, onDevice) = try runGroup(sub, ids: current, given: networks.given(current), spec: spec, policy: policy,
                                          input: input, u: u, storeLags: storeLags, moments: moments,
                                          into: &collected) { done in
                        progress?(g0 * total + done * current.count, m * total)
                    }
                } catch let WMError.nonFinite(step, local, detail) {
                    failed[ids[local]] = "non-finite state at step \(step): \(detail)"
                    ids.remove(at: local)
                }
            }
            guard let engine else { continue }
            info = RunInfo(backend: engine.backendInfo, format: engine.format, saturatedFraction: 0)
            info?.momentsOnDevice = onDevice
            if engine.ensemble.activation == .tanh {
                let x = try engine.state()
                if !x.isEmpty { saturated = Swift.max(saturated, Double(x.filter { abs($0) > 0.99 }.count) / Double(x.count)) }
            }
        }
        guard var result = info else {
            let each = failed.sorted { $0.key < $1.key }.prefix(3).map { "\(networks.labels[$0.key]): \($0.value)" }
            throw WMError.noResult("every network diverged (" + each.joined(separator: "; ") + (failed.count > 3 ? "; …" : "")
                                   + "); lower the gains (g, gIn), the noise or the input amplitude")
        }
        result.saturatedFraction = saturated
        result.failedNetworks = failed
        return (collected, result)
    }

    /// What ran (for the result's provenance) and how saturated the final states were.
    public struct RunInfo: Sendable {
        public var backend: BackendInfo
        public var format: WeightFormat
        /// Largest fraction of units with |x| > 0.99 at the end of a run (tanh networks).
        public var saturatedFraction: Double
        /// Networks (index in the ensemble) dropped because their state diverged, with the reason.
        public var failedNetworks: [Int: String] = [:]
        /// Whether the ridge moments were accumulated on the device (`MomentsPlacement`).
        public var momentsOnDevice = false
    }

    /// Runs one group of networks (global indices `ids`) and streams its states into `collected`;
    /// returns the engine and whether the moments were accumulated on its device.
    static func runGroup(_ ensemble: Ensemble, ids: [Int], given: [Network]?, spec: CapacitySpec, policy: ComputePolicy,
                         input: InputSource, u: [Float], storeLags: [Int]?, moments: MomentsPlacement = .auto,
                         into collected: inout [Collected], progress: @escaping (Int) -> Void) throws -> (any SimulationEngine, Bool) {
        let m = ensemble.count, bt = ensemble.trials, k = spec.maxLag
        let readout = spec.readoutNeurons.map { ReadoutSubset.neurons($0, of: ensemble.n) }
        let n = readout?.count ?? ensemble.n  // states per sample the decoders read
        let total = spec.totalSteps
        var opt = EngineOptions()
        opt.format = spec.format
        opt.weightPrecision = spec.weightPrecision ?? .fp32
        if let lo = spec.initLow, let hi = spec.initHigh { opt.initLow = Float(lo); opt.initHigh = Float(hi) }
        // Chunks of ≤ 16 M recorded floats.
        opt.chunkSteps = Swift.max(8, Swift.min(1024, (16 << 20) / Swift.max(1, m * bt * n)))
        let engine = try policy.backend.makeEngine(ensemble: ensemble, networks: given, input: input, options: opt)

        // Ridge only, where the policy says so: the moments are reduced where the states are and
        // only the sums come back (one download per segment).
        if storeLags == nil, readout == nil, try policy.momentsOnDevice(moments, engine: engine, lags: k, streamValues: u.count) {
            let times = segmentTimes(spec)
            let d = Float(u.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(1, u.count)))
            let plan = LagMomentsPlan(segments: times, lags: k, stream: u, targetShift: d)
            try engine.advance(steps: total, lagMoments: plan, segmentDone: { seg, raws in
                for (mm, raw) in raws.enumerated() {
                    collected[ids[mm]].moments[seg] = SegmentMoments(raw: raw, n: n, k: k, times: times[seg], stream: u, trials: bt, targetShift: d)
                }
            }, progress: { progress($0) })
            return (engine, true)
        }
        let lagsStored = storeLags ?? []
        var targets = [Float]()
        try engine.advance(steps: total, record: RecordRequest(every: 1, neurons: readout), sink: { chunk in
            let rowStride = m * bt * n
            chunk.data.withUnsafeBufferPointer { data in
                var r = 0
                while r < chunk.rows {
                    let t = chunk.firstTime + r
                    guard let seg = segment(t, spec) else { r += 1; continue }
                    var end = r + 1
                    while end < chunk.rows && segment(chunk.firstTime + end, spec) == seg { end += 1 }
                    let rows = end - r
                    for b in 0..<bt {
                        // Lag targets y_k(t) = u(t − k) of trial b for the rows r..<end.
                        targets.removeAll(keepingCapacity: true)
                        targets.reserveCapacity(rows * k)
                        for q in 0..<rows {
                            let tt = t + q
                            for lag in 1...k { targets.append(u[(tt - lag) * bt + b]) }
                        }
                        for mm in 0..<m {
                            let base = (r * m + mm) * bt * n + b * n
                            let view = UnsafeBufferPointer(rebasing: data[base..<(base + (rows - 1) * rowStride + n)])
                            targets.withUnsafeBufferPointer { tp in
                                collected[ids[mm]].moments[seg].add(states: view, rows: rows, rowStride: rowStride, targets: tp, targetStride: k)
                            }
                            if !lagsStored.isEmpty {
                                // In place: no copy of the stored arrays per chunk.
                                let g = ids[mm]
                                for q in 0..<rows {
                                    let off = base + q * rowStride
                                    collected[g].stored[seg].states.append(contentsOf: data[off..<(off + n)])
                                    for lag in lagsStored { collected[g].stored[seg].targets.append(targets[q * k + lag - 1]) }
                                }
                                collected[g].stored[seg].rows += rows
                            }
                        }
                    }
                    r = end
                }
            }
        }, progress: { progress($0) })
        return (engine, false)
    }
}
