/// Why a CMA-ES run stops (`CMAES.stopReason`). The criteria follow Hansen's tutorial (2016), §B.3.
public enum CMAESStopReason: String, Codable, Sendable, Hashable {
    /// Another generation would exceed `CMAESConfig.maxEvaluations`.
    case maxEvaluations
    /// Recent best values and the last generation's values all lie within `tolFun`.
    case tolFun
    /// The search distribution is narrower than `tolX` in every coordinate.
    case tolX
    /// The condition number of C exceeds 10¹⁴.
    case conditionCov
    /// A step of 0.1σ along a principal axis no longer changes the mean (floating point).
    case noEffectAxis
    /// A step of 0.2σ√C_ii in some coordinate no longer changes the mean (floating point).
    case noEffectCoord
}
