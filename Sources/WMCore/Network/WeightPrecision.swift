/// How the recurrent weights are stored; sums are always accumulated in 32-bit floats.
///
/// The 16-bit precisions round every recurrent weight once, when it is stored (round to
/// nearest, ties to even), and both backends then compute with exactly the rounded values: the
/// OpenCL engine stores 16 bits per weight and widens each to float as it reads it, the CPU
/// engine keeps the rounded values as floats. So CPU/OpenCL parity is the fp32 contract on the
/// rounded network, and the network itself differs from the fp32 one by at most half a unit in
/// the last place of the 16-bit format: bf16 2⁻⁸ relative; fp16 2⁻¹¹ relative for magnitudes
/// ≥ 6.1·10⁻⁵, below that an absolute 2⁻²⁵ (subnormals; below 3·10⁻⁸ a weight becomes 0 and
/// stays a stored synapse). A weight beyond fp16's range (65504) is refused, not made infinite.
/// The spectral-radius gain (`--spectral-radius`) is computed on the fp32 weights and applied to
/// the rounded ones on both backends. What rounding does to the memory curve is measured and
/// stated in docs/model.md §3. Input weights stay fp32.
public enum WeightPrecision: String, Codable, Sendable, CaseIterable {
    /// IEEE single precision: the weights as generated.
    case fp32
    /// IEEE half precision (11-bit significand, 5-bit exponent; magnitudes below 6.1·10⁻⁵ lose
    /// relative precision, above 65504 overflow).
    case fp16
    /// bfloat16: the upper half of a float (8-bit significand, float's exponent range).
    case bf16

    /// Bytes of one stored weight.
    public var bytes: Int { self == .fp32 ? 4 : 2 }

    /// `x` rounded to this precision and widened back to float.
    @inline(__always)
    public func round(_ x: Float) -> Float {
        switch self {
        case .fp32: return x
        case .fp16: return HalfBits.float(HalfBits.from(x))
        case .bf16: return Float(bitPattern: UInt32(WeightPrecision.bf16Bits(x)) << 16)
        }
    }

    /// The 16 bits stored for `x` (fp16 or bf16; `x` as fp32 has no 16-bit form).
    @inline(__always)
    public func bits16(_ x: Float) -> UInt16 {
        self == .fp16 ? HalfBits.from(x) : WeightPrecision.bf16Bits(x)
    }

    /// bfloat16 bits of `x`, rounded to nearest with ties to even (NaN stays NaN).
    @inline(__always)
    public static func bf16Bits(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(u >> 16) | 0x0040 }
        let rounded = u &+ 0x7FFF &+ ((u >> 16) & 1)
        return UInt16(rounded >> 16)
    }

    /// `m` with every value rounded to this precision (structure unchanged, zeros kept as
    /// synapses). Throws when a finite weight has no finite 16-bit form (fp16 beyond 65504).
    public func rounded(_ m: CSRMatrix) throws -> CSRMatrix {
        guard self != .fp32 else { return m }
        let values = m.values.map(round)
        if let k = values.indices.first(where: { !values[$0].isFinite && m.values[$0].isFinite }) {
            throw WMError.invalidParameter(name: "weight precision", value: "\(rawValue): a recurrent weight of \(m.values[k])",
                                           expected: "weights within \(self == .fp16 ? "fp16's ±65504" : "the format's range"); use bf16 (float's range) or fp32, or smaller gains")
        }
        return CSRMatrix(rows: m.rows, cols: m.cols, rowPtr: m.rowPtr, colIndex: m.colIndex, values: values)
    }
}
