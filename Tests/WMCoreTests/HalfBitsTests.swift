import Foundation
import XCTest
@testable import WMCore

/// The integer binary16 conversions against known values and, where the platform has it,
/// against Swift's `Float16`.
final class HalfBitsTests: XCTestCase {
    func testKnownValues() {
        XCTAssertEqual(HalfBits.from(1), 0x3C00)
        XCTAssertEqual(HalfBits.from(-2), 0xC000)
        XCTAssertEqual(HalfBits.from(65504), 0x7BFF)
        XCTAssertEqual(HalfBits.from(65519.996), 0x7BFF, "just under the overflow tie")
        XCTAssertEqual(HalfBits.from(65520), 0x7C00, "the tie between 65504 and 65536 goes to the even, infinity")
        XCTAssertEqual(HalfBits.from(.infinity), 0x7C00)
        XCTAssertEqual(HalfBits.from(-.infinity), 0xFC00)
        XCTAssertTrue(HalfBits.float(HalfBits.from(.nan)).isNaN)
        XCTAssertEqual(HalfBits.from(0x1p-24), 0x0001, "smallest subnormal")
        XCTAssertEqual(HalfBits.from(0x1p-25), 0x0000, "half the smallest subnormal ties to the even zero")
        XCTAssertEqual(HalfBits.from(0x1.000002p-25), 0x0001, "just above the tie rounds up")
        XCTAssertEqual(HalfBits.from(0x1.8p-24), 0x0002, "1.5 units ties to the even 2")
        XCTAssertEqual(HalfBits.from(0x1p-14), 0x0400, "smallest normal")
        XCTAssertEqual(HalfBits.from(0x1.ff8p-15), 0x03FF, "largest subnormal")
        XCTAssertEqual(HalfBits.from(0x1.ffcp-15), 0x0400, "ties from the largest subnormal to the smallest normal")
        XCTAssertEqual(HalfBits.from(1 + 0x1p-11), 0x3C00, "1 + half an ulp ties to the even 1")
        XCTAssertEqual(HalfBits.from(1 + 3 * 0x1p-11), 0x3C02, "1 + 1.5 ulp ties to the even 1 + 2 ulp")
        XCTAssertEqual(HalfBits.from(-0.0), 0x8000)
        XCTAssertEqual(HalfBits.float(0x3555), Float(0x1.554p-2))
        XCTAssertEqual(HalfBits.float(0x8001), -0x1p-24)
        XCTAssertEqual(HalfBits.float(0x7C00), .infinity)
    }

    /// Every finite half survives float and back.
    func testEveryHalfRoundTrips() {
        for h in 0...UInt16.max where (h & 0x7C00) != 0x7C00 {
            XCTAssertEqual(HalfBits.from(HalfBits.float(h)), h, "half 0x\(String(h, radix: 16))")
        }
    }

    #if !(os(macOS) && arch(x86_64))
    func testAgreesWithFloat16() {
        for h in 0...UInt16.max {
            let mine = HalfBits.float(h), swift = Float(Float16(bitPattern: h))
            XCTAssertTrue(mine.bitPattern == swift.bitPattern || (mine.isNaN && swift.isNaN), "decode 0x\(String(h, radix: 16))")
        }
        let philox = Philox4x32(seed: 0xF16)
        var disagreements = 0
        for i in 0..<2_000_000 {
            let w = philox.block(UInt32(i), 0, 0, 0)
            // Floats spread over the half range and beyond, plus exact ties (the midpoints of
            // neighbouring halves), in both signs.
            let f: Float
            if i % 4 == 0 {
                let h = UInt16(truncatingIfNeeded: w.0) & 0x7BFE
                f = (HalfBits.float(h) + HalfBits.float(h + 1)) / 2
            } else {
                let e = Float(Int(w.1 % 48) - 30)
                f = Float(w.2 >> 8) * 0x1p-24 * Float(pow(2.0, Double(e)))
            }
            let x = w.3 & 1 == 0 ? f : -f
            if HalfBits.from(x) != Float16(x).bitPattern { disagreements += 1 }
        }
        XCTAssertEqual(disagreements, 0)
    }
    #endif
}
