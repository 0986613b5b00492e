/// Philox4x32-10, the counter-based generator of Salmon et al. (SC'11, Random123).
///
/// A pure function of a 128-bit counter and a 64-bit key. The same function is
/// implemented in `Kernels/common.cl`; known-answer tests pin both to the
/// published Random123 vectors, so a (seed, counter) pair gives the same bits on
/// every backend and device.
public struct Philox4x32: Sendable, Hashable {
    /// The 64-bit key (two 32-bit words).
    public var key: (UInt32, UInt32)

    /// A generator keyed by a 64-bit seed (low word first).
    public init(seed: UInt64) {
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// A generator with an explicit two-word key.
    public init(key0: UInt32, key1: UInt32) { key = (key0, key1) }

    public static func == (a: Self, b: Self) -> Bool { a.key == b.key }
    public func hash(into h: inout Hasher) { h.combine(key.0); h.combine(key.1) }

    @inline(__always)
    static func mulhilo(_ a: UInt32, _ b: UInt32) -> (hi: UInt32, lo: UInt32) {
        let p = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p >> 32), UInt32(truncatingIfNeeded: p))
    }

    /// The four 32-bit outputs for counter (c0, c1, c2, c3).
    @inline(__always)
    public func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32)
        -> (UInt32, UInt32, UInt32, UInt32)
    {
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var k0 = key.0, k1 = key.1
        for round in 0..<10 {
            if round > 0 { k0 &+= 0x9E37_79B9; k1 &+= 0xBB67_AE85 }
            let p0 = Philox4x32.mulhilo(0xD251_1F53, x0)
            let p1 = Philox4x32.mulhilo(0xCD9E_8D57, x2)
            let n0 = p1.hi ^ x1 ^ k0
            let n2 = p0.hi ^ x3 ^ k1
            x0 = n0; x1 = p1.lo; x2 = n2; x3 = p0.lo
        }
        return (x0, x1, x2, x3)
    }
}

/// Conversions from random words to numbers, bit-identical to `Kernels/common.cl`.
public enum RandomBits {
    /// 2π rounded to nearest float (Swift's `Float.pi` rounds toward zero, OpenCL's `M_PI_F` to nearest).
    public static let twoPi: Float = 6.28318530717958647692

    /// Uniform in [0, 1) with 24 random bits; exact in float32 on every device.
    @inline(__always)
    public static func unitFloat(_ w: UInt32) -> Float { Float(w >> 8) * (1.0 / 16_777_216.0) }

    /// Uniform in the open interval (0, 1): odd multiples of 2⁻²⁴ (23 random bits), exact in
    /// float32. Never 1, so a Box–Muller normal is never exactly 0 (an explicit zero weight would
    /// vanish in dense storage).
    @inline(__always)
    public static func unitFloatOpen(_ w: UInt32) -> Float { Float(((w >> 9) << 1) | 1) * (1.0 / 16_777_216.0) }

    /// Uniform in (0, 1) with 53 random bits from two words, as a Double.
    @inline(__always)
    public static func unitDouble(_ hi: UInt32, _ lo: UInt32) -> Double {
        let bits = (UInt64(hi) << 21) ^ UInt64(lo >> 11)  // 53 bits
        return (Double(bits) + 0.5) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// One standard normal from two words (Box–Muller, cosine branch), float32.
    /// Host and device agree to a few ulp (transcendentals differ slightly).
    @inline(__always)
    public static func normal(_ a: UInt32, _ b: UInt32) -> Float {
        let u1 = unitFloatOpen(a)
        let u2 = unitFloat(b)
        return (-2 * logf(u1)).squareRoot() * cosf(twoPi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
