// Benchmarks of the readout kernels (issue: "Gram accumulation, GEMM, so regressions show").
//
// - "moments host N=1000 K=100": SegmentMoments.add of 2048 rows (the CPU path of the ridge
//   readout: centred blocks, dsyrk + dgemm in double). Metric: rows/s.
// - "moments <backend> N=1000 K=100": a ridge-only capacity collection of one N = 1000 network
//   over 2048 recorded steps (simulation included), moments on the host (cpu) or accumulated on
//   the OpenCL device (`moments: .device`). Metric: rows/s.
// - "gemm <backend> 1024x1000x128": C = A·B of the MLP's first layer for a minibatch of 1024
//   (DenseOps.gemm, OpenBLAS or the OpenCL SGEMM kernel). Metric: GFLOP/s (as an integer MFLOP/s).
//
// Environment: WMSIM_BENCH_DEVICE (OpenCL device selector), WMSIM_BENCH_NO_OPENCL (skip OpenCL).

import Benchmark
import Foundation
import WMCore
import WMExperiments
import WMOpenCL

private let env = ProcessInfo.processInfo.environment

private enum ReadoutMetrics {
    static var rowsPerSecond: BenchmarkMetric { .custom("rows/s", polarity: .prefersLarger, useScalingFactor: false) }
    static var mflops: BenchmarkMetric { .custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false) }
}

private func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

/// States and targets for the host moment benchmark (fixed, Philox-free sinusoids).
private final class MomentFixture: @unchecked Sendable {
    let n = 1000, k = 100, rows = 2048
    let states: [Float]
    let targets: [Float]
    init() {
        states = (0..<(2048 * 1000)).map { Float(sin(Double($0) * 0.618)) * 0.5 }
        targets = (0..<(2048 * 100)).map { Float(cos(Double($0) * 0.377)) }
    }
}

/// A ridge-only capacity spec of one N = 1000 network, 2048 recorded steps.
private func collectSpec() -> CapacitySpec {
    var s = CapacitySpec()
    s.networks = 1
    s.washout = 100; s.train = 1024; s.validation = 512; s.test = 512
    s.decoders = [.ridge]
    return s
}

private final class GemmFixture: @unchecked Sendable {
    let ops: any DenseOps
    let a: DenseMatrix, b: DenseMatrix, c: DenseMatrix
    init(ops: any DenseOps) throws {
        self.ops = ops
        a = try ops.upload((0..<(1024 * 1000)).map { Float(sin(Double($0))) }, rows: 1024, cols: 1000)
        b = try ops.upload((0..<(1000 * 128)).map { Float(cos(Double($0))) }, rows: 1000, cols: 128)
        c = try ops.allocate(rows: 1024, cols: 128)
    }
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, ReadoutMetrics.rowsPerSecond, ReadoutMetrics.mflops],
        timeUnits: .milliseconds, warmupIterations: 1, scalingFactor: .one,
        maxDuration: .seconds(3), maxIterations: 20)
    let clock = ContinuousClock()

    Benchmark("moments host N=1000 K=100", configuration: configuration) { benchmark, f in
        let t0 = clock.now
        var mom = SegmentMoments(n: f.n, k: f.k)
        mom.add(states: f.states, targets: f.targets, rows: f.rows)
        blackHole(mom.count)
        benchmark.measurement(ReadoutMetrics.rowsPerSecond, Int(Double(f.rows) / seconds(clock.now - t0)))
    } setup: { MomentFixture() }

    var backends: [(String, @Sendable () throws -> any Backend)] = [("cpu", { CPUBackend() })]
    let selector = env["WMSIM_BENCH_DEVICE"]
    if env["WMSIM_BENCH_NO_OPENCL"] == nil, (try? OpenCLBackend.select(selector)) != nil {
        backends.append(("opencl", { try OpenCLBackend(selector: selector) }))
    } else {
        FileHandle.standardError.write(Data("[ReadoutBenchmarks] skipping OpenCL (no device or WMSIM_BENCH_NO_OPENCL)\n".utf8))
    }

    for (name, make) in backends {
        Benchmark("moments \(name) N=1000 K=100", configuration: configuration) { benchmark, backend in
            let spec = collectSpec()
            let t0 = clock.now
            do {
                let input = try InputSource(spec: spec.input, nIn: 1)
                let out = try CapacityRun.collect(spec, backend: backend, input: input, storeLags: nil,
                                                  moments: backend.capabilities.reducesLagMomentsOnDevice ? .device : .host)
                blackHole(out.collected.count)
            } catch {
                benchmark.error("collect failed: \(error)")
                return
            }
            benchmark.measurement(ReadoutMetrics.rowsPerSecond, Int(Double(spec.train + spec.validation + spec.test) / seconds(clock.now - t0)))
        } setup: { try make() }

        Benchmark("gemm \(name) 1024x1000x128", configuration: configuration) { benchmark, f in
            let t0 = clock.now
            do {
                try f.ops.gemm(transA: false, transB: false, alpha: 1, f.a, f.b, beta: 0, f.c)
                try f.ops.finish()
            } catch {
                benchmark.error("gemm failed: \(error)")
                return
            }
            benchmark.measurement(ReadoutMetrics.mflops, Int(2.0 * 1024 * 1000 * 128 / seconds(clock.now - t0) / 1e6))
        } setup: { () throws -> GemmFixture in
            try GemmFixture(ops: make().makeDenseOps())
        }
    }
}
