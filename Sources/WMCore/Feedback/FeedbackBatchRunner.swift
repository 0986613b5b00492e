/// M feedback networks stepped and trained together by FORCE on a backend's device
/// (`Backend.makeFeedbackRunner`). All networks of a batch share N, dt/τ and the task stream.
/// The CPU reference (`CPUFeedbackBatchRunner`) and the OpenCL twin are compared by
/// `FeedbackParityTests`.
public protocol FeedbackBatchRunner: AnyObject {
    var networkCount: Int { get }
    /// Global step index (steps taken since the start).
    var step: Int { get }
    /// Per network, the step at which training failed and why (nil where it did not). A failed
    /// network learns no more; its later outputs mean nothing.
    var failures: [(step: Int, reason: String)?] { get }
    /// Rank-1 updates applied to Pw and Pd, per network.
    var updateCounts: [(output: Int, dummy: Int)] { get }
    /// Runs `count` steps with the shared inputs `input` (`[count][2]`), learning from `teacher`
    /// when given. `observe(s, z, zd)` gets every network's outputs (`[M]`, `[M][2]`) on the
    /// steps where a mask of the teacher is set, every step without a teacher.
    func run(count: Int, input: [Float], teacher: FeedbackRunner.Teacher?, observe: ((Int, [Double], [Double]) -> Void)?) throws
    /// Replaces every network's state (`[M][N]`) and recomputes rates and outputs from it.
    func setStates(_ x: [Double]) throws
    /// The states, `[M][N]`.
    func states() throws -> [Double]
    /// The networks with their trained readouts.
    func trainedNetworks() throws -> [FeedbackNetwork]
    /// Compulsory memory traffic per network (for throughput figures).
    var traffic: FeedbackTraffic { get }
}

/// Bytes one network must move: its recurrent weights every step, and P for every rank-1
/// update (read for k = P·r, read and written by the update), in the runner's storage.
public struct FeedbackTraffic: Codable, Sendable, Hashable {
    /// Recurrent weights read per step.
    public var stepBytes: Int
    /// P bytes moved per rank-1 update.
    public var updateBytes: Int

    public init(stepBytes: Int, updateBytes: Int) {
        self.stepBytes = stepBytes
        self.updateBytes = updateBytes
    }
}

/// The CPU reference of `FeedbackBatchRunner`: one `FeedbackRunner` (double) per network,
/// run one after the other; observers see the outputs step by step afterwards. A network whose
/// training failed stops running; its outputs on the steps it did not run are NaN.
public final class CPUFeedbackBatchRunner: FeedbackBatchRunner {
    private let runners: [FeedbackRunner]

    public init(networks: [FeedbackNetwork], alpha: Double) throws {
        guard let first = networks.first else { throw WMError.invalidParameter(name: "networks", value: "[]", expected: "at least one") }
        for net in networks where net.spec.n != first.spec.n {
            throw WMError.incompatibleEnsemble("networks of one batch share N (\(first.spec.n) and \(net.spec.n))")
        }
        runners = try networks.map { try FeedbackRunner($0, alpha: alpha) }
    }

    public var networkCount: Int { runners.count }
    public var step: Int { runners.map(\.step).max() ?? 0 }
    public var failures: [(step: Int, reason: String)?] { runners.map(\.failure) }
    public var updateCounts: [(output: Int, dummy: Int)] { runners.map(\.updates) }

    public func run(count: Int, input: [Float], teacher: FeedbackRunner.Teacher?, observe: ((Int, [Double], [Double]) -> Void)?) throws {
        let m = runners.count
        var z = [[Double]](repeating: [Double](repeating: .nan, count: m), count: observe == nil ? 0 : count)
        var zd = [[Double]](repeating: [Double](repeating: .nan, count: 2 * m), count: observe == nil ? 0 : count)
        for (mm, runner) in runners.enumerated() {
            runner.run(count: count, input: input, teacher: teacher, observe: observe == nil ? nil : { s, zz, dd in
                z[s][mm] = zz
                zd[s][2 * mm] = dd[0]
                zd[s][2 * mm + 1] = dd[1]
            })
        }
        guard let observe else { return }
        for s in 0..<count where teacher.map({ $0.outputMask[s] || $0.dummyMask[s] }) ?? true { observe(s, z[s], zd[s]) }
    }

    public func setStates(_ x: [Double]) throws {
        let n = runners.first?.network.spec.n ?? 0
        guard x.count == runners.count * n else {
            throw WMError.invalidParameter(name: "states", value: "\(x.count) values", expected: "\(runners.count) × \(n)")
        }
        for (mm, r) in runners.enumerated() { r.setState(Array(x[(mm * n)..<((mm + 1) * n)])) }
    }

    public func states() throws -> [Double] { runners.flatMap(\.x) }

    public func trainedNetworks() throws -> [FeedbackNetwork] { runners.map(\.network) }

    /// Dense float J per step; each update reads and writes P's upper triangle once (the
    /// previous update is applied in the pass that computes k).
    public var traffic: FeedbackTraffic {
        let n = runners.first?.network.spec.n ?? 0
        return FeedbackTraffic(stepBytes: n * n * 4, updateBytes: 2 * (n * (n + 1) / 2) * 8)
    }
}
