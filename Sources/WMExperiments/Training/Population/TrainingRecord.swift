import Foundation
import WMCore

/// The first line of a training population's results file.
public typealias TrainingHeader = ResultsHeader<TrainingPopulationSpec>

/// One trained network of a population, one JSON line: its parameters, what training and the
/// evaluation found, and where its archive is.
public struct TrainingRow: ResultsRow {
    public var type = "result"
    public var fingerprint: String
    public var point: Int
    public var replicate: Int
    /// Network seed.
    public var seed: UInt64
    /// The varied parameters of the point.
    public var params: [String: Double]
    /// The verdict of the learned rule (nil when training failed or the network could not run).
    public var learned: Bool?
    /// Where training stopped ("step 162: P lost positive definiteness …").
    public var failure: String?
    /// Why the network has no result at all (it could not be built or run).
    public var error: String?
    /// Largest and median reference error over the evaluation runs, the median plain RMSE.
    public var referenceErrorMax: Double?
    public var referenceErrorMedian: Double?
    public var rmseMedian: Double?
    /// Share of evaluation runs above each ε of the spec (`base.epsilons`).
    public var failingShare: [Double]?
    /// Training RMSE of z over the response windows in the first and the last block of trials.
    public var trainingRMSEFirst: Double?
    public var trainingRMSELast: Double?
    /// Rank-1 updates of Pw and Pd.
    public var updates: [Int]
    /// The network's archive folder, relative to the results file (trained.json and NPY).
    public var archive: String?
    /// Wall seconds of the batch this network trained in, divided by its networks.
    public var seconds: Double
    /// Networks trained together in that batch.
    public var batch: Int
    /// Where it was trained (`BackendInfo.label`; nil in older files).
    public var backend: String?

    public init(fingerprint: String, point: Int, replicate: Int, seed: UInt64, params: [String: Double], updates: [Int] = [],
                seconds: Double, batch: Int) {
        self.fingerprint = fingerprint
        self.point = point
        self.replicate = replicate
        self.seed = seed
        self.params = params
        self.updates = updates
        self.seconds = seconds
        self.batch = batch
    }

    /// The row of a trained network.
    public init(fingerprint: String, point: TrainingPoint, replicate: Int, result r: ForceTrainingResult, seed: UInt64,
                archive: String?, seconds: Double, batch: Int) {
        self.init(fingerprint: fingerprint, point: point.index, replicate: replicate, seed: seed, params: point.named,
                  updates: r.updates, seconds: seconds, batch: batch)
        self.archive = archive
        failure = r.failure
        trainingRMSEFirst = r.trainingCurve.first
        trainingRMSELast = r.trainingCurve.last
        guard r.failure == nil, r.runs > 0 else { return }
        learned = r.learned
        let finite = r.referenceError.map { $0.isFinite ? $0 : .infinity }.sorted()
        referenceErrorMax = finite.last
        referenceErrorMedian = finite[finite.count / 2]
        let rmse = r.rmse.map { $0.isFinite ? $0 : .infinity }.sorted()
        rmseMedian = rmse[rmse.count / 2]
        failingShare = r.failingShare
    }

    public var unit: SweepUnit { SweepUnit(point: point, replicate: replicate) }
    public var isError: Bool { error != nil }

    public func sameResult(as other: TrainingRow) -> Bool {
        learned == other.learned && failure == other.failure && referenceErrorMax == other.referenceErrorMax
    }
}

/// A training population's results file.
public typealias TrainingResults = ResultsFile<TrainingPopulationSpec, TrainingRow>
