import Foundation
import WMCore

/// Measures a `ReadoutCurveSpec`: the networks run once, recording the largest readout subset;
/// every smaller size is decoded from the rows and columns of its nested subset (the moments'
/// sub-blocks, the stored states' columns), so n sizes cost one simulation and n decoder fits.
///
/// The point at n is the capacity measurement with `readoutNeurons = n`: the same states (read
/// from the same trajectories), the same λ grid relative to trace(G̃)/n and the same MLP seeds.
/// Its ridge numbers agree with a separate `--readout-neurons n` run to the rounding of the
/// moments' sums (the separate run groups its rows into other chunks); the MLP reads the very
/// same floats.
public enum ReadoutCurveMeasurement {
    /// Runs `spec`; with `networks` given (loaded from an archive) those are measured instead
    /// (`spec.capacity.networks` is then ignored).
    public static func run(_ spec: ReadoutCurveSpec, backend: any Backend, input: InputSource, networks given: [Network]? = nil,
                           moments: MomentsPlacement = .auto, progress: CapacityMeasurement.Progress? = nil) throws -> ReadoutCurveResult {
        var spec = spec
        var networks = MeasuredNetworks(spec.capacity)
        if let g = given {
            networks = try MeasuredNetworks(given: g)
            spec.capacity.networks = g.count
            spec.capacity.network = networks.specs[0]
        }
        try spec.validate()
        let top = spec.point(spec.largest)
        try top.checkSegments()
        try spec.memory(networks: networks.count, backend: backend)
            .check(capabilities: backend.capabilities, what: "readout curve of \(networks.count) network(s) of N = \(networks.n), n up to \(spec.largest)")

        let t0 = Date()
        let (collected, info) = try CapacityRun.collect(top, networks: networks, backend: backend, input: input,
                                                        storeLags: top.storedLags, moments: moments) { progress?("simulate", $0, $1) }
        let simulateSeconds = Date().timeIntervalSince(t0)
        var warnings = info.failedNetworks.sorted { $0.key < $1.key }.map { "\(networks.labels[$0.key]) dropped: \($0.value)" }
        let active = collected.indices.filter { info.failedNetworks[$0] == nil }
        let recorded = ReadoutSubset.neurons(spec.largest, of: networks.n)
        let sizes = spec.readoutNeurons
        var points: [ReadoutCurvePoint] = []
        for (index, n) in sizes.enumerated() {
            let point = spec.point(n)
            let view = n == spec.largest ? collected : try restrict(collected, to: ReadoutSubset.neurons(n, of: networks.n), of: recorded)
            // Each decoder's progress runs over all sizes, so one bar per decoder fills once.
            let relay: CapacityMeasurement.Progress? = progress.map { p in { phase, done, total in p(phase, index * total + done, sizes.count * total) } }
            let context = DecoderContext(spec: point, networks: networks, seeds: collected.indices.map { point.mlp.seed &+ UInt64($0) },
                                         backend: backend, progress: relay)
            var each = CapacityMeasurement.PerNetwork(curves: [:], histories: [:], warnings: [], info: info, seconds: [:])
            try CapacityMeasurement.decode(view, active: active, context: context, into: &each)
            warnings += each.warnings.map { "n = \(n): \($0)" }
            var decoders: [DecoderKind: DecoderResult] = [:]
            for kind in DecoderKind.allCases where point.decoders.contains(kind) {
                do {
                    decoders[kind] = try CapacityMeasurement.summarize(kind, each.curves[kind] ?? [], spec: point, histories: each.histories[kind],
                                                                       seconds: each.seconds[kind] ?? 0)
                } catch let WMError.noResult(why) {
                    throw WMError.noResult("with \(n) readout neurons: " + why + (warnings.isEmpty ? "" : ":\n  " + warnings.joined(separator: "\n  ")))
                }
            }
            points.append(ReadoutCurvePoint(readoutNeurons: n, decoders: decoders))
        }
        if let w = CapacityMeasurement.saturationWarning(info) { warnings.append(w) }
        return ReadoutCurveResult(spec: spec, backend: info.backend, format: info.format.rawValue, points: points,
                                  simulateSeconds: simulateSeconds, warnings: warnings)
    }

    /// What each network collected, restricted to the neurons `subset` of the recorded ones
    /// `recorded` (both increasing, `subset` ⊆ `recorded`): the sub-blocks of every segment's
    /// moments and the columns of the stored states.
    static func restrict(_ collected: [CapacityRun.Collected], to subset: [Int], of recorded: [Int]) throws -> [CapacityRun.Collected] {
        let columns = try ReadoutSubset.positions(of: subset, in: recorded)
        let width = recorded.count
        return collected.map { c in
            let stored = c.stored.map { seg -> StoredSegment in
                var out = seg
                guard seg.rows > 0 else { return out }
                out.states = [Float](unsafeUninitializedCapacity: seg.rows * columns.count) { buf, count in
                    for r in 0..<seg.rows {
                        let from = r * width, to = r * columns.count
                        for (q, col) in columns.enumerated() { buf[to + q] = seg.states[from + col] }
                    }
                    count = seg.rows * columns.count
                }
                return out
            }
            return CapacityRun.Collected(moments: c.moments.map { $0.restricted(to: columns) }, stored: stored)
        }
    }
}
