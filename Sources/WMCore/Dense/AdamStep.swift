import Foundation

/// One Adam update (Kingma & Ba 2015), applied in place to a flat parameter vector:
///
///     g ← g + wd·p                      (first `decayCount` entries: L2 on weights, not biases)
///     m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
///     p ← p − lrc1·m / (√(c2·v) + ε),  lrc1 = lr/(1−β1^t),  c2 = 1/(1−β2^t)
///
/// The bias-correction factors are computed in double on the host.
public struct AdamStep: Sendable, Hashable {
    public var learningRate: Double
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var weightDecay: Double = 0
    /// Entries `0 ..< decayCount` get the weight decay.
    public var decayCount: Int = 0
    /// The step number t ≥ 1.
    public var step: Int = 1

    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decayCount: Int = 0, step: Int = 1) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay; self.decayCount = decayCount; self.step = step
    }

    /// The float32 constants both implementations use.
    public var constants: (lrc1: Float, c2: Float, b1: Float, omb1: Float, b2: Float, omb2: Float, eps: Float, wd: Float) {
        let t = Double(max(step, 1))
        let lrc1 = learningRate / (1 - pow(beta1, t))
        let c2 = 1 / (1 - pow(beta2, t))
        return (Float(lrc1), Float(c2), Float(beta1), Float(1 - beta1), Float(beta2), Float(1 - beta2),
                Float(epsilon), Float(weightDecay))
    }
}
