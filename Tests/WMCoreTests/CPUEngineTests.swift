import Foundation
import XCTest
@testable import WMCore

/// Behavioural checks of the CPU reference engine (`CPUEngine` via `CPUBackend`).
final class CPUEngineTests: XCTestCase {

    // MARK: helpers

    private func fileInput(_ data: [Float], nIn: Int) throws -> InputSource {
        var spec = InputSpec(kind: .file)
        spec.path = "in-memory-test-data"
        return try InputSource(spec: spec, nIn: nIn, data: data)
    }

    private func engine(_ ensemble: Ensemble, networks: [Network]? = nil, input: InputSource,
                        format: WeightFormat = .auto, chunkSteps: Int = 256) throws -> any SimulationEngine {
        var o = EngineOptions()
        o.format = format
        o.chunkSteps = chunkSteps
        return try CPUBackend().makeEngine(ensemble: ensemble, networks: networks, input: input, options: o)
    }

    /// A hand-built 2-neuron network with two input channels.
    /// J = [[0.5, −0.25], [0.75, 0.125]], Jin = [[1, −0.5], [0, 0.25]] (all exact in float32).
    private let j2: [Double] = [0.5, -0.25, 0.75, 0.125]
    private let jin2: [Double] = [1, -0.5, 0, 0.25]

    private func twoNeuronNetwork(_ spec: NetworkSpec) -> Network {
        Network(spec: spec,
                recurrent: CSRMatrix(dense: j2.map(Float.init), rows: 2, cols: 2),
                input: jin2.map(Float.init))
    }

    private func twoNeuronSpec(rule: UpdateRule, activation: Activation) -> NetworkSpec {
        var s = NetworkSpec()
        s.n = 2
        s.nIn = 2
        s.sp = 1
        s.spIn = 1
        s.g = 1
        s.gIn = 1
        s.bias = 0.125
        s.rule = rule
        s.leak = 0.25
        s.dt = 1
        s.tau = 4
        s.activation = activation
        return s
    }

    /// 10 steps × 2 channels of arbitrary input (exact in float32).
    private let input10: [Float] = (0..<20).map { k in Float((k * 7919) % 17 - 8) / 8 }

    /// Reference trajectory in double precision.
    private func reference(_ spec: NetworkSpec, x0: [Double], u: [Float], steps: Int) -> [[Double]] {
        var x = x0
        var out: [[Double]] = []
        let f: (Double) -> Double = spec.activation == .tanh ? { Foundation.tanh($0) } : { $0 }
        for t in 0..<steps {
            var h = [0.0, 0.0]
            for i in 0..<2 {
                h[i] = j2[2 * i] * x[0] + j2[2 * i + 1] * x[1]
                    + jin2[2 * i] * Double(u[2 * t]) + jin2[2 * i + 1] * Double(u[2 * t + 1]) + spec.bias
            }
            switch spec.rule {
            case .leaky:
                let a = spec.leak
                x = (0..<2).map { (1 - a) * x[$0] + a * f(h[$0]) }
            case .template:
                let d = Foundation.exp(-spec.dt / spec.tau)
                x = (0..<2).map { f(d * x[$0] + (1 - d) * h[$0]) }
            }
            out.append(x)
        }
        return out
    }

    // MARK: (a) hand-built network against a double-precision reference

    func testTwoNeuronNetworkMatchesHandComputation() throws {
        for rule in [UpdateRule.leaky, .template] {
            for act in [Activation.linear, .tanh] {
                for fmt in [WeightFormat.csr, .ell, .dense] {
                    let spec = twoNeuronSpec(rule: rule, activation: act)
                    let e = try engine(Ensemble(networks: [spec]), networks: [twoNeuronNetwork(spec)],
                                       input: fileInput(input10, nIn: 2), format: fmt)
                    let x0: [Float] = [0.3, -0.2]
                    try e.setState(x0)
                    let rec = try e.run(steps: 10, record: RecordRequest(every: 1))
                    XCTAssertEqual(rec.rows, 10)
                    XCTAssertEqual(rec.firstTime, 1)
                    let want = reference(spec, x0: x0.map(Double.init), u: input10, steps: 10)
                    for t in 0..<10 {
                        for i in 0..<2 {
                            XCTAssertEqual(Double(rec.data[t * 2 + i]), want[t][i], accuracy: 1e-6,
                                           "\(rule) \(act) \(fmt): x(\(t + 1))[\(i)]")
                        }
                    }
                    XCTAssertEqual(e.time, 10)
                    XCTAssertEqual(try e.state(), Array(rec.data[18..<20]))
                }
            }
        }
    }

    /// The recurrent gain (exact spectral-radius rescaling) multiplies J in the dynamics.
    func testRecurrentGainScalesJ() throws {
        var spec = twoNeuronSpec(rule: .leaky, activation: .linear)
        spec.leak = 1
        spec.bias = 0
        var net = twoNeuronNetwork(spec)
        net.recurrentGain = 0.5
        let zeros = [Float](repeating: 0, count: 4)
        let e = try engine(Ensemble(networks: [spec]), networks: [net], input: fileInput(zeros, nIn: 2))
        try e.setState([1, 2])
        try e.advance(steps: 1)
        // x(1) = 0.5·J·[1, 2] = 0.5·[0, 1] = [0, 0.5].
        XCTAssertEqual(try e.state(), [0, 0.5])
    }

    // MARK: (b) time convention

    /// x(t) has first seen u(t−1): x(1) depends on u(0) only; changing u(1) leaves x(1) alone
    /// but changes x(2); changing u(0) changes x(1).
    func testStateAtTimeTHasSeenInputUpToTMinusOne() throws {
        let spec = twoNeuronSpec(rule: .leaky, activation: .tanh)
        func run(_ u: [Float]) throws -> [Float] {
            let e = try engine(Ensemble(networks: [spec]), networks: [twoNeuronNetwork(spec)], input: fileInput(u, nIn: 2))
            try e.setState([0.1, 0.1])
            return try e.run(steps: 3, record: RecordRequest(every: 1)).data
        }
        let base: [Float] = [0.5, -0.5, 0.25, 0.75, -1, 1]
        var changed1 = base
        changed1[2] = -0.75  // u(1), channel 0
        changed1[3] = 0.5    // u(1), channel 1
        var changed0 = base
        changed0[0] = -0.5   // u(0), channel 0
        let a = try run(base), b = try run(changed1), c = try run(changed0)
        XCTAssertEqual(Array(a[0..<2]), Array(b[0..<2]), "x(1) must not depend on u(1)")
        XCTAssertNotEqual(a[2], b[2], "x(2) must depend on u(1)")
        XCTAssertNotEqual(a[0], c[0], "x(1) must depend on u(0)")
    }

    // MARK: (c) reproducibility

    private func randomEnsemble(n: Int = 60, count: Int = 2, trials: Int = 3, noise: Double = 0.05) -> Ensemble {
        var s = NetworkSpec()
        s.n = n
        s.sp = 0.2
        s.g = 1.3
        s.gIn = 1
        s.spIn = 0.5
        s.nIn = 2
        s.rule = .leaky
        s.leak = 0.5
        s.noise = noise
        s.seed = 17
        return Ensemble(spec: s, count: count, trials: trials)
    }

    func testSameSeedRunsAreBitIdentical() throws {
        let ens = randomEnsemble()
        let input = try InputSource(spec: InputSpec(kind: .uniform, seed: 3), nIn: 2)
        func run() throws -> ([Float], [Float]) {
            let e = try engine(ens, input: input)
            let r = try e.run(steps: 25, record: RecordRequest(every: 1))
            return (r.data, try e.state())
        }
        let (r1, s1) = try run()
        let (r2, s2) = try run()
        XCTAssertEqual(r1.map(\.bitPattern), r2.map(\.bitPattern))
        XCTAssertEqual(s1.map(\.bitPattern), s2.map(\.bitPattern))
        XCTAssertTrue(s1.allSatisfy(\.isFinite))
        // A different network seed gives a different trajectory.
        var ens2 = ens
        ens2.networks = ens.networks.map { var s = $0; s.seed += 100; return s }
        let e3 = try engine(ens2, input: input)
        try e3.advance(steps: 25)
        XCTAssertNotEqual(try e3.state(), s1)
    }

    func testTrialsHaveOwnInitialStateAndInput() throws {
        let ens = randomEnsemble(noise: 0)
        let n = ens.n, bt = ens.trials
        let input = try InputSource(spec: InputSpec(kind: .uniform, seed: 3), nIn: 2)
        let e = try engine(ens, input: input)
        let x0 = try e.state()
        XCTAssertEqual(x0.count, ens.count * n * bt)
        // Initial states are uniform in [0, 0.1) and differ between trials and between networks.
        XCTAssertTrue(x0.allSatisfy { $0 >= 0 && $0 < 0.1 })
        for m in 0..<ens.count {
            for b in 1..<bt {
                let t0 = (0..<n).map { x0[(m * n + $0) * bt] }
                let tb = (0..<n).map { x0[(m * n + $0) * bt + b] }
                XCTAssertNotEqual(t0, tb, "network \(m): trial \(b) has the same initial state as trial 0")
            }
        }
        let net0 = (0..<n).map { x0[$0 * bt] }
        let net1 = (0..<n).map { x0[(n + $0) * bt] }
        XCTAssertNotEqual(net0, net1)
        // Inputs differ between trials.
        var u: [Float] = []
        try input.fill(t0: 0, count: 5, trials: bt, into: &u)
        XCTAssertEqual(u.count, 5 * bt * 2)
        for b in 1..<bt {
            var u0: [Float] = [], ub: [Float] = []
            for s in 0..<5 {
                let r0: Int = (s * bt) * 2
                let rb: Int = (s * bt + b) * 2
                u0 += [u[r0], u[r0 + 1]]
                ub += [u[rb], u[rb + 1]]
            }
            XCTAssertNotEqual(u0, ub, "trial \(b) sees the same input as trial 0")
        }
        // With identical initial states, trials still diverge because their inputs differ.
        let same = (0..<x0.count).map { x0[$0 - $0 % bt] }
        try e.setState(same)
        try e.advance(steps: 3)
        let x3 = try e.state()
        XCTAssertNotEqual(x3[0], x3[1])
        XCTAssertNotEqual(x3[0], x3[2])
    }

    // MARK: (d) weight formats agree

    func testFormatsGiveSameTrajectory() throws {
        for n in [1, 7, 61, 300] {
            for trials in [1, 3] {
                var s = NetworkSpec()
                s.n = n
                s.sp = n == 1 ? 1 : 0.3
                s.g = 0.9
                s.gIn = 1
                s.spIn = 0.5
                s.nIn = 3
                s.rule = .leaky
                s.leak = 0.6
                s.bias = 0.05
                s.noise = 0.01
                s.seed = UInt64(n)
                let ens = Ensemble(spec: s, count: 2, trials: trials)
                let input = try InputSource(spec: InputSpec(kind: .gaussian, seed: 5), nIn: 3)
                var results: [WeightFormat: [Float]] = [:]
                for fmt in [WeightFormat.csr, .ell, .dense] {
                    let e = try engine(ens, input: input, format: fmt)
                    XCTAssertEqual(e.format, fmt)
                    results[fmt] = try e.run(steps: 30, record: RecordRequest(every: 1)).data
                }
                let ref = results[.csr]!
                XCTAssertEqual(ref.count, 30 * 2 * trials * n)
                XCTAssertTrue(ref.allSatisfy(\.isFinite))
                // The trajectory actually moves (otherwise agreement would be vacuous).
                XCTAssertGreaterThan(ref.map(abs).max()!, 1e-2)
                for fmt in [WeightFormat.ell, .dense] {
                    let other = results[fmt]!
                    XCTAssertEqual(other.count, ref.count)
                    let maxDiff = zip(ref, other).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(maxDiff, 1e-5, "N = \(n), B = \(trials): \(fmt) vs csr differ by \(maxDiff)")
                }
            }
        }
    }

    /// CSR and ELL sum each row in the same order with the same fma, whether one row at a time,
    /// sixteen rows in vector lanes (ELL, B = 1) or all trials in vector lanes (B > 1): bit-identical.
    func testSparseFormatsAreBitIdentical() throws {
        for n in [61, 300] {
            for trials in [1, 3, 9, 45] {
                var s = NetworkSpec()
                s.n = n; s.sp = 0.3; s.g = 0.9; s.nIn = 2; s.gIn = 1; s.spIn = 0.5
                s.rule = .leaky; s.leak = 0.6; s.bias = 0.05; s.noise = 0.01; s.seed = UInt64(n + trials)
                let ens = Ensemble(spec: s, count: 2, trials: trials)
                let input = try InputSource(spec: InputSpec(kind: .gaussian, seed: 5), nIn: 2)
                let csr = try engine(ens, input: input, format: .csr).run(steps: 20, record: RecordRequest(every: 1)).data
                let ell = try engine(ens, input: input, format: .ell).run(steps: 20, record: RecordRequest(every: 1)).data
                XCTAssertTrue(csr.allSatisfy(\.isFinite))
                XCTAssertEqual(csr.map(\.bitPattern), ell.map(\.bitPattern), "N = \(n), B = \(trials)")
            }
        }
    }

    /// Dense storage at B = 1 with the AVX-512 kernels sums each row over its entries in column
    /// order from bitmap panels (`BitmapPanels`): trajectories bit-identical to CSR, for N not a
    /// multiple of 16 or 64, sparse and full matrices, several networks (parallel row blocks at
    /// N = 1003) and both rules.
    func testDenseBatchOneIsBitIdenticalToCSR() throws {
        guard CPUEngine.vectorKernelLevel >= 2 else { throw XCTSkip("no AVX-512F on this CPU") }
        for (n, sp, rule) in [(7, 1.0, UpdateRule.leaky), (61, 0.3, .template), (300, 0.25, .leaky), (1003, 0.25, .template)] {
            var s = NetworkSpec()
            s.n = n; s.sp = sp; s.g = 0.9; s.nIn = 2; s.gIn = 1; s.spIn = 0.5
            s.rule = rule; s.leak = 0.6; s.bias = 0.05; s.noise = 0.01; s.seed = UInt64(n)
            let ens = Ensemble(spec: s, count: 3, trials: 1)
            let input = try InputSource(spec: InputSpec(kind: .gaussian, seed: 5), nIn: 2)
            let csr = try engine(ens, input: input, format: .csr).run(steps: 20, record: RecordRequest(every: 1)).data
            let dense = try engine(ens, input: input, format: .dense).run(steps: 20, record: RecordRequest(every: 1)).data
            XCTAssertTrue(csr.allSatisfy(\.isFinite))
            XCTAssertGreaterThan(csr.map(abs).max()!, 1e-2, "the trajectory moves")
            XCTAssertEqual(csr.map(\.bitPattern), dense.map(\.bitPattern), "N = \(n), sp = \(sp)")
        }
    }

    /// Procedural weights regenerate the stored rows (same synapses, values and summation order):
    /// trajectories bit-identical to CSR and ELL for sizes that are not multiples of the 16-row
    /// slices, every batch path (B = 1, 3, 9, 45), both rules, noise and an exact spectral radius.
    func testProceduralIsBitIdenticalToStored() throws {
        for (n, sp) in [(1, 1.0), (7, 0.6), (61, 0.3), (300, 0.1), (1000, 0.02)] {
            for trials in [1, 3, 9, 45] where n <= 300 || trials <= 3 {
                var s = NetworkSpec()
                s.n = n; s.sp = sp; s.g = 0.9; s.nIn = 2; s.gIn = 1; s.spIn = 0.5
                s.rule = trials % 2 == 0 ? .template : .leaky; s.leak = 0.6; s.bias = 0.05; s.noise = 0.01; s.seed = UInt64(n + trials)
                if n == 61 { s.spectralRadius = 0.8 }
                let ens = Ensemble(spec: s, count: 2, trials: trials)
                let input = try InputSource(spec: InputSpec(kind: .gaussian, seed: 5), nIn: 2)
                let csrEngine = try engine(ens, input: input, format: .csr)
                let procEngine = try engine(ens, input: input, format: .procedural)
                XCTAssertEqual(procEngine.format, .procedural)
                let tag = "N = \(n), B = \(trials)"
                // Structure and values: the regenerated networks are the stored ones.
                let stored = try csrEngine.networks(), regenerated = try procEngine.networks()
                XCTAssertEqual(regenerated, stored, tag)
                XCTAssertEqual(try procEngine.synapseCount(), try csrEngine.synapseCount(), tag)
                XCTAssertGreaterThan(try procEngine.synapseCount(), 0, tag)
                let csr = try csrEngine.run(steps: 20, record: RecordRequest(every: 1)).data
                let proc = try procEngine.run(steps: 20, record: RecordRequest(every: 1)).data
                let ell = try engine(ens, input: input, format: .ell).run(steps: 20, record: RecordRequest(every: 1)).data
                XCTAssertTrue(csr.allSatisfy(\.isFinite), tag)
                XCTAssertGreaterThan(csr.map(abs).max()!, 1e-2, "the trajectory moves: \(tag)")
                XCTAssertEqual(proc.map(\.bitPattern), csr.map(\.bitPattern), "procedural vs csr, \(tag)")
                XCTAssertEqual(proc.map(\.bitPattern), ell.map(\.bitPattern), "procedural vs ell, \(tag)")
            }
        }
    }

    /// Procedural weights cannot stand for networks supplied ready-made (they are regenerated from
    /// the spec's seed), and `auto` never picks them for such networks.
    func testProceduralIsRefusedForGivenNetworks() throws {
        var s = NetworkSpec()
        s.n = 50; s.sp = 0.2; s.nIn = 1
        let net = try NetworkGenerator.generate(s)
        let input = try InputSource(spec: InputSpec(), nIn: 1)
        XCTAssertThrowsError(try engine(Ensemble(networks: [s]), networks: [net], input: input, format: .procedural)) { e in
            guard case let .invalidParameter(name, _, expected) = e as? WMError else { return XCTFail("wrong error \(e)") }
            XCTAssertEqual(name, "format")
            XCTAssertTrue(expected.contains("stored format"), expected)
        }
        XCTAssertTrue(try engine(Ensemble(networks: [s]), networks: [net], input: input, format: .auto).format.isStored)
    }

    /// Sliced ELL with 16-bit and with 32-bit columns (the layout for N > 65 536) gives the CSR
    /// row sums bit for bit: N not a multiple of the 16-row slice, ranges that start and end
    /// inside slices, one trial (sixteen-row lanes) and many (32 + 8 + tail trial blocks).
    func testSlicedELLColumnWidthsAndCSRSumAlike() throws {
        for n in [37, 130] {
            var s = NetworkSpec()
            s.n = n; s.sp = 0.4; s.seed = UInt64(n)
            let m = NetworkGenerator.recurrent(s)
            let narrow = SlicedELL(m), wide = SlicedELL(m, wideColumns: true)
            XCTAssertTrue(narrow.narrowColumns)
            XCTAssertFalse(wide.narrowColumns)
            XCTAssertEqual(narrow.values, wide.values)
            XCTAssertLessThanOrEqual(narrow.values.count, m.maxRowLength * ((n + 15) / 16 * 16), "padding per slice, not beyond the global width")
            for bt in [1, 3, 45] {
                let x = (0..<(n * bt)).map { Float(sin(Double($0) * 0.37)) }
                let ref = m.engineRowSums(x: x, trials: bt)
                for (name, e) in [("narrow", narrow), ("wide", wide)] {
                    for (lo, hi) in [(0, n), (16, n), (5, n - 3)] {
                        let y = e.engineSums(x: x, trials: bt, lo: lo, hi: hi)
                        XCTAssertEqual(Array(y[(lo * bt)..<(hi * bt)]).map(\.bitPattern), Array(ref[(lo * bt)..<(hi * bt)]).map(\.bitPattern),
                                       "\(name) N = \(n) B = \(bt) rows \(lo)..<\(hi)")
                        XCTAssertTrue(y[0..<(lo * bt)].allSatisfy(\.isNaN), "rows outside the range untouched")
                    }
                }
            }
        }
    }

    /// The trial-blocked row sums (blocks of 32, then 8, then a scalar tail) against an
    /// independent Double sum: B = 8, 33, 45, 71 cover every block mix.
    func testTrialBlockedSumsMatchDoubleReference() throws {
        let n = 57
        var s = NetworkSpec()
        s.n = n; s.sp = 0.3; s.seed = 9
        let m = NetworkGenerator.recurrent(s)
        for bt in [8, 33, 45, 71] {
            let x = (0..<(n * bt)).map { Float(cos(Double($0) * 0.71)) }
            let y = m.engineRowSums(x: x, trials: bt)
            var worst = 0.0
            for i in 0..<n {
                for b in 0..<bt {
                    var ref = 0.0
                    for p in Int(m.rowPtr[i])..<Int(m.rowPtr[i + 1]) { ref += Double(m.values[p]) * Double(x[Int(m.colIndex[p]) * bt + b]) }
                    worst = max(worst, abs(Double(y[i * bt + b]) - ref))
                }
            }
            XCTAssertLessThan(worst, 1e-5, "B = \(bt)")
        }
    }

    // MARK: (e) records

    func testRecordEveryAndNeuronSubsetLayout() throws {
        let ens = randomEnsemble(n: 20, count: 2, trials: 3)
        let m = ens.count, n = ens.n, bt = ens.trials
        let input = try InputSource(spec: InputSpec(kind: .uniform, seed: 3), nIn: 2)
        // Reference: step 4 at a time and read the full state [M][N][B].
        let refEngine = try engine(ens, input: input)
        try refEngine.advance(steps: 4)
        let x4 = try refEngine.state()
        try refEngine.advance(steps: 4)
        let x8 = try refEngine.state()

        let subset = [13, 2, 19, 2, 0]  // unsorted, with a repeat: order must be kept
        let e = try engine(ens, input: input)
        var chunks: [RecordedChunk] = []
        try e.advance(steps: 10, record: RecordRequest(every: 4, neurons: subset), sink: { chunks.append($0) }, progress: nil)
        XCTAssertEqual(e.time, 10)
        let rec = try e.run(steps: 0, record: RecordRequest(every: 4, neurons: subset))
        XCTAssertEqual(rec.rows, 0)
        XCTAssertEqual(chunks.count, 1)
        let c = chunks[0]
        XCTAssertEqual(c.rows, 2)
        XCTAssertEqual(c.firstTime, 4)
        XCTAssertEqual(c.data.count, 2 * m * bt * subset.count)
        for (row, x) in [x4, x8].enumerated() {
            for mm in 0..<m {
                for b in 0..<bt {
                    for (k, i) in subset.enumerated() {
                        let got = c.data[((row * m + mm) * bt + b) * subset.count + k]
                        XCTAssertEqual(got, x[(mm * n + i) * bt + b], "row \(row) m \(mm) b \(b) neuron \(i)")
                    }
                }
            }
        }
    }

    func testRecordTimesContinueAcrossAdvanceCalls() throws {
        let ens = randomEnsemble(n: 10, count: 1, trials: 1)
        let input = try InputSource(spec: InputSpec(kind: .uniform, seed: 3), nIn: 2)
        let e = try engine(ens, input: input)
        try e.advance(steps: 3)
        let r = try e.run(steps: 10, record: RecordRequest(every: 5))
        // Steps 4…13: multiples of 5 are 5 and 10.
        XCTAssertEqual(r.firstTime, 5)
        XCTAssertEqual(r.rows, 2)
    }

    func testChunkingInvariance() throws {
        let ens = randomEnsemble(n: 40, count: 2, trials: 2)
        let input = try InputSource(spec: InputSpec(kind: .uniform, seed: 3), nIn: 2)
        var results: [[Float]] = []
        var finals: [[Float]] = []
        for cs in [1, 7, 256] {
            let e = try engine(ens, input: input, chunkSteps: cs)
            var progress: [Int] = []
            var firsts: [Int] = []
            var data: [Float] = []
            try e.advance(steps: 50, record: RecordRequest(every: 3, neurons: [1, 30, 7]), sink: { c in
                firsts.append(c.firstTime)
                data += c.data
            }, progress: { progress.append($0) })
            XCTAssertEqual(progress.last, 50)
            XCTAssertEqual(firsts.first, 3)
            XCTAssertEqual(data.count, 16 * 2 * 2 * 3)  // t = 3, 6, …, 48
            results.append(data)
            finals.append(try e.state())
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
        XCTAssertEqual(results[0].map(\.bitPattern), results[2].map(\.bitPattern))
        XCTAssertEqual(finals[0].map(\.bitPattern), finals[1].map(\.bitPattern))
        XCTAssertEqual(finals[0].map(\.bitPattern), finals[2].map(\.bitPattern))
        // Splitting the run into several advance calls changes nothing either.
        let e = try engine(ens, input: input, chunkSteps: 7)
        var data: [Float] = []
        for steps in [5, 1, 30, 14] {
            data += try e.run(steps: steps, record: RecordRequest(every: 3, neurons: [1, 30, 7])).data
        }
        XCTAssertEqual(data.map(\.bitPattern), results[0].map(\.bitPattern))
    }

    // MARK: (f) g = 0 linear network is a copy of its input

    func testZeroGainLinearNetworkEchoesInput() throws {
        for leak in [1.0, 0.5] {
            var s = NetworkSpec()
            s.n = 50
            s.nIn = 1
            s.g = 0
            s.sp = 0.3
            s.gIn = 2
            s.spIn = 0.4
            s.rule = .leaky
            s.leak = leak
            s.activation = .linear
            s.seed = 4
            let ens = Ensemble(networks: [s], trials: 2)
            let input = try InputSource(spec: InputSpec(kind: .uniform, seed: 9), nIn: 1)
            let e = try engine(ens, input: input)
            let jin = try e.networks()[0].input
            XCTAssertTrue(jin.contains { $0 != 0 })
            XCTAssertTrue(jin.contains { $0 == 0 })
            var x = try e.state()
            let steps = 8
            let rec = try e.run(steps: steps, record: RecordRequest(every: 1))
            var u: [Float] = []
            try input.fill(t0: 0, count: steps, trials: 2, into: &u)
            let a = Float(leak)
            for t in 1...steps {
                for i in 0..<50 {
                    for b in 0..<2 {
                        let ut = u[(t - 1) * 2 + b]
                        let want: Float = leak == 1
                            ? jin[i] * ut  // x(t) = Jin·u(t−1), exactly
                            : (1 - a) * x[i * 2 + b] + a * (jin[i] * ut)
                        let got = rec.data[((t - 1) * 2 + b) * 50 + i]
                        if leak == 1 {
                            XCTAssertEqual(got, want, "t \(t) i \(i) b \(b)")
                        } else {
                            XCTAssertEqual(got, want, accuracy: 1e-6 * max(1, abs(want)), "t \(t) i \(i) b \(b)")
                        }
                    }
                }
                x = (0..<100).map { k in rec.data[((t - 1) * 2 + k % 2) * 50 + k / 2] }
            }
        }
    }
}
