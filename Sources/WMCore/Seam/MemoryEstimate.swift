import Foundation

/// Bytes an engine will allocate, estimated before allocating anything.
public struct MemoryEstimate: Sendable {
    public var weights: Int
    public var state: Int
    public var input: Int
    public var records: Int
    public var total: Int { weights + state + input + records }

    /// Upper estimate of the stored synapses of one network (mean + 6σ of the binomial count).
    public static func nnzBound(_ s: NetworkSpec) -> Double {
        let n2 = Double(s.n) * Double(s.n)
        return n2 * s.sp + 6 * (n2 * s.sp * (1 - s.sp)).squareRoot() + Double(s.n)
    }

    /// Bytes of one network's recurrent weights stored in `format` (already resolved; `auto` is
    /// counted as dense, procedural as 0), in double so that impossible sizes do not overflow.
    /// `valueBytes` is 2 for 16-bit weights (`WeightPrecision`).
    public static func weightBytes(_ s: NetworkSpec, format: WeightFormat, indexBytes: Int, valueBytes: Int = 4) -> Double {
        let n = Double(s.n), idx = Double(indexBytes), nnz = nnzBound(s), v = Double(valueBytes)
        switch format {
        case .procedural: return 0
        case .dense, .auto: return n * n * v
        case .csr: return nnz * (v + idx) + (n + 1) * 4
        case .ell:
            // Row lengths of Bernoulli rows stay within mean + 6σ + 1 of each other, so no slice
            // is wider; the device's SELL layout adds a position and a slice offset per row.
            let p = s.sp
            let width = n * p + 6 * (n * p * (1 - p)).squareRoot() + 1
            return Swift.min(width, n) * n * (v + idx) + n * 12
        }
    }

    /// The estimate for an ensemble stored in `format` (already resolved), with records of
    /// `recordWidth` neurons per trajectory kept for one chunk of `chunkSteps` steps.
    public init(ensemble: Ensemble, format: WeightFormat, chunkSteps: Int, recordWidth: Int, hostCopyOfCSR: Bool, indexBytes: Int,
                valueBytes: Int = 4) {
        let n = Double(ensemble.n)
        let chunkSteps = Swift.max(1, chunkSteps)
        var w = 0.0
        for s in ensemble.networks {
            w += MemoryEstimate.weightBytes(s, format: format, indexBytes: indexBytes, valueBytes: valueBytes)
            if hostCopyOfCSR { w += MemoryEstimate.nnzBound(s) * 8 + (n + 1) * 4 }
            w += n * Double(ensemble.nIn) * 4
        }
        weights = Int(w)
        state = 2 * ensemble.stateCount * 4
        input = chunkSteps * ensemble.trials * ensemble.nIn * 4
        records = chunkSteps * ensemble.count * ensemble.trials * recordWidth * 4
    }

    /// How a refusal names the weights: stored formats point to the one that stores nothing.
    /// With 16-bit weights there is no procedural alternative to point to (it stores nothing in any precision).
    public static func formatLabel(_ format: WeightFormat, precision: WeightPrecision = .fp32) -> String {
        guard format.isStored else { return "procedural weights" }
        return precision == .fp32 ? "\(format.rawValue) weights; --format procedural stores none" : "\(format.rawValue) weights in \(precision.rawValue)"
    }

    /// Throws `insufficientMemory` when the total exceeds `available` (with the estimate).
    public func check(available: Int, what: String) throws {
        if total > available { throw WMError.insufficientMemory(needed: total, available: available, what: what) }
    }
}
