/// Host generation of the input stream, bit-identical to `Kernels/input.cl` for uniform and
/// onehot (Gaussian agrees to a few ulp).
///
/// Layout of a chunk: `u[((t − t0)·B + b)·nIn + k]`.
public struct InputSource: Sendable {
    public let spec: InputSpec
    public let nIn: Int
    /// User data `[T, nIn]` for kind `file`.
    public let data: [Float]?
    /// Rows available in `data`.
    public var fileSteps: Int { data.map { $0.count / Swift.max(nIn, 1) } ?? 0 }

    public init(spec: InputSpec, nIn: Int, data: [Float]? = nil) throws {
        try spec.validate()
        guard nIn >= 1 else { throw WMError.invalidParameter(name: "nIn", value: "\(nIn)", expected: "an integer ≥ 1") }
        if spec.kind == .file {
            guard let d = data else { throw WMError.invalidParameter(name: "input", value: "no data", expected: "the stream loaded from \(spec.path ?? "a file")") }
            guard d.count % nIn == 0, !d.isEmpty else {
                throw WMError.invalidParameter(name: "input file", value: "\(d.count) values", expected: "a [T, nIn=\(nIn)] array")
            }
            guard d.allSatisfy(\.isFinite) else {
                throw WMError.invalidParameter(name: "input file", value: "NaN/Inf", expected: "finite values")
            }
        }
        self.spec = spec
        self.nIn = nIn
        self.data = data
    }

    /// The onehot item (0-based channel) shown at step t in trial b, or nil during burn-in.
    @inline(__always)
    public func onehotItem(t: Int, trial b: Int) -> Int? {
        if t < spec.burnIn { return nil }
        let q = (t - spec.burnIn) / spec.holdSteps
        let w = Philox4x32(seed: spec.seed).block(UInt32(truncatingIfNeeded: q), UInt32(truncatingIfNeeded: b), 0, RandomStream.onehotItem.rawValue).0
        return Int((UInt64(w) &* UInt64(nIn)) >> 32)
    }

    /// Fills `out` (count·B·nIn values) with steps t0..<t0+count for B trials.
    public func fill(t0: Int, count: Int, trials: Int, into out: inout [Float]) throws {
        let total = count * trials * nIn
        if out.count != total { out = [Float](repeating: 0, count: total) }
        let amp = Float(spec.amplitude)
        let rng = Philox4x32(seed: spec.seed)
        switch spec.kind {
        case .none:
            for i in 0..<total { out[i] = 0 }
        case .uniform:
            for s in 0..<count {
                let t = UInt32(truncatingIfNeeded: t0 + s)
                for b in 0..<trials {
                    let base = (s * trials + b) * nIn
                    var k = 0
                    while k < nIn {
                        let blk = rng.block(t, UInt32(b), UInt32(k >> 2), RandomStream.input.rawValue)
                        let words = [blk.0, blk.1, blk.2, blk.3]
                        for q in 0..<Swift.min(4, nIn - k) { out[base + k + q] = (RandomBits.unitFloat(words[q]) * 2 - 1) * amp }
                        k += 4
                    }
                }
            }
        case .gaussian:
            for s in 0..<count {
                let t = UInt32(truncatingIfNeeded: t0 + s)
                for b in 0..<trials {
                    let base = (s * trials + b) * nIn
                    for k in 0..<nIn {
                        let blk = rng.block(t, UInt32(b), UInt32(k >> 1), RandomStream.input.rawValue)
                        let z = (k & 1) == 0 ? RandomBits.normal(blk.0, blk.1) : RandomBits.normal(blk.2, blk.3)
                        out[base + k] = z * amp
                    }
                }
            }
        case .onehot:
            for s in 0..<count {
                for b in 0..<trials {
                    let base = (s * trials + b) * nIn
                    for k in 0..<nIn { out[base + k] = 0 }
                    if let item = onehotItem(t: t0 + s, trial: b) { out[base + item] = amp }
                }
            }
        case .file:
            guard let d = data else { return }
            guard t0 + count <= fileSteps else {
                throw WMError.invalidParameter(name: "steps", value: "\(t0 + count)", expected: "at most the \(fileSteps) steps of the input file \(spec.path ?? "")")
            }
            for s in 0..<count {
                for b in 0..<trials {
                    for k in 0..<nIn { out[(s * trials + b) * nIn + k] = d[(t0 + s) * nIn + k] * amp }
                }
            }
        }
    }
}
