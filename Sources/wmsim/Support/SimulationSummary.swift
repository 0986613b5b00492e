import Foundation
import WMCore
import WMExperiments

/// Contents of simulate's summary.json.
struct SimulationSummary: Encodable {
    struct Record: Encodable {
        var file: String
        var shape: [Int]
        var every: Int
        var neurons: [Int]?
        var firstTime: Int
        var layout: String
    }

    var provenance: Provenance
    var status: String
    var error: String?
    var config: SimulationConfig
    var networks: [NetworkSpec]
    var recurrentGain: [Float]
    var n: Int
    var nIn: Int
    var networksCount: Int
    var trials: Int
    var format: String
    var fusedSteps: Bool?
    var synapses: Int
    var steps: Int
    var record: Record?
    var setupSeconds: Double
    var runSeconds: Double
    var stepsPerSecond: Double
    var synapticUpdatesPerSecond: Double
    var finalRates: [FinalRateStats]
    var files: [String]
    var conventions = "x(t+1) is computed from x(t) and u(t); the state x(t) has seen u(0)…u(t−1). Trial b of every network sees the same input stream."
}

/// Mean, s.d. and range of the final state of one network (over neurons and trials).
struct FinalRateStats: Encodable {
    var mean: Double
    var sd: Double
    var min: Double
    var max: Double

    static func per(network x: [Float], m: Int, n: Int, b: Int) -> [FinalRateStats] {
        (0..<m).map { mm in
            let slice = x[(mm * n * b)..<((mm + 1) * n * b)]
            let mean = slice.reduce(0.0) { $0 + Double($1) } / Double(slice.count)
            let v = slice.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(slice.count)
            return FinalRateStats(mean: mean, sd: v.squareRoot(), min: Double(slice.min() ?? 0), max: Double(slice.max() ?? 0))
        }
    }
}

/// Writes the input stream a run used, `[T, B, nIn]`, in chunks.
enum InputStreamFile {
    static func write(_ src: InputSource, steps: Int, trials: Int, to url: URL) throws {
        let w = try NPYStreamWriter(url: url, shape: [steps, trials, src.nIn])
        var buf: [Float] = []
        var t = 0
        while t < steps {
            let c = min(4096, steps - t)
            try src.fill(t0: t, count: c, trials: trials, into: &buf)
            try w.append(buf)
            t += c
        }
        try w.finish()
    }
}
