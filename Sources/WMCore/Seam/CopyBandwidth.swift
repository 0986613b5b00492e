import Foundation

/// Shared arithmetic of the backends' copy-bandwidth probes.
public enum CopyBandwidth {
    /// Throws for a probe that cannot measure anything.
    public static func validate(megabytes: Int, repeats: Int) throws {
        guard megabytes >= 1 else { throw WMError.invalidParameter(name: "bandwidth buffer", value: "\(megabytes) MB", expected: "≥ 1 MB") }
        guard repeats >= 1 else { throw WMError.invalidParameter(name: "bandwidth repeats", value: "\(repeats)", expected: "≥ 1") }
    }

    /// GB/s (read + write) of the fastest of `repeats` timed calls of `copy`, which copies `bytes`.
    public static func best(bytes: Int, repeats: Int, _ copy: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let t = Date()
            try copy()
            best = Swift.min(best, Date().timeIntervalSince(t))
        }
        return 2 * Double(bytes) / best / 1e9
    }
}
