import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// Training populations: the plan, shards by network, population files, the resumable results
/// file, shards merged into the whole, failures isolated, and the success table.
final class TrainingPopulationTests: XCTestCase {
    func tinySpec() throws -> TrainingPopulationSpec { TrainingPopulationSpec.tiny(axes: [try TrainingAxis(.g, values: [1.0, 1.4])], replicates: 2) }

    func testPlansGridOneAtATimeAndListAndShardsSplitNetworks() throws {
        var p = TrainingPopulationSpec()
        p.axes = [try TrainingAxis(.g, values: [1.0, 1.5]), try TrainingAxis(.fb, values: [5, 10])]
        p.replicates = 3
        let grid = try p.plan()
        XCTAssertEqual(grid.points.map(\.label), ["g=1 fb=5", "g=1 fb=10", "g=1.5 fb=5", "g=1.5 fb=10"])
        XCTAssertEqual(grid.units.count, 12)
        XCTAssertEqual(grid.points[2].spec.network.g, 1.5)
        XCTAssertEqual(grid.points[2].network(replicate: 2).seed, p.base.network.seed + 2)
        // Five shards of 12 networks: every network once, sizes 3,3,2,2,2.
        var seen: [SweepUnit] = []
        for i in 0..<5 {
            let u = grid.units(shard: try SweepShard(index: i, count: 5))
            XCTAssertEqual(u.count, i < 2 ? 3 : 2)
            seen += u
        }
        XCTAssertEqual(Set(seen).count, 12)
        XCTAssertEqual(seen.count, 12)
        // More shards than points still gives every shard work (shards split networks).
        XCTAssertEqual(grid.units(shard: try SweepShard(index: 9, count: 12)).count, 1)

        // One at a time around the base (g = 1.2, fb = 10): the shared base point once.
        p.mode = .oneAtATime
        p.axes = [try TrainingAxis(.g, values: [1.0, 1.2]), try TrainingAxis(.fb, values: [5, 10])]
        XCTAssertEqual(try p.plan().points.map(\.label), ["g=1 fb=10", "g=1.2 fb=10", "g=1.2 fb=5"])

        p.mode = .list
        p.axes = []
        p.points = [["N": 200, "alpha": 0.5], ["N": 300, "alpha": 1]]
        let list = try p.plan()
        XCTAssertEqual(list.points[1].spec.network.n, 300)
        XCTAssertEqual(list.points[0].spec.alpha, 0.5)

        p.points = [["N": 200], ["g": 1]]
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("the same parameters"), "\($0)") }
        p.points = [["N": 200, "n": 300]]
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("named twice"), "\($0)") }
        p.points = [["N": 200.5]]
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("whole number"), "\($0)") }
        p.mode = .grid
        p.points = nil
        p.axes = [try TrainingAxis(.fb, values: [0, 10])]
        XCTAssertThrowsError(try p.validate()) { XCTAssertTrue("\($0)".contains("population point 0 (fb=0)"), "\($0)") }
        XCTAssertThrowsError(try TrainingAxis(parsing: "seed=1,2")) { XCTAssertTrue("\($0)".contains("N, g, pg, fb, alpha"), "\($0)") }
    }

    func testPopulationFilesLoadOnlyKnownKeysAndFingerprintLikeFlags() throws {
        let url = temporaryPath("population", suffix: ".toml")
        try """
        replicates = 2
        [base]
        trainTrials = 12
        testTrials = 4
        evaluationSeeds = 1
        [base.network]
        n = 30
        [base.task]
        stimulus1 = 6
        delay1 = 3
        stimulus2 = 6
        delay2 = 3
        response = 4
        [[axes]]
        name = "g"
        values = [1.0, 1.4]
        """.write(to: url, atomically: true, encoding: .utf8)
        let loaded = try TrainingPopulationSpec.load(url)
        XCTAssertEqual(loaded, try tinySpec())
        XCTAssertEqual(loaded.fingerprint, try tinySpec().fingerprint, "a file and the same spec built in code are one population")
        try "[base]\ntrainTrial = 12\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingPopulationSpec.load(url)) { XCTAssertTrue("\($0)".contains("trainTrial"), "\($0)") }
    }

    func rows(_ url: URL) throws -> [SweepUnit: TrainingRow] {
        Dictionary(uniqueKeysWithValues: try TrainingResults.read(url).rows.map { ($0.unit, $0) })
    }

    func testRunsResumeAndShardsMergeIntoTheWholePopulation() throws {
        let p = try tinySpec()
        let whole = temporaryPath("population-whole")
        let s = try TrainingPopulationRunner(spec: p).run(backend: CPUBackend(), folder: whole)
        XCTAssertEqual(s.trained, 4)
        XCTAssertEqual(s.batches, 4, "the CPU reference trains one network per batch")
        let file = TrainingPopulationRunner.resultsFile(in: whole, shard: nil)
        let all = try rows(file)
        XCTAssertEqual(all.count, 4)
        for (u, r) in all {
            XCTAssertNil(r.error)
            XCTAssertNotNil(r.learned)
            XCTAssertEqual(r.params, ["g": u.point == 0 ? 1.0 : 1.4])
            XCTAssertEqual(r.seed, UInt64(u.replicate))
            XCTAssertEqual(r.backend, CPUBackend().info.label, "every row says where it trained")
            XCTAssertEqual(r.failingShare?.count, 4)
            let archive = whole.appendingPathComponent(try XCTUnwrap(r.archive))
            XCTAssertEqual(archive.lastPathComponent, String(format: "p%04d-r%03d", u.point, u.replicate))
            let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: archive.appendingPathComponent("trained.json"))) as? [String: Any]
            let spec = try XCTUnwrap(saved?["spec"] as? [String: Any])
            XCTAssertEqual((spec["network"] as? [String: Any])?["g"] as? Double, u.point == 0 ? 1.0 : 1.4)
            let errs = try XCTUnwrap((saved?["result"] as? [String: Any])?["referenceError"] as? [Double])
            XCTAssertEqual(try XCTUnwrap(errs.max()), try XCTUnwrap(r.referenceErrorMax), accuracy: 1e-15, "the row summarises the archive")
        }
        XCTAssertNotEqual(all[SweepUnit(point: 0, replicate: 0)]?.referenceErrorMax, all[SweepUnit(point: 1, replicate: 0)]?.referenceErrorMax)

        // Interrupted after the first network, in the middle of the second line: the rerun keeps
        // the first row, drops the torn line and trains the other three to the same values.
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        try (lines[0...1].joined(separator: "\n") + "\n" + lines[2].prefix(40)).write(to: file, atomically: true, encoding: .utf8)
        let again = try TrainingPopulationRunner(spec: p).run(backend: CPUBackend(), folder: whole)
        XCTAssertEqual(again.resumed, 1)
        XCTAssertEqual(again.trained, 3)
        XCTAssertTrue(again.warnings.contains { $0.contains("truncated") }, "\(again.warnings)")
        let resumed = try rows(file)
        XCTAssertEqual(resumed.count, 4)
        for (u, r) in all { XCTAssertEqual(resumed[u]?.referenceErrorMax, r.referenceErrorMax, "\(u)") }
        // Nothing left: a third run trains nothing.
        XCTAssertEqual(try TrainingPopulationRunner(spec: p).run(backend: CPUBackend(), folder: whole).trained, 0)

        // Three shards into one folder, merged: the whole population.
        let sharded = temporaryPath("population-shards")
        var files: [URL] = []
        for i in 0..<3 {
            let sh = try SweepShard(index: i, count: 3)
            _ = try TrainingPopulationRunner(spec: p, shard: sh).run(backend: CPUBackend(), folder: sharded)
            files.append(TrainingPopulationRunner.resultsFile(in: sharded, shard: sh))
        }
        let mergedURL = sharded.appendingPathComponent("merged.jsonl")
        let (partial, _) = try ResultsMerge.merge(Array(files.prefix(2)), into: mergedURL, as: TrainingResults.self)
        XCTAssertEqual(partial.missing.count, 1, "the missing network is named")
        let (report, merged) = try ResultsMerge.merge(files, into: mergedURL, as: TrainingResults.self)
        XCTAssertTrue(report.missing.isEmpty)
        XCTAssertEqual(merged.rows.count, 4)
        for r in merged.rows { XCTAssertEqual(r.referenceErrorMax, all[r.unit]?.referenceErrorMax) }
        // Another population cannot resume into this one's results.
        var other = p
        other.replicates = 3
        XCTAssertThrowsError(try TrainingPopulationRunner(spec: other).run(backend: CPUBackend(), folder: whole)) {
            XCTAssertTrue("\($0)".contains("different population") && "\($0)".contains("replicates"), "\($0)")
        }
        // A sweep's merge refuses a training file.
        XCTAssertThrowsError(try SweepResults.read(file)) { XCTAssertTrue("\($0)".contains("training-population"), "\($0)") }
    }

    func testOneWriterAtATime() throws {
        let p = try tinySpec()
        let url = temporaryPath("population-lock", suffix: ".jsonl")
        do {
            let first = try TrainingResults.resume(url, spec: p, shard: nil)
            XCTAssertNil(first.existing)
            // A second writer of the same file is refused while the first lives.
            XCTAssertThrowsError(try TrainingResults.resume(url, spec: p, shard: nil)) {
                XCTAssertTrue("\($0)".contains("another process"), "\($0)")
            }
            try first.writer.append([TrainingRow(fingerprint: p.fingerprint, point: 0, replicate: 0, seed: 0, params: [:], seconds: 1, batch: 1)])
        }
        // Released with the writer: the next run continues after the row.
        let again = try TrainingResults.resume(url, spec: p, shard: nil)
        XCTAssertEqual(again.existing?.rows.count, 1)
    }

    func testAFailingNetworkIsReportedAndTheOthersGoOn() throws {
        var p = try tinySpec()
        p.axes = [try TrainingAxis(.alpha, values: [1, 1e-300])]
        p.replicates = 1
        let dir = temporaryPath("population-failing")
        let s = try TrainingPopulationRunner(spec: p).run(backend: CPUBackend(), folder: dir)
        XCTAssertEqual(s.failed, 1)
        let r = try rows(TrainingPopulationRunner.resultsFile(in: dir, shard: nil))
        let good = try XCTUnwrap(r[SweepUnit(point: 0, replicate: 0)]), bad = try XCTUnwrap(r[SweepUnit(point: 1, replicate: 0)])
        XCTAssertNil(good.failure)
        XCTAssertNotNil(good.learned)
        XCTAssertTrue(bad.failure?.contains("positive definite") ?? false, "\(String(describing: bad.failure))")
        XCTAssertNil(bad.learned, "a failed network has no verdict")
        XCTAssertNil(bad.referenceErrorMax)
        let table = try TrainingSuccessTable(try TrainingResults.read(TrainingPopulationRunner.resultsFile(in: dir, shard: nil)))
        XCTAssertEqual(table.points.map(\.failed), [0, 1])
        XCTAssertEqual(table.points.map(\.learned.trials), [1, 0], "only evaluated networks count towards the share")
    }

    func testWilsonIntervalsAgreeWithTheirClosedForms() {
        // 0 of n: [0, z²/(n + z²)]; k of n symmetric around 1/2 for k = n/2.
        let z2 = 1.959963984540054 * 1.959963984540054
        let none = ProportionInterval(successes: 0, trials: 2)
        XCTAssertEqual(none.low, 0)
        XCTAssertEqual(none.high, z2 / (2 + z2), accuracy: 1e-12)
        let half = ProportionInterval(successes: 5, trials: 10)
        XCTAssertEqual(half.low, 0.2366, accuracy: 1e-4)
        XCTAssertEqual(half.high, 0.7634, accuracy: 1e-4)
        let all = ProportionInterval(successes: 7, trials: 7)
        XCTAssertEqual(all.high, 1)
        XCTAssertEqual(all.low, 7 / (7 + z2), accuracy: 1e-12)
        XCTAssertTrue(ProportionInterval(successes: 0, trials: 0).share.isNaN)
    }

    func testSuccessTableCountsPerPointAndPerValue() throws {
        var p = TrainingPopulationSpec()
        p.axes = [try TrainingAxis(.g, values: [1.0, 1.5]), try TrainingAxis(.fb, values: [5, 10])]
        p.replicates = 3
        let plan = try p.plan()
        var rows: [TrainingRow] = []
        for u in plan.units {
            var r = TrainingRow(fingerprint: p.fingerprint, point: u.point, replicate: u.replicate, seed: UInt64(u.replicate),
                                params: plan.points[u.point].named, seconds: 1, batch: 1)
            // Point k learns on its first k replicates; point 3's last replicate failed in training.
            if u.point == 3 && u.replicate == 2 { r.failure = "step 5: P lost positive definiteness" } else {
                r.learned = u.replicate < u.point
                r.referenceErrorMax = 0.01 * Double(u.point + 1)
            }
            if !(u.point == 0 && u.replicate == 2) { rows.append(r) }
        }
        let results = TrainingResults(header: TrainingHeader(spec: p, shard: nil), rows: rows, warnings: [], validLength: 0, brokenTail: false)
        let t = try TrainingSuccessTable(results)
        XCTAssertEqual(t.points.map(\.networks), [2, 3, 3, 3])
        XCTAssertEqual(t.points.map(\.learned.successes), [0, 1, 2, 2])
        XCTAssertEqual(t.points.map(\.learned.trials), [2, 3, 3, 2])
        XCTAssertEqual(t.points.map(\.failed), [0, 0, 0, 1])
        XCTAssertEqual(t.points[2].medianMaxError, 0.03, accuracy: 1e-12)
        let g = try XCTUnwrap(t.marginals.first { $0.parameter == "g" })
        XCTAssertEqual(g.cells.map(\.learned.successes), [1, 4])
        XCTAssertEqual(g.cells.map(\.networks), [5, 6])
        XCTAssertTrue(t.text().contains("1 of 12 network(s) have no row yet"), t.text())
        let csv = t.csv(parameters: ["g", "fb"]).split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(csv[4].hasPrefix("1.5,10.0,3,2,2,1.0,"), String(csv[4]))
    }
}

extension TrainingPopulationSpec {
    /// A population of tiny networks (N = 30, a 22-step trial) that trains in well under a second.
    static func tiny(axes: [TrainingAxis], replicates: Int) -> TrainingPopulationSpec {
        var p = TrainingPopulationSpec()
        p.base.network.n = 30
        p.base.task.stimulus1 = 6; p.base.task.delay1 = 3; p.base.task.stimulus2 = 6; p.base.task.delay2 = 3; p.base.task.response = 4
        p.base.trainTrials = 12
        p.base.testTrials = 4
        p.base.evaluationSeeds = 1
        p.axes = axes
        p.replicates = replicates
        return p
    }
}
