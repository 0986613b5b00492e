import Foundation
import XCTest
@testable import WMCore

/// Every invalid parameter must be rejected with a `WMError` that names the parameter, shows the
/// offending value and says what is expected — never a crash, a hang or a silent wrong result.
final class BadInputTests: XCTestCase {

    // MARK: helpers

    private func smallSpec() -> NetworkSpec {
        var s = NetworkSpec()
        s.n = 20
        s.sp = 0.3
        s.nIn = 2
        s.spIn = 0.5
        return s
    }

    private func uniformInput(nIn: Int = 2) throws -> InputSource {
        try InputSource(spec: InputSpec(kind: .uniform), nIn: nIn)
    }

    private func fileSpec() -> InputSpec {
        var s = InputSpec(kind: .file)
        s.path = "test-input.npy"
        return s
    }

    private func makeEngine(_ ens: Ensemble, input: InputSource? = nil, options: EngineOptions = EngineOptions()) throws -> any SimulationEngine {
        try CPUBackend().makeEngine(ensemble: ens, networks: nil, input: input ?? uniformInput(nIn: ens.nIn), options: options)
    }

    /// Asserts `body` throws `invalidParameter` whose name contains `name` (and whose description
    /// contains the name, `value` and `expectedPart`), or `incompatibleEnsemble` mentioning `name`.
    private func assertInvalid(_ name: String, value: String? = nil, expectedPart: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("no error thrown; expected one naming \(name)", file: file, line: line)
        } catch let e as WMError {
            let d = e.description
            switch e {
            case let .invalidParameter(n, v, x):
                XCTAssertTrue(n.contains(name), "parameter name '\(n)' should contain '\(name)'", file: file, line: line)
                XCTAssertFalse(x.isEmpty, "expected range missing", file: file, line: line)
                if let value { XCTAssertTrue(v.contains(value), "value '\(v)' should contain '\(value)'", file: file, line: line) }
            case .incompatibleEnsemble:
                break
            default:
                XCTFail("wrong error kind: \(e)", file: file, line: line)
            }
            XCTAssertTrue(d.contains(name), "description '\(d)' should name \(name)", file: file, line: line)
            if let value { XCTAssertTrue(d.contains(value), "description '\(d)' should show the value \(value)", file: file, line: line) }
            if let expectedPart { XCTAssertTrue(d.contains(expectedPart), "description '\(d)' should state the range (\(expectedPart))", file: file, line: line) }
        } catch {
            XCTFail("not a WMError: \(error)", file: file, line: line)
        }
    }

    /// Checks a spec both on its own (validate, generate) and through the backend.
    private func assertBadSpec(_ name: String, value: String, expectedPart: String,
                               file: StaticString = #filePath, line: UInt = #line, _ edit: (inout NetworkSpec) -> Void) {
        var s = smallSpec()
        edit(&s)
        assertInvalid(name, value: value, expectedPart: expectedPart, file: file, line: line) { try s.validate() }
        assertInvalid(name, value: value, expectedPart: expectedPart, file: file, line: line) { _ = try NetworkGenerator.generate(s) }
        assertInvalid(name, value: value, expectedPart: expectedPart, file: file, line: line) {
            _ = try self.makeEngine(Ensemble(networks: [s]), input: try self.uniformInput(nIn: max(s.nIn, 1)))
        }
    }

    // MARK: network parameters

    func testNonPositiveN() {
        assertBadSpec("N", value: "0", expectedPart: "≥ 1") { $0.n = 0 }
        assertBadSpec("N", value: "-5", expectedPart: "≥ 1") { $0.n = -5 }
    }

    func testDensityOutOfRange() {
        assertBadSpec("sp", value: "0.0", expectedPart: "(0, 1]") { $0.sp = 0 }
        assertBadSpec("sp", value: "1.5", expectedPart: "(0, 1]") { $0.sp = 1.5 }
        assertBadSpec("sp", value: "nan", expectedPart: "(0, 1]") { $0.sp = .nan }
        assertBadSpec("sp", value: "-0.1", expectedPart: "(0, 1]") { $0.sp = -0.1 }
        assertBadSpec("spIn", value: "1.5", expectedPart: "(0, 1]") { $0.spIn = 1.5 }
        assertBadSpec("spIn", value: "0.0", expectedPart: "(0, 1]") { $0.spIn = 0 }
    }

    func testNonFiniteOrNegativeGain() {
        assertBadSpec("g", value: "inf", expectedPart: "finite") { $0.g = .infinity }
        assertBadSpec("g", value: "nan", expectedPart: "finite") { $0.g = .nan }
        assertBadSpec("g", value: "-1", expectedPart: "≥ 0") { $0.g = -1 }
        assertBadSpec("gIn", value: "inf", expectedPart: "finite") { $0.gIn = -.infinity }
    }

    func testLeakOutOfRange() {
        for bad in [0.0, 1.5, -0.2] {
            assertBadSpec("leak", value: "\(bad)", expectedPart: "(0, 1]") { $0.rule = .leaky; $0.leak = bad }
        }
        // The boundary a = 1 is valid.
        var s = smallSpec()
        s.rule = .leaky
        s.leak = 1
        XCTAssertNoThrow(try s.validate())
    }

    func testNonPositiveDtOrTau() {
        assertBadSpec("dt", value: "0.0", expectedPart: "dt > 0") { $0.rule = .template; $0.dt = 0 }
        assertBadSpec("dt", value: "-0.1", expectedPart: "dt > 0") { $0.rule = .template; $0.dt = -0.1 }
        assertBadSpec("tau", value: "-20", expectedPart: "tau > 0") { $0.rule = .template; $0.tau = -20 }
    }

    func testNegativeNoise() {
        assertBadSpec("noise", value: "-0.5", expectedPart: "≥ 0") { $0.noise = -0.5 }
    }

    func testNonPositiveInputChannels() {
        assertInvalid("nIn", value: "0", expectedPart: "≥ 1") {
            var s = smallSpec()
            s.nIn = 0
            try s.validate()
        }
    }

    func testBadSpectralRadiusOption() {
        assertBadSpec("spectralRadius", value: "-1", expectedPart: "≥ 0") { $0.spectralRadius = -1 }
        // A network whose J has no eigenvalue ≠ 0 cannot be rescaled (g = 0 gives J = 0).
        var s = smallSpec()
        s.g = 0
        s.spectralRadius = 0.9
        assertInvalid("spectralRadius") { _ = try NetworkGenerator.generate(s) }
    }

    // Regression (fixed): NetworkSpec.validate (NetworkSpec.swift:74–107) only requires g and gIn to be
    // finite doubles, but the weights are float32: for g = 1e40 (N = 20, sp = 0.3) the scale
    // g/√(N·sp) ≈ 4e39 exceeds Float.greatestFiniteMagnitude, so NetworkGenerator.recurrent
    // (NetworkGenerator.swift:48, `Float(spec.recurrentScale)`) silently stores ±inf weights
    // (the generated J then fails its own CSRMatrix.validate: "weight (0, 7) = -inf"); gIn = 1e40
    // gives ±inf input weights the same way (line 92). Expected: generate() throws
    // invalidParameter naming g / gIn (e.g. "g/√(N·sp) must fit float32"); actual: a network with
    // infinite weights is returned and the failure only surfaces later as a nonFinite run error.
    func testGainsOverflowingFloat32AreRejected() {
        var s = smallSpec()
        s.g = 1e40
        do {
            let net = try NetworkGenerator.generate(s)
            XCTAssertTrue(net.recurrent.values.allSatisfy(\.isFinite), "g = 1e40 produced non-finite recurrent weights without an error")
        } catch let e as WMError {
            XCTAssertTrue(e.description.contains("g"), e.description)
        } catch { XCTFail("\(error)") }
        var t = smallSpec()
        t.gIn = 1e40
        do {
            let net = try NetworkGenerator.generate(t)
            XCTAssertTrue(net.input.allSatisfy(\.isFinite), "gIn = 1e40 produced non-finite input weights without an error")
        } catch let e as WMError {
            XCTAssertTrue(e.description.contains("gIn"), e.description)
        } catch { XCTFail("\(error)") }
    }

    // MARK: run parameters

    func testNegativeSteps() throws {
        let e = try makeEngine(Ensemble(networks: [smallSpec()]))
        assertInvalid("steps", value: "-1", expectedPart: "≥ 0") { try e.advance(steps: -1) }
        XCTAssertEqual(e.time, 0)
    }

    func testBadRecordRequests() throws {
        let e = try makeEngine(Ensemble(networks: [smallSpec()]))
        assertInvalid("record every", value: "0", expectedPart: "≥ 1") { _ = try e.run(steps: 5, record: RecordRequest(every: 0)) }
        assertInvalid("record every", value: "-3", expectedPart: "≥ 1") { _ = try e.run(steps: 5, record: RecordRequest(every: -3)) }
        assertInvalid("recorded neuron", value: "20", expectedPart: "0..<20") {
            _ = try e.run(steps: 5, record: RecordRequest(every: 1, neurons: [0, 20]))
        }
        assertInvalid("recorded neuron", value: "-1", expectedPart: "0..<20") {
            _ = try e.run(steps: 5, record: RecordRequest(every: 1, neurons: [-1]))
        }
        assertInvalid("recorded neurons") { _ = try e.run(steps: 5, record: RecordRequest(every: 1, neurons: [])) }
        XCTAssertEqual(e.time, 0, "a rejected request must not advance the engine")
    }

    func testBadStateSize() throws {
        let e = try makeEngine(Ensemble(networks: [smallSpec()], trials: 2))
        assertInvalid("state", value: "3", expectedPart: "40") { try e.setState([1, 2, 3]) }
    }

    // MARK: ensembles

    func testEnsembleWithMixedN() {
        var a = smallSpec(), b = smallSpec()
        b.n = 21
        do {
            try Ensemble(networks: [a, b]).validate()
            XCTFail("mixed N accepted")
        } catch let e as WMError {
            guard case let .incompatibleEnsemble(why) = e else { return XCTFail("wrong error \(e)") }
            XCTAssertTrue(why.contains("N = 21") && why.contains("N = 20"), why)
        } catch { XCTFail("\(error)") }
        a.seed = 2
        XCTAssertThrowsError(try makeEngine(Ensemble(networks: [a, b])))
    }

    func testEnsembleWithMixedInputChannels() {
        let a = smallSpec()
        var b = smallSpec()
        b.nIn = 3
        do {
            try Ensemble(networks: [a, b]).validate()
            XCTFail("mixed nIn accepted")
        } catch let e as WMError {
            guard case let .incompatibleEnsemble(why) = e else { return XCTFail("wrong error \(e)") }
            XCTAssertTrue(why.contains("nIn"), why)
            XCTAssertTrue(e.description.contains("3") && e.description.contains("2"), e.description)
        } catch { XCTFail("\(error)") }
    }

    func testEnsembleWithMixedActivation() {
        let a = smallSpec()
        var b = smallSpec()
        b.activation = .linear
        XCTAssertThrowsError(try Ensemble(networks: [a, b]).validate()) { e in
            guard case .incompatibleEnsemble = e as? WMError else { return XCTFail("wrong error \(e)") }
        }
    }

    func testInvalidMemberOfLargerEnsembleIsReportedWithIndex() {
        let a = smallSpec()
        var b = smallSpec()
        b.sp = 2
        XCTAssertThrowsError(try Ensemble(networks: [a, b]).validate()) { e in
            let d = (e as? WMError)?.description ?? ""
            XCTAssertTrue(d.contains("network 1") && d.contains("sp"), d)
        }
    }

    func testEmptyEnsemble() {
        assertInvalid("networks", value: "0", expectedPart: "at least one") { try Ensemble(networks: []).validate() }
        assertInvalid("networks", value: "0") { try Ensemble(spec: self.smallSpec(), count: 0).validate() }
        assertInvalid("networks") { _ = try self.makeEngine(Ensemble(networks: []), input: try self.uniformInput()) }
    }

    func testZeroTrials() {
        assertInvalid("trials", value: "0", expectedPart: "≥ 1") { try Ensemble(networks: [self.smallSpec()], trials: 0).validate() }
        assertInvalid("trials", value: "-2") { _ = try self.makeEngine(Ensemble(networks: [self.smallSpec()], trials: -2)) }
    }

    func testInputChannelMismatch() {
        assertInvalid("input channels", value: "3", expectedPart: "nIn = 2") {
            _ = try self.makeEngine(Ensemble(networks: [self.smallSpec()]), input: try self.uniformInput(nIn: 3))
        }
    }

    func testWrongNumberOfGivenNetworks() throws {
        let s = smallSpec()
        let net = try NetworkGenerator.generate(s)
        assertInvalid("networks", value: "2") {
            _ = try CPUBackend().makeEngine(ensemble: Ensemble(networks: [s]), networks: [net, net],
                                            input: try self.uniformInput(), options: EngineOptions())
        }
    }

    // MARK: input

    func testFileInputWithoutData() {
        assertInvalid("input", value: "no data") { _ = try InputSource(spec: self.fileSpec(), nIn: 2, data: nil) }
        // Kind file without a path at all.
        assertInvalid("input path", expectedPart: "file") { _ = try InputSource(spec: InputSpec(kind: .file), nIn: 2, data: [1, 2]) }
    }

    func testFileInputWithNonFiniteOrRaggedData() {
        assertInvalid("input file", value: "NaN", expectedPart: "finite") {
            _ = try InputSource(spec: self.fileSpec(), nIn: 2, data: [0, 1, .nan, 2])
        }
        assertInvalid("input file", expectedPart: "finite") {
            _ = try InputSource(spec: self.fileSpec(), nIn: 1, data: [0, .infinity])
        }
        assertInvalid("input file", value: "5", expectedPart: "nIn=2") {
            _ = try InputSource(spec: self.fileSpec(), nIn: 2, data: [0, 1, 2, 3, 4])
        }
        assertInvalid("input file", value: "0") { _ = try InputSource(spec: self.fileSpec(), nIn: 2, data: []) }
    }

    func testBadInputSpecValues() {
        assertInvalid("input amplitude", value: "nan", expectedPart: "finite") {
            _ = try InputSource(spec: InputSpec(kind: .uniform, amplitude: .nan), nIn: 1)
        }
        assertInvalid("input amplitude", value: "-1", expectedPart: "≥ 0") {
            _ = try InputSource(spec: InputSpec(kind: .uniform, amplitude: -1), nIn: 1)
        }
        var s = InputSpec(kind: .onehot)
        s.holdSteps = 0
        assertInvalid("holdSteps", value: "0", expectedPart: "≥ 1") { _ = try InputSource(spec: s, nIn: 4) }
        s.holdSteps = 5
        s.burnIn = -1
        assertInvalid("burnIn", value: "-1", expectedPart: "≥ 0") { _ = try InputSource(spec: s, nIn: 4) }
    }

    /// A file stream of 10 steps supports 10 steps; the 11th step is an error at advance time,
    /// naming the steps and the file's length.
    func testFileInputShorterThanRun() throws {
        let data = (0..<20).map { Float($0) / 20 }
        let input = try InputSource(spec: fileSpec(), nIn: 2, data: data)
        XCTAssertEqual(input.fileSteps, 10)
        let e = try makeEngine(Ensemble(networks: [smallSpec()]), input: input)
        XCTAssertNoThrow(try e.advance(steps: 10))
        XCTAssertEqual(e.time, 10)
        assertInvalid("steps", value: "11", expectedPart: "10 steps") { try e.advance(steps: 1) }
        XCTAssertEqual(e.time, 10, "no step may run on missing input")
        // Asking for too many steps up front fails as well.
        let e2 = try makeEngine(Ensemble(networks: [smallSpec()]), input: input)
        assertInvalid("steps", expectedPart: "10 steps") { try e2.advance(steps: 25) }
        XCTAssertLessThanOrEqual(e2.time, 10)
    }

    // Regression (fixed): InputSource.init(spec:nIn:data:) (InputSource.swift:17) evaluates
    // `d.count % nIn` without checking nIn ≥ 1, so kind .file with nIn = 0 traps with
    // "Division by zero in remainder operation" instead of throwing invalidParameter(nIn …).
    // (Other kinds accept nIn = 0 silently.) Expected: WMError.invalidParameter naming nIn.
    func testFileInputWithZeroChannels() throws {
        assertInvalid("nIn") { _ = try InputSource(spec: self.fileSpec(), nIn: 0, data: [1, 2]) }
    }

    // Regression (fixed): CPUBackend.makeEngine (CPUBackend.swift:20–24) accepts caller-supplied networks
    // after checking only their count — not that each has N × N recurrent weights, N·nIn input
    // weights or valid CSR arrays. An ensemble of N = 20 given a generated N = 10 network builds an
    // engine, and the first advance reads past the end of the input weights
    // (CPUEngine.swift:193, `jin[i * nIn + k]`): a trap in debug builds, out-of-bounds memory
    // reads in release builds. Expected: invalidParameter/incompatibleEnsemble from makeEngine.
    func testGivenNetworkOfWrongSizeIsRejected() throws {
        var s = smallSpec()
        s.nIn = 1
        var other = s
        other.n = 10
        let net = try NetworkGenerator.generate(other)
        do {
            let e = try CPUBackend().makeEngine(ensemble: Ensemble(networks: [s]), networks: [net],
                                                input: try uniformInput(nIn: 1), options: EngineOptions())
            try e.advance(steps: 2)
            XCTFail("a 10-neuron network was accepted for an N = 20 ensemble")
        } catch let e as WMError {
            XCTAssertTrue(e.description.contains("N") || e.description.contains("network"), e.description)
        }
    }

    // MARK: non-finite states during a run

    /// g = 1e30, linear, leak 1: x(1) ~ 1e28, x(2) ~ 1e57 overflows float32 to ±Inf, x(3) is
    /// Inf − Inf = NaN. The engine must throw `nonFinite` naming the bad network (index 1 here;
    /// network 0 is benign) and a step ≥ 0 within a few steps, regardless of the chunk size.
    func testHugeGainThrowsNonFinite() throws {
        var good = smallSpec()
        good.rule = .leaky
        good.leak = 1
        good.activation = .linear
        good.g = 0.5
        var bad = good
        bad.g = 1e30
        bad.seed = 2
        for chunk in [1, 256] {
            var o = EngineOptions()
            o.chunkSteps = chunk
            let e = try makeEngine(Ensemble(networks: [good, bad], trials: 2), options: o)
            var progressed: [Int] = []
            do {
                try e.advance(steps: 100, record: nil, sink: { _ in }, progress: { progressed.append($0) })
                XCTFail("chunk \(chunk): a run with g = 1e30 continued silently; state \(try e.state().prefix(4))")
            } catch let err as WMError {
                guard case let .nonFinite(step, network, _) = err else { return XCTFail("wrong error \(err)") }
                XCTAssertEqual(network, 1, "chunk \(chunk): the failing network is index 1")
                XCTAssertGreaterThanOrEqual(step, 0)
                XCTAssertLessThanOrEqual(step, 5, "chunk \(chunk): overflow should occur within a few steps")
                let d = err.description
                XCTAssertTrue(d.contains("network 1") && d.contains("step \(step)"), d)
                XCTAssertTrue(d.contains("NaN") || d.contains("non-finite"), d)
                // Never reported as finished.
                XCTAssertFalse(progressed.contains(100))
                if chunk == 1 {
                    // With 1-step chunks the engine stops right after the first bad step.
                    XCTAssertEqual(e.time, step + 1)
                }
            }
        }
    }

    /// The benign network alone runs fine (the test above fails for the right reason).
    func testModerateGainStaysFinite() throws {
        var good = smallSpec()
        good.rule = .leaky
        good.leak = 1
        good.activation = .linear
        good.g = 0.5
        let e = try makeEngine(Ensemble(networks: [good], trials: 2))
        try e.advance(steps: 100)
        XCTAssertTrue(try e.state().allSatisfy(\.isFinite))
    }

    // MARK: memory

    /// N = 10⁷ dense: 10¹⁴ floats ≈ 364 TiB, far above any host. The backend must refuse before
    /// allocating anything (fast), and the message must carry the estimate in GiB/TiB.
    func testHugeDenseNetworkIsRefusedBeforeAllocating() throws {
        var s = NetworkSpec()
        s.n = 10_000_000
        s.sp = 0.25
        let ens = Ensemble(networks: [s])
        let est = MemoryEstimate(ensemble: ens, format: .dense, chunkSteps: 256, recordWidth: s.n, hostCopyOfCSR: true, indexBytes: 4)
        XCTAssertGreaterThan(est.weights, 4 * 10_000_000 * 10_000_000 - 1)
        XCTAssertGreaterThan(est.total, MemoryEstimate.hostAvailable)
        XCTAssertGreaterThan(MemoryEstimate.hostAvailable, 0)
        var o = EngineOptions()
        o.format = .dense
        let start = Date()
        do {
            _ = try CPUBackend().makeEngine(ensemble: ens, networks: nil, input: try InputSource(spec: InputSpec(), nIn: 1), options: o)
            XCTFail("a 10^7-neuron dense network was accepted")
        } catch let e as WMError {
            guard case let .insufficientMemory(needed, available, _) = e else { return XCTFail("wrong error \(e)") }
            XCTAssertGreaterThan(needed, available)
            // The estimate above plus the bitmap panels dense B = 1 steps read (masks and entries).
            let panels = Int(MemoryEstimate.nnzBound(s) * 4 + Double(s.n) * Double(s.n) / 8)
            XCTAssertEqual(needed, est.total + panels)
            let d = e.description
            XCTAssertTrue(d.contains("TiB") || d.contains("GiB"), d)
            XCTAssertTrue(d.contains(formatBytes(needed)), d)
            XCTAssertTrue(d.contains("N = 10000000"), d)
            XCTAssertTrue(d.contains("--format procedural stores none"), "the refusal points to procedural weights: \(d)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "the refusal must come before any allocation")
        // The automatic format does not store these weights at all: ELL would not fit, so it
        // falls back to procedural weights, with a note carrying the estimate.
        let auto = try WeightFormatChoice.resolve(.auto, ensemble: ens, networksGiven: false, capabilities: CPUBackend().capabilities)
        XCTAssertEqual(auto.format, .procedural)
        XCTAssertTrue(auto.note?.contains("ell weights") == true, auto.note ?? "")
    }

    func testMemoryCheckThrowsWithReadableSizes() {
        var est = MemoryEstimate(ensemble: Ensemble(networks: [smallSpec()]), format: .csr, chunkSteps: 1, recordWidth: 1, hostCopyOfCSR: false, indexBytes: 4)
        est.weights = 3 << 30
        XCTAssertThrowsError(try est.check(available: 1 << 30, what: "test")) { e in
            let d = (e as? WMError)?.description ?? ""
            XCTAssertTrue(d.contains("3.0 GiB") && d.contains("1.0 GiB"), d)
        }
        XCTAssertNoThrow(try est.check(available: 4 << 30, what: "test"))
        XCTAssertEqual(formatBytes(512), "512 B")
        XCTAssertEqual(formatBytes(1536), "1.5 KiB")
        XCTAssertEqual(formatBytes(5 << 40), "5.0 TiB")
    }

    // MARK: readable descriptions

    func testDescriptionsAreHumanReadable() {
        let e = WMError.invalidParameter(name: "sp", value: "1.5", expected: "a density in (0, 1]")
        XCTAssertEqual(e.description, "invalid parameter sp = 1.5: expected a density in (0, 1]")
        var s = smallSpec()
        s.sp = 1.5
        do {
            try s.validate()
            XCTFail("sp = 1.5 accepted")
        } catch {
            let d = "\(error)"
            XCTAssertTrue(d.contains("sp") && d.contains("1.5") && d.contains("(0, 1]"), d)
            XCTAssertFalse(d.contains("invalidParameter("), "should print the description, not the enum: \(d)")
        }
        let nf = WMError.nonFinite(step: 3, network: 2, detail: "state x(4) is not finite")
        XCTAssertTrue(nf.description.contains("step 3") && nf.description.contains("network 2"))
        let inc = WMError.incompatibleEnsemble("network 1 has N = 5, network 0 has N = 4; one ensemble shares N")
        XCTAssertTrue(inc.description.hasPrefix("incompatible ensemble: network 1"))
    }
}
