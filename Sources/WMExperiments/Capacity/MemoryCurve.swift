import Foundation
import WMCore

/// Linear memory curve of one network (or the mean over several): test-segment correlation
/// between u(t − k) and its best linear readout from x(t), for lags k = 1…K.
///
/// Convention: x(t) has seen u(0)…u(t − 1), so lag k ≥ 1 decodes u(t − k) from x(t) (k = 0 would
/// be the not-yet-seen input and is never counted). MC = Σ_{k ≥ 1} r²_k on the test segment,
/// with r² not clipped for negative r (Jaeger's MC_k = corr²). Lags whose r is undefined
/// (constant target) are listed in `undefinedLags` and left out of the sum.
///
/// Coding: non-finite per-lag values (NaN for an undefined r, or a validation r of a readout fitted
/// without validation) are written as `null` and read back as NaN, so a plain `JSONEncoder` works.
public struct MemoryCurve: Codable, Sendable, Equatable {
    /// The convention every curve states.
    public static let standardConvention =
        "lags k = 1…K, x(t) has seen u(0)…u(t−1); MC = Σ r² over k ≥ 1 on the test segment"

    /// Lags k (1…K).
    public var lags: [Int]
    /// Test Pearson r per lag.
    public var r: [Double]
    /// Test r² per lag (MC_k).
    public var r2: [Double]
    /// Absolute ridge λ per lag (geometric mean over networks in a mean curve).
    public var lambda: [Double]
    /// Validation r per lag at the chosen λ.
    public var validationR: [Double]
    /// Test MSE per lag.
    public var testMSE: [Double]
    /// MC = Σ_{k ≥ 1} r²_k over the lags with a defined r (mean of the networks' MC in a mean curve).
    public var memoryCapacity: Double
    /// How the numbers were obtained.
    public var convention: String
    /// Lags whose r is undefined (constant target); excluded from `memoryCapacity`.
    public var undefinedLags: [Int]
    /// Number of networks averaged (1 for a single network).
    public var networks: Int

    /// A curve from per-lag arrays (all the same length as `lags`).
    public init(
        lags: [Int], r: [Double], r2: [Double]? = nil, lambda: [Double], validationR: [Double], testMSE: [Double]? = nil,
        convention: String = MemoryCurve.standardConvention, networks: Int = 1
    ) {
        let m = lags.count
        precondition(r.count == m && lambda.count == m && validationR.count == m, "per-lag arrays must have one entry per lag")
        self.lags = lags
        self.r = r
        let squares = r2 ?? r.map { $0 * $0 }
        precondition(squares.count == m, "r2 must have one entry per lag")
        self.r2 = squares
        self.lambda = lambda
        self.validationR = validationR
        self.testMSE = testMSE ?? [Double](repeating: .nan, count: m)
        precondition(self.testMSE.count == m, "testMSE must have one entry per lag")
        self.convention = convention
        self.networks = networks
        undefinedLags = (0..<m).filter { !squares[$0].isFinite }.map { lags[$0] }
        var mc = 0.0
        for i in 0..<m where lags[i] >= 1 && squares[i].isFinite { mc += squares[i] }
        memoryCapacity = mc
    }

    /// A curve from the readout's test scores.
    public init(scores: [RidgeReadout.LagScore], convention: String = MemoryCurve.standardConvention) {
        self.init(
            lags: scores.map(\.lag), r: scores.map(\.r), r2: scores.map(\.r2), lambda: scores.map(\.lambda),
            validationR: scores.map(\.validationR), testMSE: scores.map(\.mse), convention: convention)
    }

    /// Fits a ridge readout on `training`, selects λ on `validation` and scores it on `test`.
    public static func measure(
        training: SegmentMoments, validation: SegmentMoments, test: SegmentMoments,
        relativeLambdas: [Double] = RidgeReadout.defaultRelativeLambdas,
        selection: RidgeReadout.LambdaSelection = .perLag
    ) throws -> MemoryCurve {
        let readout = try RidgeReadout(training: training, validation: validation, relativeLambdas: relativeLambdas, selection: selection)
        return MemoryCurve(scores: try readout.evaluate(test))
    }

    /// The first lag (in curve order) whose r is below `threshold` (an undefined r counts as
    /// below), or nil if none is.
    public func firstLag(below threshold: Double) -> Int? {
        for i in lags.indices where !(r[i] >= threshold) { return lags[i] }
        return nil
    }

    /// Lag targets for a scalar input stream: row r (time t = times.lowerBound + r) holds
    /// u(t − 1), u(t − 2), …, u(t − maxLag) — column j is lag j + 1, matching `RidgeReadout.LagScore.lag`.
    /// Requires times.lowerBound ≥ maxLag and times.upperBound ≤ input.count + 1 (x(t) needs u(t − 1)).
    public static func lagTargets(input: [Float], times: Range<Int>, maxLag: Int) throws -> [Float] {
        guard maxLag >= 1 else {
            throw WMError.invalidParameter(name: "maxLag", value: "\(maxLag)", expected: "≥ 1")
        }
        guard times.lowerBound >= maxLag else {
            throw WMError.invalidParameter(name: "times", value: "start \(times.lowerBound)", expected: "a first time ≥ maxLag = \(maxLag) (u(t − \(maxLag)) must exist)")
        }
        guard times.upperBound <= input.count + 1 else {
            throw WMError.invalidParameter(name: "times", value: "end \(times.upperBound)", expected: "≤ input length + 1 = \(input.count + 1)")
        }
        var out = [Float](repeating: 0, count: times.count * maxLag)
        for (r, t) in times.enumerated() {
            for j in 0..<maxLag { out[r * maxLag + j] = input[t - 1 - j] }
        }
        return out
    }

    // MARK: Coding

    private enum CodingKeys: String, CodingKey {
        case lags, r, r2, lambda, validationR, testMSE, memoryCapacity, convention, undefinedLags, networks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func values(_ key: CodingKeys) throws -> [Double] { try c.decode([Double?].self, forKey: key).map { $0 ?? .nan } }
        lags = try c.decode([Int].self, forKey: .lags)
        r = try values(.r)
        r2 = try values(.r2)
        lambda = try values(.lambda)
        validationR = try values(.validationR)
        testMSE = try values(.testMSE)
        memoryCapacity = try c.decodeIfPresent(Double?.self, forKey: .memoryCapacity).flatMap { $0 } ?? .nan
        convention = try c.decode(String.self, forKey: .convention)
        undefinedLags = try c.decode([Int].self, forKey: .undefinedLags)
        networks = try c.decode(Int.self, forKey: .networks)
        for (name, a) in [("r", r), ("r2", r2), ("lambda", lambda), ("validationR", validationR), ("testMSE", testMSE)] where a.count != lags.count {
            throw DecodingError.dataCorruptedError(forKey: .lags, in: c, debugDescription: "\(name) has \(a.count) entries for \(lags.count) lags")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func finite(_ a: [Double]) -> [Double?] { a.map { $0.isFinite ? $0 : nil } }
        try c.encode(lags, forKey: .lags)
        try c.encode(finite(r), forKey: .r)
        try c.encode(finite(r2), forKey: .r2)
        try c.encode(finite(lambda), forKey: .lambda)
        try c.encode(finite(validationR), forKey: .validationR)
        try c.encode(finite(testMSE), forKey: .testMSE)
        try c.encode(memoryCapacity.isFinite ? memoryCapacity : nil, forKey: .memoryCapacity)
        try c.encode(convention, forKey: .convention)
        try c.encode(undefinedLags, forKey: .undefinedLags)
        try c.encode(networks, forKey: .networks)
    }

    // MARK: Ensemble statistics

    /// Mean curve across networks (seeds) and a Student-t 95 % confidence interval
    /// [low, high] for the mean MC: m ± t_{0.975, M−1} · sd / √M. Per-lag r, r², validation r
    /// and MSE are arithmetic means over the networks where they are finite (NaN if none);
    /// λ is the geometric mean. With a single curve the interval is [NaN, NaN].
    /// Throws for an empty list or curves with different lags.
    public static func mean(_ curves: [MemoryCurve]) throws -> (mean: MemoryCurve, ci95: [Double]) {
        guard let first = curves.first else {
            throw WMError.invalidParameter(name: "curves", value: "[]", expected: "at least one memory curve")
        }
        for c in curves where c.lags != first.lags {
            throw WMError.invalidParameter(name: "curves", value: "lags \(c.lags.first ?? 0)…\(c.lags.last ?? 0)", expected: "curves with the same lags as the first (\(first.lags.first ?? 0)…\(first.lags.last ?? 0))")
        }
        func finiteMean(_ values: [Double]) -> Double {
            let f = values.filter(\.isFinite)
            return f.isEmpty ? .nan : f.reduce(0, +) / Double(f.count)
        }
        let m = first.lags.count
        let r = (0..<m).map { i in finiteMean(curves.map { $0.r[i] }) }
        let r2 = (0..<m).map { i in finiteMean(curves.map { $0.r2[i] }) }
        let vr = (0..<m).map { i in finiteMean(curves.map { $0.validationR[i] }) }
        let mse = (0..<m).map { i in finiteMean(curves.map { $0.testMSE[i] }) }
        let lam = (0..<m).map { i in Foundation.exp(finiteMean(curves.map { Foundation.log($0.lambda[i]) })) }
        let mc = MeanInterval(curves.map(\.memoryCapacity))
        var mean = MemoryCurve(
            lags: first.lags, r: r, r2: r2, lambda: lam, validationR: vr, testMSE: mse,
            convention: first.convention + "; mean over \(curves.count) networks (seeds), 95 % CI of MC from Student t",
            networks: curves.reduce(0) { $0 + $1.networks })
        mean.memoryCapacity = mc.mean
        mean.undefinedLags = Array(Set(curves.flatMap(\.undefinedLags))).sorted()
        return (mean, [mc.low, mc.high])
    }
}
