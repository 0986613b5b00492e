import Foundation
import WMCore

extension ReportSections {
    /// `wmsim capacity`: MC per decoder with its CI, the memory curve, per-network and per-lag tables.
    static func capacity(_ url: URL, source: String) throws -> HTMLReport.Section {
        let doc = try JSONNode.read(url, source: source)
        let r = doc["result"], spec = r["spec"], net = spec["network"]
        let dir = url.deletingLastPathComponent()
        var o = "<p>N = \(H.num(net["n"])), g = \(H.num(net["g"])), sp = \(H.num(net["sp"])), gIn = \(H.num(net["gIn"])), spIn = \(H.num(net["spIn"])), "
            + "\(H.esc(net["rule"].text)) rule; \(H.num(spec["networks"])) network seed(s) × \(H.num(spec["trials"])) trial(s); "
            + "lags 1…\(H.num(spec["maxLag"])); weights \(H.esc(r["format"].text))"
            + (spec["weightPrecision"].exists ? " in \(H.esc(spec["weightPrecision"].text))" : "") + ".</p>\n"
        o += "<p class=\"note\">\(H.esc(r["convention"].text))</p>\n"
        let decoders = spec["decoders"].strings
        var rows: [[String]] = []
        for d in decoders where r[d].exists {
            let res = r[d]
            let lags = res["mean"]["lags"].array.count
            rows.append([H.esc(d), H.interval(res["memoryCapacity"], res["memoryCapacityCI95"], clipAtZero: true), H.num(res["mean"]["networks"]),
                         "\(lags)", res["firstLagBelowThreshold"].exists ? H.num(res["firstLagBelowThreshold"]) : "none ≤ K",
                         H.num(res["seconds"])])
        }
        o += H.table(["decoder", "MC (mean [95 % CI] over networks)", "networks", "lags decoded", "first lag with r < \(spec["threshold"].text)", "seconds"], rows)
        // MC over the lags a decoder read: an MLP that decodes 8 lags is not comparable with a ridge over 100.
        if Set(decoders.compactMap { r[$0]["mean"]["lags"].array.count }).count > 1 {
            o += "<p class=\"note\">The decoders read different lags; each MC sums r² over its own lags only.</p>\n"
        }
        if let test = spec["test"].double, let trials = spec["trials"].double {
            // Each decoder's MC sums r² over the lags it decoded: its own chance level.
            let n = spec["input"]["kind"].string == "file" ? test : test * trials
            let levels = decoders.filter { r[$0].exists }.map { d -> String in
                let k = Double(r[d]["mean"]["lags"].array.count)
                return "\(H.esc(d)) \(H.format(k / max(n - 1, 1))) (\(H.format(k)) lags)"
            }
            o += "<p class=\"note\">Chance level (derived): a readout of unrelated states scores MC ≈ lags/(n − 1) on n = \(H.format(n)) test samples: \(levels.joined(separator: ", ")).</p>\n"
        }
        o += H.warnings(r["warnings"].strings)
        o += figures(dir, [("memory_curve.svg", "Memory curve: r and r² per lag, mean over networks with the 95 % CI")])
        var per: [[String]] = []
        for d in decoders where r[d].exists {
            for (k, c) in r[d]["perNetwork"].array.enumerated() { per.append([H.esc(d), "\(k)", H.num(c["memoryCapacity"])]) }
        }
        if !per.isEmpty { o += details("MC of each network", H.table(["decoder", "network", "MC"], per)) }
        var lagRows: [[String]] = []
        let ridgeLags = r["ridge"]["mean"]["lags"].array, mlpLags = r["mlp"]["mean"]["lags"].array
        let allLags = Array(Set((ridgeLags + mlpLags).compactMap(\.int))).sorted()
        for lag in allLags {
            var row = ["\(lag)"]
            for d in ["ridge", "mlp"] where r[d].exists {
                if let i = r[d]["mean"]["lags"].array.firstIndex(where: { $0.int == lag }) {
                    row += [H.num(r[d]["mean"]["r"][i]), H.num(r[d]["mean"]["r2"][i])]
                } else { row += ["", ""] }
            }
            lagRows.append(row)
        }
        if !lagRows.isEmpty {
            let heads = ["ridge", "mlp"].filter { r[$0].exists }.flatMap { ["\($0) r", "\($0) r²"] }
            o += details("r and r² per lag (mean over networks)", H.table(["lag"] + heads, lagRows))
        }
        o += details("All settings", H.settings(spec))
        o += downloads([url, dir.appendingPathComponent("memory_curve.csv")])
        o += provenance(doc["provenance"], result: url)
        return .init(title: "Memory capacity — \(source)", anchor: anchor("capacity", source), html: o)
    }
}
