import XCTest
import WMCore
import WMOpenCL
import WMTestSupport
@testable import WMExperiments

/// `--weight-precision fp16|bf16`: the memory curve of a network with 16-bit weights, against
/// fp32 on the same network and across backends.
final class CapacityWeightPrecisionTests: XCTestCase {
    func spec(_ precision: WeightPrecision?) -> CapacitySpec {
        var c = CapacitySpec()
        c.network.n = 200; c.network.sp = 0.2; c.network.rule = .leaky; c.network.leak = 0.8
        c.network.gIn = 1; c.network.spIn = 0.5; c.network.g = 0.95
        c.networks = 2
        c.washout = 100; c.train = 1500; c.validation = 500; c.test = 800; c.maxLag = 20
        c.decoders = [.ridge]
        c.format = .ell
        c.weightPrecision = precision
        return c
    }

    /// Rounding the weights moves the memory curve, but by far less than the spread between
    /// networks: |ΔMC| ≤ 1 % of MC for both 16-bit formats (measured on the default capacity
    /// run: ≤ 1·10⁻⁴ for fp16 and ≤ 1·10⁻³ for bf16 per network, docs/model.md §3), and the two
    /// backends agree on the rounded network as they do on fp32 ones.
    func testSixteenBitWeightsBarelyMoveTheMemoryCurve() throws {
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let cpu = CPUBackend()
        let base = try XCTUnwrap(try CapacityMeasurement.run(spec(nil), backend: cpu, input: input)[.ridge])
        XCTAssertGreaterThan(base.memoryCapacity, 2)
        let cl = try TestBackends.requireOpenCL()
        for p in [WeightPrecision.fp16, .bf16] {
            let r = try XCTUnwrap(try CapacityMeasurement.run(spec(p), backend: cpu, input: input)[.ridge])
            XCTAssertEqual(r.memoryCapacity, base.memoryCapacity, accuracy: 0.01 * base.memoryCapacity, "\(p)")
            XCTAssertNotEqual(r.mean.r, base.mean.r, "\(p): the rounded network is a different network")
            let other = try XCTUnwrap(try CapacityMeasurement.run(spec(p), backend: cl, input: input)[.ridge])
            for (x, y) in zip(r.mean.r, other.mean.r) { XCTAssertEqual(x, y, accuracy: 1e-3, "\(p) CPU vs OpenCL") }
            XCTAssertEqual(r.memoryCapacity, other.memoryCapacity, accuracy: 1e-3 * r.memoryCapacity, "\(p) CPU vs OpenCL")
        }
    }

    /// With 16-bit weights the run's estimate keeps the stored format (the engine never falls
    /// back to procedural weights with them) and does not suggest procedural weights.
    func testEstimateWithSixteenBitWeightsNeverPlansProceduralWeights() throws {
        var c = spec(.bf16)
        c.format = .auto
        c.network.n = 100_000; c.network.sp = 0.5
        c.readoutNeurons = 50
        let choice = c.weightFormat(backend: CPUBackend())
        XCTAssertNotEqual(choice.format, .procedural)
        XCTAssertNil(choice.note)
        let text = "\(c.memory(backend: CPUBackend()))"
        XCTAssertFalse(text.contains("--format procedural stores no weights"), text)
    }

    /// The spec records the precision only when it is not fp32 (fingerprints of older runs are
    /// unchanged) and reads it back; procedural weights with 16 bits are refused.
    func testSpecRecordsThePrecisionAndRefusesProcedural() throws {
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        let encoded = { (s: CapacitySpec) in String(decoding: try sorted.encode(s), as: UTF8.self) }
        XCTAssertFalse(try encoded(spec(nil)).contains("weightPrecision"))
        XCTAssertTrue(try encoded(spec(.bf16)).contains("\"weightPrecision\":\"bf16\""))
        XCTAssertEqual(try JSONDecoder().decode(CapacitySpec.self, from: try JSONEncoder().encode(spec(.fp16))).weightPrecision, .fp16)
        // A file naming the default has the fingerprint of one that does not.
        var withDefault = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(spec(nil))) as! [String: Any]
        withDefault["weightPrecision"] = "fp32"
        let decoded = try JSONDecoder().decode(CapacitySpec.self, from: try JSONSerialization.data(withJSONObject: withDefault))
        XCTAssertNil(decoded.weightPrecision)
        XCTAssertEqual(try encoded(decoded), try encoded(spec(nil)))
        var proc = spec(.bf16)
        proc.format = .procedural
        XCTAssertThrowsError(try proc.validate(), "refused by the spec's own check, before any file is written") { err in
            XCTAssertTrue("\(err)".contains("procedural"), "\(err)")
        }
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        XCTAssertThrowsError(try CapacityMeasurement.run(proc, backend: CPUBackend(), input: input)) { err in
            XCTAssertTrue("\(err)".contains("procedural"), "\(err)")
        }
    }
}
