import Foundation
import XCTest
import WMTestSupport
@testable import WMExperiments

/// The population summary against the independent Python replay (`scripts/replay_analysis.py
/// --summary`: SciPy's Mann–Whitney, its own enumeration or draws of the matched test), on
/// synthetic populations large enough for every pooled and matched test to run, on both the
/// exact and the Monte Carlo path; and a summary with a wrong p is caught.
final class PopulationSummaryReplayTests: XCTestCase {
    /// Per point `perPoint` slow-manifold and fixed-point networks; slow manifolds tend to
    /// forget sooner and fail at higher noise, with overlap (values from a seeded generator).
    private func population(points: Int, slow: Int, fixed: Int, seed: UInt64) -> [AnalysisRow] {
        var rng = SplitMix64(seed: seed)
        let delays: [Double?] = [1, 2, 4, 8, nil], noises: [Double?] = [1, 2, 4, 8, 16, nil]
        var rows: [AnalysisRow] = []
        for p in 0..<points {
            for (m, count, shift) in [(Mechanism.slowManifold, slow, 0), (.fixedPoints, fixed, 2)] {
                for _ in 0..<count {
                    let d = delays[min(4, Int(rng.next() % 3) + shift)]
                    let n = noises[min(5, Int(rng.next() % 4) + 2 - shift)]
                    var r = syntheticAnalysisRow(m, delay: d, noise: n, index: rows.count, delayOneFrom: d == nil && rng.next() % 2 == 0 ? 2 : nil)
                    r.params = ["N": 300, "g": 0.7 + 0.1 * Double(p), "pg": 0.7, "fb": 1, "alpha": 1, "inputScale": 50, "seed": Double(rows.count)]
                    rows.append(r)
                }
            }
        }
        return rows
    }

    private func write(_ rows: [AnalysisRow], name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wmsim-summary-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("analysis.jsonl")
        let enc = ResultWriter.encoder(pretty: false)
        var text = #"{"type":"header","kind":"network-analysis","fingerprint":"f","spec":{"classification":{}}}"# + "\n"
        for r in rows { text += String(decoding: try enc.encode(r), as: UTF8.self) + "\n" }
        try ResultWriter.text(text, to: url)
        try ResultWriter.json(PopulationSummary(rows, results: url), to: PopulationSummary.url(for: url))
        return url
    }

    private func replay(_ url: URL) throws -> (status: Int32, output: String) {
        try PythonScripts.run("replay_analysis.py", [url.path, "--summary"])
    }

    private func requirePython() throws {
        if !PythonScripts.hasNumPyAndSciPy { throw XCTSkip("python3 with numpy and scipy is not installed (CI installs them)") }
    }

    func testPythonRecomputesTheExactAndDrawnTests() throws {
        try requirePython()
        for (rows, exact) in [(population(points: 3, slow: 3, fixed: 2, seed: 1), true), (population(points: 3, slow: 7, fixed: 7, seed: 2), false)] {
            let c = MechanismComparison(rows)
            for k in [0, 2] {
                XCTAssertNotNil(c.tests[k].pooled, "\(c.text)")
                XCTAssertEqual(try XCTUnwrap(c.tests[k].matched, c.text).exact, exact)
            }
            let url = try write(rows, name: exact ? "exact" : "drawn")
            let (status, text) = try replay(url)
            XCTAssertEqual(status, 0, text)
            XCTAssertTrue(text.contains("summary: 4 measure(s), pooled and matched tests recomputed; 0 disagreement(s)"), text)

            // A summary whose matched p was changed is caught.
            let s = PopulationSummary.url(for: url)
            var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: s)) as? [String: Any])
            var comparison = try XCTUnwrap(json["comparison"] as? [String: Any])
            var tests = try XCTUnwrap(comparison["tests"] as? [[String: Any]])
            var matched = try XCTUnwrap(tests[0]["matched"] as? [String: Any])
            matched["p"] = (matched["p"] as! Double) + 0.2
            tests[0]["matched"] = matched
            comparison["tests"] = tests
            json["comparison"] = comparison
            try JSONSerialization.data(withJSONObject: json).write(to: s)
            let broken = try replay(url)
            XCTAssertNotEqual(broken.status, 0, broken.output)
            XCTAssertTrue(broken.output.contains("delayShare: matched"), broken.output)
        }
    }
}
