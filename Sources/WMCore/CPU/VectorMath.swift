import CEngineKernels

/// Vectorised float kernels over contiguous spans, eight lanes at a time (`SIMD8<Float>`: two SSE
/// registers on the default x86-64 target, two NEON registers on arm64).
///
/// Every element gets exactly the same IEEE operations whether it sits in a whole vector or in
/// the tail (a zero-padded vector, or the scalar twin of the lane code), so a result never
/// depends on where a span starts or how long it is.
///
/// Fused multiply-adds are evaluated in Double (`Float(Double(a)·Double(b) + Double(c))`): the
/// product is exact, so this is the correctly rounded fma except when rounding to Double lands
/// on a Float rounding midpoint (≤ 1 ulp, about one case in 2²⁹). The default x86-64 target has no
/// FMA instruction; `Float.addingProduct` is a call to `fmaf` per element.
public enum VectorMath {
    /// Lanes per vector.
    public static let width = 8

    typealias V = SIMD8<Float>
    typealias U = SIMD8<UInt32>

    /// `y[i] = tanh(x[i])`, at most 1.3 ulp from the correctly rounded value (measured over every
    /// Float in [−20, 20]); ±inf → ±1, NaN → NaN, ±0 and tiny values are returned unchanged.
    /// `x` and `y` may be the same memory.
    public static func tanh(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count >= x.count, "VectorMath.tanh: output shorter than input")
        guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
        // The same operations on 16 lanes in C where the CPU has AVX-512 (the analysis and the MLP
        // spend a sixth of their time here on the x86-64 baseline's 4-lane code).
        if wm_tanh(yp, xp, x.count) != 0 { return }
        chunks(x.count) { i, lanes in store(tanh8(load(xp + i, lanes)), yp + i, lanes) }
    }

    /// `y[i] = fma(a, x[i], y[i])` (evaluated in Double, see the type's notes).
    public static func fusedAXPY(_ a: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        precondition(y.count == x.count, "VectorMath.fusedAXPY: length mismatch")
        guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
        let av = V(repeating: a)
        let whole = x.count & ~7
        var i = 0
        while i < whole {
            store(fma8(av, load(xp + i), load(yp + i)), yp + i)
            i += 8
        }
        for j in whole..<x.count { yp[j] = fma(a, xp[j], yp[j]) }
    }

    /// `y[i] = a · y[i]`.
    public static func scale(_ y: UnsafeMutableBufferPointer<Float>, by a: Float) {
        guard let yp = y.baseAddress else { return }
        let whole = y.count & ~7
        var i = 0
        while i < whole {
            store(load(yp + i) * a, yp + i)
            i += 8
        }
        for j in whole..<y.count { yp[j] *= a }
    }

    /// `y[i] = y[i] + a`.
    public static func add(_ a: Float, to y: UnsafeMutableBufferPointer<Float>) {
        guard let yp = y.baseAddress else { return }
        let whole = y.count & ~7
        var i = 0
        while i < whole {
            store(load(yp + i) + a, yp + i)
            i += 8
        }
        for j in whole..<y.count { yp[j] += a }
    }

    /// fma(a, b, c) evaluated in Double: the scalar twin of one `fma8` lane (bit-identical).
    @inline(__always)
    static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        Float(Double(a) * Double(b) + Double(c))
    }

    // MARK: lane kernels

    /// tanh of eight lanes (the Cephes `tanhf` scheme with its minimax coefficients, branch-free):
    /// |x| < 0.625: x + x·z·P(z), z = x²; otherwise 1 − 2/(e^{2|x|} + 1) with e^y = 2^k·e^r
    /// (Cody–Waite reduction, exact k·ln2_hi; degree-7 polynomial for e^r) and |x| clamped to 10,
    /// where tanh already rounds to 1. The sign is copied from x, so the result is odd exactly.
    @inline(__always)
    static func tanh8(_ x: V) -> V {
        let xb = unsafeBitCast(x, to: U.self)
        let sign = xb & 0x8000_0000
        var a = unsafeBitCast(xb & 0x7fff_ffff, to: V.self)  // |x|; NaN stays NaN
        let isSmall = a .< 0.625
        // Small |x|: odd polynomial.
        let z = a * a
        var p = V(repeating: -5.70498872745e-3)
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = (p * z) * a + a
        // Large |x|: through e^{2|x|}. The clamp keeps NaN (a > 10 is false for NaN).
        a.replace(with: 10, where: a .> 10)
        let y = a + a
        let magic = V(repeating: 12_582_912)  // 1.5·2²³: adding it rounds to an integer
        let kb = y * 1.44269504088896341 + magic
        let k = kb - magic
        let r = (y - k * 0.693359375) - k * -2.12194440e-4
        var q = V(repeating: 1.9875691500e-4)
        q = q * r + 1.3981999507e-3
        q = q * r + 8.3334519073e-3
        q = q * r + 4.1665795894e-2
        q = q * r + 1.6666665459e-1
        q = q * r + 5.0000001201e-1
        let er = q * (r * r) + r + 1
        // 2^k from the integer left in kb's low mantissa bits (0 ≤ k ≤ 29).
        let kInt = unsafeBitCast(kb, to: U.self) &- unsafeBitCast(magic, to: U.self)
        let e = er * unsafeBitCast((kInt &+ 127) &<< 23, to: V.self)
        let large = 1 - 2 / (e + 1)
        let mag = large.replacing(with: small, where: isSmall)
        return unsafeBitCast(unsafeBitCast(mag, to: U.self) | sign, to: V.self)
    }

    /// fma(a, b, c) per lane, evaluated in Double.
    @inline(__always)
    static func fma8(_ a: V, _ b: V, _ c: V) -> V {
        narrow(widen(a) * widen(b) + widen(c))
    }

    /// Float → Double per lane, spelled out: the generic `SIMD8<Double>(_:)` conversion is an
    /// out-of-line call from other files of the module.
    @inline(__always)
    static func widen(_ v: V) -> SIMD8<Double> {
        SIMD8<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]),
                      Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
    }

    /// Double → Float per lane (round to nearest).
    @inline(__always)
    static func narrow(_ d: SIMD8<Double>) -> V {
        V(Float(d[0]), Float(d[1]), Float(d[2]), Float(d[3]), Float(d[4]), Float(d[5]), Float(d[6]), Float(d[7]))
    }

    // MARK: spans

    /// Calls `body(offset, 8)` for each whole vector, then `body(offset, lanes)` once for a
    /// partial tail of 1…7 lanes (zero-padded through `load(_:_:)`, so tail lanes run the same
    /// vector code).
    @inline(__always)
    static func chunks(_ n: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
        var i = 0
        while i + 8 <= n {
            body(i, 8)
            i += 8
        }
        if i < n { body(i, n - i) }
    }

    /// Loads eight floats.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    /// Stores eight floats.
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }

    /// Loads `lanes` floats (the rest zero).
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ lanes: Int) -> V {
        if lanes == 8 { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var v = V()
        withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: lanes * 4) }
        return v
    }

    /// Stores the first `lanes` lanes.
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
            return
        }
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: lanes * 4) }
    }
}
