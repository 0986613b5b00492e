import Foundation
import XCTest

final class CrosscheckCLITests: XCTestCase {
    func testCrosscheckPassesAndWritesJSON() throws {
        let dir = CLI.tempDir("xc")
        let r = try CLI.run(["crosscheck", "--configs", "4", "--max-n", "200", "--json", dir.appendingPathComponent("x.json").path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("within tolerance"))
        let j = try CLI.json(dir.appendingPathComponent("x.json"))
        let rows = try XCTUnwrap(j["rows"] as? [[String: Any]])
        // Six quantities per configuration, plus the device's lag moments (PoCL has fp64).
        XCTAssertEqual(rows.count, 4 * 7)
        XCTAssertEqual(rows.filter { $0["quantity"] as? String == "lag moments" }.count, 4)
        XCTAssertTrue(rows.allSatisfy { $0["passed"] as? Bool == true })
        // The 4 configurations hold every weight format, procedural weights (regenerated every
        // step on both backends) among them, with their trajectories compared.
        let described = Set(rows.compactMap { $0["description"] as? String })
        for format in ["dense", "ell", "csr", "procedural"] {
            XCTAssertTrue(described.contains { $0.contains(" \(format) ") }, "\(format) drawn: \(described)")
        }
        XCTAssertTrue(rows.contains { ($0["description"] as? String)?.contains(" procedural ") == true && ($0["quantity"] as? String)?.hasSuffix("trajectory") == true })
        XCTAssertTrue(r.stderr.contains("procedural"), r.stderr)
    }
}
