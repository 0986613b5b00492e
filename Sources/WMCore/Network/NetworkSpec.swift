/// The update rule of a rate network (docs/model.md §1).
public enum UpdateRule: String, Codable, Sendable, CaseIterable {
    /// Template form: `r(t+1) = f(d·r(t) + (1−d)·(J r(t) + Jin u(t) + b))`, `d = exp(−dt/τ)`.
    case template
    /// Leaky-integrator (echo-state) form: `x(t+1) = (1−a)·x(t) + a·f(J x(t) + Jin u(t) + b)`.
    case leaky
}

/// The single-unit nonlinearity `f`.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case tanh
    case linear
}

/// One random rate network: size, gains, densities, rule and seed.
///
/// Weights (Neuromatch template scaling, spectral radius ≈ g):
/// `J[i,j] = z·b·g/√(N·sp)`, `Jin[i,k] = z·b·gIn/√(nIn·spIn)`, `z ~ N(0,1)`, `b ~ Bernoulli`.
/// Private noise `σ·ξ`, `ξ ~ N(0,1)` per neuron and step, is added to the recurrent drive
/// `J x + Jin u + b` inside the nonlinearity.
public struct NetworkSpec: Codable, Sendable, Hashable {
    /// Neurons in the recurrent pool.
    public var n: Int = 1000
    /// Gain of the recurrent weights.
    public var g: Double = 0.95
    /// Recurrent connection density (probability that a synapse exists), in (0, 1].
    public var sp: Double = 0.25
    /// Gain of the input weights.
    public var gIn: Double = 10
    /// Input connection density, in (0, 1].
    public var spIn: Double = 0.05
    /// Input channels.
    public var nIn: Int = 1
    /// Constant bias added to every neuron's drive.
    public var bias: Double = 0
    /// Update rule.
    public var rule: UpdateRule = .template
    /// Time step (template rule), ms.
    public var dt: Double = 0.1
    /// Time constant (template rule), ms.
    public var tau: Double = 20
    /// Leak a in (0, 1] (leaky rule).
    public var leak: Double = 1
    /// Nonlinearity.
    public var activation: Activation = .tanh
    /// Standard deviation of private noise added to each neuron's drive every step.
    public var noise: Double = 0
    /// If set, W is rescaled so that its spectral radius is exactly this value.
    public var spectralRadius: Double? = nil
    /// Seed of the network's weights, initial state and noise.
    public var seed: UInt64 = 1

    public init() {}

    /// Coefficients of the generic update `x' = c0·x + c1·f(c2·x + c3·h)`, h the drive.
    public var updateCoefficients: (c0: Float, c1: Float, c2: Float, c3: Float) {
        switch rule {
        case .template:
            let d = Foundation.exp(-dt / tau)
            return (0, 1, Float(d), Float(1 - d))
        case .leaky:
            return (Float(1 - leak), Float(leak), 0, 1)
        }
    }

    /// Scale of a recurrent weight, `g/√(N·sp)`.
    public var recurrentScale: Double { g / (Double(n) * sp).squareRoot() }
    /// Scale of an input weight, `gIn/√(nIn·spIn)`.
    public var inputScale: Double { gIn / (Double(nIn) * spIn).squareRoot() }
    /// Expected number of recurrent synapses.
    public var expectedNNZ: Double { Double(n) * Double(n) * sp }

    /// Throws `WMError.invalidParameter` for any value outside its range.
    public func validate() throws {
        func finite(_ name: String, _ v: Double) throws {
            guard v.isFinite else { throw WMError.invalidParameter(name: name, value: "\(v)", expected: "a finite number") }
        }
        guard n >= 1 else { throw WMError.invalidParameter(name: "N", value: "\(n)", expected: "an integer ≥ 1") }
        guard n <= 100_000_000 else { throw WMError.invalidParameter(name: "N", value: "\(n)", expected: "N ≤ 10^8") }
        guard nIn >= 1, nIn <= 1_000_000 else { throw WMError.invalidParameter(name: "nIn", value: "\(nIn)", expected: "an integer ≥ 1 (at most 10^6)") }
        for (name, v) in [("g", g), ("gIn", gIn), ("bias", bias), ("noise", noise), ("dt", dt), ("tau", tau), ("leak", leak)] {
            try finite(name, v)
        }
        for (name, v) in [("sp", sp), ("spIn", spIn)] {
            guard v.isFinite, v > 0, v <= 1 else {
                throw WMError.invalidParameter(name: name, value: "\(v)", expected: "a density in (0, 1]")
            }
        }
        guard g >= 0 else { throw WMError.invalidParameter(name: "g", value: "\(g)", expected: "g ≥ 0") }
        guard gIn >= 0 else { throw WMError.invalidParameter(name: "gIn", value: "\(gIn)", expected: "gIn ≥ 0") }
        guard noise >= 0 else { throw WMError.invalidParameter(name: "noise", value: "\(noise)", expected: "σ ≥ 0") }
        switch rule {
        case .template:
            guard dt > 0, tau > 0 else {
                throw WMError.invalidParameter(name: "dt/tau", value: "\(dt)/\(tau)", expected: "dt > 0 and tau > 0")
            }
        case .leaky:
            guard leak > 0, leak <= 1 else {
                throw WMError.invalidParameter(name: "leak", value: "\(leak)", expected: "a leak in (0, 1]")
            }
        }
        // Weight scales must be representable in float32 (the kernels' precision).
        for (name, v) in [("g", recurrentScale), ("gIn", inputScale)] where !(abs(v) < 1e30) {
            throw WMError.invalidParameter(name: name, value: name == "g" ? "\(g)" : "\(gIn)", expected: "a gain whose weight scale (\(v)) fits in float32 (< 1e30)")
        }
        if let rho = spectralRadius {
            guard rho.isFinite, rho >= 0 else {
                throw WMError.invalidParameter(name: "spectralRadius", value: "\(rho)", expected: "a finite value ≥ 0")
            }
        }
    }
}

import Foundation
