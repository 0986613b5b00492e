import Foundation
import WMCore

/// Success rates of a training population: per point, and per value of each varied parameter
/// pooled over the others.
public struct TrainingSuccessTable: Sendable {
    /// One cell: networks with the same parameters (a point, or one value of one parameter).
    public struct Cell: Sendable {
        public var label: String
        public var params: [String: Double]
        /// Networks with a row; learned among those with an evaluation.
        public var networks: Int
        public var learned: ProportionInterval
        /// Networks whose training stopped (P lost positive definiteness, divergence) or that could not run.
        public var failed: Int
        /// Median over the cell's networks of their largest reference error.
        public var medianMaxError: Double
    }

    public var points: [Cell]
    /// Per varied parameter, one cell per value.
    public var marginals: [(parameter: String, cells: [Cell])]
    public var expected: Int
    public var present: Int

    /// The table of `results` (a whole population, a shard or a merge).
    public init(_ results: TrainingResults) throws {
        let spec = results.header.spec
        let plan = try spec.plan()
        let units = plan.units(shard: results.header.shard)
        expected = units.count
        present = results.rows.count
        func cell(_ label: String, params: [String: Double], _ rows: [TrainingRow]) -> Cell {
            let evaluated = rows.filter { $0.learned != nil }
            let errs = evaluated.compactMap(\.referenceErrorMax).sorted()
            return Cell(label: label, params: params, networks: rows.count,
                        learned: ProportionInterval(successes: evaluated.filter { $0.learned == true }.count, trials: evaluated.count),
                        failed: rows.filter { $0.failure != nil || $0.error != nil }.count,
                        medianMaxError: errs.isEmpty ? .nan : errs[errs.count / 2])
        }
        var byPoint: [Int: [TrainingRow]] = [:]
        for r in results.rows { byPoint[r.point, default: []].append(r) }
        let pointIndices = Set(units.map(\.point))
        points = plan.points.filter { pointIndices.contains($0.index) }.map { p in
            cell(p.label.isEmpty ? "(base)" : p.label, params: p.named, byPoint[p.index] ?? [])
        }
        marginals = spec.variedParameters.map { q in
            let values = Set(plan.points.compactMap { $0.values[q] }).sorted()
            return (q.rawValue, values.map { v in
                cell("\(q.rawValue)=\(SweepPoint.format(v))", params: [q.rawValue: v],
                     results.rows.filter { $0.params[q.rawValue] == v })
            })
        }
    }

    static func row(_ c: Cell) -> [String] {
        let l = c.learned
        let share = l.trials == 0 ? "—" : String(format: "%d/%d = %.2f [%.2f, %.2f]", l.successes, l.trials, l.share, l.low, l.high)
        return [c.label, String(c.networks), share, String(c.failed), c.medianMaxError.isFinite ? String(format: "%.4f", c.medianMaxError) : "—"]
    }

    static let header = ["parameters", "networks", "learned (95% Wilson CI)", "failed", "median max error"]

    /// Plain-text tables: every point when there are at most `maxPoints`, then the marginals.
    public func text(maxPoints: Int = 40) -> String {
        var out: [String] = []
        if points.count <= maxPoints {
            out.append(SweepTable.table(Self.header, points.map(Self.row)))
        } else {
            out.append("\(points.count) points (per point in success.csv); per parameter value, pooled over the other parameters:")
        }
        for m in marginals where m.cells.count > 1 || points.count > maxPoints {
            out.append(SweepTable.table(Self.header, m.cells.map(Self.row)))
        }
        if present < expected { out.append("\(expected - present) of \(expected) network(s) have no row yet (rerun to resume, or merge the shards)") }
        return out.joined(separator: "\n\n")
    }

    /// CSV with one line per point: the varied parameters, networks, learned, share and its CI,
    /// failed, median largest reference error.
    public func csv(parameters: [String]) -> String {
        var lines = [(parameters + ["networks", "evaluated", "learned", "share", "ci_low", "ci_high", "failed", "median_max_error"]).joined(separator: ",")]
        for c in points {
            let vals = parameters.map { c.params[$0].map { String($0) } ?? "" }
            let l = c.learned
            lines.append((vals + [String(c.networks), String(l.trials), String(l.successes), csvNumber(l.share), csvNumber(l.low), csvNumber(l.high),
                                  String(c.failed), csvNumber(c.medianMaxError)]).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func csvNumber(_ v: Double) -> String { v.isFinite ? String(v) : "" }
}
