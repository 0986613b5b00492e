import Foundation
import WMCore

extension ReportSections {
    /// `wmsim capacity --readout-neurons n1,n2,…`: MC per readout size and decoder with its CI,
    /// the two figures, each network's MC per size, and the mean r² per lag for every size.
    static func readoutCurve(_ url: URL, source: String) throws -> HTMLReport.Section {
        let doc = try JSONNode.read(url, source: source)
        let r = doc["result"], spec = r["spec"], cap = spec["capacity"], net = cap["network"]
        let dir = url.deletingLastPathComponent()
        let points = r["points"].array
        let decoders = cap["decoders"].strings.filter { d in points.contains { $0[d].exists } }
        var o = "<p>N = \(H.num(net["n"])), g = \(H.num(net["g"])), sp = \(H.num(net["sp"])), gIn = \(H.num(net["gIn"])), spIn = \(H.num(net["spIn"])), "
            + "\(H.esc(net["rule"].text)) rule; \(H.num(cap["networks"])) network seed(s) × \(H.num(cap["trials"])) trial(s); "
            + "lags 1…\(H.num(cap["maxLag"])); weights \(H.esc(r["format"].text)); readout sizes "
            + spec["readoutNeurons"].array.map { H.num($0) }.joined(separator: ", ") + ", from one simulation.</p>\n"
        o += "<p class=\"note\">\(H.esc(r["subsets"].text))</p>\n<p class=\"note\">\(H.esc(r["convention"].text))</p>\n"
        let rows = points.map { p in
            [H.num(p["readoutNeurons"])] + decoders.flatMap { d -> [String] in
                let res = p[d]
                guard res.exists else { return ["—", "—"] }
                return [H.interval(res["memoryCapacity"], res["memoryCapacityCI95"], clipAtZero: true), H.num(res["mean"]["networks"])]
            }
        }
        o += H.table(["readout neurons n"] + decoders.flatMap { ["\($0) MC (mean [95 % CI] over networks)", "\($0) networks"] }, rows)
        if let test = cap["test"].double, let trials = cap["trials"].double, let first = points.first {
            // Each decoder's MC sums r² over its own lags: its own chance level, whatever n.
            let samples = cap["input"]["kind"].string == "file" ? test : test * trials
            let levels = decoders.filter { first[$0].exists }.map { d -> String in
                let k = Double(first[d]["mean"]["lags"].array.count)
                return "\(H.esc(d)) \(H.format(k / max(samples - 1, 1))) (\(H.format(k)) lags)"
            }
            o += "<p class=\"note\">Chance level (derived): a readout of unrelated states scores MC ≈ lags/(samples − 1) on \(H.format(samples)) test samples: \(levels.joined(separator: ", ")); MC ≤ n at every size.</p>\n"
        }
        o += H.warnings(r["warnings"].strings)
        o += figures(dir, [("readout_curve.svg", "Memory capacity against the number of readout neurons, mean over networks with the 95 % CI"),
                           ("memory_curves_by_n.svg", "Memory curves (r² per lag) for every readout size")])
        var per: [[String]] = []
        for p in points {
            for d in decoders where p[d].exists {
                for (k, c) in p[d]["perNetwork"].array.enumerated() { per.append([H.num(p["readoutNeurons"]), H.esc(d), "\(k)", H.num(c["memoryCapacity"])]) }
            }
        }
        if !per.isEmpty { o += details("MC of each network at each size", H.table(["n", "decoder", "network", "MC"], per)) }
        if let d = decoders.first {
            let lags = points.first?[d]["mean"]["lags"].array ?? []
            let lagRows = lags.enumerated().map { i, lag in [H.num(lag)] + points.map { H.num($0[d]["mean"]["r2"][i]) } }
            o += details("\(d) r² per lag and readout size (mean over networks)",
                         H.table(["lag"] + points.map { "n = \($0["readoutNeurons"].text)" }, lagRows))
        }
        o += details("All settings", H.settings(spec))
        o += downloads([url] + ReadoutCurveOutput.fileNames.filter { $0.hasSuffix(".csv") }.map { dir.appendingPathComponent($0) })
        o += provenance(doc["provenance"], result: url)
        return .init(title: "Memory capacity vs readout neurons — \(source)", anchor: anchor("readout-curve", source), html: o)
    }
}
