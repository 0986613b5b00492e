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

/// The scalar pieces of one update, shared by every CPU path.
public enum UpdateMath {
    /// New state from the old one and the complete drive h.
    @inline(__always)
    public static func update(x: Float, h: Float, _ c: NetworkCoefficients, tanh useTanh: Bool) -> Float {
        let pre = (c.c3 * h).addingProduct(c.c2, x)  // fma(c2, x, c3·h)
        let f = useTanh ? tanhf(pre) : pre
        return (c.c1 * f).addingProduct(c.c0, x)
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
