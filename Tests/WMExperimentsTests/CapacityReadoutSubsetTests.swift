import XCTest
import WMCore
import WMOpenCL
import WMTestSupport
@testable import WMExperiments

/// `--readout-neurons n`: the decoders read a fixed random subset of n neurons (`ReadoutSubset`).
final class CapacityReadoutSubsetTests: XCTestCase {
    func spec(n: Int, readout: Int?) -> CapacitySpec {
        var c = CapacitySpec()
        c.network.n = n; c.network.sp = 0.2; c.network.rule = .leaky; c.network.leak = 0.8
        c.network.gIn = 1; c.network.spIn = 0.5
        c.networks = 2
        c.washout = 100; c.train = 1500; c.validation = 500; c.test = 800; c.maxLag = 20
        c.decoders = [.ridge]
        c.readoutNeurons = readout
        return c
    }

    /// Exactly n distinct neurons in increasing order, a function of (N, n) only, all of them for
    /// n = N, and spread over the whole network (the smallest keys are uniform over subsets).
    func testTheSubsetRule() {
        for (count, n) in [(1, 1), (1, 7), (5, 7), (7, 7), (100, 1000), (999, 1000), (1000, 100_000)] {
            let s = ReadoutSubset.neurons(count, of: n)
            XCTAssertEqual(s.count, count, "\(count) of \(n)")
            XCTAssertEqual(s, s.sorted(), "increasing")
            XCTAssertEqual(Set(s).count, count, "distinct")
            XCTAssertTrue(s.allSatisfy { $0 >= 0 && $0 < n })
            XCTAssertEqual(s, ReadoutSubset.neurons(count, of: n), "deterministic")
        }
        XCTAssertEqual(ReadoutSubset.neurons(61, of: 61), Array(0..<61))
        let big = ReadoutSubset.neurons(1000, of: 100_000)
        let mean = Double(big.reduce(0, +)) / 1000
        // The mean index of a uniform subset is (N − 1)/2 with s.d. ≈ N/√(12·1000) ≈ 913.
        XCTAssertEqual(mean, 49_999.5, accuracy: 4 * 913)
        XCTAssertNotEqual(big, Array(0..<1000), "not the first neurons")
    }

    /// The subsets are nested (every smaller one lies inside every larger one, so a curve over n
    /// adds neurons to one readout), `ranked` lists them in the order they join, the fast path
    /// (candidates under a key threshold) agrees with ranking every neuron, and positions find a
    /// subset's columns among a larger subset's.
    func testSubsetsAreNestedAndRankedOnce() throws {
        for n in [7, 61, 1000, 20_000] {
            let all = ReadoutSubset.ranked(n, of: n)
            XCTAssertEqual(all.sorted(), Array(0..<n))
            var previous: Set<Int> = []
            for count in Set([1, 2, n / 10, n / 3, n / 2, n - 1, n]).sorted() where count >= 1 {
                let s = ReadoutSubset.neurons(count, of: n)
                XCTAssertTrue(previous.isSubset(of: Set(s)), "\(count) of \(n) holds every smaller subset")
                XCTAssertEqual(s, Array(all.prefix(count)).sorted(), "\(count) of \(n): the first \(count) in key order")
                XCTAssertEqual(ReadoutSubset.ranked(count, of: n), Array(all.prefix(count)), "the threshold path ranks as the full sort")
                previous = Set(s)
            }
        }
        let small = ReadoutSubset.neurons(50, of: 1000), large = ReadoutSubset.neurons(300, of: 1000)
        let cols = try ReadoutSubset.positions(of: small, in: large)
        XCTAssertEqual(cols.map { large[$0] }, small)
        XCTAssertThrowsError(try ReadoutSubset.positions(of: [small[0], 999_999], in: large))
    }

    /// n = N reads every neuron, so the result is the one without a subset, bit for bit on the CPU
    /// backend, ridge and MLP; the spec records the field only when it is set.
    func testAllNeuronsGiveTheSameResultAsNoSubset() throws {
        var full = spec(n: 61, readout: nil)
        full.decoders = [.ridge, .mlp]
        full.mlp.epochs = 3; full.mlp.hidden1 = 8; full.mlp.hidden2 = 4; full.mlpLags = [1, 3]
        var all = full
        all.readoutNeurons = 61
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let a = try CapacityMeasurement.run(full, backend: CPUBackend(), input: input)
        let b = try CapacityMeasurement.run(all, backend: CPUBackend(), input: input)
        for kind in [DecoderKind.ridge, .mlp] {
            let ra = try XCTUnwrap(a[kind]), rb = try XCTUnwrap(b[kind])
            XCTAssertEqual(ra.mean.r, rb.mean.r, "\(kind)")
            XCTAssertEqual(ra.memoryCapacity, rb.memoryCapacity, "\(kind)")
        }
        XCTAssertGreaterThan(try XCTUnwrap(a[.ridge]).memoryCapacity, 1)
        let encoded = { (s: CapacitySpec) in String(decoding: try JSONEncoder().encode(s), as: UTF8.self) }
        XCTAssertFalse(try encoded(full).contains("readoutNeurons"), "left out when nil (fingerprints unchanged)")
        XCTAssertTrue(try encoded(all).contains("\"readoutNeurons\":61"))
        XCTAssertEqual(try JSONDecoder().decode(CapacitySpec.self, from: try JSONEncoder().encode(all)).readoutNeurons, 61)
    }

    /// A subset gives a plausible memory curve: it decodes the recent past, its capacity is at
    /// most n and at most what all neurons give (plus noise), and it is not vacuous. The same
    /// neurons are read on both backends, so their curves agree as the full ones do.
    func testASubsetGivesAPlausibleCurveOnBothBackends() throws {
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        let full = try XCTUnwrap(try CapacityMeasurement.run(spec(n: 200, readout: nil), backend: CPUBackend(), input: input)[.ridge])
        let sub = try XCTUnwrap(try CapacityMeasurement.run(spec(n: 200, readout: 12), backend: CPUBackend(), input: input)[.ridge])
        XCTAssertGreaterThan(sub.mean.r[0], 0.5, "lag 1 decodes from 12 neurons")
        XCTAssertGreaterThan(sub.memoryCapacity, 1)
        XCTAssertLessThanOrEqual(sub.memoryCapacity, 12)
        XCTAssertLessThan(sub.memoryCapacity, full.memoryCapacity + 0.5, "fewer states remember no more")
        XCTAssertLessThan(sub.memoryCapacity, 0.9 * full.memoryCapacity, "12 of 200 neurons read less than all of them")
        let cl = try TestBackends.requireOpenCL()
        let other = try XCTUnwrap(try CapacityMeasurement.run(spec(n: 200, readout: 12), backend: cl, input: input)[.ridge])
        for (x, y) in zip(sub.mean.r, other.mean.r) { XCTAssertEqual(x, y, accuracy: 1e-3) }
        XCTAssertEqual(sub.memoryCapacity, other.memoryCapacity, accuracy: 1e-3 * max(1, sub.memoryCapacity))
    }

    /// n > N and n < 1 are refused with the range; the device reduction (which reads every
    /// neuron) is refused with a subset.
    func testBadSubsetsAreRefused() throws {
        for bad in [0, 62, 1_000_000] {
            XCTAssertThrowsError(try spec(n: 61, readout: bad).validate()) { e in
                guard case let .invalidParameter(name, value, expected) = e as? WMError else { return XCTFail("wrong error \(e)") }
                XCTAssertEqual(name, "readoutNeurons")
                XCTAssertEqual(value, "\(bad)")
                XCTAssertTrue(expected.contains("1…N = 61"), expected)
            }
        }
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        XCTAssertThrowsError(try CapacityRun.collect(spec(n: 61, readout: 10), backend: CPUBackend(), input: input, storeLags: nil, moments: .device)) { e in
            XCTAssertTrue("\(e)".contains("--readout-neurons"), "\(e)")
        }
    }

    /// At N = 10⁶ the readout parts of the estimate count n, not N: with 1000 readout neurons and
    /// procedural weights the run fits where all neurons would need terabytes.
    func testMemoryEstimateCountsTheReadoutNeurons() throws {
        let cpu = CPUBackend()
        var c = spec(n: 1_000_000, readout: nil)
        c.network.sp = 1e-4
        c.networks = 1
        c.format = .procedural
        c.decoders = [.ridge, .mlp]
        let all = c.memory(backend: cpu)
        c.readoutNeurons = 1000
        let some = c.memory(backend: cpu)
        func part(_ e: RunMemoryEstimate, _ prefix: String) -> Int { e.parts.first { $0.name.hasPrefix(prefix) }.map { $0.host + $0.device } ?? -1 }
        XCTAssertGreaterThan(part(all, "readout moments"), 1 << 40, "3 N² doubles at N = 10⁶")
        XCTAssertLessThan(part(some, "readout moments"), 1 << 27, "3 n² doubles at n = 1000")
        XCTAssertLessThan(part(some, "ridge fit"), 1 << 27)
        XCTAssertLessThan(part(some, "MLP training"), 1 << 30)
        // The engine still holds N states; procedural weights hold nothing beyond Jin.
        XCTAssertLessThan(part(some, "engine"), 64 << 20)
        XCTAssertGreaterThan(part(some, "engine"), 8_000_000)
        XCTAssertNoThrow(try some.check(capabilities: cpu.capabilities, what: "N = 10⁶ with 1000 readout neurons"))
        XCTAssertThrowsError(try all.check(capabilities: cpu.capabilities, what: "N = 10⁶ reading all neurons")) { e in
            XCTAssertTrue("\(e)".contains("--readout-neurons"), "the refusal names the option: \(e)")
        }
    }
}
