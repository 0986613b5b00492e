import Foundation
import WMCore

/// Capacity of many single networks with different parameters, measured in batched launches:
/// networks that share N and nIn run together as one ensemble (each keeps its own gains,
/// densities, rule coefficients and seed), in batches whose readout memory fits a budget.
/// Used by sweeps and by the optimiser.
public struct CapacityBatch {
    /// One network to measure: the measurement (segments, lags, decoders) with its network, and
    /// the MLP seed.
    public struct Unit: Sendable {
        public var spec: CapacitySpec
        public var mlpSeed: UInt64
        public var label: String
        public init(spec: CapacitySpec, mlpSeed: UInt64, label: String) {
            self.spec = spec
            self.mlpSeed = mlpSeed
            self.label = label
        }
    }

    /// The curves of one unit, or why it has none.
    public struct Outcome: Sendable {
        /// The curve of each decoder that succeeded.
        public var curves: [DecoderKind: MemoryCurve] = [:]
        public var error: String?
        /// Wall seconds of its batch divided by the batch's networks.
        public var seconds: Double
        public var batch: Int
    }

    /// Bytes the readout statistics of one batch may take.
    public var memoryBudget = 2 << 30
    /// Largest batch regardless of memory.
    public var maxBatch = 256

    public init() {}

    /// Readout bytes per network: three segments of moments (N² + N·K + …, double) and, for a
    /// decoder that stores states, the states and targets (float).
    public static func bytesPerNetwork(_ s: CapacitySpec) -> Int {
        // In double: the sizes are the user's and checked only afterwards.
        let n = Double(s.network.n), k = Double(s.maxLag)
        var b = 3 * (n * n + n * k + n + k + 4) * 8
        if let stored = s.decoders.lazy.compactMap({ $0.storedLags(s) }).first {
            b += (Double(s.train) + Double(s.validation) + Double(s.test)) * Double(s.trials) * (n + Double(stored.count)) * 4
        }
        return RunMemoryEstimate.Part.bytes(b)
    }

    /// Key of the units that can share an ensemble: everything but the network's own parameters.
    static func shapeKey(_ s: CapacitySpec) -> String {
        var t = s
        t.network = NetworkSpec()
        t.network.n = s.network.n
        t.network.nIn = s.network.nIn
        t.network.activation = s.network.activation
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        return (try? enc.encode(t)).map { String(decoding: $0, as: UTF8.self) } ?? "\(s.network.n)"
    }

    /// Indices of `units` in batches: grouped by shape in first-seen order, split by memory.
    public func batches(_ units: [Unit]) -> [[Int]] {
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for (i, u) in units.enumerated() {
            let key = Self.shapeKey(u.spec)
            if groups[key] == nil { groups[key] = []; order.append(key) }
            groups[key]!.append(i)
        }
        var out: [[Int]] = []
        for key in order {
            let idx = groups[key]!
            let per = Self.bytesPerNetwork(units[idx[0]].spec)
            let size = Swift.max(1, Swift.min(maxBatch, memoryBudget / Swift.max(per, 1)))
            for i in stride(from: 0, to: idx.count, by: size) { out.append(Array(idx[i..<Swift.min(idx.count, i + size)])) }
        }
        return out
    }

    /// Measures one batch (units of one shape). A batch where every network diverges gives
    /// outcomes with errors, not a thrown error. `progress` gets the fraction simulated.
    public func measure(_ batch: [Unit], backend: any Backend, input: InputSource, warnings: inout [String],
                        progress: ((Double) -> Void)? = nil) throws -> [Outcome] {
        guard let first = batch.first else { return [] }
        var bspec = first.spec
        bspec.networks = batch.count
        let tb = Date()
        let each: CapacityMeasurement.PerNetwork
        do {
            each = try CapacityMeasurement.measureEach(bspec, networks: MeasuredNetworks(specs: batch.map(\.spec.network), labels: batch.map(\.label)),
                                                       mlpSeeds: batch.map(\.mlpSeed), backend: backend, input: input) { phase, d, t in
                if phase == "simulate", t > 0 { progress?(Double(d) / Double(t)) }
            }
        } catch let WMError.runTooLarge(needed, available, what, breakdown, remedy) {
            // Reported per network like a divergence; the other batches go on.
            let detail = "\(what) needs about \(formatBytes(needed)) (\(breakdown)), \(formatBytes(available)) available; \(remedy)"
            warnings.append("\(batch.count) network(s) of N = \(first.spec.network.n) not measured: \(detail)")
            return batch.map { _ in Outcome(error: "too large: \(detail)", seconds: 0, batch: batch.count) }
        } catch let WMError.noResult(detail) {
            warnings.append("\(batch.count) network(s) of N = \(first.spec.network.n): every one diverged (\(detail))")
            return batch.map { _ in Outcome(error: "diverged: \(detail)", seconds: Date().timeIntervalSince(tb) / Double(batch.count), batch: batch.count) }
        }
        warnings += each.warnings
        let secs = Date().timeIntervalSince(tb) / Double(batch.count)
        return batch.enumerated().map { i, u in
            var o = Outcome(seconds: secs, batch: batch.count)
            for kind in u.spec.decoders { o.curves[kind] = each.curve(kind, i) }
            let missing = u.spec.decoders.contains { o.curves[$0] == nil }
            if missing { o.error = each.info.failedNetworks[i] ?? each.warnings.first { $0.contains(u.label) } ?? "no result" }
            return o
        }
    }
}
