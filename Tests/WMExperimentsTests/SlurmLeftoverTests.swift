import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// A job written into a folder that holds an earlier job's results: the shard files its tasks
/// would refuse are named, files of another sharding are told apart, resumable files are not.
final class SlurmLeftoverTests: XCTestCase {
    func header<S: ResultsSpec>(_ url: URL, _ spec: S, shard: SweepShard?) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ResultsJSON.line(ResultsHeader(spec: spec, shard: shard)).write(to: url)
    }

    func folder() throws -> URL {
        let u = temporaryPath("leftovers")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }

    func testTrainingAndAnalysisShardsOfAnEarlierJobAreNamed() throws {
        let u = try folder()
        let population = TrainingPopulationSpec.tiny(axes: [try TrainingAxis(.g, values: [1.0, 1.4])], replicates: 2)
        var other = population
        other.replicates = 3
        var job = try SlurmJob(workload: .training(population), shards: 2, executable: "/opt/wmsim")
        var options = AnalysisSpec(archives: [])
        try job.analyse(shards: 2)
        let ours = AnalysisSpec(archives: [u.standardizedFileURL.appendingPathComponent("networks/p0000-r000").path])
        try header(u.appendingPathComponent("results-shard-0-of-2.jsonl"), population, shard: try SweepShard(index: 0, count: 2))
        try header(u.appendingPathComponent("results-shard-1-of-2.jsonl"), other, shard: try SweepShard(index: 1, count: 2))
        try header(u.appendingPathComponent("results-shard-2-of-3.jsonl"), population, shard: try SweepShard(index: 2, count: 3))
        try header(u.appendingPathComponent("results-shard-01-of-2.jsonl"), other, shard: try SweepShard(index: 1, count: 2))
        try header(u.appendingPathComponent("analysis-shard-0-of-2.jsonl"), ours, shard: try SweepShard(index: 0, count: 2))
        try header(u.appendingPathComponent("analysis-shard-1-of-2.jsonl"), ours, shard: try SweepShard(index: 0, count: 2))
        try "not a results file\n".write(to: u.appendingPathComponent("analysis-shard-4-of-7.jsonl"), atomically: true, encoding: .utf8)

        // Training shard 1 is another population's, so no analysis shard can be trusted.
        var found = job.leftoverShardFiles(in: u, analysis: options)
        XCTAssertEqual(found.map(\.file), ["analysis-shard-0-of-2.jsonl", "analysis-shard-1-of-2.jsonl", "analysis-shard-4-of-7.jsonl",
                                           "results-shard-1-of-2.jsonl", "results-shard-2-of-3.jsonl"])
        XCTAssertEqual(found.map(\.blocksTask), [true, true, false, true, false])
        XCTAssertTrue(found[0].reason.contains("may not be this population's"), found[0].reason)
        XCTAssertTrue(found[1].reason.contains("may not be this population's"), found[1].reason)
        XCTAssertTrue(found[2].reason.contains("earlier sharding"), found[2].reason)
        XCTAssertTrue(found[3].reason.contains("another population (they differ in replicates)"), found[3].reason)

        // With this population's training results, its analysis shard resumes; the wrong shard does not.
        try FileManager.default.removeItem(at: u.appendingPathComponent("results-shard-1-of-2.jsonl"))
        try header(u.appendingPathComponent("results-shard-1-of-2.jsonl"), population, shard: try SweepShard(index: 1, count: 2))
        found = job.leftoverShardFiles(in: u, analysis: options)
        XCTAssertEqual(found.map(\.file), ["analysis-shard-1-of-2.jsonl", "analysis-shard-4-of-7.jsonl", "results-shard-2-of-3.jsonl"])
        XCTAssertTrue(found[0].reason.contains("holds shard 0/2, not 1/2"), found[0].reason)

        // Other analysis options, or networks of another folder: refused.
        options.classification.copies += 1
        found = job.leftoverShardFiles(in: u, analysis: options)
        XCTAssertEqual(found.filter(\.blocksTask).map(\.file), ["analysis-shard-0-of-2.jsonl", "analysis-shard-1-of-2.jsonl"])
        XCTAssertTrue(found[0].reason.contains("another analysis (they differ in classification.copies)"), found[0].reason)
        options.classification.copies -= 1
        try FileManager.default.removeItem(at: u.appendingPathComponent("analysis-shard-0-of-2.jsonl"))
        try header(u.appendingPathComponent("analysis-shard-0-of-2.jsonl"), AnalysisSpec(archives: ["/elsewhere/networks/p0000-r000"]), shard: try SweepShard(index: 0, count: 2))
        XCTAssertTrue(job.leftoverShardFiles(in: u, analysis: options)[0].reason.contains("outside"))

        // A network folder of another (larger) population: the analysis would take it in.
        try FileManager.default.removeItem(at: u.appendingPathComponent("analysis-shard-0-of-2.jsonl"))
        try FileManager.default.removeItem(at: u.appendingPathComponent("analysis-shard-1-of-2.jsonl"))
        for name in ["p0000-r001", "p0001-r000", "p0002-r000", "p0003-r000"] {
            try FileManager.default.createDirectory(at: u.appendingPathComponent("networks/" + name), withIntermediateDirectories: true)
            // p0003-r000 was never trained (no trained.json): no analysis would take it in.
            if name != "p0003-r000" { try Data("{}".utf8).write(to: u.appendingPathComponent("networks/\(name)/trained.json")) }
        }
        found = job.leftoverShardFiles(in: u, analysis: options)
        XCTAssertEqual(found.filter(\.blocksTask).map(\.file), ["networks/p0002-r000"])
        XCTAssertTrue(found.first { $0.file == "networks/p0002-r000" }!.reason.contains("the analysis would analyse it"))

        // A job without an analysis stage does not look at analysis files; the stray network is noted.
        job = try SlurmJob(workload: .training(population), shards: 3, executable: "/opt/wmsim")
        found = job.leftoverShardFiles(in: u, analysis: nil)
        XCTAssertEqual(found.map(\.file), ["networks/p0002-r000", "results-shard-0-of-2.jsonl", "results-shard-1-of-2.jsonl"])
        XCTAssertEqual(found.map(\.blocksTask), [false, false, false])
    }

    func testSweepShardsOfAnotherSweepOrCountAreNamed() throws {
        let u = try folder()
        var base = SweepSpec.defaultBase
        base.maxLag = 5
        let sweep = SweepSpec(base: base, axes: [try SweepAxis(.g, values: [0.9, 1.1])], replicates: 2)
        var other = sweep
        other.replicates = 3
        let job = try SlurmJob(workload: .sweep(sweep), shards: 2, executable: "/opt/wmsim")
        let r = u.appendingPathComponent("results")
        try header(r.appendingPathComponent("shard-0.jsonl"), sweep, shard: try SweepShard(index: 0, count: 2))
        try header(r.appendingPathComponent("shard-1.jsonl"), other, shard: try SweepShard(index: 1, count: 2))
        try header(r.appendingPathComponent("shard-3.jsonl"), sweep, shard: try SweepShard(index: 3, count: 4))
        XCTAssertTrue(job.leftoverShardFiles(in: u.appendingPathComponent("absent"), analysis: nil).isEmpty)
        let found = job.leftoverShardFiles(in: u, analysis: nil)
        XCTAssertEqual(found.map(\.file), ["results/shard-1.jsonl", "results/shard-3.jsonl"])
        XCTAssertEqual(found.map(\.blocksTask), [true, false])
        // The same shard of the same sweep from a 3-task job: task 0 of 2 would refuse it.
        try FileManager.default.removeItem(at: r.appendingPathComponent("shard-0.jsonl"))
        try header(r.appendingPathComponent("shard-0.jsonl"), sweep, shard: try SweepShard(index: 0, count: 3))
        XCTAssertTrue(job.leftoverShardFiles(in: u, analysis: nil).first?.reason.contains("not 0/2") == true)
    }
}
