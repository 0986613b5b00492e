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

/// The output folder of a command.
enum OutputFolder {
    /// Creates `path` (or wmsim-out/<command>-<date>); refuses a non-empty folder unless forced.
    static func prepare(_ path: String?, command: String, force: Bool) throws -> URL {
        let fm = FileManager.default
        let url: URL
        if let p = path {
            url = URL(fileURLWithPath: p)
        } else {
            let f = DateFormatter()
            f.dateFormat = "yyyyMMdd-HHmmss"
            var u = URL(fileURLWithPath: "wmsim-out/\(command)-\(f.string(from: Date()))")
            var k = 1
            while fm.fileExists(atPath: u.path) { u = URL(fileURLWithPath: "wmsim-out/\(command)-\(f.string(from: Date()))-\(k)"); k += 1 }
            url = u
        }
        if let items = try? fm.contentsOfDirectory(atPath: url.path), !items.isEmpty, !force {
            throw WMError.file(path: url.path, reason: "output folder is not empty; choose another --out or pass --force")
        }
        do { try fm.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw WMError.file(path: url.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        return url
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
