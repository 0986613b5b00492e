import Foundation
import XCTest
import WMCore
@testable import WMExperiments

/// Decoder results are keyed by `DecoderKind`, while the files keep one key per decoder
/// ("ridge", "ridgeMC", "mlpLags", …) so existing results and replay scripts read them as before.
final class DecoderKeyedResultTests: XCTestCase {
    func curve(lags: [Int], r: [Double]) -> MemoryCurve {
        MemoryCurve(lags: lags, r: r, lambda: r.map { _ in 1 }, validationR: r, testMSE: r.map { 1 - $0 * $0 }, convention: "test")
    }

    func testSweepRowKeepsOneFieldPerDecoderAndRoundTrips() throws {
        var row = SweepRow(fingerprint: "f", point: 2, replicate: 1, seed: 9, params: ["g": 0.9], seconds: 1.5, batch: 3)
        row.scores[.ridge] = DecoderScores(curve(lags: [1, 2, 3], r: [0.9, 0.5, .nan]))
        row.scores[.mlp] = DecoderScores(curve(lags: [1, 5], r: [0.8, 0.2]))
        let line = try ResultsJSON.line(row)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(object["ridgeMC"] as? Double), 0.9 * 0.9 + 0.5 * 0.5, accuracy: 1e-15)
        XCTAssertEqual((object["ridgeR"] as? [Any])?.count, 3)
        XCTAssertNil(object["ridgeLags"], "ridge lags 1…K are implied, as in files written before")
        XCTAssertEqual(object["mlpLags"] as? [Int], [1, 5])
        XCTAssertEqual(try XCTUnwrap(object["mlpMC"] as? Double), 0.8 * 0.8 + 0.2 * 0.2, accuracy: 1e-15)
        XCTAssertNil(object["scores"], "no nested field: the file format is flat")
        // MLP lags are written even when they are 1…count, as every file before had them.
        var short = row
        short.scores[.mlp] = DecoderScores(curve(lags: [1, 2, 3], r: [0.8, 0.5, 0.1]))
        let shortObject = try XCTUnwrap(try JSONSerialization.jsonObject(with: try ResultsJSON.line(short)) as? [String: Any])
        XCTAssertEqual(shortObject["mlpLags"] as? [Int], [1, 2, 3])

        let back = try ResultsJSON.decoder().decode(SweepRow.self, from: line)
        XCTAssertEqual(back.mc(.ridge), row.mc(.ridge))
        XCTAssertEqual(back.r(lag: 2, decoder: .ridge), 0.5)
        XCTAssertTrue(try XCTUnwrap(back.r(lag: 3, decoder: .ridge)).isNaN)
        XCTAssertNil(back.r(lag: 4, decoder: .ridge))
        XCTAssertEqual(back.r(lag: 5, decoder: .mlp), 0.2)
        XCTAssertNil(back.r(lag: 2, decoder: .mlp), "the MLP did not decode lag 2")
        XCTAssertEqual(back.scores[.mlp]?.lags, [1, 5])
        XCTAssertEqual(back.point, 2)
        XCTAssertEqual(back.batch, 3)
        XCTAssertNil(object["backend"], "no backend given, none written")
        row.backend = "opencl: Some GPU"
        XCTAssertEqual(try ResultsJSON.decoder().decode(SweepRow.self, from: try ResultsJSON.line(row)).backend, "opencl: Some GPU")
    }

    func testAFileLineWithoutScoresDecodesToAnErrorRow() throws {
        let line = #"{"batch":1,"error":"diverged","fingerprint":"f","params":{},"point":0,"replicate":0,"seconds":0,"seed":1,"type":"result"}"#
        let row = try ResultsJSON.decoder().decode(SweepRow.self, from: Data(line.utf8))
        XCTAssertTrue(row.scores.isEmpty)
        XCTAssertEqual(row.error, "diverged")
        XCTAssertNil(row.mc(.ridge))
        XCTAssertNil(row.backend, "files written before rows named their backend still read")
    }

    func testCapacityResultPutsEachDecoderUnderItsKey() throws {
        let ridge = DecoderResult(decoder: .ridge, perNetwork: [curve(lags: [1, 2], r: [0.9, 0.4])], mean: curve(lags: [1, 2], r: [0.9, 0.4]),
                                  memoryCapacity: 0.97, memoryCapacityCI95: [.nan, .nan], firstLagBelowThreshold: 2, histories: nil, seconds: 0.1)
        var result = CapacityResult(spec: CapacitySpec(), backend: BackendInfo(kind: "cpu", device: "test"), format: "dense",
                                    decoders: [.ridge: ridge], simulateSeconds: 1, warnings: ["w"])
        result.moments = "host"
        let data = try ResultWriter.encoder().encode(result)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual((object["ridge"] as? [String: Any])?["memoryCapacity"] as? Double, 0.97)
        XCTAssertEqual((object["ridge"] as? [String: Any])?["decoder"] as? String, "ridge")
        XCTAssertNil(object["mlp"], "a decoder that did not run has no key")
        XCTAssertNil(object["decoders"])
        XCTAssertEqual(object["moments"] as? String, "host")

        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let back = try decoder.decode(CapacityResult.self, from: data)
        XCTAssertEqual(back[.ridge]?.memoryCapacity, 0.97)
        XCTAssertNil(back[.mlp])
        XCTAssertEqual(back.ordered.map(\.decoder), [.ridge])
        XCTAssertEqual(back.warnings, ["w"])
    }

    func testEveryDecoderNamesItsLags() {
        var spec = CapacitySpec()
        spec.maxLag = 12
        spec.mlpLags = [1, 4, 9]
        XCTAssertEqual(DecoderKind.ridge.lags(spec), Array(1...12))
        XCTAssertNil(DecoderKind.ridge.storedLags(spec), "ridge works from the streamed moments")
        XCTAssertEqual(DecoderKind.mlp.lags(spec), [1, 4, 9])
        XCTAssertEqual(DecoderKind.mlp.storedLags(spec), [1, 4, 9])
        for kind in DecoderKind.allCases { XCTAssertEqual(kind.decoder.kind, kind) }
    }

    /// One resolution of "which networks": seeds of a spec, specs of their own, or given networks.
    func testMeasuredNetworksResolveOnce() throws {
        var spec = CapacitySpec()
        spec.network.n = 9
        spec.network.seed = 40
        spec.networks = 3
        let seeds = MeasuredNetworks(spec)
        XCTAssertEqual(seeds.seeds, [40, 41, 42])
        XCTAssertEqual(seeds.labels, ["network seed 40", "network seed 41", "network seed 42"])
        XCTAssertEqual(seeds.ensemble([2, 0], trials: 4).networks.map(\.seed), [42, 40])
        XCTAssertEqual(seeds.ensemble(trials: 4).trials, 4)
        XCTAssertNil(seeds.given([0]))

        var other = spec.network
        other.g = 0.5
        let specs = MeasuredNetworks(specs: [spec.network, other], labels: ["a", "b"])
        XCTAssertEqual(specs.labels, ["a", "b"])
        XCTAssertEqual(specs.specs[1].g, 0.5)

        let nets = try [40, 77].map { s -> Network in var x = spec.network; x.seed = UInt64(s); return try NetworkGenerator.generate(x) }
        let given = try MeasuredNetworks(given: nets)
        XCTAssertEqual(given.seeds, [40, 77])
        XCTAssertEqual(given.given([1])?.map(\.spec.seed), [77])
        XCTAssertEqual(given.n, 9)
        XCTAssertThrowsError(try MeasuredNetworks(given: []))
    }
}
