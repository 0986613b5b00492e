import Foundation
import WMCore

/// A trained network on disk, readable by NumPy (scripts/replay_trained.py replays it):
///
///     trained.json                  format "wmsim-trained-network", version, provenance, spec, result
///     J_indptr.npy, J_indices.npy   int32, CSR of J (row i holds the weights onto neuron i)
///     J_data.npy                    float32, without the gain g (the model multiplies by spec.network.g)
///     wi.npy [N, 2], wf.npy [N], wfd.npy [N, 2], x0.npy [N]      float32
///     wo.npy [N], wd.npy [N, 2]                                   float64 (trained readouts)
///     start_states.npy [4, N]                                     float64, trial types (0,0) (0,1) (1,0) (1,1)
///     evaluation_input.npy [runs, steps, 2], evaluation_target.npy [runs, steps]   float32
///     evaluation_start.npy [runs]                                 int32, index into start_states
///
/// A network whose training failed is saved with its weights at the failure and without the
/// start states and evaluation arrays.
public enum TrainedNetworkArchive {
    public static let format = "wmsim-trained-network"
    public static let version = 1

    struct Manifest: Codable {
        var format = TrainedNetworkArchive.format
        var version = TrainedNetworkArchive.version
        var provenance: Provenance
        var spec: ForceTrainingSpec
        var result: ForceTrainingResult
    }

    /// Writes the archive into `dir` (created if needed; existing files of the archive are replaced).
    public static func save(spec: ForceTrainingSpec, network: FeedbackNetwork, startStates: [[Double]], result: ForceTrainingResult,
                            provenance: Provenance, to dir: URL) throws {
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw WMError.file(path: dir.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        let n = network.spec.n
        func file(_ name: String) -> URL { dir.appendingPathComponent(name) }
        let j = network.recurrent
        try NPY.write(j.rowPtr, shape: [n + 1], to: file("J_indptr.npy"))
        try NPY.write(j.colIndex, shape: [j.nnz], to: file("J_indices.npy"))
        try NPY.write(j.values, shape: [j.nnz], to: file("J_data.npy"))
        try NPY.write(network.input, shape: [n, FeedbackNetworkSpec.inputs], to: file("wi.npy"))
        try NPY.write(network.feedback, shape: [n], to: file("wf.npy"))
        try NPY.write(network.dummyFeedback, shape: [n, FeedbackNetworkSpec.dummies], to: file("wfd.npy"))
        try NPY.write(network.initialState, shape: [n], to: file("x0.npy"))
        try NPY.write(network.output, shape: [n], to: file("wo.npy"))
        try NPY.write(network.dummyOutput, shape: [n, FeedbackNetworkSpec.dummies], to: file("wd.npy"))
        let evaluationFiles = ["start_states.npy", "evaluation_input.npy", "evaluation_target.npy", "evaluation_start.npy"]
        if startStates.count != 4 {
            // A failed training has no evaluation: leave no file of an earlier archive behind.
            for f in evaluationFiles { try? FileManager.default.removeItem(at: file(f)) }
        } else {
            try NPY.write(startStates.flatMap { $0 }, shape: [4, n], to: file("start_states.npy"))
            let runs = ForceTraining.evaluationRuns(spec, task: try SequentialTask(spec.task))
            let steps = spec.task.trialSteps
            try NPY.write(runs.flatMap(\.trial.input), shape: [runs.count, steps, 2], to: file("evaluation_input.npy"))
            try NPY.write(runs.flatMap(\.trial.target), shape: [runs.count, steps], to: file("evaluation_target.npy"))
            try NPY.write(runs.map { Int32($0.start) }, shape: [runs.count], to: file("evaluation_start.npy"))
        }
        try ResultWriter.json(Manifest(provenance: provenance, spec: spec, result: result), to: file("trained.json"))
    }

    /// What `load` returns.
    public struct Loaded: Sendable {
        public var spec: ForceTrainingSpec
        public var network: FeedbackNetwork
        public var startStates: [[Double]]
        public var result: ForceTrainingResult
    }

    /// Reads an archive written by `save`, checking the format, shapes and CSR invariants.
    public static func load(from dir: URL) throws -> Loaded {
        let mURL = dir.appendingPathComponent("trained.json")
        guard let data = FileManager.default.contents(atPath: mURL.path) else {
            throw WMError.file(path: mURL.path, reason: "no trained.json here (write one with `wmsim train`)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let m: Manifest
        do { m = try decoder.decode(Manifest.self, from: data) } catch {
            throw WMError.file(path: mURL.path, reason: "not a trained-network manifest: \(error)")
        }
        guard m.format == format, m.version == version else {
            throw WMError.file(path: mURL.path, reason: "format \(m.format) version \(m.version); this wmsim reads \(format) version \(version)")
        }
        do { try m.spec.validate() } catch { throw WMError.file(path: mURL.path, reason: "invalid spec: \(error)") }
        let n = m.spec.network.n
        func array(_ name: String, _ shape: [Int]) throws -> NPYArray {
            let url = dir.appendingPathComponent(name)
            let a = try NPY.read(url)
            guard a.shape == shape else { throw WMError.file(path: url.path, reason: "shape \(a.shape), expected \(shape)") }
            return a
        }
        let ptr = try NPY.read(dir.appendingPathComponent("J_indptr.npy")).int32s()
        let idx = try NPY.read(dir.appendingPathComponent("J_indices.npy")).int32s()
        let val = try NPY.read(dir.appendingPathComponent("J_data.npy")).floats()
        let j = CSRMatrix(rows: n, cols: n, rowPtr: ptr, colIndex: idx, values: val)
        try j.validate(name: dir.appendingPathComponent("J_*.npy").path)
        let net = FeedbackNetwork(
            spec: m.spec.network, recurrent: j,
            input: try array("wi.npy", [n, 2]).floats(), feedback: try array("wf.npy", [n]).floats(),
            dummyFeedback: try array("wfd.npy", [n, 2]).floats(), initialState: try array("x0.npy", [n]).floats(),
            output: try array("wo.npy", [n]).doubles(), dummyOutput: try array("wd.npy", [n, 2]).doubles())
        var starts: [[Double]] = []
        if m.result.failure == nil {
            let s = try array("start_states.npy", [4, n]).doubles()
            starts = (0..<4).map { Array(s[($0 * n)..<(($0 + 1) * n)]) }
        }
        return Loaded(spec: m.spec, network: net, startStates: starts, result: m.result)
    }
}
