import Foundation
import WMCore

/// A sweep's results as one flat table (one row per network, one column per parameter and per
/// decoder lag) that `pandas.read_csv` reads as is.
///
/// Columns: `point, replicate, seed`, every parameter of the rows (sorted), then per decoder
/// `<decoder>_mc` and `<decoder>_r_lag<k>` for each lag it scored, then `error, backend,
/// seconds, batch`. Missing values (a failed network, a lag a decoder did not score) are empty;
/// undefined correlations are `nan`. Rows are in (point, replicate) order.
public enum SweepCSV {
    public static func table(_ results: SweepResults) -> (header: [String], rows: [[String]]) {
        let rows = results.rows.sorted { ($0.point, $0.replicate) < ($1.point, $1.replicate) }
        let params = Set(rows.flatMap(\.params.keys)).sorted()
        let decoders = DecoderKind.allCases.filter { d in results.header.spec.base.decoders.contains(d) }
        let lags = decoders.map { d in Set(rows.flatMap { $0.scores[d]?.lags ?? [] }).sorted() }
        var header = ["point", "replicate", "seed"] + params
        for (d, ls) in zip(decoders, lags) { header += ["\(d.rawValue)_mc"] + ls.map { "\(d.rawValue)_r_lag\($0)" } }
        header += ["error", "backend", "seconds", "batch"]
        func num(_ v: Double?) -> String {
            guard let v else { return "" }
            return v.isNaN ? "nan" : v.isFinite ? String(v) : (v > 0 ? "inf" : "-inf")
        }
        let table = rows.map { r -> [String] in
            var line = [String(r.point), String(r.replicate), String(r.seed)] + params.map { num(r.params[$0]) }
            for (d, ls) in zip(decoders, lags) {
                line.append(num(r.mc(d)))
                line += ls.map { num(r.r(lag: $0, decoder: d)) }
            }
            return line + [r.error ?? "", r.backend ?? "", String(r.seconds), String(r.batch)]
        }
        return (header, table)
    }

    /// Writes the table atomically.
    public static func write(_ results: SweepResults, to url: URL) throws {
        let t = table(results)
        try DelimitedText.writeTable(header: t.header, rows: t.rows, to: url)
    }
}
