import XCTest
import WMCore
@testable import WMExperiments

/// The memory curve over the number of readout neurons (`ReadoutCurveMeasurement`): sizes, the
/// one-simulation measurement against separate single-size runs, and its memory estimate.
final class ReadoutCurveTests: XCTestCase {
    func capacity(n: Int) -> CapacitySpec {
        var c = CapacitySpec()
        c.network.n = n; c.network.sp = 0.2; c.network.rule = .leaky; c.network.leak = 0.8
        c.network.gIn = 1; c.network.spIn = 0.5
        c.networks = 3
        c.washout = 100; c.train = 1200; c.validation = 400; c.test = 600; c.maxLag = 20
        c.decoders = [.ridge, .mlp]
        c.mlp.epochs = 4; c.mlp.hidden1 = 8; c.mlp.hidden2 = 4; c.mlpLags = [1, 3, 8]
        return c
    }

    func testSizesParseAndResolve() throws {
        XCTAssertEqual(try ReadoutSizes.parse("200"), .one(200))
        XCTAssertEqual(try ReadoutSizes.parse(" 500, 50 ,200"), .list([50, 200, 500]), "sorted")
        XCTAssertEqual(try ReadoutSizes.parse("ladder"), .ladder(top: nil))
        XCTAssertEqual(try ReadoutSizes.parse("ladder:300"), .ladder(top: 300))
        XCTAssertEqual(try ReadoutSizes.parse("ladder").resolve(n: 1000), [10, 20, 50, 100, 200, 500, 1000])
        XCTAssertEqual(try ReadoutSizes.parse("ladder:300").resolve(n: 1000), [10, 20, 50, 100, 200, 300])
        XCTAssertEqual(ReadoutSizes.ladder(upTo: 15), [1, 2, 5, 10, 15], "a short ladder starts at 1")
        XCTAssertEqual(ReadoutSizes.ladder(upTo: 100), [10, 20, 50, 100])
        XCTAssertFalse(try ReadoutSizes.parse("7").isCurve)
        XCTAssertTrue(try ReadoutSizes.parse("7,8").isCurve)
        let bad: [(String, String)] = [("", "no empty entries"), ("10,,20", "no empty entries"), ("10,", "no empty entries"),
                                       ("0,10", "at least 1 neuron"), ("-5", "at least 1 neuron"), ("10,x", "x is not one"),
                                       ("10,20,10", "10 given more than once"), ("ladder:0", "MAX ≥ 1"), ("ladderx", "ladder:MAX")]
        for (text, why) in bad {
            XCTAssertThrowsError(try ReadoutSizes.parse(text), text) { e in
                XCTAssertTrue("\(e)".contains("--readout-neurons") && "\(e)".contains(why), "\(text): \(e)")
            }
        }
        XCTAssertThrowsError(try ReadoutSizes.parse("ladder:2000").resolve(n: 1000)) { e in XCTAssertTrue("\(e)".contains("MAX in 1…N = 1000"), "\(e)") }
        for text in ["10,2000", "2000"] {
            XCTAssertThrowsError(try ReadoutSizes.parse(text).resolve(n: 1000), text) { e in
                XCTAssertTrue("\(e)".contains("2000") && "\(e)".contains("1…N = 1000"), "\(e)")
            }
        }
        XCTAssertThrowsError(try ReadoutCurveSpec(capacity: capacity(n: 40), readoutNeurons: [10]).validate(), "one size is no curve")
        XCTAssertThrowsError(try ReadoutCurveSpec(capacity: capacity(n: 40), readoutNeurons: [20, 10]).validate(), "increasing")
    }

    /// Every point equals the separate run of `readoutNeurons = n` on the same seeds: ridge to the
    /// rounding of the moments' sums, the MLP exactly (it reads the same floats); and the nested
    /// subsets make each network's ridge MC grow with n (the readout of a superset fits at least
    /// as well, so a drop could only be the test segment's noise, small here).
    func testPointsEqualSingleSizeRuns() throws {
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let spec = ReadoutCurveSpec(capacity: capacity(n: 90), readoutNeurons: [6, 30, 90])
        let curve = try ReadoutCurveMeasurement.run(spec, backend: CPUBackend(), input: input)
        XCTAssertEqual(curve.points.map(\.readoutNeurons), [6, 30, 90])
        for p in curve.points {
            let single = try CapacityMeasurement.run(spec.point(p.readoutNeurons), backend: CPUBackend(), input: input)
            let a = try XCTUnwrap(p[.ridge]), b = try XCTUnwrap(single[.ridge])
            for (x, y) in zip(a.perNetwork, b.perNetwork) {
                let x = try XCTUnwrap(x), y = try XCTUnwrap(y)
                XCTAssertEqual(x.memoryCapacity, y.memoryCapacity, accuracy: 1e-9 * y.memoryCapacity, "ridge n = \(p.readoutNeurons)")
                for (u, v) in zip(x.r, y.r) { XCTAssertEqual(u, v, accuracy: 1e-9) }
            }
            XCTAssertEqual(a.memoryCapacityCI95[0], b.memoryCapacityCI95[0], accuracy: 1e-9 * abs(b.memoryCapacityCI95[0]))
            let m = try XCTUnwrap(p[.mlp]), s = try XCTUnwrap(single[.mlp])
            XCTAssertEqual(m.perNetwork.map { $0?.r }, s.perNetwork.map { $0?.r }, "MLP n = \(p.readoutNeurons), bit for bit")
            XCTAssertEqual(curve.capacityResult(at: p.readoutNeurons)?.spec, spec.point(p.readoutNeurons))
        }
        let mc = curve.points.map { $0[.ridge]!.perNetwork.map { $0!.memoryCapacity } }
        for net in 0..<3 {
            XCTAssertLessThan(mc[0][net], mc[1][net], "network \(net): 30 neurons remember more than 6")
            XCTAssertLessThan(mc[1][net], mc[2][net] + 0.3, "network \(net): 90 neurons no less than 30")
            XCTAssertLessThanOrEqual(mc[0][net], 6, "MC ≤ n")
        }
        // The JSON reads back, with the kind `wmsim report` recognises.
        let data = try JSONEncoder().encode(curve)
        let back = try JSONDecoder().decode(ReadoutCurveResult.self, from: data)
        XCTAssertEqual(back.kind, ReadoutCurveResult.resultKind)
        XCTAssertEqual(back.points.map { $0[.ridge]?.memoryCapacity }, curve.points.map { $0[.ridge]?.memoryCapacity })
    }

    /// The estimate holds the largest size's run and the copies a smaller size is decoded from;
    /// a curve whose largest subset needs too much is refused before anything runs, naming the
    /// option that shrinks it.
    func testMemoryEstimate() throws {
        let cpu = CPUBackend()
        var c = capacity(n: 1_000_000)
        c.network.sp = 1e-4; c.format = .procedural; c.networks = 1; c.decoders = [.ridge]
        let fits = ReadoutCurveSpec(capacity: c, readoutNeurons: [100, 1000, 2000])
        let e = fits.memory(backend: cpu)
        let top = fits.point(2000).memory(backend: cpu)
        let subsets = try XCTUnwrap(e.parts.first { $0.name.hasPrefix("readout subsets") })
        XCTAssertEqual(e.host, top.host + subsets.host)
        // 3 segments of 1000² doubles for the second-largest size.
        XCTAssertGreaterThanOrEqual(subsets.host, 3 * 1000 * 1000 * 8)
        XCTAssertLessThan(subsets.host, 2 * 3 * 1000 * 1000 * 8)
        XCTAssertNoThrow(try e.check(capabilities: cpu.capabilities, what: "a curve up to 2000 of 10⁶"))
        let huge = ReadoutCurveSpec(capacity: c, readoutNeurons: [100, 600_000])
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        XCTAssertThrowsError(try ReadoutCurveMeasurement.run(huge, backend: cpu, input: input)) { e in
            XCTAssertTrue("\(e)".contains("--readout-neurons"), "\(e)")
        }
    }
}
