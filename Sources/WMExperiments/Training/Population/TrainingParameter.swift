import Foundation
import WMCore

/// A parameter a training population can vary (docs/training.md §1–2). The network seed is not
/// one: every point trains `replicates` seeds.
public enum TrainingParameter: String, GridParameter {
    case n = "N"
    case g
    case pg
    case fb
    case alpha
    case inputScale

    /// Accepts the names case-insensitively ("n", "PG", "α", "input-scale").
    public init(name: String) throws {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "-", with: "")
        if key == "α" { self = .alpha; return }
        guard let p = TrainingParameter.allCases.first(where: { $0.rawValue.lowercased() == key }) else {
            throw WMError.invalidParameter(name: "training parameter", value: name,
                                           expected: "one of " + TrainingParameter.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = p
    }

    public init(from decoder: any Decoder) throws {
        try self.init(name: try decoder.singleValueContainer().decode(String.self))
    }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    public var isInteger: Bool { self == .n }

    /// Whether networks that differ in this parameter can train in one batch (a batch shares N
    /// and the RLS prior α).
    public var splitsBatches: Bool { self == .n || self == .alpha }

    /// The value in a training spec.
    public func value(in s: ForceTrainingSpec) -> Double {
        switch self {
        case .n: return Double(s.network.n)
        case .g: return s.network.g
        case .pg: return s.network.pg
        case .fb: return s.network.fb
        case .alpha: return s.alpha
        case .inputScale: return s.network.inputScale
        }
    }

    /// Sets the parameter in a training spec.
    public func apply(_ v: Double, to s: inout ForceTrainingSpec) throws {
        guard v.isFinite else { throw WMError.invalidParameter(name: rawValue, value: "\(v)", expected: "a finite number") }
        if isInteger && (v.rounded() != v || abs(v) > 1e9) { throw WMError.invalidParameter(name: rawValue, value: "\(v)", expected: "a whole number up to 10⁹") }
        switch self {
        case .n: s.network.n = Int(v)
        case .g: s.network.g = v
        case .pg: s.network.pg = v
        case .fb: s.network.fb = v
        case .alpha: s.alpha = v
        case .inputScale: s.network.inputScale = v
        }
    }
}

/// A training population's axis.
public typealias TrainingAxis = GridAxis<TrainingParameter>
