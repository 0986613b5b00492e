import XCTest
import WMCore
@testable import WMExperiments

/// What `wmsim crosscheck` draws: every weight format, procedural weights included, meets every
/// size and every launch setting; without fp64 procedural weights are left out.
final class CrossCheckDrawTests: XCTestCase {
    func testEveryFormatIsDrawnWithEverySizeAndLaunchSetting() {
        let configs = CrossCheck.configurations(count: 32, seed: 1)
        XCTAssertEqual(Set(configs.prefix(4).map(\.format)), [.csr, .ell, .dense, .procedural], "the first 4 hold one of each")
        let pairs = Set(configs.map { "\($0.format.rawValue)/\($0.fused.map(String.init) ?? "auto")" })
        for f in ["csr", "ell", "dense", "procedural"] {
            for fused in ["true", "false", "auto"] { XCTAssertTrue(pairs.contains("\(f)/\(fused)"), "\(f) with fused \(fused)") }
        }
        let sizes = Set(configs.map { $0.ensemble.n })
        for n in sizes {
            XCTAssertTrue(configs.contains { $0.ensemble.n == n && $0.format == .procedural }, "procedural at N = \(n)")
        }
        XCTAssertFalse(configs.contains { $0.ensemble.n > 2048 && $0.format == .dense }, "no dense storage above N = 2048")
        XCTAssertFalse(CrossCheck.configurations(count: 32, seed: 1, procedural: false).contains { $0.format == .procedural })
    }
}
