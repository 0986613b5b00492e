import Foundation
import WMCore

/// Where stimulus codes come from: 2-D Gaussian clusters around each class mean, or samples read
/// from files. `sample` is a pure function of (seed, trial, step), so every backend and every
/// resumed run sees the same stimuli.
public enum ClassCodes: Sendable {
    /// Class c draws mean[c] + spread·ξ, ξ ~ N(0, I₂).
    case gaussian(means: [[Float]], spread: Float)
    /// Class c draws one of its own samples, uniformly; `means` are the per-class sample means.
    case samples(byClass: [[[Float]]], means: [[Float]])

    /// The codes `spec` describes (reading its files, if any).
    public init(_ spec: SequentialTaskSpec) throws {
        try spec.validate()
        guard let codesPath = spec.codesPath, let labelsPath = spec.labelsPath else {
            self = .gaussian(means: spec.classMeans.map { $0.map(Float.init) }, spread: Float(spec.classSpread))
            return
        }
        let codes = try NPY.read(URL(fileURLWithPath: codesPath))
        let labels = try NPY.read(URL(fileURLWithPath: labelsPath))
        guard codes.shape.count == 2, codes.shape[1] == 2, codes.shape[0] >= 1 else {
            throw WMError.file(path: codesPath, reason: "codes must have shape [samples, 2], not \(codes.shape)")
        }
        let n = codes.shape[0]
        guard labels.shape == [n] else {
            throw WMError.file(path: labelsPath, reason: "labels must have shape [\(n)] (one per code), not \(labels.shape)")
        }
        let values = try codes.floats()
        let classes: [Int64]
        do { classes = try labels.int64s() } catch {
            throw WMError.file(path: labelsPath, reason: "labels must be the integers 0 and 1 (\(error))")
        }
        var byClass: [[[Float]]] = [[], []]
        for (i, c) in classes.enumerated() {
            guard c == 0 || c == 1 else { throw WMError.file(path: labelsPath, reason: "label \(c) at index \(i); labels must be 0 or 1") }
            let code = [values[2 * i], values[2 * i + 1]]
            guard code.allSatisfy(\.isFinite) else { throw WMError.file(path: codesPath, reason: "code \(i) is not finite: \(code)") }
            byClass[Int(c)].append(code)
        }
        for c in 0..<2 where byClass[c].isEmpty {
            throw WMError.file(path: labelsPath, reason: "no sample of class \(c); both classes 0 and 1 need samples")
        }
        let means = byClass.map { s -> [Float] in
            let k = Double(s.count)
            return [Float(s.reduce(0.0) { $0 + Double($1[0]) } / k), Float(s.reduce(0.0) { $0 + Double($1[1]) } / k)]
        }
        try SequentialTaskSpec.checkMeans(means.map { $0.map(Double.init) })
        self = .samples(byClass: byClass, means: means)
    }

    /// The dummy target of class c: its mean code.
    public func mean(_ c: Int) -> [Float] {
        switch self {
        case let .gaussian(means, _): return means[c]
        case let .samples(_, means): return means[c]
        }
    }

    /// The code of class c shown at `step` of `trial` under `seed`.
    public func sample(_ c: Int, seed: UInt64, trial: Int, step: Int) -> (Float, Float) {
        let w = Philox4x32(seed: seed).block(UInt32(truncatingIfNeeded: trial), UInt32(truncatingIfNeeded: step), 0,
                                             RandomStream.taskStimulus.rawValue)
        switch self {
        case let .gaussian(means, spread):
            let m = means[c]
            return (m[0] + spread * RandomBits.normal(w.0, w.1), m[1] + spread * RandomBits.normal(w.2, w.3))
        case let .samples(byClass, _):
            let s = byClass[c]
            let i = Swift.min(s.count - 1, Int(RandomBits.unitDouble(w.0, w.1) * Double(s.count)))
            return (s[i][0], s[i][1])
        }
    }
}
