import Foundation
import WMCore

/// Plain-text summaries of sweep results.
public enum SweepTable {
    /// Mean and 95 % CI (Student t) of a sample; CI nil below `MeanInterval.minimumCount` values.
    public static func meanCI(_ v: [Double]) -> (mean: Double, lo: Double?, hi: Double?) {
        let ci = MeanInterval(v)
        return ci.count >= MeanInterval.minimumCount ? (ci.mean, ci.low, ci.high) : (ci.mean, nil, nil)
    }

    /// One line per point: parameters, networks with a result, mean MC [95 % CI] per decoder and,
    /// when the sweep has lags X, the mean ridge r at each X.
    public static func pointMeans(_ results: SweepResults, plan: SweepPlan, shard: SweepShard? = nil) -> String {
        let spec = results.header.spec
        var byPoint: [Int: [SweepRow]] = [:]
        for r in results.rows { byPoint[r.point, default: []].append(r) }
        var header = ["point", "parameters", "ok"]
        let decs = spec.base.decoders
        for d in decs { header.append("\(d.rawValue) MC [95% CI]") }
        for x in plan.lags { header.append("r(X=\(x))") }
        var rows: [[String]] = []
        for p in plan.points(shard: shard) {
            let rs = byPoint[p.index] ?? []
            var line = [String(p.index), p.label.isEmpty ? "(base)" : p.label, "\(rs.filter { $0.error == nil }.count)/\(plan.replicates)"]
            for d in decs {
                let v = rs.compactMap { $0.mc(d) }.filter(\.isFinite), m = MeanInterval(v)
                line.append(MeanInterval.text(mean: m.mean, low: m.low, high: m.high, count: v.count, floor: 0))
            }
            for x in plan.lags { line.append(format(meanCI(rs.compactMap { $0.r(lag: x, decoder: .ridge) }.filter(\.isFinite)), ci: false)) }
            rows.append(line)
        }
        return table(header, rows)
    }

    static func format(_ m: (mean: Double, lo: Double?, hi: Double?), ci: Bool = true) -> String {
        guard m.mean.isFinite else { return "—" }
        guard ci, let lo = m.lo, let hi = m.hi else { return String(format: "%.3f", m.mean) }
        return String(format: "%.3f [%.3f, %.3f]", m.mean, lo, hi)
    }

    /// A plain aligned table.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var w = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < w.count { w[i] = Swift.max(w[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { i, c in c.padding(toLength: w[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        return ([line(header), line(w.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }
}
