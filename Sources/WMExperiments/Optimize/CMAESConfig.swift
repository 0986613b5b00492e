import Foundation
import WMCore

/// Settings of a CMA-ES run (`CMAES`). All distances are in the normalised unit box, i.e. as
/// fractions of each coordinate's width `upper − lower`.
///
/// Decoding accepts partial documents: a missing key takes its default.
public struct CMAESConfig: Codable, Sendable, Hashable {
    /// Population size λ (candidates per generation, ≥ 2). `nil` → 4 + ⌊3 ln d⌋ (Hansen's default).
    public var populationSize: Int?
    /// Initial step size σ⁽⁰⁾ as a fraction of the box width, in (0, 1]. Default 0.3.
    public var initialSigma: Double
    /// Key of the Philox generator; the same seed gives the same candidates.
    public var seed: UInt64
    /// Evaluation budget. A generation is only started when it fits, so the budget is never
    /// exceeded; it must allow at least one generation (≥ λ). `nil` → 1000·(d + 5)²/√λ (pycma's default).
    public var maxEvaluations: Int?
    /// Stop when the best values of the last 10 + ⌈30d/λ⌉ generations and all values of the last
    /// generation lie within `tolFun` of each other (absolute, in objective units). Default 1e-12.
    public var tolFun: Double
    /// Stop when σ·√C_ii and σ·|p_c,i| are below `tolX` in every coordinate (fraction of the box
    /// width). Default 1e-11.
    public var tolX: Double

    /// A configuration; every argument has the default documented on its property.
    public init(
        populationSize: Int? = nil, initialSigma: Double = 0.3, seed: UInt64 = 1,
        maxEvaluations: Int? = nil, tolFun: Double = 1e-12, tolX: Double = 1e-11
    ) {
        self.populationSize = populationSize
        self.initialSigma = initialSigma
        self.seed = seed
        self.maxEvaluations = maxEvaluations
        self.tolFun = tolFun
        self.tolX = tolX
    }

    private enum CodingKeys: String, CodingKey {
        case populationSize, initialSigma, seed, maxEvaluations, tolFun, tolX
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        populationSize = try c.decodeIfPresent(Int.self, forKey: .populationSize)
        try c.fill(&initialSigma, .initialSigma)
        try c.fill(&seed, .seed)
        maxEvaluations = try c.decodeIfPresent(Int.self, forKey: .maxEvaluations)
        try c.fill(&tolFun, .tolFun)
        try c.fill(&tolX, .tolX)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(populationSize, forKey: .populationSize)
        try c.encode(initialSigma, forKey: .initialSigma)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(maxEvaluations, forKey: .maxEvaluations)
        try c.encode(tolFun, forKey: .tolFun)
        try c.encode(tolX, forKey: .tolX)
    }

    /// The default population size 4 + ⌊3 ln d⌋ for dimension d.
    public static func defaultPopulationSize(dimension d: Int) -> Int {
        4 + Int((3 * log(Double(max(d, 1)))).rounded(.down))
    }

    /// The population size used in dimension `d`.
    public func lambda(dimension d: Int) -> Int { populationSize ?? Self.defaultPopulationSize(dimension: d) }

    /// The evaluation budget used in dimension `d`.
    public func budget(dimension d: Int) -> Int {
        if let maxEvaluations { return maxEvaluations }
        let l = Double(lambda(dimension: d))
        return Int((1000 * Double((d + 5) * (d + 5)) / l.squareRoot()).rounded(.down))
    }

    /// Throws `WMError.invalidParameter` for a setting that cannot be used in dimension `d`.
    func validate(dimension d: Int) throws {
        let lambda = self.lambda(dimension: d)
        guard lambda >= 2 else {
            throw WMError.invalidParameter(name: "populationSize", value: "\(lambda)", expected: "at least 2 candidates per generation")
        }
        guard initialSigma.isFinite && initialSigma > 0 && initialSigma <= 1 else {
            throw WMError.invalidParameter(name: "initialSigma", value: "\(initialSigma)", expected: "a fraction of the box width in (0, 1]")
        }
        let budget = self.budget(dimension: d)
        guard budget >= lambda else {
            throw WMError.invalidParameter(name: "maxEvaluations", value: "\(budget)", expected: "at least one generation (λ = \(lambda) evaluations)")
        }
        guard tolFun.isFinite && tolFun >= 0 else {
            throw WMError.invalidParameter(name: "tolFun", value: "\(tolFun)", expected: "a finite tolerance ≥ 0")
        }
        guard tolX.isFinite && tolX >= 0 else {
            throw WMError.invalidParameter(name: "tolX", value: "\(tolX)", expected: "a finite tolerance ≥ 0")
        }
    }
}
