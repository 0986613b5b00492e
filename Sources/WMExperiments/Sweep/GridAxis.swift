import Foundation
import WMCore

/// A parameter a grid of runs can vary: capacity sweeps (`SweepParameter`) and training
/// populations (`TrainingParameter`).
public protocol GridParameter: Codable, Sendable, Hashable, Comparable, CaseIterable, RawRepresentable where RawValue == String {
    /// Parses a name case-insensitively; throws naming the accepted names.
    init(name: String) throws
    /// Whether values must be whole numbers.
    var isInteger: Bool { get }
}

/// The values one parameter takes in a sweep: an explicit list, or `steps` values from `from` to
/// `to` spaced linearly or logarithmically (integer parameters are rounded and deduplicated).
public struct GridAxis<Parameter: GridParameter>: Codable, Sendable, Hashable {
    public var parameter: Parameter
    public var values: [Double]
    /// Whether statistics use log10 of the value as the regressor (set by `scale = "log"`).
    public var logScale: Bool

    public init(_ parameter: Parameter, values: [Double], logScale: Bool = false) throws {
        guard values.count <= Self.largestPlan else {
            throw WMError.invalidParameter(name: "\(parameter.rawValue) values", value: "\(values.count)", expected: "at most \(Self.largestPlan)")
        }
        self.parameter = parameter
        self.values = values
        self.logScale = logScale
        try validate()
    }

    /// A range of `steps` values, both ends included.
    public init(_ parameter: Parameter, from a: Double, to b: Double, steps: Int, log: Bool = false) throws {
        guard steps >= 1, steps <= Self.largestPlan else {
            throw WMError.invalidParameter(name: "\(parameter.rawValue) steps", value: "\(steps)", expected: "1…\(Self.largestPlan) (the most networks one plan may hold)")
        }
        guard a.isFinite, b.isFinite else { throw WMError.invalidParameter(name: "\(parameter.rawValue) range", value: "\(a)…\(b)", expected: "finite ends") }
        guard a < b || (a == b && steps == 1) else {
            throw WMError.invalidParameter(name: "\(parameter.rawValue) range", value: "\(a)…\(b)", expected: "from < to (an empty or inverted range sweeps nothing)")
        }
        if log { guard a > 0 else { throw WMError.invalidParameter(name: "\(parameter.rawValue) range", value: "\(a)…\(b)", expected: "positive ends for a log scale") } }
        var v: [Double] = (0..<steps).map { i in
            let f = steps == 1 ? 0 : Double(i) / Double(steps - 1)
            return log ? Foundation.exp(Foundation.log(a) + f * (Foundation.log(b) - Foundation.log(a))) : a + f * (b - a)
        }
        // Exact ends, and 12 significant digits inside (no 19.999999999999996 in labels and files).
        v = v.enumerated().map { i, x in
            if i == 0 { return a }
            if i == steps - 1 { return b }
            return Double(String(format: "%.12g", x)) ?? x
        }
        if parameter.isInteger {
            v = v.map { $0.rounded() }
            var seen = Set<Double>()
            v = v.filter { seen.insert($0).inserted }
        }
        try self.init(parameter, values: v, logScale: log)
    }

    /// Parses the command-line form `NAME=v1,v2,…` or `NAME=from:to:steps[:log]`.
    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "=") else {
            throw WMError.invalidParameter(name: "--vary", value: text, expected: "NAME=v1,v2,… or NAME=from:to:steps[:log], e.g. g=0.5:1.5:5")
        }
        let p = try Parameter(name: String(text[..<eq]))
        let rest = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if rest.contains(":") {
            let f = rest.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == 3 || (f.count == 4 && (f[3] == "log" || f[3] == "lin")), let a = Double(f[0]), let b = Double(f[1]), let s = Int(f[2]) else {
                throw WMError.invalidParameter(name: "--vary \(p.rawValue)", value: rest, expected: "from:to:steps or from:to:steps:log, e.g. 0.5:1.5:5")
            }
            try self.init(p, from: a, to: b, steps: s, log: f.count == 4 && f[3] == "log")
        } else {
            var v: [Double] = []
            for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
                guard let d = Double(item.trimmingCharacters(in: .whitespaces)) else {
                    throw WMError.invalidParameter(name: "--vary \(p.rawValue)", value: rest, expected: "a comma-separated list of numbers")
                }
                v.append(d)
            }
            try self.init(p, values: v)
        }
    }

    /// Parses the `--vary` options of one command, in order. A parameter named by two options is
    /// refused: a grid has one axis per parameter, and keeping either would silently drop the other.
    public static func parsing(options texts: [String]) throws -> [GridAxis] {
        var axes: [GridAxis] = []
        var given: [Parameter: String] = [:]
        for t in texts {
            let a = try GridAxis(parsing: t)
            if let earlier = given[a.parameter] {
                throw WMError.invalidParameter(name: "--vary \(a.parameter.rawValue)", value: "given twice (\(earlier) and \(t))",
                                               expected: "one --vary per parameter; list all its values in one option, e.g. \(a.parameter.rawValue)=v1,v2,v3")
            }
            given[a.parameter] = t
            axes.append(a)
        }
        return axes
    }

    /// Throws for empty, non-finite or repeated values, and fractional integer parameters.
    public func validate() throws {
        guard !values.isEmpty else {
            throw WMError.invalidParameter(name: "\(parameter.rawValue) values", value: "[]", expected: "at least one value")
        }
        var seen = Set<Double>()
        for v in values {
            guard v.isFinite else { throw WMError.invalidParameter(name: parameter.rawValue, value: "\(v)", expected: "finite values") }
            if parameter.isInteger && (v.rounded() != v || abs(v) > 1e9) {
                throw WMError.invalidParameter(name: parameter.rawValue, value: "\(v)", expected: "whole numbers up to 10⁹")
            }
            guard seen.insert(v).inserted else {
                throw WMError.invalidParameter(name: parameter.rawValue, value: "\(v) twice", expected: "distinct values")
            }
            if logScale && v <= 0 { throw WMError.invalidParameter(name: parameter.rawValue, value: "\(v)", expected: "positive values on a log scale") }
        }
    }

    public enum CodingKeys: String, CodingKey, CaseIterable { case name, values, from, to, steps, scale }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let p = try c.decode(Parameter.self, forKey: .name)
        let scale = try c.decodeIfPresent(String.self, forKey: .scale) ?? "linear"
        guard scale == "linear" || scale == "log" else {
            throw WMError.invalidParameter(name: "\(p.rawValue) scale", value: scale, expected: "linear or log")
        }
        if let v = try c.decodeIfPresent([Double].self, forKey: .values) {
            guard !c.contains(.from), !c.contains(.to), !c.contains(.steps) else {
                throw WMError.invalidParameter(name: "axis \(p.rawValue)", value: "values and from/to/steps", expected: "either a values list or a from/to/steps range")
            }
            try self.init(p, values: v, logScale: scale == "log")
        } else {
            guard let a = try c.decodeIfPresent(Double.self, forKey: .from), let b = try c.decodeIfPresent(Double.self, forKey: .to),
                  let s = try c.decodeIfPresent(Int.self, forKey: .steps) else {
                throw WMError.invalidParameter(name: "axis \(p.rawValue)", value: "incomplete", expected: "values = [...] or from, to and steps")
            }
            try self.init(p, from: a, to: b, steps: s, log: scale == "log")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(parameter.rawValue, forKey: .name)
        try c.encode(values, forKey: .values)
        try c.encode(logScale ? "log" : "linear", forKey: .scale)
    }
}

/// A capacity sweep's axis.
public typealias SweepAxis = GridAxis<SweepParameter>

extension GridAxis {
    /// Every combination of the axes' values (the first axis varies slowest).
    /// The most networks (points × replicates) one sweep or population may plan: checked from
    /// the axes' lengths before any point is built, so an impossible grid is refused at once.
    public static var largestPlan: Int { 1_000_000 }

    /// Throws when `mode` over `axes` (or `listed` points) times `replicates` exceeds `largestPlan`.
    public static func checkPlanSize(_ axes: [GridAxis], mode: SweepMode, listed: Int, replicates: Int, noun: String) throws {
        let points: Double
        switch mode {
        case .grid: points = axes.reduce(1.0) { $0 * Double($1.values.count) }
        case .oneAtATime: points = Swift.max(1, axes.reduce(0.0) { $0 + Double($1.values.count) })
        case .list: points = Double(listed)
        }
        guard points * Double(Swift.max(replicates, 1)) <= Double(largestPlan) else {
            throw WMError.invalidParameter(name: noun, value: "\(SweepPoint.format(points)) point(s) × \(replicates) replicate(s)",
                                           expected: "at most \(largestPlan) networks in one plan; use fewer values per axis or fewer replicates (or split it into several runs)")
        }
    }

    public static func grid(_ axes: [GridAxis]) -> [[Parameter: Double]] {
        var combos: [[Parameter: Double]] = [[:]]
        for a in axes {
            combos = combos.flatMap { c in a.values.map { v in var d = c; d[a.parameter] = v; return d } }
        }
        return combos
    }
}
