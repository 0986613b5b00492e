import WMCore

/// Input checks shared by the statistics routines. Every failure is a
/// `WMError.invalidParameter` that names the argument and what was expected.
enum StatsInput {
    /// Throws unless every value of `values` is finite; names the first offending index.
    static func requireFinite(_ values: [Double], name: String) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw WMError.invalidParameter(
                name: name, value: "\(values[i]) at index \(i)", expected: "finite values (no NaN or ±∞)")
        }
    }

    /// Throws unless `a` and `b` have the same length.
    static func requireSameLength(_ a: [Double], _ b: [Double], names: (String, String)) throws {
        guard a.count == b.count else {
            throw WMError.invalidParameter(
                name: names.1, value: "\(b.count) values",
                expected: "as many values as \(names.0) (\(a.count))")
        }
    }

    /// Throws unless `values` has at least `minimum` entries.
    static func requireCount(_ values: [Double], atLeast minimum: Int, name: String, why: String) throws {
        guard values.count >= minimum else {
            throw WMError.invalidParameter(
                name: name, value: "\(values.count) values", expected: "at least \(minimum) values (\(why))")
        }
    }

    /// True when all entries are exactly equal (including a single entry).
    static func isConstant(_ values: [Double]) -> Bool {
        guard let first = values.first else { return true }
        return values.allSatisfy { $0 == first }
    }

    /// Arithmetic mean (two-pass corrected, so a large common offset does not cost digits).
    static func mean(_ values: [Double]) -> Double {
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        let correction = values.reduce(0) { $0 + ($1 - m) } / n
        return m + correction
    }
}
