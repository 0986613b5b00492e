#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-network constants of the update `x' = c0·x + c1·f(c2·x + c3·h)` with the drive
/// `h = gain·(J x) + Jin u + bias + σ·ξ`. The operation order below is mirrored in `Kernels/step.cl`.
public struct NetworkCoefficients: Sendable, Hashable {
    public var c0: Float, c1: Float, c2: Float, c3: Float
    public var bias: Float
    public var noise: Float
    public var gain: Float
    public var seed: UInt64

    public init(spec: NetworkSpec, gain: Float) {
        let c = spec.updateCoefficients
        c0 = c.c0; c1 = c.c1; c2 = c.c2; c3 = c.c3
        bias = Float(spec.bias)
        noise = Float(spec.noise)
        self.gain = gain
        seed = spec.seed
    }

    /// The 8 floats passed to kernels: c0 c1 c2 c3 bias noise gain 0.
    public var packed: [Float] { [c0, c1, c2, c3, bias, noise, gain, 0] }
}

/// The pieces of one update: scalar forms (the reference the vectorised engine is tested
/// against) and the span form the CPU engine runs.
public enum UpdateMath {
    /// New state from the old one and the complete drive h.
    @inline(__always)
    public static func update(x: Float, h: Float, _ c: NetworkCoefficients, tanh useTanh: Bool) -> Float {
        let pre = (c.c3 * h).addingProduct(c.c2, x)  // fma(c2, x, c3·h)
        let f = useTanh ? tanhf(pre) : pre
        return (c.c1 * f).addingProduct(c.c0, x)
    }

    /// Span form of `update(x:h:_:tanh:)` for the vectorised CPU epilogue: overwrites each `h[q]`
    /// with `fma(c0, x[q], c1·f(fma(c2, x[q], c3·h[q])))`, using `VectorMath`'s tanh (≤ 1.3 ulp) and
    /// its Double-evaluated fma; within a few ulp of the scalar path (see VectorMathTests).
    /// Returns false when any new value is ±inf or NaN.
    public static func update(x: UnsafeBufferPointer<Float>, h: UnsafeMutableBufferPointer<Float>, _ c: NetworkCoefficients, tanh useTanh: Bool) -> Bool {
        precondition(x.count == h.count, "UpdateMath.update: x and h differ in length")
        guard let xp = x.baseAddress, let hp = h.baseAddress else { return true }
        typealias V = VectorMath.V
        let c0 = V(repeating: c.c0), c1 = V(repeating: c.c1), c2 = V(repeating: c.c2), c3 = c.c3
        var poison = V()  // stays 0 while every value is finite: v − v is NaN for ±inf and NaN
        VectorMath.chunks(x.count) { i, lanes in
            let xv = VectorMath.load(xp + i, lanes)
            let pre = VectorMath.fma8(c2, xv, VectorMath.load(hp + i, lanes) * c3)
            let f = useTanh ? VectorMath.tanh8(pre) : pre
            let v = VectorMath.fma8(c0, xv, c1 * f)
            poison += v - v
            VectorMath.store(v, hp + i, lanes)
        }
        return poison.sum() == 0
    }

    /// The private-noise sample ξ(t, i, b) of a network with the given seed.
    @inline(__always)
    public static func noise(seed: Philox4x32, t: Int, neuron i: Int, trial b: Int) -> Float {
        let w = seed.block(UInt32(truncatingIfNeeded: t), UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: b), RandomStream.noise.rawValue)
        return RandomBits.normal(w.0, w.1)
    }

    /// Initial state of neuron i in trial b of a network: uniform in [lo, hi).
    @inline(__always)
    public static func initial(seed: Philox4x32, neuron i: Int, trial b: Int, lo: Float, hi: Float) -> Float {
        let w = seed.block(UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: b), 0, RandomStream.initialState.rawValue)
        return lo.addingProduct(hi - lo, RandomBits.unitFloat(w.0))  // fma(hi−lo, u, lo)
    }
}
