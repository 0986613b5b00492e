import WMCore

/// Corrections for testing several hypotheses at once, defined exactly as
/// `statsmodels.stats.multitest.multipletests` ('bonferroni', 'holm', 'fdr_bh').
public enum MultipleTesting {
    /// A correction method; raw values are statsmodels' method names.
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// Bonferroni: p · m (controls the family-wise error rate).
        case bonferroni
        /// Holm's step-down: running maximum of p₍ᵢ₎ · (m − i + 1) over the sorted p (FWER, uniformly
        /// more powerful than Bonferroni).
        case holm
        /// Benjamini–Hochberg: running minimum from the top of p₍ᵢ₎ · m / i (false discovery rate,
        /// independent or positively dependent tests).
        case benjaminiHochberg = "fdr_bh"
    }

    /// Adjusted p-values, in the order of `pValues`, capped at 1.
    /// - Throws: `WMError.invalidParameter` for an empty list or a value outside [0, 1] (or NaN).
    public static func adjust(_ pValues: [Double], method: Method) throws -> [Double] {
        try validate(pValues)
        let m = pValues.count
        var adjusted = [Double](repeating: 0, count: m)
        switch method {
        case .bonferroni:
            adjusted = pValues.map { $0 * Double(m) }
        case .holm:
            let order = sortedOrder(pValues)
            var running = -Double.infinity
            for (i, k) in order.enumerated() {
                running = max(running, pValues[k] * Double(m - i))
                adjusted[k] = running
            }
        case .benjaminiHochberg:
            let order = sortedOrder(pValues)
            var running = Double.infinity
            for i in stride(from: m - 1, through: 0, by: -1) {
                let k = order[i]
                running = min(running, pValues[k] / (Double(i + 1) / Double(m)))
                adjusted[k] = running
            }
        }
        return adjusted.map { min($0, 1) }
    }

    /// Which hypotheses are rejected at family level `alpha` (statsmodels' `reject`):
    /// Bonferroni p ≤ α/m; Holm rejects the sorted p₍₁₎…p₍ⱼ₋₁₎ before the first p₍ⱼ₎ > α/(m − j + 1);
    /// Benjamini–Hochberg rejects p₍₁₎…p₍ₖ₎ for the largest k with p₍ₖ₎ ≤ α k/m.
    /// - Throws: as `adjust`, and for `alpha` outside (0, 1).
    public static func significant(_ pValues: [Double], alpha: Double = 0.05, method: Method) throws -> [Bool] {
        try validate(pValues)
        guard alpha > 0 && alpha < 1 else {
            throw WMError.invalidParameter(name: "alpha", value: "\(alpha)", expected: "a significance level in (0, 1)")
        }
        let m = pValues.count
        switch method {
        case .bonferroni:
            return pValues.map { $0 <= alpha / Double(m) }
        case .holm:
            let order = sortedOrder(pValues)
            var reject = [Bool](repeating: false, count: m)
            for (i, k) in order.enumerated() {
                if pValues[k] > alpha / Double(m - i) { break }
                reject[k] = true
            }
            return reject
        case .benjaminiHochberg:
            let order = sortedOrder(pValues)
            var reject = [Bool](repeating: false, count: m)
            if let last = order.indices.last(where: { pValues[order[$0]] <= Double($0 + 1) / Double(m) * alpha }) {
                for i in 0...last { reject[order[i]] = true }
            }
            return reject
        }
    }

    /// Indices that sort `p` ascending (ties in index order; adjusted values of ties are equal anyway).
    static func sortedOrder(_ p: [Double]) -> [Int] {
        p.indices.sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
    }

    static func validate(_ p: [Double]) throws {
        guard !p.isEmpty else {
            throw WMError.invalidParameter(name: "pValues", value: "[]", expected: "at least one p-value")
        }
        if let i = p.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw WMError.invalidParameter(name: "pValues", value: "\(p[i]) at index \(i)", expected: "p-values in [0, 1]")
        }
    }
}
