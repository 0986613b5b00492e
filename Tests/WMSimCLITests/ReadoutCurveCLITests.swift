import Foundation
import XCTest

/// `wmsim capacity --readout-neurons n1,n2,…`: the memory curve over the number of readout
/// neurons, from one simulation, checked against single-size runs and its own files.
final class ReadoutCurveCLITests: XCTestCase {
    let small = ["capacity", "--n", "80", "--sp", "0.2", "--rule", "leaky", "--gin", "1", "--spin", "0.5", "--networks", "3",
                 "--washout", "100", "--train", "1200", "--validation", "400", "--test", "600", "--max-lag", "20",
                 "--mlp-epochs", "4", "--mlp-hidden", "8,4", "--mlp-lags", "1,3,8", "--backend", "cpu"]

    func perNetworkMC(_ decoder: [String: Any]) throws -> [Double] {
        try XCTUnwrap(decoder["perNetwork"] as? [[String: Any]]).map { try XCTUnwrap($0["memoryCapacity"] as? Double) }
    }

    /// `ladder` on N = 80 measures n = 10, 20, 50, 80; each point's per-network MC equals a
    /// separate `--readout-neurons n` run on the same seeds (ridge to rounding, MLP exactly), and
    /// the CSV, the per-lag CSV and the figures agree with the JSON.
    func testCurveEqualsSingleSizeRunsAndItsFilesParse() throws {
        let dir = CLI.tempDir("curve")
        let r = try CLI.run(small + ["--readout-neurons", "ladder", "--out", dir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("readout curve over n = 10, 20, 50, 80"), r.stderr)
        XCTAssertTrue(r.stdout.contains("ridge MC [95% CI]"), r.stdout)
        let json = try CLI.json(dir.appendingPathComponent("readout_curve.json"))
        XCTAssertNotNil(json["provenance"])
        let result = try XCTUnwrap(json["result"] as? [String: Any])
        XCTAssertEqual(result["kind"] as? String, "readout-curve")
        XCTAssertEqual((result["spec"] as? [String: Any])?["readoutNeurons"] as? [Int], [10, 20, 50, 80])
        let points = try XCTUnwrap(result["points"] as? [[String: Any]])
        XCTAssertEqual(points.compactMap { $0["readoutNeurons"] as? Int }, [10, 20, 50, 80])
        for n in [10, 50] {
            let single = CLI.tempDir("curve-single-\(n)")
            let s = try CLI.run(small + ["--readout-neurons", "\(n)", "--out", single.path])
            XCTAssertEqual(s.status, 0, s.stderr)
            let res = try XCTUnwrap(try CLI.json(single.appendingPathComponent("capacity.json"))["result"] as? [String: Any])
            let point = try XCTUnwrap(points.first { $0["readoutNeurons"] as? Int == n })
            for decoder in ["ridge", "mlp"] {
                let a = try perNetworkMC(try XCTUnwrap(point[decoder] as? [String: Any]))
                let b = try perNetworkMC(try XCTUnwrap(res[decoder] as? [String: Any]))
                XCTAssertEqual(a.count, 3)
                for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: (decoder == "mlp" ? 0 : 1e-9) * y, "\(decoder) n = \(n)") }
            }
        }
        // readout_curve.csv: one row per size, each decoder's MC and CI as in the JSON.
        let csv = try String(contentsOf: dir.appendingPathComponent("readout_curve.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(csv[0].prefix(5), ["readout_neurons", "ridge_mc", "ridge_mc_ci95_low", "ridge_mc_ci95_high", "ridge_networks"])
        XCTAssertEqual(csv.count, 5)
        for (row, point) in zip(csv.dropFirst(), points) {
            XCTAssertEqual(Int(row[0]), point["readoutNeurons"] as? Int)
            let ridge = try XCTUnwrap(point["ridge"] as? [String: Any])
            let mc = try XCTUnwrap(ridge["memoryCapacity"] as? Double), ci = try XCTUnwrap(ridge["memoryCapacityCI95"] as? [Double])
            XCTAssertEqual(try XCTUnwrap(Double(row[1])), mc, accuracy: 1e-5 * mc)
            XCTAssertEqual(try XCTUnwrap(Double(row[2])), ci[0], accuracy: 1e-5 * abs(ci[0]))
            XCTAssertEqual(try XCTUnwrap(Double(row[3])), ci[1], accuracy: 1e-5 * ci[1])
            XCTAssertEqual(row[4], "3")
        }
        // memory_curves_by_n.csv: every lag 1…20, r and r² per decoder and size.
        let lags = try String(contentsOf: dir.appendingPathComponent("memory_curves_by_n.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lags.count, 21)
        XCTAssertTrue(lags[0].hasPrefix("lag,ridge_r_n10,ridge_r2_n10,ridge_r_n20"), String(lags[0]))
        XCTAssertTrue(lags[0].contains("mlp_r2_n80"))
        for (name, text) in [("readout_curve.svg", "ridge MC over 20 lag(s)"), ("memory_curves_by_n.svg", "n = 50 (MC ridge")] {
            let svg = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("viewBox"), name)
            XCTAssertTrue(svg.contains(text), "\(name) names \(text)")
        }
        // The folder now holds a result: a second run into it is refused and changes nothing.
        let before = try Data(contentsOf: dir.appendingPathComponent("readout_curve.json"))
        let again = try CLI.run(small + ["--readout-neurons", "10,20", "--out", dir.path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("not empty") && again.stderr.contains("--force"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("readout_curve.json")), before)
    }

    /// Sizes that cannot make a curve are refused with the reason, before any folder is made; a
    /// sweep, which reads one size, refuses a list.
    func testBadSizesAreRefusedBeforeAnythingIsWritten() throws {
        let cases: [(String, String)] = [
            ("10,100", "100: expected sizes in 1…N = 80"), ("ladder:500", "ladder:500: expected ladder:MAX with MAX in 1…N = 80"),
            ("10,20,10", "10 given more than once"), ("0,10", "at least 1 neuron"), ("", "no empty entries"),
            ("10,,20", "no empty entries"), ("ten,20", "ten is not one"),
        ]
        for (sizes, why) in cases {
            let out = CLI.tempDir("curve-bad").appendingPathComponent("o")
            let r = try CLI.run(small + ["--readout-neurons", sizes, "--out", out.path])
            XCTAssertNotEqual(r.status, 0, sizes)
            XCTAssertTrue(r.stderr.contains("--readout-neurons") && r.stderr.contains(why), "\(sizes): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(sizes): no output folder for a refused run")
        }
        let device = try CLI.run(small + ["--readout-neurons", "10,20", "--backend", "opencl", "--moments", "device", "--out", CLI.tempDir("curve-dev").appendingPathComponent("o").path])
        XCTAssertNotEqual(device.status, 0)
        XCTAssertTrue(device.stderr.contains("--readout-neurons"), device.stderr)
        let sweep = try CLI.run(["sweep", "--n", "40", "--vary", "g=0.8,0.9", "--readout-neurons", "10,20", "--dry-run"])
        XCTAssertNotEqual(sweep.status, 0)
        XCTAssertTrue(sweep.stderr.contains("which `wmsim capacity` measures"), sweep.stderr)
    }

    /// On the OpenCL backend (PoCL) the curve's points equal its own single-size runs too, and
    /// agree with the CPU backend's within the parity tolerance of a memory curve.
    func testCurveOnOpenCLMatchesSingleRunAndCPU() throws {
        var mc: [String: [Double]] = [:]
        for backend in ["opencl", "cpu"] {
            let dir = CLI.tempDir("curve-\(backend)")
            let r = try CLI.run(small + ["--decoders", "ridge", "--readout-neurons", "15,40", "--backend", backend, "--out", dir.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let points = try XCTUnwrap((try CLI.json(dir.appendingPathComponent("readout_curve.json"))["result"] as? [String: Any])?["points"] as? [[String: Any]])
            mc[backend] = try points.map { try XCTUnwrap(($0["ridge"] as? [String: Any])?["memoryCapacity"] as? Double) }
        }
        let single = CLI.tempDir("curve-opencl-15")
        let s = try CLI.run(small + ["--decoders", "ridge", "--readout-neurons", "15", "--backend", "opencl", "--out", single.path])
        XCTAssertEqual(s.status, 0, s.stderr)
        let one = try XCTUnwrap(((try CLI.json(single.appendingPathComponent("capacity.json"))["result"] as? [String: Any])?["ridge"] as? [String: Any])?["memoryCapacity"] as? Double)
        let cl = try XCTUnwrap(mc["opencl"]), cpu = try XCTUnwrap(mc["cpu"])
        XCTAssertEqual(cl[0], one, accuracy: 1e-9 * one)
        for (a, b) in zip(cl, cpu) { XCTAssertEqual(a, b, accuracy: 1e-3 * b) }
        XCTAssertLessThan(cl[0], cl[1], "40 neurons remember more than 15")
    }
}
