import Foundation
import WMCore

/// Counts of mechanisms over analysed networks: overall, among the networks that learned, and
/// per value of each parameter that varies among them.
public struct MechanismTable: Sendable {
    public struct Line: Sendable {
        public var label: String
        public var counts: [Mechanism: Int]
        public var total: Int
    }

    public var lines: [Line]
    /// Networks without a classification (errors, failed training).
    public var unanalysed: Int

    public init(_ rows: [AnalysisRow]) {
        let ok = rows.filter { $0.classification != nil }
        unanalysed = rows.count - ok.count
        func line(_ label: String, _ rs: [AnalysisRow]) -> Line {
            var c: [Mechanism: Int] = [:]
            for r in rs { c[r.classification!.mechanism, default: 0] += 1 }
            return Line(label: label, counts: c, total: rs.count)
        }
        var out = [line("all analysed", ok), line("learned", ok.filter { $0.learned == true })]
        for p in ["N", "g", "pg", "fb", "alpha"] {
            let values = Set(ok.compactMap { $0.params[p] }).sorted()
            guard values.count > 1 else { continue }
            for v in values { out.append(line("\(p)=\(SweepPoint.format(v))", ok.filter { $0.params[p] == v })) }
        }
        lines = out
    }

    /// A plain table: per line the networks and, per mechanism, count (share).
    public var text: String {
        let header = ["networks", "n"] + Mechanism.allCases.map(\.rawValue)
        let rows = lines.map { l in
            [l.label, String(l.total)] + Mechanism.allCases.map { m in
                let c = l.counts[m] ?? 0
                return l.total == 0 ? "—" : String(format: "%d (%.0f%%)", c, 100 * Double(c) / Double(l.total))
            }
        }
        return SweepTable.table(header, rows) + (unanalysed > 0 ? "\n\(unanalysed) network(s) not analysed (see their error in the results file)" : "")
    }
}
