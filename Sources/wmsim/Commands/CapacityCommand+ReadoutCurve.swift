import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension CapacityCommand {
    /// `capacity --readout-neurons n1,n2,…`: the memory curve over the number of readout neurons,
    /// one simulation and one decoder fit per size (`ReadoutCurveMeasurement`). Every input is
    /// checked, and the sizes resolved against N, before the output folder is made.
    func executeCurve(_ sizes: ReadoutSizes) throws {
        let (s, backend, source, loaded) = try prepare()
        let n = loaded?.first?.spec.n ?? s.network.n
        var curve = ReadoutCurveSpec(capacity: s, readoutNeurons: try sizes.resolve(n: n))
        if let first = loaded?.first {
            curve.capacity.network = first.spec
            curve.capacity.networks = loaded?.count ?? s.networks
        }
        try curve.validate()
        let count = loaded?.count ?? s.networks
        try curve.memory(networks: count, backend: backend)
            .check(capabilities: backend.capabilities, what: "readout curve of \(count) network(s) of N = \(n), n up to \(curve.largest)")
        if loaded == nil, let note = curve.point(curve.largest).weightFormat(backend: backend).note { Console.note(note) }
        Console.note("capacity: \(count) \(loaded == nil ? "" : "loaded ")network(s) × \(s.trials) trial(s), N = \(n), \(s.totalSteps) steps each (washout \(s.washout), train \(s.train), validation \(s.validation), test \(s.test)), lags 1…\(s.maxLag), decoders \(s.decoders.map(\.rawValue).joined(separator: "+")); "
                     + "readout curve over n = \(curve.readoutNeurons.map(String.init).joined(separator: ", ")) (nested random subsets, one simulation recording \(curve.largest) neurons)")
        let (result, outDir) = try measureIntoFolder(fitUnit: "fits") { progress in
            try ReadoutCurveMeasurement.run(curve, backend: backend, input: source, networks: loaded, moments: moments, progress: progress)
        }
        try ReadoutCurveOutput.write(result, to: outDir, logLags: logLagAxis)
        print(ReadoutCurveOutput.table(result))
        for w in result.warnings { Console.note("warning: \(w)") }
        print("wrote \(outDir.path)/{\(ReadoutCurveOutput.fileNames.joined(separator: ","))}")
    }
}
