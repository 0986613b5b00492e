import XCTest
@testable import WMCore

/// `SegmentMoments.restricted(to:)`: the moments of some features alone, taken from the moments of
/// all of them, equal the moments summed from those features' columns.
final class SegmentMomentsRestrictTests: XCTestCase {
    func testRestrictedMomentsEqualTheMomentsOfTheColumns() {
        let n = 23, k = 4, rows = 1300  // more than one block of 512 rows, not a multiple of it
        let rng = Philox4x32(seed: 99)
        // Correlated features with means far from 0, so centring matters.
        var states = [Float](repeating: 0, count: rows * n), targets = [Float](repeating: 0, count: rows * k)
        for r in 0..<rows {
            let common = RandomBits.unitFloat(rng.block(UInt32(r), 0, 0, 1).0)
            for j in 0..<n { states[r * n + j] = 3 + Float(j) * 0.1 + common * Float(j % 3) + RandomBits.unitFloat(rng.block(UInt32(r), UInt32(j), 1, 1).0) }
            for j in 0..<k { targets[r * k + j] = RandomBits.unitFloat(rng.block(UInt32(r), UInt32(j), 2, 1).0) - 0.5 }
        }
        var all = SegmentMoments(n: n, k: k)
        all.add(states: states, targets: targets, rows: rows)
        for features in [[0], [5, 6, 7], [0, 2, 3, 11, 17, 22], Array(0..<n)] {
            let m = features.count
            var direct = SegmentMoments(n: m, k: k)
            direct.add(states: (0..<rows).flatMap { r in features.map { states[r * n + $0] } }, targets: targets, rows: rows)
            let sub = all.restricted(to: features)
            XCTAssertEqual(sub.n, m)
            XCTAssertEqual(sub.count, rows)
            func close(_ a: [Double], _ b: [Double], _ what: String) {
                XCTAssertEqual(a.count, b.count, what)
                let scale = b.map(abs).max() ?? 1
                for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-12 * Swift.max(scale, 1), "\(what) of \(features)") }
            }
            close(sub.centeredGram, direct.centeredGram, "G̃")
            close(sub.centeredCross, direct.centeredCross, "C̃")
            close(sub.meanS, direct.meanS, "s̄")
            XCTAssertEqual(sub.meanY, all.meanY)
            XCTAssertEqual(sub.targetScatter, all.targetScatter)
            // Only the upper triangle is stored; the lower stays zero as in summed moments.
            for a in 0..<m { for b in 0..<a { XCTAssertEqual(sub.scatterUpper[a * m + b], 0) } }
        }
        XCTAssertEqual(all.restricted(to: Array(0..<n)), all, "all features: the same moments")
    }
}
