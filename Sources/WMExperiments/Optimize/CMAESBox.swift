import Foundation
import WMCore

/// The search box of `CMAES` and the map from the internal (genotype) space to candidates.
///
/// CMA-ES runs in the normalised unit box u = (x − lower)/(upper − lower) ∈ [0, 1]^d. Bounds are
/// handled by mirroring: an internal Gaussian point y is mapped coordinate-wise by the
/// triangle wave of period 2, `reflect(y)` = y for y ∈ [0, 1], 2 − y for y ∈ [1, 2], periodic
/// (a point that leaves the box is reflected back at the bound it crossed, repeatedly). The
/// internal point y, not its reflection, enters the CMA-ES update (a genotype–phenotype map, as
/// pycma's `BoundTransform`), so the objective seen by CMA-ES is f(reflect(y)): continuous, with an
/// optimum on a bound becoming a minimum at y = bound. Candidates are then scaled to the original
/// units and clamped to [lower, upper] against rounding, so they never leave the box.
///
/// Integer coordinates (`integer[i]`) of a candidate are rounded to the nearest integer inside the
/// box; the internal Gaussian point stays continuous (rounding only changes what is evaluated).
struct CMAESBox: Codable, Sendable, Equatable {
    let lower: [Double]
    let upper: [Double]
    let integer: [Bool]

    var dimension: Int { lower.count }

    /// Validates the bounds and mask; throws `WMError.invalidParameter` with what was wrong.
    init(lower: [Double], upper: [Double], integer: [Bool]?) throws {
        guard !lower.isEmpty else {
            throw WMError.invalidParameter(name: "bounds", value: "[]", expected: "at least one coordinate (lower and upper bounds)")
        }
        guard lower.count == upper.count else {
            throw WMError.invalidParameter(name: "bounds", value: "\(lower.count) lower, \(upper.count) upper", expected: "as many upper as lower bounds")
        }
        for i in lower.indices {
            guard lower[i].isFinite && upper[i].isFinite else {
                throw WMError.invalidParameter(name: "bounds[\(i)]", value: "[\(lower[i]), \(upper[i])]", expected: "finite lower and upper bounds")
            }
            guard lower[i] < upper[i] else {
                throw WMError.invalidParameter(name: "bounds[\(i)]", value: "[\(lower[i]), \(upper[i])]", expected: "lower < upper")
            }
            guard (upper[i] - lower[i]).isFinite else {
                throw WMError.invalidParameter(name: "bounds[\(i)]", value: "[\(lower[i]), \(upper[i])]", expected: "a box width that is a finite double")
            }
        }
        let mask = integer ?? [Bool](repeating: false, count: lower.count)
        guard mask.count == lower.count else {
            throw WMError.invalidParameter(name: "integer", value: "\(mask.count) flags", expected: "one flag per coordinate (\(lower.count))")
        }
        for i in mask.indices where mask[i] {
            guard lower[i].rounded(.up) <= upper[i].rounded(.down) else {
                throw WMError.invalidParameter(name: "bounds[\(i)]", value: "[\(lower[i]), \(upper[i])]", expected: "an integer inside the bounds of an integer coordinate")
            }
        }
        self.lower = lower
        self.upper = upper
        self.integer = mask
    }

    /// Checks that `x` is a point of the box and returns it normalised to [0, 1]^d.
    func normalise(start x: [Double]) throws -> [Double] {
        guard x.count == dimension else {
            throw WMError.invalidParameter(name: "start", value: "\(x.count) coordinates", expected: "\(dimension) coordinates")
        }
        return try x.indices.map { i in
            guard x[i].isFinite && x[i] >= lower[i] && x[i] <= upper[i] else {
                throw WMError.invalidParameter(name: "start[\(i)]", value: "\(x[i])", expected: "a value within the bounds [\(lower[i]), \(upper[i])]")
            }
            return (x[i] - lower[i]) / (upper[i] - lower[i])
        }
    }

    /// The triangle wave of period 2 mapping ℝ onto [0, 1] (identity on [0, 1]).
    @inline(__always)
    static func reflect(_ y: Double) -> Double {
        let r = y - 2 * (y / 2).rounded(.down)  // [0, 2]
        return r <= 1 ? r : max(0, 2 - r)
    }

    /// The candidate (original units) of internal point `y`; integer coordinates rounded when `round`.
    func phenotype(_ y: [Double], round: Bool = true) -> [Double] {
        var x = [Double](repeating: 0, count: y.count)
        for i in y.indices {
            var v = lower[i] + (upper[i] - lower[i]) * Self.reflect(y[i])
            v = min(max(v, lower[i]), upper[i])
            if round && integer[i] {
                v = min(max(v.rounded(.toNearestOrAwayFromZero), lower[i].rounded(.up)), upper[i].rounded(.down))
            }
            x[i] = v
        }
        return x
    }
}
