import Foundation

/// Student's t distribution with `df` > 0 degrees of freedom (non-integer allowed; `df = .infinity`
/// is the standard normal). Invalid arguments (df ≤ 0, NaN) give NaN, as in SciPy.
///
/// All tails come from the regularized incomplete beta function with both x and 1 − x formed
/// without cancellation, so tail probabilities keep their relative accuracy (about 1e-13) down to
/// the smallest normal doubles; |t| beyond about 1e154 √df is treated as infinite.
public enum StudentT {
    /// P(T ≤ t).
    public static func cdf(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return t.isNaN || !(df > 0) ? .nan : (t > 0 ? 1 : 0) }
        guard df > 0 else { return .nan }
        if df.isInfinite { return StandardNormal.cdf(t) }
        let tails = betaTails(t, df: df)
        return t < 0 ? 0.5 * tails.lower : 0.5 + 0.5 * tails.upper
    }

    /// P(T > t) (survival function), accurate in the upper tail.
    public static func sf(_ t: Double, df: Double) -> Double { cdf(-t, df: df) }

    /// Two-sided p-value P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2).
    public static func twoSidedPValue(_ t: Double, df: Double) -> Double {
        guard !t.isNaN, df > 0 else { return .nan }
        if t.isInfinite { return 0 }
        if df.isInfinite { return 2 * StandardNormal.cdf(-abs(t)) }
        return min(1, betaTails(t, df: df).lower)
    }

    /// The quantile: the t with P(T ≤ t) = p, for 0 < p < 1 (NaN otherwise; ±∞ at p = 0, 1).
    /// Bisection on the tail probability to a relative width of 1e-15 (or 1e-300 absolute).
    public static func quantile(_ p: Double, df: Double) -> Double {
        guard p >= 0, p <= 1, df > 0 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        if df.isInfinite { return StandardNormal.quantile(p) }
        let tail = min(p, 1 - p)  // 1 − p is exact for p ≥ ½
        // Find t ≥ 0 with P(T > t) = tail; P(T > t) decreases in t.
        var lo = 0.0, hi = 1.0
        while sf(hi, df: df) > tail && hi < .greatestFiniteMagnitude / 4 { lo = hi; hi *= 2 }
        for _ in 0..<2000 {
            let mid = 0.5 * (lo + hi)
            if mid <= lo || mid >= hi { break }
            if sf(mid, df: df) > tail { lo = mid } else { hi = mid }
            if hi - lo <= 1e-15 * hi || hi < 1e-300 { break }
        }
        let t = 0.5 * (lo + hi)
        return p < 0.5 ? -t : t
    }

    /// (I_x(df/2, ½), 1 − I_x(df/2, ½)) with x = df/(df + t²): the two-sided tail and its complement.
    static func betaTails(_ t: Double, df: Double) -> (lower: Double, upper: Double) {
        let u = t * t / df
        if u.isInfinite { return (0, 1) }
        let x = 1 / (1 + u), y = u / (1 + u)
        return SpecialFunctions.incompleteBeta(x: x, y: y, a: 0.5 * df, b: 0.5)
    }
}

/// The F distribution with `dfn` (numerator) and `dfd` (denominator) degrees of freedom, both > 0
/// (non-integer allowed). Invalid arguments give NaN.
public enum FDistribution {
    /// P(F > f) = I_{dfd/(dfd + dfn f)}(dfd/2, dfn/2) (survival function; 1 for f ≤ 0).
    public static func sf(_ f: Double, dfn: Double, dfd: Double) -> Double {
        tails(f, dfn: dfn, dfd: dfd).sf
    }

    /// P(F ≤ f).
    public static func cdf(_ f: Double, dfn: Double, dfd: Double) -> Double {
        tails(f, dfn: dfn, dfd: dfd).cdf
    }

    static func tails(_ f: Double, dfn: Double, dfd: Double) -> (cdf: Double, sf: Double) {
        guard !f.isNaN, dfn > 0, dfd > 0, dfn.isFinite, dfd.isFinite else { return (.nan, .nan) }
        if f <= 0 { return (0, 1) }
        if f.isInfinite { return (1, 0) }
        let r = dfd / (dfn * f)  // x = r/(1 + r), 1 − x = 1/(1 + r)
        if r.isInfinite { return (0, 1) }
        let v = SpecialFunctions.incompleteBeta(x: r / (1 + r), y: 1 / (1 + r), a: 0.5 * dfd, b: 0.5 * dfn)
        return (v.upper, v.lower)
    }
}

/// The standard normal distribution.
public enum StandardNormal {
    /// Density φ(x).
    public static func pdf(_ x: Double) -> Double {
        Foundation.exp(-0.5 * x * x - SpecialFunctions.lnSqrt2Pi)
    }

    /// Φ(x) = ½ erfc(−x/√2), accurate in both tails (relative error ≈ 1e-15 · (1 + x²)).
    public static func cdf(_ x: Double) -> Double {
        0.5 * Foundation.erfc(-x * (0.5).squareRoot())
    }

    /// 1 − Φ(x), accurate in the upper tail.
    public static func sf(_ x: Double) -> Double { cdf(-x) }

    /// Φ⁻¹(p) for 0 < p < 1 (±∞ at 0 and 1, NaN outside): Acklam's rational approximation
    /// (relative error 1.2e-9) polished by two Halley steps on Φ, to full double precision.
    public static func quantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p > 0.5 { return -quantile(1 - p) }  // 1 − p is exact here
        var x = acklam(p)
        for _ in 0..<2 {
            // Residual Φ(x) − p; in the central region from erf, so x near 0 keeps its relative accuracy.
            let e = p > 0.25
                ? 0.5 * Foundation.erf(x * (0.5).squareRoot()) - (p - 0.5)
                : cdf(x) - p
            let u = e / pdf(x)
            guard u.isFinite else { break }
            x -= u / (1 + 0.5 * x * u)
        }
        return x
    }

    /// Acklam's approximation of Φ⁻¹(p) for 0 < p ≤ ½.
    static func acklam(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        if p < 0.02425 {
            let q = (-2 * Foundation.log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
