import Foundation
@testable import WMExperiments

/// A row whose delay and noise curves have half of 4 runs failing from `delay` and `noise`
/// on (never when nil); with `delayOneFrom`, one run of 4 fails from that delay on instead
/// (forgetting that never reaches half).
func syntheticAnalysisRow(_ m: Mechanism, delay: Double?, noise: Double?, learned: Bool = true, index: Int, delayOneFrom: Double? = nil) -> AnalysisRow {
    var r = AnalysisRow(fingerprint: "f", point: index, archive: "a\(index)", seconds: 0)
    r.learned = learned
    r.classification = MechanismResult(mechanism: m, distinct: 1, maxVariance: 0, meanOutput: [], finalOutput: [], noiseless: .fixed,
                                       noiselessDistinct: 4, noiselessFinalOutput: [], slowness: [], seconds: 0)
    func curve(_ half: Double?, one: Double? = nil) -> RobustnessCurve {
        let levels = [1.0, 2, 4, 8, 16]
        let pass: [RobustnessCurve.Outcome] = [.pass, .pass, .pass, .pass]
        let outcomes: [[RobustnessCurve.Outcome]] = levels.map { l in
            if let h = half, l >= h { return [.asymptotic, .asymptotic, .pass, .pass] }
            if let o = one, l >= o { return [.fixedTime, .pass, .pass, .pass] }
            return pass
        }
        return RobustnessCurve(levels: levels, runs: 4, outcomes: outcomes)
    }
    r.robustness = RobustnessResult(delay: curve(delay, one: delayOneFrom), noise: curve(noise), silencing: curve(nil), nominalOutput: [], seconds: 0)
    return r
}
