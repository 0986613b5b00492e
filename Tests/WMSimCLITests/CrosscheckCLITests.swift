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
        XCTAssertEqual(rows.count, 4 * 6)
        XCTAssertTrue(rows.allSatisfy { $0["passed"] as? Bool == true })
    }
}
