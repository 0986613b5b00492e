@testable import WMCore

/// SplitMix64: reproducible random bits for the kernel tests' inputs.
struct TestBits {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (−1, 1) times a power of two in 2⁻⁴…2⁴, so sums cancel and round often.
    mutating func float() -> Float {
        let u = Float(next() >> 40) / Float(1 << 24) * 2 - 1
        return u * Float(sign: .plus, exponent: Int(next() % 9) - 4, significand: 1)
    }
}

/// A random n × n CSR matrix whose row lengths (0…maxLength) are mostly not multiples of 8 or
/// 16, columns in increasing order.
func randomTestCSR(n: Int, maxLength: Int, seed: UInt64) -> CSRMatrix {
    var bits = TestBits(s: seed)
    var rowPtr: [Int32] = [0], cols: [Int32] = [], vals: [Float] = []
    for _ in 0..<n {
        let len = Int(bits.next() % UInt64(maxLength + 1))
        let picked = Set((0..<len).map { _ in Int32(bits.next() % UInt64(n)) }).sorted()
        cols += picked
        vals += picked.map { _ in bits.float() }
        rowPtr.append(Int32(cols.count))
    }
    return CSRMatrix(rows: n, cols: n, rowPtr: rowPtr, colIndex: cols, values: vals)
}
