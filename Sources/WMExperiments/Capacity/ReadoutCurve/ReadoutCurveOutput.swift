import Foundation
import WMCore

/// Files and the stdout table of a readout curve (`ReadoutCurveResult`).
public enum ReadoutCurveOutput {
    struct File: Encodable {
        var provenance: Provenance
        var result: ReadoutCurveResult
    }

    /// The files `write` makes, in the order it makes them.
    public static let fileNames = ["readout_curve.json", "readout_curve.csv", "memory_curves_by_n.csv", "readout_curve.svg", "memory_curves_by_n.svg"]

    /// readout_curve.json (provenance and the whole result), readout_curve.csv (MC and its 95 % CI
    /// per size and decoder), memory_curves_by_n.csv (mean r and r² per lag for every size),
    /// readout_curve.svg (MC against n) and memory_curves_by_n.svg (r² against lag, one line per n).
    public static func write(_ r: ReadoutCurveResult, to dir: URL, logLags: Bool = false) throws {
        try ResultWriter.json(File(provenance: Provenance(backend: r.backend), result: r), to: dir.appendingPathComponent(fileNames[0]))
        try DelimitedText.writeTable(header: summaryHeader, rows: summaryRows(r), to: dir.appendingPathComponent(fileNames[1]))
        let (header, rows) = lagTable(r)
        try DelimitedText.writeTable(header: header, rows: rows, to: dir.appendingPathComponent(fileNames[2]))
        try ReadoutCurvePlots.capacity(r).write(to: dir.appendingPathComponent(fileNames[3]))
        try ReadoutCurvePlots.memoryCurves(r, logLags: logLags).write(to: dir.appendingPathComponent(fileNames[4]))
    }

    static func cell(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "" } ?? "" }

    /// Columns of readout_curve.csv: n, then per decoder kind its MC, the CI's ends and the
    /// networks averaged (empty where a decoder did not run, or, for the CI, with < 3 networks).
    static let summaryHeader = ["readout_neurons"] + DecoderKind.allCases.flatMap {
        ["\($0.rawValue)_mc", "\($0.rawValue)_mc_ci95_low", "\($0.rawValue)_mc_ci95_high", "\($0.rawValue)_networks"]
    }

    static func summaryRows(_ r: ReadoutCurveResult) -> [[String]] {
        r.points.map { p in
            ["\(p.readoutNeurons)"] + DecoderKind.allCases.flatMap { kind -> [String] in
                guard let d = p[kind] else { return ["", "", "", ""] }
                let ci = d.memoryCapacityCI95.count == 2 ? d.memoryCapacityCI95 : [.nan, .nan]
                return [cell(d.memoryCapacity), cell(ci[0]), cell(ci[1]), "\(d.perNetwork.compactMap { $0 }.count)"]
            }
        }
    }

    /// memory_curves_by_n.csv: one row per lag; per decoder that ran and per size, the mean r and
    /// r² (`<decoder>_r_n<n>`, `<decoder>_r2_n<n>`; empty where that decoder did not decode the lag).
    static func lagTable(_ r: ReadoutCurveResult) -> (header: [String], rows: [[String]]) {
        let kinds = r.decoderKinds
        var header = ["lag"]
        for kind in kinds { for p in r.points { header += ["\(kind.rawValue)_r_n\(p.readoutNeurons)", "\(kind.rawValue)_r2_n\(p.readoutNeurons)"] } }
        let lags = Set(r.points.flatMap { p in kinds.flatMap { p[$0]?.mean.lags ?? [] } }).sorted()
        let rows = lags.map { lag in
            ["\(lag)"] + kinds.flatMap { kind in
                r.points.flatMap { p -> [String] in
                    guard let d = p[kind], let i = d.mean.lags.firstIndex(of: lag) else { return ["", ""] }
                    return [cell(d.mean.r[i]), cell(d.mean.r2[i])]
                }
            }
        }
        return (header, rows)
    }

    /// An MC with its CI as the capacity table writes it: no CI below 3 networks, a lower bound
    /// below 0 clipped (and said so with a trailing *).
    static func interval(_ d: DecoderResult) -> String {
        let ci = d.memoryCapacityCI95
        let ok = d.perNetwork.compactMap { $0 }.count
        guard ok >= MeanInterval.minimumCount, ci.count == 2, ci[0].isFinite, ci[1].isFinite else {
            return String(format: "%.2f (no CI)", d.memoryCapacity)
        }
        return String(format: "%.2f [%.2f, %.2f]%@", d.memoryCapacity, Swift.max(0, ci[0]), ci[1], ci[0] < 0 ? "*" : "")
    }

    /// The stdout table: one row per size with each decoder's MC [95 % CI], then the conventions.
    public static func table(_ r: ReadoutCurveResult) -> String {
        let kinds = r.decoderKinds
        func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        var lines = [pad("n", 8) + kinds.map { "  " + pad("\($0.rawValue) MC [95% CI]", 26) }.joined()]
        for p in r.points {
            lines.append(pad("\(p.readoutNeurons)", 8) + kinds.map { k in "  " + pad(p[k].map(interval) ?? "", 26) }.joined())
        }
        lines.append("")
        let samples = r.spec.capacity.testSamples
        if r.points.contains(where: { p in kinds.contains { k in p[k].map { $0.memoryCapacityCI95.first.map { $0 < 0 } ?? false } ?? false } }) {
            lines.append("* the t-interval's lower bound is below 0 and shown clipped at 0, the least MC can be")
        }
        for k in kinds {
            let lags = r.points.first?[k]?.mean.lags.count ?? 0
            lines.append(String(format: "%@: MC = Σ r² over %d lag(s), %d network(s); chance level ≈ lags/(samples − 1) = %.3f on %d test samples",
                                k.rawValue, lags, r.points.first?[k]?.perNetwork.compactMap { $0 }.count ?? 0,
                                Double(lags) / Double(Swift.max(samples - 1, 1)), samples))
        }
        lines.append("readout: \(r.subsets)")
        lines.append("convention: \(r.convention)")
        lines.append(String(format: "simulated once in %.1f s on %@ (%@, %@), recording %d of %d neurons", r.simulateSeconds, r.backend.kind,
                            r.backend.device, r.format, r.spec.largest, r.spec.capacity.network.n))
        return lines.joined(separator: "\n")
    }
}
