import Foundation
import WMCore

/// A two-hidden-layer MLP per network (one multi-output network over the MLP lags, or one per
/// lag), trained with Adam and early stopping on the stored training and validation states,
/// scored by Pearson r on the test states. Where it trains is `ComputePolicy.mlpTrainers`.
struct MLPCapacityDecoder: CapacityDecoder {
    var kind: DecoderKind { .mlp }

    func lags(_ spec: CapacitySpec) -> [Int] { spec.resolvedMLPLags }

    func storedLags(_ spec: CapacitySpec) -> [Int]? { spec.resolvedMLPLags }

    func decode(_ collected: [CapacityRun.Collected], active todo: [Int], context: DecoderContext) throws -> DecoderOutcome {
        let spec = context.spec, n = spec.readoutNeurons ?? context.networks.n, mlpLags = spec.resolvedMLPLags, progress = context.progress
        let seeds = todo.map { context.seeds[$0] }
        let results = MLPResults(count: todo.count)
        @Sendable func train(_ i: Int, _ ops: any DenseOps) {
            results.set(i, Result { try Self.train(collected[todo[i]], n: n, lags: mlpLags, spec: spec, seed: seeds[i], ops: ops) })
        }
        switch try ComputePolicy(context.backend).mlpTrainers(networks: todo.count) {
        case let .host(workers) where workers > 1:
            let next = MLPResults.Counter()
            let relay = MLPResults.ProgressRelay(progress, total: todo.count)
            relay.finished()
            CPUDenseOps.concurrentWorkers(workers) { ops in
                while let i = next.take(below: todo.count) {
                    train(i, ops)
                    relay.finished(1)
                }
            }
        case .host:
            let ops = CPUDenseOps()
            for i in todo.indices { progress?("mlp", i, todo.count); train(i, ops) }
        case let .device(ops):
            for i in todo.indices { progress?("mlp", i, todo.count); train(i, ops) }
        }
        var out = DecoderOutcome(curves: [MemoryCurve?](repeating: nil, count: collected.count), histories: [])
        for (i, m) in todo.enumerated() {
            switch results.get(i) {
            case let .success((curve, hist))?:
                out.curves[m] = curve
                out.histories! += hist
            case let .failure(e as WMError)?:
                out.warnings.append("mlp, \(context.networks.labels[m]): \(e.description)")
            case let .failure(e)?:
                throw e
            case nil:
                break
            }
        }
        return out
    }

    /// Trains and scores the MLP of one network (one multi-output MLP, or one per lag).
    static func train(_ c: CapacityRun.Collected, n: Int, lags mlpLags: [Int], spec: CapacitySpec, seed: UInt64,
                      ops: any DenseOps) throws -> (MemoryCurve, [MLPHistory]) {
        var cfg = spec.mlp
        cfg.seed = seed
        let k = mlpLags.count
        let tr = c.stored[0], va = c.stored[1], te = c.stored[2]
        let groups: [[Int]] = spec.mlpPerLag ? (0..<k).map { [$0] } : [Array(0..<k)]
        var histories: [MLPHistory] = []
        var pv = [Float](repeating: 0, count: va.rows * k), pt = [Float](repeating: 0, count: te.rows * k)
        for cols in groups {
            func pick(_ y: [Float], _ rows: Int) -> [Float] {
                cols.count == k ? y : (0..<rows).flatMap { r in cols.map { y[r * k + $0] } }
            }
            let (model, hist) = try MLPDecoder.train(trainX: tr.states, trainY: pick(tr.targets, tr.rows), valX: va.states,
                                                     valY: pick(va.targets, va.rows), n: n, k: cols.count, config: cfg, ops: ops)
            histories.append(hist)
            let gv = try MLPDecoder.predict(model, x: va.states, rows: va.rows, ops: ops)
            let gt = try MLPDecoder.predict(model, x: te.states, rows: te.rows, ops: ops)
            for (q, col) in cols.enumerated() {
                for r in 0..<va.rows { pv[r * k + col] = gv[r * cols.count + q] }
                for r in 0..<te.rows { pt[r * k + col] = gt[r * cols.count + q] }
            }
        }
        let rv = pearsonPerColumn(pv, va.targets, rows: va.rows, cols: k)
        let rt = pearsonPerColumn(pt, te.targets, rows: te.rows, cols: k)
        let mse = (0..<k).map { j in (0..<te.rows).reduce(0.0) { s, i in let d = Double(pt[i * k + j] - te.targets[i * k + j]); return s + d * d } / Double(te.rows) }
        let curve = MemoryCurve(lags: mlpLags, r: rt, lambda: [Double](repeating: .nan, count: k), validationR: rv, testMSE: mse,
                                convention: MemoryCurve.standardConvention + " (MLP: sum over the decoded lags only)")
        return (curve, histories)
    }

    /// Pearson r per column of two row-major [rows × cols] arrays (`CorrelationTest.correlation`;
    /// NaN where a column is constant or not finite).
    static func pearsonPerColumn(_ a: [Float], _ b: [Float], rows: Int, cols: Int) -> [Double] {
        (0..<cols).map { j in
            let x = (0..<rows).map { Double(a[$0 * cols + j]) }, y = (0..<rows).map { Double(b[$0 * cols + j]) }
            guard rows >= 2, x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite),
                  !StatsInput.isConstant(x), !StatsInput.isConstant(y) else { return .nan }
            return CorrelationTest.correlation(x, y)
        }
    }
}

/// Per-network MLP outcomes filled by concurrent workers.
final class MLPResults: @unchecked Sendable {
    private var items: [Result<(MemoryCurve, [MLPHistory]), any Error>?]
    private let lock = NSLock()

    init(count: Int) { items = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<(MemoryCurve, [MLPHistory]), any Error>) { lock.withLock { items[i] = r } }
    func get(_ i: Int) -> Result<(MemoryCurve, [MLPHistory]), any Error>? { lock.withLock { items[i] } }

    /// Reports "mlp" progress (networks finished) from worker threads, one call at a time.
    final class ProgressRelay: @unchecked Sendable {
        private let body: CapacityMeasurement.Progress?
        private let total: Int
        private var done = 0
        private let lock = NSLock()
        init(_ body: CapacityMeasurement.Progress?, total: Int) { self.body = body; self.total = total }
        func finished(_ count: Int = 0) { lock.withLock { done += count; body?("mlp", done, total) } }
    }

    /// Hands out indices 0, 1, … to workers.
    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func take(below n: Int) -> Int? {
            lock.withLock {
                guard value < n else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }
}
