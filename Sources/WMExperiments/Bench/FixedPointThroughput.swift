import Foundation
import WMCore

/// The throughput of the fixed-point search (workload P): the Adam phase of `FixedPointSearch`
/// on the closed loop of one feedback network of N = `n` (pg = 0.7, g = 1.2, untrained, so
/// W_eff = g·J and nothing converges early) from `starts` starts N(0, 1), a fixed number of
/// iterations, float32 on the backend's dense ops. q is downloaded every `checkEvery`
/// iterations as in a real search; the Newton refinement and the linearisation are not timed.
///
/// Figure of merit: start-iterations per second = starts · iterations / seconds. Arithmetic:
/// two B×N×N products per iteration, 4·B·N² flop; the share is against a B×N×N GEMM on the same
/// ops measured in the same run (the backend's own matrix-product rate).
public struct FixedPointThroughputResult: Codable, Sendable, Hashable {
    public var workload = "P"
    public var n: Int
    public var starts: Int
    public var iterations: Int
    public var backend: String
    public var device: String
    public var repeats: Int
    /// Median repeat time, s.
    public var seconds: Double
    public var allSeconds: [Double]
    public var startIterationsPerSecond: Double
    /// 4·B·N²·iterations / seconds / 1e9.
    public var gflops: Double
    /// The same ops' B×N×N GEMM rate (best of at least 5 blocks, in the search's parts), GFLOP/s.
    public var gemmGflops: Double

    /// "P cpu: 1.2 M start-iterations/s, 480 GFLOP/s (81 % of GEMM)".
    public var summary: String {
        "P-\(starts) \(backend): " + String(format: "%.0f start-iterations/s, %.1f GFLOP/s (%.0f%% of this backend's GEMM, %.1f GFLOP/s), %.3f s per repeat",
                                            startIterationsPerSecond, gflops, 100 * gflops / gemmGflops, gemmGflops, seconds)
    }
}

public enum FixedPointThroughput {
    /// Adam iterations per timed repeat (`quick`: 20).
    public static func iterations(quick: Bool) -> Int { quick ? 20 : 200 }

    public static func run(n: Int = 1000, starts b: Int = 1000, iterations: Int, repeats: Int, backend: any Backend) throws -> FixedPointThroughputResult {
        guard n >= 1, b >= 1, iterations >= 1, repeats >= 1 else {
            throw WMError.invalidParameter(name: "fixed-point workload", value: "N \(n), \(b) starts, \(iterations) iterations, \(repeats) repeats",
                                           expected: "each ≥ 1")
        }
        // Six B×N float32 matrices and W_eff on the device, the starts in double on the host.
        try FixedPointSearch.memory(n: n, starts: b)
            .check(capabilities: backend.capabilities, what: "workload P (fixed-point search from \(b) starts at N = \(n))")
        var spec = FeedbackNetworkSpec()
        spec.n = n
        let model = try ClosedLoopModel(FeedbackNetworkGenerator.generate(spec))
        var c = ClassificationOptions()
        c.copies = b
        c.noise = 1
        let x0 = MechanismClassifier.starts(n: n, trialEndStates: [], options: c)
        var o = FixedPointOptions()
        o.iterations = iterations
        let ops = try backend.makeDenseOps()
        _ = try FixedPointSearch.minimise(model, starts: x0, options: { var w = o; w.iterations = 2; return w }(), ops: ops, stopEarly: false)
        var times: [Double] = []
        for _ in 0..<repeats {
            let t0 = Date()
            let r = try FixedPointSearch.minimise(model, starts: x0, options: o, ops: ops, stopEarly: false)
            times.append(Date().timeIntervalSince(t0))
            guard r.iterations == iterations, r.states.allSatisfy(\.isFinite) else {
                throw WMError.invalidParameter(name: "workload P", value: "\(r.iterations) iterations, finite \(r.states.allSatisfy(\.isFinite))",
                                               expected: "\(iterations) iterations and finite states")
            }
        }
        let median = times.sorted()[times.count / 2]
        let gemm = try gemmRate(n: n, b: b, ops: ops, repeats: repeats)
        let flops = 4 * Double(b) * Double(n) * Double(n) * Double(iterations)
        return FixedPointThroughputResult(n: n, starts: b, iterations: iterations, backend: backend.info.kind, device: backend.info.device,
                                          repeats: repeats, seconds: median, allSeconds: times,
                                          startIterationsPerSecond: Double(b * iterations) / median, gflops: flops / median / 1e9,
                                          gemmGflops: gemm)
    }

    /// GFLOP/s of a B×N by N×N product on `ops`, its rows in the parts the search runs them in
    /// (`DenseOps.sideBySideParts`), side by side as there: the best of at least 5 blocks of 10
    /// products (a block takes ~0.1 s at N = 1000, short enough for a busy host to slow
    /// some; the best is what the GEMM itself can do).
    static func gemmRate(n: Int, b: Int, ops: any DenseOps, repeats: Int) throws -> Double {
        let parts = Swift.max(1, Swift.min(ops.sideBySideParts(rows: b), b))
        let bounds = (0...parts).map { $0 * b / parts }
        let w = try ops.upload([Float](repeating: 0.001, count: n * n), rows: n, cols: n)
        let ac: [(DenseMatrix, DenseMatrix)] = try (0..<parts).map { p in
            let rows = bounds[p + 1] - bounds[p]
            return (try ops.upload([Float](repeating: 0.5, count: rows * n), rows: rows, cols: n), try ops.allocate(rows: rows, cols: n))
        }
        func products(_ count: Int) throws {
            _ = try ops.sideBySide(parts) { p, pops in
                for _ in 0..<count { try pops.gemm(transA: false, transB: false, alpha: 1, ac[p].0, w, beta: 0, ac[p].1) }
                try pops.finish()
            }
        }
        try products(1)
        var times: [Double] = []
        for _ in 0..<Swift.max(repeats, 5) {
            let t0 = Date()
            try products(10)
            try ops.finish()
            times.append(Date().timeIntervalSince(t0) / 10)
        }
        return 2 * Double(b) * Double(n) * Double(n) / times.min()! / 1e9
    }
}
