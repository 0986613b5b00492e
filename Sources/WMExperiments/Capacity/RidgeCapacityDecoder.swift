import WMCore

/// Ridge regression from the training segment's moments, λ chosen per lag on the validation
/// segment (or fixed by `spec.lambda`), scored on the test segment's moments.
struct RidgeCapacityDecoder: CapacityDecoder {
    var kind: DecoderKind { .ridge }

    func lags(_ spec: CapacitySpec) -> [Int] { Array(1...Swift.max(1, spec.maxLag)) }

    func storedLags(_ spec: CapacitySpec) -> [Int]? { nil }

    func decode(_ collected: [CapacityRun.Collected], active: [Int], context: DecoderContext) throws -> DecoderOutcome {
        var out = DecoderOutcome(curves: [MemoryCurve?](repeating: nil, count: collected.count))
        for m in active {
            context.progress?("ridge", m, collected.count)
            let c = collected[m]
            do {
                let readout: RidgeReadout
                if let l = context.spec.absoluteLambda {
                    readout = try RidgeReadout(training: c.moments[0], lambda: l, validation: c.moments[1])
                } else if let l = context.spec.lambda {
                    readout = try RidgeReadout(training: c.moments[0], validation: c.moments[1], relativeLambdas: [l])
                } else {
                    readout = try RidgeReadout(training: c.moments[0], validation: c.moments[1])
                }
                out.curves[m] = MemoryCurve(scores: try readout.evaluate(c.moments[2]))
            } catch let e as WMError {
                out.warnings.append("ridge, \(context.networks.labels[m]): \(e.description)")
            }
        }
        return out
    }
}
