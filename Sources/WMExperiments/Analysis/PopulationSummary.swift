import Foundation
import WMCore

/// The population summary of an analysis results file, as JSON next to it
/// (`RESULTS-summary.json`): the mechanism counts (overall, learned, per parameter value) and the
/// comparison of mechanisms with every test, pooled and within matched parameters. Derived from
/// the results file alone and rewritten whenever `wmsim analyze` or `wmsim merge` finishes, so
/// it always describes the rows the file holds. `scripts/replay_analysis.py --summary` recomputes
/// it in Python.
public struct PopulationSummary: Encodable, Sendable {
    public struct MechanismLine: Encodable, Sendable {
        public var label: String
        public var networks: Int
        /// Networks per mechanism (its raw value, e.g. "slow manifold").
        public var counts: [String: Int]
    }

    public var kind = "network-analysis-summary"
    public var formatVersion = 1
    public var wmsimVersion = WMSimVersion.string
    /// The results file it summarises (its name, in the same folder).
    public var results: String
    public var rows: Int
    /// Rows without a classification (errors, failed training).
    public var unanalysed: Int
    public var mechanisms: [MechanismLine]
    /// Learned networks compared (docs/analysis.md §5).
    public var comparison: MechanismComparison
    public var verdicts: MechanismComparison.Verdicts
    public var matchedVerdicts: MechanismComparison.Verdicts

    public init(_ rows: [AnalysisRow], results: URL) {
        self.results = results.lastPathComponent
        self.rows = rows.count
        let table = MechanismTable(rows)
        unanalysed = table.unanalysed
        mechanisms = table.lines.map { l in
            MechanismLine(label: l.label, networks: l.total, counts: Dictionary(uniqueKeysWithValues: l.counts.map { ($0.key.rawValue, $0.value) }))
        }
        comparison = MechanismComparison(rows)
        verdicts = comparison.verdicts
        matchedVerdicts = comparison.matchedVerdicts
    }

    /// Where the summary of `results` goes: RESULTS-summary.json beside it.
    public static func url(for results: URL) -> URL {
        results.deletingLastPathComponent().appendingPathComponent(AnalysisRunner.companion(results, "summary") + ".json")
    }
}
