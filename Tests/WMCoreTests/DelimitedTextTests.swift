import Foundation
import XCTest

@testable import WMCore

final class DelimitedTextTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("wmcore-csv-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    private func file(_ text: String, _ name: String = "m.txt") throws -> URL {
        let u = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: u)
        return u
    }

    private func read(_ text: String) throws -> (rows: Int, cols: Int, values: [Double]) {
        try DelimitedText.readMatrix(try file(text))
    }

    /// The error `readMatrix` throws for `text`; fails the test if it does not throw.
    private func error(_ text: String, line: UInt = #line) throws -> ArrayIOError? {
        let u = try file(text)
        do {
            _ = try DelimitedText.readMatrix(u)
            XCTFail("expected an error", line: line)
            return nil
        } catch let e as ArrayIOError {
            XCTAssertTrue(e.description.contains(u.path), "message does not name the file: \(e)", line: line)
            return e
        }
    }

    func testDelimiterDetection() throws {
        let expected: [Double] = [1, 2.5, -3, 4e-3, 5, 6]
        for text in [
            "1,2.5,-3\n4e-3,5,6\n",
            "1\t2.5\t-3\n4e-3\t5\t6\n",
            "1;2.5;-3\n4e-3;5;6",
            "1 2.5 -3\n4e-3 5 6\n",
            "  1   2.5\t -3  \n\t4e-3  5 6\n",
            "1, 2.5, -3\n 4e-3 ,5 , 6\n",
            "1\t 2.5 \t-3\n4e-3\t5\t6\n",
        ] {
            let m = try read(text)
            XCTAssertEqual(m.rows, 2, text)
            XCTAssertEqual(m.cols, 3, text)
            XCTAssertEqual(m.values, expected, text)
        }
        XCTAssertEqual(DelimitedText.Delimiter.detect(ArraySlice(Array("a\tb,c".utf8))), .tab)
        XCTAssertEqual(DelimitedText.Delimiter.detect(ArraySlice(Array("a;b,c".utf8))), .comma)
        XCTAssertEqual(DelimitedText.Delimiter.detect(ArraySlice(Array("a;b".utf8))), .semicolon)
        XCTAssertEqual(DelimitedText.Delimiter.detect(ArraySlice(Array("a b".utf8))), .whitespace)
    }

    func testHeaderCommentsAndBlankLines() throws {
        let text = """
            # produced by a test
            # columns: time, x, y

            time,x,y
            0,1,2
              # an indented comment

            1,3,4\r
            2,5,6
            """
        let m = try read(text)
        XCTAssertEqual(m.rows, 3)
        XCTAssertEqual(m.cols, 3)
        XCTAssertEqual(m.values, [0, 1, 2, 1, 3, 4, 2, 5, 6])

        let quoted = try read("\u{FEFF}\"t (s)\",\"x, y\",\"say \"\"hi\"\"\"\r\n1,2,3\r\n")
        XCTAssertEqual(quoted.rows, 1)
        XCTAssertEqual(quoted.values, [1, 2, 3])

        let ws = try read("t x y\n1 2 3\n")
        XCTAssertEqual(ws.rows, 1)
        XCTAssertEqual(ws.values, [1, 2, 3])

        let tsv = try read("time (s)\tx value\n0.5\t1\n1.5\t2\n")
        XCTAssertEqual(tsv.rows, 2)
        XCTAssertEqual(tsv.cols, 2)
        XCTAssertEqual(tsv.values, [0.5, 1, 1.5, 2])

        let pandas = try read(",a,b\n0,1.5,2\n1,3,4\n")  // pandas to_csv() with its index column
        XCTAssertEqual(pandas.rows, 2)
        XCTAssertEqual(pandas.cols, 3)
        XCTAssertEqual(pandas.values, [0, 1.5, 2, 1, 3, 4])

        let headerOnly = try read("a,b\n")
        XCTAssertEqual(headerOnly.rows, 0)
        XCTAssertEqual(headerOnly.cols, 2)
        XCTAssertEqual(headerOnly.values, [])

        let empty = try read("# nothing\n\n")
        XCTAssertEqual(empty.rows, 0)
        XCTAssertEqual(empty.cols, 0)
        XCTAssertEqual(try read("").rows, 0)

        let single = try read("42")
        XCTAssertEqual(single.rows, 1)
        XCTAssertEqual(single.cols, 1)
        XCTAssertEqual(single.values, [42])
    }

    func testHeaderOnlyAllowedAsFirstContentLine() throws {
        let e = try error("1,2\nx,y\n3,4\n")
        XCTAssertEqual(e, .parseError(path: e?.path ?? "", line: 2, column: 1, reason: "'x' is not a number"))
        XCTAssertTrue(e?.description.contains("line 2, column 1") ?? false, "\(String(describing: e))")
        // A first line with a number in it is data, not a header.
        let mixed = try error("t,1,2\n0,1,2\n")
        XCTAssertEqual(mixed, .parseError(path: mixed?.path ?? "", line: 1, column: 1, reason: "'t' is not a number"))
    }

    func testRaggedRowNamesLine() throws {
        let e = try error("# c\na,b,c\n1,2,3\n\n4,5\n")
        XCTAssertEqual(e, .raggedRow(path: e?.path ?? "", line: 5, expectedColumns: 3, foundColumns: 2, referenceLine: 2))
        XCTAssertTrue(e?.description.contains("line 5") ?? false, "\(String(describing: e))")
        let ws = try error("1 2 3\n4 5 6 7\n")
        XCTAssertTrue(ws?.description.contains("line 2 has 4 columns") ?? false, "\(String(describing: ws))")
        // A trailing comma is an extra (empty) column.
        let trailing = try error("1,2\n3,4,\n")
        XCTAssertTrue(trailing?.description.contains("line 2") ?? false)
    }

    func testNonFiniteAndBadTokensNameLineAndColumn() throws {
        for (text, line, column) in [
            ("1,2\n3,nan\n", 2, 2), ("1,2\n3,NaN\n", 2, 2), ("1;inf\n", 1, 2), ("-Inf 2\n", 1, 1),
            ("1\t2\n3\t1e999\n", 2, 2), ("h1,h2\n1,2\n\n3,Infinity\n", 4, 2),
        ] {
            let e = try error(text)
            guard case let .parseError(_, l, c, reason) = e else {
                XCTFail("expected a parse error for \(text), got \(String(describing: e))")
                continue
            }
            XCTAssertEqual(l, line, text)
            XCTAssertEqual(c, column, text)
            XCTAssertTrue(reason.contains("non-finite"), reason)
            XCTAssertTrue(e?.description.contains("line \(line), column \(column)") ?? false)
        }
        let bad = try error("1,2\n3,four\n")
        XCTAssertEqual(bad, .parseError(path: bad?.path ?? "", line: 2, column: 2, reason: "'four' is not a number"))
        let empty = try error("1,,3\n")
        XCTAssertEqual(empty, .parseError(path: empty?.path ?? "", line: 1, column: 2, reason: "empty field"))
        let unterminated = try error("\"a,b\n1,2\n")
        guard case .parseError(_, 1, 1, _) = unterminated else {
            return XCTFail("\(String(describing: unterminated))")
        }
    }

    func testMissingFile() throws {
        let u = dir.appendingPathComponent("absent.csv")
        XCTAssertThrowsError(try DelimitedText.readMatrix(u)) { e in
            guard case .cannotOpen(let p, _)? = e as? ArrayIOError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, u.path)
            XCTAssertTrue("\(e)".contains("absent.csv"))
        }
    }

    func testWriteTableQuotingAndRoundTrip() throws {
        let u = dir.appendingPathComponent("table.csv")
        try DelimitedText.writeTable(
            header: ["name", "value, unit", "note"],
            rows: [
                ["a", "1.5", "plain"],
                ["b \"quoted\"", "2", " padded"],
                ["#c", "3", "multi\nline"],
                ["", "4", "crlf\r\nhere"],
            ],
            to: u)
        let text = String(decoding: try Data(contentsOf: u), as: UTF8.self)
        XCTAssertEqual(
            text,
            "name,\"value, unit\",note\n"
                + "a,1.5,plain\n"
                + "\"b \"\"quoted\"\"\",2,\" padded\"\n"
                + "\"#c\",3,\"multi\nline\"\n"
                + ",4,\"crlf\r\nhere\"\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["table.csv"])

        let num = dir.appendingPathComponent("num.csv")
        try DelimitedText.writeTable(header: ["t", "x (a, b)"], rows: [["0", "1.25"], ["1", "-2e-3"]], to: num)
        let m = try DelimitedText.readMatrix(num)
        XCTAssertEqual(m.rows, 2)
        XCTAssertEqual(m.cols, 2)
        XCTAssertEqual(m.values, [0, 1.25, 1, -2e-3])

        let noHeader = dir.appendingPathComponent("nohdr.csv")
        try DelimitedText.writeTable(header: [], rows: [["1", "2"], ["3", "4"]], to: noHeader)
        XCTAssertEqual(String(decoding: try Data(contentsOf: noHeader), as: UTF8.self), "1,2\n3,4\n")
        XCTAssertEqual(try DelimitedText.readMatrix(noHeader).values, [1, 2, 3, 4])

        let one = dir.appendingPathComponent("one.csv")
        try DelimitedText.writeTable(header: ["x"], rows: [[""]], to: one)
        XCTAssertEqual(String(decoding: try Data(contentsOf: one), as: UTF8.self), "x\n\"\"\n")
    }

    func testWriteTableRaggedRowThrowsAndWritesNothing() throws {
        let u = dir.appendingPathComponent("bad.csv")
        XCTAssertThrowsError(try DelimitedText.writeTable(header: ["a", "b"], rows: [["1", "2"], ["3"]], to: u)) { e in
            XCTAssertEqual(e as? ArrayIOError, .raggedRow(path: u.path, line: 3, expectedColumns: 2, foundColumns: 1, referenceLine: 1))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}
