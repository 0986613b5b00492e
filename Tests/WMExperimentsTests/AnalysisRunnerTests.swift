import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// `AnalysisRunner` over the archives of a trained population: discovery, resumption, shards,
/// and networks that cannot be analysed.
final class AnalysisRunnerTests: XCTestCase {
    func trainedPopulation() throws -> URL {
        let p = TrainingPopulationSpec.tiny(axes: [try TrainingAxis(.alpha, values: [1, 1e-300]), try TrainingAxis(.g, values: [0.8, 1.5])], replicates: 1)
        let dir = temporaryPath("analysis-population")
        _ = try TrainingPopulationRunner(spec: p).run(backend: CPUBackend(), folder: dir)
        return dir
    }

    /// Small fixed-point and robustness settings (debug builds run the GEMMs unoptimised).
    func spec(_ archives: [String]) -> AnalysisSpec {
        var f = FixedPointOptions()
        f.iterations = 300
        f.trajectorySamples = 20
        var r = RobustnessOptions()
        r.extensions = [1, 3, 10]
        r.sigmas = [0.1, 10]
        r.repeats = 2
        r.silenced = [0.5]
        return AnalysisSpec(archives: archives, classification: quick, fixedPoints: f, robustness: r)
    }

    var quick: ClassificationOptions {
        var o = ClassificationOptions()
        o.steps = 600
        o.window = 100
        o.slownessSteps = [0, 599]
        return o
    }

    func testAnalysesEveryArchiveResumesAndReportsTheOnesItCannot() throws {
        let dir = try trainedPopulation()
        let archives = try AnalysisSpec.discover([dir.path])
        XCTAssertEqual(archives.map { URL(fileURLWithPath: $0).lastPathComponent }, ["p0000-r000", "p0001-r000", "p0002-r000", "p0003-r000"])
        XCTAssertEqual(try AnalysisSpec.discover([dir.path, archives[0]]).count, 4, "an archive named twice is analysed once")
        let spec = spec(archives)
        let out = dir.appendingPathComponent("analysis.jsonl")
        let s = try AnalysisRunner(spec: spec).run(backend: CPUBackend(), output: out)
        XCTAssertEqual(s.analysed, 4)
        XCTAssertEqual(s.failed, 2, "the two α = 1e-300 networks failed in training")
        let rows = try AnalysisResults.read(out).rows
        XCTAssertEqual(rows.count, 4)
        for r in rows {
            XCTAssertEqual(r.params["N"], 30)
            XCTAssertEqual(r.backend, CPUBackend().info.label, "every row, error rows too, says where it ran")
            if r.params["alpha"] == 1 {
                let c = try XCTUnwrap(r.classification, r.error ?? "")
                XCTAssertEqual(c.meanOutput.count, 100)
                XCTAssertEqual(c.slowness.map(\.count), [2, 2, 2, 2])
                let rb = try XCTUnwrap(r.robustness)
                XCTAssertEqual(rb.delay.failing.count, 3)
                XCTAssertEqual(rb.noise.runs, 32)
                XCTAssertEqual(rb.nominalOutput.count, 16)
                XCTAssertNotNil(r.fixedPoints)
                XCTAssertEqual(r.saturation?.delay1.count, 16)
                XCTAssertTrue(r.saturation?.response.allSatisfy { (0...1).contains($0) } ?? false)
                // The classification is a pure function of the archive: the same again.
                let a = try TrainedNetworkArchive.load(from: URL(fileURLWithPath: r.archive))
                let again = try MechanismClassifier.classify(try ClosedLoopModel(a.network), trialEndStates: a.startStates, options: quick, ops: CPUDenseOps())
                XCTAssertEqual(again.finalOutput, c.finalOutput)
                XCTAssertEqual(again.mechanism, c.mechanism)
            } else {
                XCTAssertNil(r.classification)
                XCTAssertTrue(r.error?.contains("training failed") ?? false, r.error ?? "")
            }
        }
        XCTAssertEqual(try AnalysisRunner(spec: spec).run(backend: CPUBackend(), output: out).analysed, 0, "a rerun resumes")
        // Two shards merged are the whole analysis.
        var files: [URL] = []
        for i in 0..<2 {
            let sh = try SweepShard(index: i, count: 2)
            let u = dir.appendingPathComponent("analysis-\(i).jsonl")
            _ = try AnalysisRunner(spec: spec, shard: sh).run(backend: CPUBackend(), output: u)
            files.append(u)
        }
        let (report, merged) = try ResultsMerge.merge(files, into: dir.appendingPathComponent("merged.jsonl"), as: AnalysisResults.self)
        XCTAssertTrue(report.missing.isEmpty)
        for r in merged.rows { XCTAssertEqual(r.classification?.finalOutput, rows.first { $0.point == r.point }?.classification?.finalOutput) }
        let table = MechanismTable(merged.rows)
        XCTAssertEqual(table.unanalysed, 2)
        XCTAssertEqual(table.lines[0].total, 2)
        XCTAssertTrue(table.text.contains("2 network(s) not analysed"), table.text)
        // Another analysis never resumes into this file.
        var other = spec
        other.classification.copies = 3
        XCTAssertThrowsError(try AnalysisRunner(spec: other).run(backend: CPUBackend(), output: out)) {
            XCTAssertTrue("\($0)".contains("different analysis"), "\($0)")
        }
    }

    func testFoldersWithoutTrainedNetworksAreRefused() throws {
        let empty = temporaryPath("analysis-empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try AnalysisSpec.discover([empty.path])) { XCTAssertTrue("\($0)".contains("holds no trained network"), "\($0)") }
        XCTAssertThrowsError(try AnalysisSpec.discover(["/nonexistent/folder"])) { XCTAssertTrue("\($0)".contains("not a folder"), "\($0)") }
        // An archive from another format version.
        let bad = temporaryPath("analysis-bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try #"{"format": "wmsim-trained-network", "version": 99}"#.write(to: bad.appendingPathComponent("trained.json"), atomically: true, encoding: .utf8)
        let out = bad.appendingPathComponent("analysis.jsonl")
        let s = try AnalysisRunner(spec: spec(try AnalysisSpec.discover([bad.path]))).run(backend: CPUBackend(), output: out)
        XCTAssertEqual(s.failed, 1)
        let row = try XCTUnwrap(try AnalysisResults.read(out).rows.first)
        XCTAssertNotNil(row.error)
    }

    /// The peak of one network's analysis, from the arithmetic: at N = 1000 with the defaults it is
    /// the delay test's 1592 branches; too little memory is refused naming that part and its knob.
    func testTheAnalysisMemoryIsEstimatedPerPhaseAndRefusedWithTheKnob() throws {
        let spec = AnalysisSpec(archives: ["x"])
        let m = spec.memory(n: 1000)
        XCTAssertEqual(m.parts.count, 2)
        XCTAssertEqual(m.parts[1].device, ClosedLoopSimulator.bytes(n: 1000, trajectories: 4 * 398))
        // The model and one Jacobian per linearisation worker (LAPACK works on it in place).
        let workers = FixedPointSearch.linearisationWorkers(n: 1000)
        XCTAssertGreaterThanOrEqual(workers, 1)
        XCTAssertEqual(m.parts[0].host, 8_000_000 * (1 + workers))
        var caps = CPUBackend().capabilities
        caps.usesHostMemory = false
        caps.memoryBytes = 10_000_000
        XCTAssertNoThrow(try m.check(capabilities: CPUBackend().capabilities, what: "analysis"))
        XCTAssertThrowsError(try m.check(capabilities: caps, what: "the analysis")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("device memory") && text.contains("delay-test branches") && text.contains("--max-extension"), text)
        }
        var none = spec
        none.robustness = nil
        XCTAssertTrue(none.memory(n: 1000).parts[1].name.contains("fixed-point"), "without robustness the search is the peak")
    }

    /// An error row (here: the archive was not there yet) is skipped on resume unless the run
    /// retries errors; then the new result replaces it when the file is read, and in a merge.
    func testErrorRowsAreRetriedOnlyWhenAskedAndTheResultReplacesThem() throws {
        let dir = try trainedPopulation()
        let real = try AnalysisSpec.discover([dir.path])[0]
        let late = dir.appendingPathComponent("late-archive")
        let spec = spec([late.path])
        let out = dir.appendingPathComponent("retry.jsonl")
        XCTAssertEqual(try AnalysisRunner(spec: spec).run(backend: CPUBackend(), output: out).failed, 1)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: real), to: late)
        XCTAssertEqual(try AnalysisRunner(spec: spec).run(backend: CPUBackend(), output: out).analysed, 0, "errors are done unless retried")
        var retry = AnalysisRunner(spec: spec)
        retry.retryErrors = true
        let s = try retry.run(backend: CPUBackend(), output: out)
        XCTAssertEqual(s.analysed, 1)
        XCTAssertEqual(s.failed, 0)
        let file = try AnalysisResults.read(out)
        XCTAssertEqual(file.rows.count, 1)
        XCTAssertNil(file.rows[0].error)
        XCTAssertNotNil(file.rows[0].classification)
        XCTAssertTrue(file.warnings.isEmpty, "\(file.warnings)")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "header, the error row, the retry: nothing rewritten")
        XCTAssertEqual(try retry.run(backend: CPUBackend(), output: out).analysed, 0, "a result is never retried")
        // A merge of the error-only file and the retried one keeps the result.
        let errorOnly = dir.appendingPathComponent("error-only.jsonl")
        try (lines[0...1].joined(separator: "\n") + "\n").write(to: errorOnly, atomically: true, encoding: .utf8)
        let (_, merged) = try ResultsMerge.merge([errorOnly, out], into: dir.appendingPathComponent("retry-merged.jsonl"), as: AnalysisResults.self)
        XCTAssertNil(merged.rows[0].error)
    }
}
