import Foundation

/// Element-wise activation of a dense layer. Derivatives are taken from the layer's OUTPUT h:
/// tanh' = 1 − h², relu' = [h > 0], identity' = 1.
public enum DenseActivation: String, Codable, Sendable, Hashable, CaseIterable {
    case identity, tanh, relu

    /// The code used by the kernels in `Kernels/dense.cl` (0, 1, 2).
    public var code: Int32 {
        switch self {
        case .identity: return 0
        case .tanh: return 1
        case .relu: return 2
        }
    }

    /// act(z), exactly as `mlp_act` in dense.cl (ReLU lets NaN through so divergence stays visible).
    @inline(__always)
    public func apply(_ z: Float) -> Float {
        switch self {
        case .identity: return z
        case .tanh: return tanhf(z)
        case .relu: return z < 0 ? 0 : z
        }
    }

    /// act'(z) expressed through h = act(z), exactly as `mlp_dact` in dense.cl.
    @inline(__always)
    public func derivative(output h: Float) -> Float {
        switch self {
        case .identity: return 1
        case .tanh: return 1 - h * h
        case .relu: return h > 0 ? 1 : 0
        }
    }
}
