/// IEEE 754 binary16 ("half") conversions in integer arithmetic.
///
/// Swift's `Float16` is missing on some platforms (Intel Macs), and weights must round the same
/// way everywhere, so the fp16 storage path uses these instead: round to nearest, ties to even,
/// subnormals kept, values from 65520 up becoming infinity, NaN staying NaN. The test
/// `HalfBitsTests` checks them against `Float16` where the platform has it: every half decodes
/// to the same float, and rounding agrees on ties, subnormals, the overflow edge and random floats.
public enum HalfBits {
    /// The binary16 bits nearest to `x` (ties to even).
    @inline(__always)
    public static func from(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: (u >> 16) & 0x8000)
        let a = u & 0x7FFF_FFFF
        if a >= 0x7F80_0000 {  // infinity or NaN (a NaN keeps its top payload bits and stays quiet)
            return a == 0x7F80_0000 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: (a >> 13) & 0x3FF)
        }
        if a >= 0x477F_F000 { return sign | 0x7C00 }  // ≥ 65520 rounds past the largest half, 65504
        if a >= 0x3880_0000 {  // a normal half: round the 23-bit significand to 10 bits at bit 13
            let rounded = a &+ 0x0FFF &+ ((a >> 13) & 1)
            return sign | UInt16(truncatingIfNeeded: (rounded >> 13) &- (112 << 10))
        }
        if a <= 0x3300_0000 { return sign }  // ≤ 2⁻²⁵: zero (2⁻²⁵ itself is a tie to the even 0)
        // A subnormal half: the value in units of 2⁻²⁴, rounded to nearest even.
        let exponent = a >> 23
        let significand = (a & 0x7F_FFFF) | 0x80_0000
        let shift = 126 - exponent  // 14…24
        var q = significand >> shift
        let rest = significand & ((1 << shift) - 1), half = UInt32(1) << (shift - 1)
        if rest > half || (rest == half && q & 1 == 1) { q += 1 }
        return sign | UInt16(truncatingIfNeeded: q)
    }

    /// The float holding the binary16 value `h` exactly.
    @inline(__always)
    public static func float(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F, significand = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            let magnitude = Float(significand) * 0x1p-24  // exact: 10 bits times a power of two
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 31: return Float(bitPattern: sign | 0x7F80_0000 | significand << 13)
        default: return Float(bitPattern: sign | (exponent + 112) << 23 | significand << 13)
        }
    }
}
