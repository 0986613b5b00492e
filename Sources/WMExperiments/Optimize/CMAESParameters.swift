import Foundation

/// Strategy parameters of (μ/μ_w, λ)-CMA-ES with positive recombination weights, the defaults of
/// Hansen, "The CMA Evolution Strategy: A Tutorial" (2016), Table 1 with α_cov = 2 and c_m = 1.
/// Active (negative) weights are not used. A pure function of (d, λ), so never stored.
struct CMAESParameters: Sendable {
    let n: Int
    let lambda: Int
    /// μ = ⌊λ/2⌋ parents.
    let mu: Int
    /// w_i ∝ ln((λ + 1)/2) − ln i, i = 1…μ, summing to 1.
    let weights: [Double]
    /// μ_eff = 1/Σ w_i².
    let muEff: Double
    let cc: Double
    let cs: Double
    let c1: Double
    let cmu: Double
    let damps: Double
    /// E‖N(0, I)‖ ≈ √d (1 − 1/(4d) + 1/(21d²)).
    let chiN: Double
    /// Generations of best values checked by tolFun: 10 + ⌈30d/λ⌉.
    let historyLength: Int
    /// Evaluations between eigendecompositions: λ/(c₁ + c_μ)/d/10.
    let eigenInterval: Double

    init(n: Int, lambda: Int) {
        self.n = n
        self.lambda = lambda
        mu = lambda / 2
        let raw = (1...mu).map { Foundation.log(Double(lambda + 1) / 2) - Foundation.log(Double($0)) }
        let sum = raw.reduce(0, +)
        weights = raw.map { $0 / sum }
        muEff = 1 / weights.reduce(0) { $0 + $1 * $1 }
        let d = Double(n)
        cc = (4 + muEff / d) / (d + 4 + 2 * muEff / d)
        cs = (muEff + 2) / (d + muEff + 5)
        c1 = 2 / ((d + 1.3) * (d + 1.3) + muEff)
        cmu = min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((d + 2) * (d + 2) + muEff))
        damps = 1 + 2 * max(0, ((muEff - 1) / (d + 1)).squareRoot() - 1) + cs
        chiN = d.squareRoot() * (1 - 1 / (4 * d) + 1 / (21 * d * d))
        historyLength = 10 + Int((30 * d / Double(lambda)).rounded(.up))
        eigenInterval = Double(lambda) / (c1 + cmu) / d / 10
    }
}
