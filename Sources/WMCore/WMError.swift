/// Errors of the simulation layer. Each message says what was wrong and what to do.
public enum WMError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A parameter is outside its valid range.
    case invalidParameter(name: String, value: String, expected: String)
    /// The networks of one ensemble must share a property (N, nIn, activation).
    case incompatibleEnsemble(String)
    /// The run would need more memory than the target has.
    case insufficientMemory(needed: Int, available: Int, what: String)
    /// A run's estimate (`RunMemoryEstimate`) exceeds what the target holds: the parts, and the
    /// knob that shrinks the largest one.
    case runTooLarge(needed: Int, available: Int, what: String, breakdown: String, remedy: String)
    /// A non-finite state appeared during a run.
    case nonFinite(step: Int, network: Int, detail: String)
    /// Every network (or candidate) of a run failed, so there is no result; the message says
    /// what each failed with.
    case noResult(String)
    /// A file could not be used.
    case file(path: String, reason: String)
    /// One point of a sweep or a population is invalid (`reason` is the point's own error).
    case invalidPoint(point: String, reason: String)
    /// The requested operation is not available here.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "invalid parameter \(name) = \(value): expected \(expected)"
        case let .incompatibleEnsemble(why):
            return "incompatible ensemble: \(why)"
        case let .insufficientMemory(needed, available, what):
            return "not enough memory for \(what): needs about \(formatBytes(needed)), "
                + "\(formatBytes(available)) available; reduce N, the number of networks/trials, "
                + "the recorded neurons or steps, or choose a sparser weight format"
        case let .runTooLarge(needed, available, what, breakdown, remedy):
            return "\(what) needs about \(formatBytes(needed)) (\(breakdown)), \(formatBytes(available)) available; \(remedy)"
        case let .nonFinite(step, network, detail):
            // The detail may already say what to do (e.g. the MLP: lower the learning rate).
            if detail.contains(";") { return "non-finite value at step \(step) in network \(network): \(detail)" }
            return "non-finite state (NaN/Inf) at step \(step) in network \(network): \(detail); "
                + "lower the gains (g, gIn), the noise or the input amplitude"
        case let .noResult(why):
            return why
        case let .file(path, reason):
            return "\(path): \(reason)"
        case let .invalidPoint(point, reason):
            return "\(point) is invalid: \(reason)"
        case let .unsupported(what):
            return "unsupported: \(what)"
        }
    }
}

/// Human-readable byte count (binary units).
public func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var v = Double(n)
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
}

import Foundation
