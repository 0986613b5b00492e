// Throughput benchmarks of the standard workloads A, B, C (shared/benchmarks/README.md) at batch 1
// and 64, on the CPU backend and on OpenCL. See ../../README.md.
//
// One benchmark iteration = one `engine.advance(steps: S)` on an engine built (networks
// generated) in the benchmark's setup, outside all measurement. S is the workload's step count
// divided by WMSIM_BENCH_STEP_DIVISOR (default 10, the "quick" settings).
//
// Environment:
//   WMSIM_BENCH_STEP_DIVISOR  steps per iteration = workload steps / this (default 10; 1 = full)
//   WMSIM_BENCH_MAX_SECONDS   max duration of each benchmark (default 3)
//   WMSIM_BENCH_MAX_ITER      max iterations of each benchmark (default 20)
//   WMSIM_BENCH_DEVICE        OpenCL device selector (index or part of the name; default auto)
//   WMSIM_BENCH_NO_OPENCL     set to skip the OpenCL benchmarks

import Benchmark
import Foundation
import WMCore
import WMExperiments
import WMOpenCL

private let env = ProcessInfo.processInfo.environment

private func envInt(_ key: String, _ fallback: Int) -> Int {
    env[key].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { Swift.max(1, $0) } ?? fallback
}

/// Custom metrics (one value per iteration).
private enum EngineMetrics {
    /// nnz · S · batch / seconds of the iteration.
    static var synapticUpdates: BenchmarkMetric {
        .custom("synaptic updates/s", polarity: .prefersLarger, useScalingFactor: false)
    }
    /// Compulsory bytes per step (Throughput.bytesPerStep) · S / seconds, in MB/s.
    static var effectiveMBps: BenchmarkMetric {
        .custom("effective MB/s", polarity: .prefersLarger, useScalingFactor: false)
    }
    /// S / seconds.
    static var stepsPerSecond: BenchmarkMetric {
        .custom("steps/s", polarity: .prefersLarger, useScalingFactor: false)
    }
}

/// What a benchmark's setup builds: the engine and the constants the metrics need.
private final class EngineFixture: @unchecked Sendable {
    let engine: any SimulationEngine
    let nnz: Int
    let bytesPerStep: Double
    let steps: Int
    let batch: Int

    init(engine: any SimulationEngine, nnz: Int, bytesPerStep: Double, steps: Int, batch: Int) {
        self.engine = engine
        self.nnz = nnz
        self.bytesPerStep = bytesPerStep
        self.steps = steps
        self.batch = batch
    }

    static func make(workload w: Workload, backend: any Backend) throws -> EngineFixture {
        let ens = StandardWorkloads.ensemble(for: w)
        let engine = try backend.makeEngine(ensemble: ens, networks: nil, input: try StandardWorkloads.inputSource(),
                                            options: EngineOptions())
        let nnz = try engine.synapseCount()
        let bytes = Throughput.bytesPerStep(n: ens.n, nIn: ens.nIn, batch: ens.trials, networks: ens.count,
                                            format: engine.format, nnz: nnz)
        // Warm-up outside measurement (kernels built, caches and pages touched).
        try engine.advance(steps: Swift.max(1, w.steps / 10))
        FileHandle.standardError.write(Data("[EngineBenchmarks] \(w.name) \(engine.backendInfo.kind) on \(engine.backendInfo.device): format \(engine.format.rawValue)\(engine.fusesSteps.map { $0 ? ", fused" : ", per-step launches" } ?? ""), nnz \(nnz), \(w.steps) steps/iteration\n".utf8))
        return EngineFixture(engine: engine, nnz: nnz, bytesPerStep: bytes, steps: w.steps, batch: w.batch)
    }
}

private func register(_ w: Workload, backendName: String, configuration: Benchmark.Configuration,
                      makeBackend: @escaping @Sendable () throws -> any Backend) {
    Benchmark("\(w.name) \(backendName)", configuration: configuration) { benchmark, fixture in
        let clock = ContinuousClock()
        let t0 = clock.now
        do {
            try fixture.engine.advance(steps: fixture.steps)
        } catch {
            benchmark.error("advance failed: \(error)")
            return
        }
        let d = (clock.now - t0).components
        let sec = Double(d.seconds) + Double(d.attoseconds) * 1e-18
        guard sec > 0 else { return }
        let steps = Double(fixture.steps)
        benchmark.measurement(EngineMetrics.synapticUpdates, Int(Double(fixture.nnz) * steps * Double(fixture.batch) / sec))
        benchmark.measurement(EngineMetrics.effectiveMBps, Int(fixture.bytesPerStep * steps / sec / 1e6))
        benchmark.measurement(EngineMetrics.stepsPerSecond, Int(steps / sec))
    } setup: { () async throws -> EngineFixture in
        try EngineFixture.make(workload: w, backend: try makeBackend())
    }
}

let benchmarks: @Sendable () -> Void = {
    let divisor = envInt("WMSIM_BENCH_STEP_DIVISOR", 10)
    let maxSeconds = envInt("WMSIM_BENCH_MAX_SECONDS", 3)
    let maxIterations = envInt("WMSIM_BENCH_MAX_ITER", 20)

    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, EngineMetrics.synapticUpdates, EngineMetrics.effectiveMBps, EngineMetrics.stepsPerSecond],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(maxSeconds),
        maxIterations: maxIterations
    )

    var workloads: [Workload] = []
    for id in ["A", "B", "C"] {
        for batch in [1, 64] {
            var w = StandardWorkloads.workload(id, batch: batch)!
            w.steps = Swift.max(1, w.steps / divisor)
            workloads.append(w)
        }
    }

    for w in workloads {
        register(w, backendName: "cpu", configuration: configuration) { CPUBackend() }
    }

    // OpenCL: only when a device is present.
    let selector = env["WMSIM_BENCH_DEVICE"]
    var openCLNote: String? = nil
    if env["WMSIM_BENCH_NO_OPENCL"] != nil {
        openCLNote = "WMSIM_BENCH_NO_OPENCL is set"
    } else {
        do {
            _ = try OpenCLBackend.select(selector)
        } catch {
            openCLNote = "no usable OpenCL device (\(error))"
        }
    }
    if let note = openCLNote {
        FileHandle.standardError.write(Data("[EngineBenchmarks] skipping the OpenCL benchmarks: \(note)\n".utf8))
    } else {
        for w in workloads {
            register(w, backendName: "opencl", configuration: configuration) { try OpenCLBackend(selector: selector) }
        }
    }
}
