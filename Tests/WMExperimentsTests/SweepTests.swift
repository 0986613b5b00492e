import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

final class SweepTests: XCTestCase {
    /// Short segments: each network takes a few ms.
    func smallBase() -> CapacitySpec {
        var s = SweepSpec.defaultBase
        s.network.n = 40
        s.network.rule = .leaky
        s.network.gIn = 1
        s.network.spIn = 0.5
        s.network.sp = 0.3
        s.washout = 50
        s.train = 600
        s.validation = 200
        s.test = 300
        s.maxLag = 20
        return s
    }

    func tmp(_ name: String) -> URL { temporaryPath("sweep-\(name)", suffix: ".jsonl") }

    func testAxisParsingRangesAndErrors() throws {
        XCTAssertEqual(try SweepAxis(parsing: "g=0.5:1.5:3").values, [0.5, 1.0, 1.5])
        let log = try SweepAxis(parsing: "gin=0.1:10:3:log")
        XCTAssertEqual(log.parameter, .gIn)
        XCTAssertEqual(log.values[1], 1, accuracy: 1e-12)
        XCTAssertTrue(log.logScale)
        // Integer parameters are rounded and deduplicated.
        XCTAssertEqual(try SweepAxis(parsing: "N=10:12:5").values, [10, 11, 12])
        XCTAssertEqual(try SweepAxis(parsing: "x=1,5,10").parameter, .x)
        for bad in ["g=1.5:0.5:3", "g=", "g=1,1", "foo=1,2", "N=10.5", "g=0.5:1.5:0", "gIn=0:1:3:log", "g"] {
            XCTAssertThrowsError(try SweepAxis(parsing: bad), bad)
        }
        do { _ = try SweepAxis(parsing: "gain=1,2"); XCTFail() } catch let e as WMError {
            XCTAssertTrue(e.description.contains("N, g, gIn"), e.description)
        }
    }

    func testGridAndOneAtATimePlans() throws {
        var s = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.5, 0.95, 1.5]), try SweepAxis(.gIn, values: [0.5, 1]),
                                                     try SweepAxis(.x, values: [1, 5])])
        let grid = try s.plan()
        XCTAssertEqual(grid.points.count, 6)
        XCTAssertEqual(grid.lags, [1, 5])
        XCTAssertEqual(Set(grid.points.map { $0.spec.network.g }), [0.5, 0.95, 1.5])
        s.mode = .oneAtATime
        // Base g 0.95, gIn 1: the base point is shared by both axes (3 + 2 − 1 = 4 points).
        let oat = try s.plan()
        XCTAssertEqual(oat.points.count, 4)
        let base = try XCTUnwrap(oat.points.first { $0.values[.g] == 0.95 && $0.values[.gIn] == 1 })
        XCTAssertEqual(base.onAxes, [.g, .gIn])
        let g05 = try XCTUnwrap(oat.points.first { $0.values[.g] == 0.5 })
        XCTAssertEqual(g05.onAxes, [.g])
        XCTAssertEqual(g05.values[.gIn], 1)
        // Replicates get consecutive seeds whatever the point.
        XCTAssertEqual(g05.network(replicate: 2).seed, s.base.network.seed + 2)
    }

    func testInvalidSweepsAreRefusedWithTheReason() throws {
        var s = SweepSpec(base: smallBase(), axes: [try SweepAxis(.sp, values: [0.5, 1.5])])
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("sweep point 1"), "\($0)") }
        s.axes = []
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--vary"), "\($0)") }
        s.base.network.rule = .template
        s.axes = [try SweepAxis(.leak, values: [0.5, 1])]
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("leaky"), "\($0)") }
        s.axes = [try SweepAxis(.x, values: [1, 50])]
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("maxLag"), "\($0)") }
        s.axes = [try SweepAxis(.g, values: [1])]
        s.replicates = 0
        XCTAssertThrowsError(try s.validate())
    }

    func testFingerprintSurvivesJSONAndTracksChanges() throws {
        let s = SweepSpec(base: smallBase(), mode: .oneAtATime, axes: [try SweepAxis(.g, from: 0.5, to: 1.5, steps: 7), try SweepAxis(.n, values: [30, 40])])
        let data = try JSONEncoder().encode(s)
        let back = try JSONDecoder().decode(SweepSpec.self, from: data)
        XCTAssertEqual(back.fingerprint, s.fingerprint)
        var t = s
        t.replicates += 1
        XCTAssertNotEqual(t.fingerprint, s.fingerprint)
        XCTAssertEqual(SweepResults.mismatch(s, t), "they differ in replicates")
        t = s
        t.base.train += 1
        XCTAssertEqual(SweepResults.mismatch(s, t), "they differ in base.train")
    }

    /// The MLP's settings identify only sweeps that run it: a ridge-only sweep keeps the
    /// fingerprint an older wmsim (z-scoring on by default) gave it. And a results file whose
    /// segments are shorter than today's minimum still plans (stats, merge), though no run
    /// starts on it.
    func testUnusedDecoderSettingsAndOldSegmentsDoNotBreakOldFiles() throws {
        XCTAssertFalse(MLPConfig().standardize, "raw states by default")
        XCTAssertFalse(CapacitySpec().mlp.standardize)
        var ridge = SweepSpec(base: smallBase(), mode: .grid, axes: [try SweepAxis(.g, values: [0.5, 0.9])])
        ridge.base.decoders = [.ridge]
        var old = ridge
        old.base.mlp.standardize = true
        old.base.mlp.hidden1 = 7
        XCTAssertEqual(ridge.fingerprint, old.fingerprint)
        XCTAssertNil(SweepResults.mismatch(ridge, old))
        var mlp = ridge, mlpOld = old
        mlp.base.decoders = [.ridge, .mlp]
        mlpOld.base.decoders = [.ridge, .mlp]
        XCTAssertNotEqual(mlp.fingerprint, mlpOld.fingerprint)
        var short = ridge
        short.base.test = 5
        XCTAssertNoThrow(try short.plan())
        XCTAssertThrowsError(try short.base.checkSegments())
    }

    /// A network measured inside a heterogeneous batch gives the same capacity as measured alone.
    func testBatchedNetworksMatchSeparateRuns() throws {
        let backends = TestBackends.all()
        for backend in backends {
            let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.6, 1.2]), try SweepAxis(.spIn, values: [0.3, 0.9])], replicates: 2)
            let url = tmp("batch")
            defer { try? FileManager.default.removeItem(at: url) }
            let sum = try SweepRunner(spec: spec).run(backend: backend, output: url, input: { try InputSource(spec: spec.base.input, nIn: $0) })
            XCTAssertEqual(sum.batches, backend is CPUBackend ? 2 : 1)  // CPU backend: at most 4 networks per batch
            XCTAssertEqual(sum.measured, 8)
            let rows = try SweepResults.read(url).rows
            XCTAssertEqual(rows.count, 8)
            let plan = try spec.plan()
            for row in rows.filter({ $0.replicate == 1 }) {
                let p = plan.points[row.point]
                var alone = p.spec
                alone.network = p.network(replicate: 1)
                alone.networks = 1
                let single = try CapacityMeasurement.run(alone, backend: backend, input: try InputSource(spec: alone.input, nIn: 1))
                let mc = try XCTUnwrap(row.mc(.ridge))
                XCTAssertEqual(mc, single[.ridge]!.memoryCapacity, accuracy: 1e-3 * Swift.max(1, mc), "\(backend.info.kind) point \(row.point)")
                XCTAssertEqual(row.params["g"], p.spec.network.g)
                XCTAssertEqual(row.scores[.ridge]?.r?.count, 20)
            }
        }
    }

    func testResumeAfterInterruptionEqualsOneRun() throws {
        let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.5, 1.0, 1.5])], replicates: 2)
        let input: (Int) throws -> InputSource = { try InputSource(spec: spec.base.input, nIn: $0) }
        let full = tmp("full"), part = tmp("part")
        defer { for u in [full, part] { try? FileManager.default.removeItem(at: u) } }
        var r = SweepRunner(spec: spec)
        r.maxBatch = 2
        _ = try r.run(backend: CPUBackend(), output: full, input: input)
        // An interrupted run: the header, two rows and half of a third line.
        let lines = try String(contentsOf: full, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7)
        try (lines[0...2].joined(separator: "\n") + "\n" + String(lines[3].prefix(40))).write(to: part, atomically: true, encoding: .utf8)
        let broken = try SweepResults.read(part)
        XCTAssertEqual(broken.rows.count, 2)
        XCTAssertTrue(broken.brokenTail)
        XCTAssertTrue(broken.warnings.first?.contains("truncated") ?? false, "\(broken.warnings)")
        let sum = try r.run(backend: CPUBackend(), output: part, input: input)
        XCTAssertEqual(sum.resumed, 2)
        XCTAssertEqual(sum.measured, 4)
        let a = try SweepResults.read(full), b = try SweepResults.read(part)
        XCTAssertTrue(b.warnings.isEmpty, "\(b.warnings)")
        XCTAssertEqual(b.rows.count, 6)
        for row in a.rows {
            let other = try XCTUnwrap(b.rows.first { $0.unit == row.unit })
            XCTAssertEqual(other.mc(.ridge), row.mc(.ridge))
        }
        // A finished file: nothing left to do.
        XCTAssertEqual(try r.run(backend: CPUBackend(), output: part, input: input).measured, 0)
        // Another sweep refuses the file and says why.
        var other = spec
        other.base.train = 700
        XCTAssertThrowsError(try SweepRunner(spec: other).run(backend: CPUBackend(), output: part, input: input)) {
            XCTAssertTrue("\($0)".contains("different sweep") && "\($0)".contains("base.train"), "\($0)")
        }
    }

    func testCorruptMiddleLineIsSkippedAndOthersKept() throws {
        let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.5, 1.0])], replicates: 2)
        let url = tmp("corrupt")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try SweepRunner(spec: spec).run(backend: CPUBackend(), output: url, input: { try InputSource(spec: spec.base.input, nIn: $0) })
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = "{not json"
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let res = try SweepResults.read(url)
        XCTAssertEqual(res.rows.count, 3)
        XCTAssertEqual(res.warnings, ["line 3: corrupt line skipped"])
        XCTAssertFalse(res.brokenTail)
        // Not a sweep file at all.
        try "hello\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepResults.read(url)) { XCTAssertTrue("\($0)".contains("results header"), "\($0)") }
    }

    /// A row of a (point, replicate) the spec does not plan is skipped on read, naming its line, so
    /// merge, stats and resume never count or index it.
    func testRowsOutsideThePlanAreSkippedOnReadAndMerge() throws {
        let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.5, 1.0])], replicates: 2)
        let url = tmp("outside"), merged = tmp("outside-merged")
        defer { for u in [url, merged] { try? FileManager.default.removeItem(at: u) } }
        var data = try ResultsJSON.line(SweepHeader(spec: spec, shard: nil))
        func row(_ p: Int, _ r: Int) -> SweepRow {
            var row = SweepRow(fingerprint: spec.fingerprint, point: p, replicate: r, seed: 1, params: ["g": 0.5], seconds: 0, batch: 1)
            row.scores[.ridge] = DecoderScores(mc: 1, lags: [1], r: [1])
            return row
        }
        let units = [(0, 0), (0, 1), (1, 0), (1, 1), (-1, 0), (500, 0), (0, -1), (1, 2)]
        for (p, r) in units { data.append(try ResultsJSON.line(row(p, r))) }
        try data.write(to: url)
        let f = try SweepResults.read(url)
        XCTAssertEqual(f.rows.map(\.unit), [SweepUnit(point: 0, replicate: 0), SweepUnit(point: 0, replicate: 1),
                                            SweepUnit(point: 1, replicate: 0), SweepUnit(point: 1, replicate: 1)])
        XCTAssertEqual(f.warnings.count, 4, "\(f.warnings)")
        XCTAssertTrue(f.warnings[0].hasPrefix("line 6: point -1 replicate 0 is not in this sweep's plan"), f.warnings[0])
        XCTAssertTrue(f.warnings[3].contains("line 9: point 1 replicate 2"), f.warnings[3])
        XCTAssertFalse(f.brokenTail)
        let report = try SweepMerge.merge([url], into: merged)
        XCTAssertEqual(report.rows, 4)
        XCTAssertTrue(report.missing.isEmpty)
        XCTAssertEqual(try SweepResults.read(merged).rows.count, 4)
        XCTAssertNoThrow(try SweepAnalysis.analyze(f))
    }

    /// Every row names the backend it ran on; a resume on another backend says so (and goes on).
    func testRowsNameTheirBackendAndAResumeOnAnotherOneIsNoted() throws {
        let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.5, 1.0])], replicates: 1)
        let input: (Int) throws -> InputSource = { try InputSource(spec: spec.base.input, nIn: $0) }
        let url = tmp("backend")
        defer { try? FileManager.default.removeItem(at: url) }
        let cpu = CPUBackend().info.label
        XCTAssertTrue(cpu.hasPrefix("cpu: "), cpu)
        _ = try SweepRunner(spec: spec).run(backend: CPUBackend(), output: url, input: input)
        XCTAssertEqual(try SweepResults.read(url).rows.map(\.backend), [cpu, cpu])
        // The first row as another backend wrote it, the second dropped: the rerun notes the mix.
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let other = lines[1].replacingOccurrences(of: "\"backend\":\"\(cpu)\"", with: "\"backend\":\"opencl: Some GPU\"")
        XCTAssertNotEqual(other, lines[1])
        try (lines[0] + "\n" + other + "\n").write(to: url, atomically: true, encoding: .utf8)
        var notes: [String] = []
        let s = try SweepRunner(spec: spec).run(backend: CPUBackend(), output: url, input: input, note: { notes.append($0) })
        XCTAssertEqual(s.measured, 1)
        let note = try XCTUnwrap(notes.first { $0.contains("another backend") }, "\(notes)")
        XCTAssertTrue(note.contains("1 on opencl: Some GPU") && note.contains(cpu) && note.contains("parity tolerances"), note)
        XCTAssertEqual(try SweepResults.read(url).rows.map(\.backend), ["opencl: Some GPU", cpu])
        // Rows of older files name no backend: nothing to note.
        let plain = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"backend\":\"opencl: Some GPU\",", with: "")
        try plain.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertNil(try SweepResults.read(url).otherBackendNote(current: CPUBackend().info, path: url.path))
    }

    func testAParameterVariedTwiceIsRefused() throws {
        XCTAssertEqual(try SweepAxis.parsing(options: ["g=1,2", "N=10,20"]).map(\.parameter), [.g, .n])
        XCTAssertThrowsError(try SweepAxis.parsing(options: ["g=1", "gin=1,2", "G=2"])) {
            XCTAssertTrue("\($0)".contains("given twice (g=1 and G=2)") && "\($0)".contains("one --vary per parameter"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingAxis.parsing(options: ["fb=1", "fb=2"])) { XCTAssertTrue("\($0)".contains("twice"), "\($0)") }
    }

    /// Foundation's decoder says "not valid JSON" with no key for 2.5 where an integer belongs.
    func testAFloatForAnIntegerKeyNamesTheKey() throws {
        let dir = temporaryPath("sweep-floatkey")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let axis = "[[axes]]\nname = \"g\"\nvalues = [0.5, 1.5]\n"
        for (text, key, value) in [("replicates = 2.5\n" + axis, "replicates", "2.5"),
                                   ("[base]\nnetworks = 2.5\n[base.network]\ng = 0.95\n" + axis, "base.networks", "2.5"),
                                   ("[base.network]\nn = 1e30\n" + axis, "base.network.n", "1e+30"),
                                   ("[[axes]]\nname = \"g\"\nfrom = 0.5\nto = 1.5\nsteps = 2.5\n", "axes[0].steps", "2.5")] {
            let url = dir.appendingPathComponent("s.toml")
            try text.write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SweepSpec.load(url), text) {
                XCTAssertTrue("\($0)".contains("invalid value at \(key): expected an integer, found \(value)"), "\($0)")
            }
        }
        // A seed beyond Int's range, decoded before the culprit, is a valid UInt64 and not blamed.
        let json = dir.appendingPathComponent("s.json")
        try #"{"base": {"network": {"seed": 10000000000000000000}}, "replicates": 2.5, "axes": [{"name": "g", "values": [0.5, 1.5]}]}"#
            .write(to: json, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepSpec.load(json)) {
            XCTAssertTrue("\($0)".contains("invalid value at replicates: expected an integer, found 2.5"), "\($0)")
        }
    }

    /// Fewer points than shards still gives every shard networks (the issue's 2 points × 20 seeds
    /// in 4 shards ran nothing in shard 3).
    func testShardsSplitNetworksEvenly() throws {
        let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.g, values: [0.9, 1.1])], replicates: 20)
        let plan = try spec.plan()
        let sizes = (0..<8).map { plan.units(shard: try! SweepShard(index: $0, count: 8)).count }
        XCTAssertEqual(sizes, [5, 5, 5, 5, 5, 5, 5, 5])
        XCTAssertEqual(plan.units(shard: try SweepShard(index: 3, count: 4)).count, 10)
        let all = (0..<3).flatMap { i in plan.units(shard: try! SweepShard(index: i, count: 3)).map { "\($0.point.index)/\($0.replicate)" } }
        XCTAssertEqual(Set(all).count, 40, "every network in exactly one shard")
        XCTAssertEqual(all.count, 40)
    }

    func testShardsMergeIntoTheWholeSweep() throws {
        let spec = SweepSpec(base: smallBase(), axes: [try SweepAxis(.gIn, values: [0.5, 1, 2]), try SweepAxis(.n, values: [30, 40])], replicates: 2)
        let input: (Int) throws -> InputSource = { try InputSource(spec: spec.base.input, nIn: $0) }
        let whole = tmp("whole"), merged = tmp("merged")
        let shards = (0..<3).map { tmp("shard\($0)") }
        defer { for u in [whole, merged] + shards { try? FileManager.default.removeItem(at: u) } }
        _ = try SweepRunner(spec: spec).run(backend: CPUBackend(), output: whole, input: input)
        for (i, u) in shards.enumerated() {
            let s = try SweepRunner(spec: spec, shard: SweepShard(index: i, count: 3)).run(backend: CPUBackend(), output: u, input: input)
            XCTAssertEqual(s.networks, 4)
        }
        // Two shards: the merge reports what is missing.
        let partial = try SweepMerge.merge(Array(shards.prefix(2)), into: merged)
        XCTAssertEqual(partial.rows, 8)
        // Shards split networks: unit k = point · 2 + replicate is in shard k mod 3, so shard 2
        // holds units 2, 5, 8, 11.
        XCTAssertEqual(partial.missing.map { $0.point * 2 + $0.replicate }.sorted(), [2, 5, 8, 11])
        let report = try SweepMerge.merge(shards, into: merged)
        XCTAssertTrue(report.missing.isEmpty)
        let a = try SweepResults.read(whole), b = try SweepResults.read(merged)
        XCTAssertEqual(b.rows.count, 12)
        XCTAssertNil(b.header.shard)
        for row in a.rows { XCTAssertEqual(b.rows.first { $0.unit == row.unit }?.mc(.ridge), row.mc(.ridge)) }
        // A shard file is refused as a resume target of the whole sweep.
        XCTAssertThrowsError(try SweepRunner(spec: spec).run(backend: CPUBackend(), output: shards[0], input: input))
        // A different sweep is never merged in.
        var other = spec
        other.replicates = 3
        let foreign = tmp("foreign")
        defer { try? FileManager.default.removeItem(at: foreign) }
        _ = try SweepRunner(spec: other, shard: SweepShard(index: 0, count: 9)).run(backend: CPUBackend(), output: foreign, input: input)
        XCTAssertThrowsError(try SweepMerge.merge([shards[0], foreign], into: merged)) {
            XCTAssertTrue("\($0)".contains("refusing to mix"), "\($0)")
        }
    }

    func testSweepFileTOMLWithUnknownKeysRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wmsim-sweepfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("s.toml")
        try """
        mode = "one-at-a-time"
        replicates = 3
        [base]
        train = 500
        maxLag = 10
        [base.network]
        n = 50
        [[axes]]
        name = "g"
        from = 0.5
        to = 1.5
        steps = 3
        [[axes]]
        name = "N"
        values = [30, 50]
        """.write(to: good, atomically: true, encoding: .utf8)
        let s = try SweepSpec.load(good)
        XCTAssertEqual(s.mode, .oneAtATime)
        XCTAssertEqual(s.replicates, 3)
        XCTAssertEqual(s.base.decoders, [.ridge])
        XCTAssertEqual(s.base.network.n, 50)
        XCTAssertEqual(s.axes.map(\.parameter), [.g, .n])
        // g at N = 50 (3 points) and N at the base g = 0.95 (2 points, none shared).
        XCTAssertEqual(try s.plan().points.count, 5)
        let bad = dir.appendingPathComponent("b.toml")
        try "[[axes]]\nname = \"g\"\nvalues = [1]\nstep = 3\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepSpec.load(bad)) { XCTAssertTrue("\($0)".contains("unknown key 'step'"), "\($0)") }
        try "[[axes]]\nname = \"q\"\nvalues = [1]\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepSpec.load(bad)) { XCTAssertTrue("\($0)".contains("one of N, g"), "\($0)") }
    }
}
