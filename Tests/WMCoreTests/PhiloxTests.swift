import XCTest
@testable import WMCore

final class PhiloxTests: XCTestCase {
    /// Random123 kat_vectors, philox4x32 10: counter, key → output.
    func testKnownAnswers() {
        let cases: [([UInt32], [UInt32], [UInt32])] = [
            ([0, 0, 0, 0], [0, 0], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
            ([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff], [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
            ([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0], [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
        ]
        for (c, k, want) in cases {
            let r = Philox4x32(key0: k[0], key1: k[1]).block(c[0], c[1], c[2], c[3])
            XCTAssertEqual([r.0, r.1, r.2, r.3], want)
        }
    }

    func testSeedSplitsIntoKeyWords() {
        let p = Philox4x32(seed: 0x1234_5678_9abc_def0)
        XCTAssertEqual(p.key.0, 0x9abc_def0)
        XCTAssertEqual(p.key.1, 0x1234_5678)
    }

    func testUnitConversionsStayInRange() {
        XCTAssertEqual(RandomBits.unitFloat(0), 0)
        XCTAssertLessThan(RandomBits.unitFloat(.max), 1)
        XCTAssertGreaterThan(RandomBits.unitFloatOpen(0), 0)
        XCTAssertLessThan(RandomBits.unitFloatOpen(.max), 1)
        XCTAssertNotEqual(RandomBits.normal(.max, 0), 0)
        XCTAssertGreaterThan(RandomBits.unitDouble(0, 0), 0)
        XCTAssertLessThanOrEqual(RandomBits.unitDouble(.max, .max), 1)
    }

    func testNormalMomentsAndUniformity() {
        let p = Philox4x32(seed: 42)
        var s = 0.0, s2 = 0.0
        let n = 200_000
        var hist = [Int](repeating: 0, count: 10)
        for i in 0..<n {
            let b = p.block(UInt32(i), 0, 0, 0)
            let z = Double(RandomBits.normal(b.0, b.1))
            s += z; s2 += z * z
            hist[Int(RandomBits.unitFloat(b.2) * 10)] += 1
        }
        XCTAssertEqual(s / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.015)
        // χ² over 10 bins, 9 dof: p = 0.001 at 27.9.
        let e = Double(n) / 10
        let chi2 = hist.reduce(0.0) { $0 + (Double($1) - e) * (Double($1) - e) / e }
        XCTAssertLessThan(chi2, 27.9)
    }
}
