import Foundation
import XCTest
import WMCore
import WMTestSupport
@testable import WMExperiments

/// The task generator against hand-written expectations.
final class SequentialTaskTests: XCTestCase {
    /// A short timeline: stimulus 3, delay 2, stimulus 3, delay 2, response 2 (12 steps).
    func shortSpec() -> SequentialTaskSpec {
        var s = SequentialTaskSpec()
        s.stimulus1 = 3; s.delay1 = 2; s.stimulus2 = 3; s.delay2 = 2; s.response = 2
        return s
    }

    func testReferenceTimelineIsTheDefault() {
        let s = SequentialTaskSpec()
        XCTAssertEqual(s.periods.map(s.steps), [100, 50, 100, 50, 50])
        XCTAssertEqual(s.trialSteps, 350)
        XCTAssertEqual(s.period(at: 0), .stimulus1)
        XCTAssertEqual(s.period(at: 99), .stimulus1)
        XCTAssertEqual(s.period(at: 100), .delay1)
        XCTAssertEqual(s.period(at: 150), .stimulus2)
        XCTAssertEqual(s.period(at: 250), .delay2)
        XCTAssertEqual(s.period(at: 300), .response)
        XCTAssertEqual(s.period(at: 349), .response)
        XCTAssertEqual(s.responseTargets, [1.0, 0.5, 1.5])
    }

    func testPeriodsTargetsAndMasksOfEveryTrialType() throws {
        let task = try SequentialTask(shortSpec())
        let means: [[Float]] = [[1.0, -0.5], [0.5, 1.0]]
        for type in TrialType.all {
            let t = task.trial(type, index: 7, seed: 3)
            XCTAssertEqual(t.steps, 12)
            let stimulus1 = 0..<3, delay1 = 3..<5, stimulus2 = 5..<8, delay2 = 8..<10, response = 10..<12
            for s in 0..<12 {
                let u = [t.input[2 * s], t.input[2 * s + 1]], d = [t.dummyTarget[2 * s], t.dummyTarget[2 * s + 1]]
                if stimulus1.contains(s) || stimulus2.contains(s) {
                    XCTAssertTrue(u != [0, 0], "a stimulus step carries a code (step \(s))")
                } else {
                    XCTAssertEqual(u, [0, 0], "no input outside the stimuli (step \(s))")
                }
                XCTAssertEqual(d, delay1.contains(s) ? means[type.first] : delay2.contains(s) ? means[type.second] : [0, 0], "dummy target at step \(s)")
                XCTAssertEqual(t.dummyMask[s], delay1.contains(s) || delay2.contains(s), "dummy mask at step \(s)")
                XCTAssertEqual(t.outputMask[s], response.contains(s), "output mask at step \(s)")
                XCTAssertEqual(t.target[s], response.contains(s) ? Float([1.0, 0.5, 1.5][type.sum]) : 0, "target at step \(s) of \(type)")
            }
        }
    }

    func testStimuliAreFreshSamplesAroundTheClassMean() throws {
        var spec = shortSpec()
        spec.stimulus1 = 2000
        let task = try SequentialTask(spec)
        let t = task.trial(TrialType(1, 0), index: 0, seed: 11)
        let xs = (0..<2000).map { Double(t.input[2 * $0]) }, ys = (0..<2000).map { Double(t.input[2 * $0 + 1]) }
        XCTAssertEqual(Set(xs).count, 2000, "a fresh sample at every step")
        let mx = xs.reduce(0, +) / 2000, my = ys.reduce(0, +) / 2000
        XCTAssertEqual(mx, 0.5, accuracy: 4 * 0.2 / 2000.squareRoot())
        XCTAssertEqual(my, 1.0, accuracy: 4 * 0.2 / 2000.squareRoot())
        let sd = (xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) } / 1999).squareRoot()
        XCTAssertEqual(sd, 0.2, accuracy: 0.02)
        // The same (seed, trial, step) gives the same sample; another seed another one.
        XCTAssertEqual(task.trial(TrialType(1, 0), index: 0, seed: 11).input, t.input)
        XCTAssertNotEqual(task.trial(TrialType(1, 0), index: 0, seed: 12).input, t.input)
        XCTAssertNotEqual(task.trial(TrialType(1, 0), index: 1, seed: 11).input, t.input)
    }

    func testTrialTypesAreBalancedAndShuffled() {
        let a = SequentialTask.trialTypes(count: 3500, seed: 5)
        XCTAssertEqual(a.count, 3500)
        for type in TrialType.all { XCTAssertEqual(a.filter { $0 == type }.count, 875, "\(type)") }
        XCTAssertEqual(SequentialTask.trialTypes(count: 3500, seed: 5), a, "deterministic")
        XCTAssertNotEqual(SequentialTask.trialTypes(count: 3500, seed: 6), a)
        XCTAssertNotEqual(Array(a.prefix(8)), Array(TrialType.all + TrialType.all), "shuffled")
        let b = SequentialTask.trialTypes(count: 6, seed: 1)
        XCTAssertEqual(TrialType.all.map { t in b.filter { $0 == t }.count }, [2, 2, 1, 1])
        XCTAssertEqual(SequentialTask.trialTypes(count: 0, seed: 1), [])
    }

    func testCodesFromFiles() throws {
        let dir = temporaryPath("task-codes")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let codes: [Float] = [2, 0, 4, 0, 0, 3, 0, 5, 0, 7]   // class 0: (2,0), (4,0); class 1: (0,3), (0,5), (0,7)
        let labels: [Int32] = [0, 0, 1, 1, 1]
        try NPY.write(try NPYArray(shape: [5, 2], values: codes), to: dir.appendingPathComponent("codes.npy"))
        try NPY.write(try NPYArray(shape: [5], values: labels), to: dir.appendingPathComponent("labels.npy"))
        var spec = shortSpec()
        spec.stimulus1 = 200
        spec.codesPath = dir.appendingPathComponent("codes.npy").path
        spec.labelsPath = dir.appendingPathComponent("labels.npy").path
        let task = try SequentialTask(spec)
        let t = task.trial(TrialType(0, 1), index: 2, seed: 9)
        let first = Set((0..<200).map { [t.input[2 * $0], t.input[2 * $0 + 1]] })
        XCTAssertEqual(first, [[2, 0], [4, 0]], "stimulus 1 draws every class-0 sample and nothing else")
        let second = Set((202..<205).map { [t.input[2 * $0], t.input[2 * $0 + 1]] })
        XCTAssertTrue(second.isSubset(of: [[0, 3], [0, 5], [0, 7]]))
        XCTAssertEqual([t.dummyTarget[2 * 200], t.dummyTarget[2 * 200 + 1]], [3, 0], "delay 1 holds the class-0 mean")
        XCTAssertEqual([t.dummyTarget[2 * 205], t.dummyTarget[2 * 205 + 1]], [0, 5], "delay 2 holds the class-1 mean")

        // Wrong shapes and labels are refused with the file named.
        try NPY.write(try NPYArray(shape: [5], values: [Int32](repeating: 2, count: 5)), to: dir.appendingPathComponent("bad.npy"))
        spec.labelsPath = dir.appendingPathComponent("bad.npy").path
        XCTAssertThrowsError(try SequentialTask(spec)) { XCTAssertTrue("\($0)".contains("bad.npy"), "\($0)") }
        spec.labelsPath = dir.appendingPathComponent("codes.npy").path
        XCTAssertThrowsError(try SequentialTask(spec)) { XCTAssertTrue("\($0)".contains("shape"), "\($0)") }
        spec.labelsPath = nil
        XCTAssertThrowsError(try SequentialTask(spec)) { XCTAssertTrue("\($0)".contains("labels"), "\($0)") }
    }

    func testInconsistentTasksAreRefused() {
        func refused(_ change: (inout SequentialTaskSpec) -> Void, _ text: String) {
            var s = SequentialTaskSpec()
            change(&s)
            XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains(text), "\($0)") }
        }
        refused({ $0.stimulus1 = 0 }, "stimulus1")
        refused({ $0.response = 0 }, "response")
        refused({ $0.delay2 = -1 }, "delay2")
        refused({ $0.responseTargets = [1, 2] }, "response targets")
        refused({ $0.responseTargets = [1, .nan, 2] }, "response targets")
        refused({ $0.classSpread = -1 }, "spread")
        refused({ $0.classMeans = [[1, 2], [-1, -2]] }, "parallel")
        refused({ $0.classMeans = [[1, 2]] }, "class means")
        var ok = SequentialTaskSpec()
        ok.delay1 = 0
        XCTAssertNoThrow(try ok.validate(), "a delay may be empty")
    }
}
