import Foundation
import WMCore

/// A parameter a sweep or an optimisation can vary (docs/model.md §1).
///
/// Every parameter but `X` changes the network, so points that differ in it are simulated
/// separately. `X` is the lag the decoder recalls: a readout parameter — every result row keeps
/// r for all lags 1…maxLag, so varying X costs no extra simulation.
public enum SweepParameter: String, GridParameter {
    case n = "N"
    case g
    case gIn
    case sp
    case spIn
    case nIn
    case leak
    case noise
    case bias
    case x = "X"

    /// Accepts the names case-insensitively ("n", "gin", "SpIn", "x", "lag").
    public init(name: String) throws {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        if key == "lag" { self = .x; return }
        guard let p = SweepParameter.allCases.first(where: { $0.rawValue.lowercased() == key }) else {
            throw WMError.invalidParameter(name: "parameter", value: name,
                                           expected: "one of " + SweepParameter.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = p
    }

    public init(from decoder: any Decoder) throws {
        try self.init(name: try decoder.singleValueContainer().decode(String.self))
    }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Whether values must be whole numbers.
    public var isInteger: Bool { self == .n || self == .nIn || self == .x }

    /// Whether the parameter changes the simulated network (everything but the lag X).
    public var isNetworkParameter: Bool { self != .x }

    /// The value in a capacity spec (`X`: nil, it is not part of the network).
    public func value(in s: CapacitySpec) -> Double? {
        switch self {
        case .n: return Double(s.network.n)
        case .g: return s.network.g
        case .gIn: return s.network.gIn
        case .sp: return s.network.sp
        case .spIn: return s.network.spIn
        case .nIn: return Double(s.network.nIn)
        case .leak: return s.network.leak
        case .noise: return s.network.noise
        case .bias: return s.network.bias
        case .x: return nil
        }
    }

    /// Sets the parameter in a capacity spec (`X` is only checked against maxLag: it is not part
    /// of the spec).
    public func apply(_ v: Double, to s: inout CapacitySpec) throws {
        guard v.isFinite else { throw WMError.invalidParameter(name: rawValue, value: "\(v)", expected: "a finite number") }
        if isInteger && (v.rounded() != v || abs(v) > 1e9) {
            throw WMError.invalidParameter(name: rawValue, value: "\(v)", expected: "a whole number up to 10⁹")
        }
        switch self {
        case .n: s.network.n = Int(v)
        case .g: s.network.g = v
        case .gIn: s.network.gIn = v
        case .sp: s.network.sp = v
        case .spIn: s.network.spIn = v
        case .nIn: s.network.nIn = Int(v)
        case .leak: s.network.leak = v
        case .noise: s.network.noise = v
        case .bias: s.network.bias = v
        case .x:
            guard v >= 1 && Int(v) <= s.maxLag else {
                throw WMError.invalidParameter(name: "X", value: "\(Int(v))", expected: "a lag in 1…maxLag = \(s.maxLag)")
            }
        }
    }
}
