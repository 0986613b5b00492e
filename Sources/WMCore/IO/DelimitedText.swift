// Delimited text (CSV, TSV, semicolon- or whitespace-separated) numeric matrices, and
// CSV tables with RFC 4180 quoting.

import Foundation

/// Reading numeric matrices from delimited text and writing CSV tables.
public enum DelimitedText {
    /// Field separator of a delimited text file.
    public enum Delimiter: Sendable, Equatable {
        case comma, tab, semicolon
        /// One or more spaces or tabs.
        case whitespace

        var byte: UInt8? {
            switch self {
            case .comma: return UInt8(ascii: ",")
            case .tab: return UInt8(ascii: "\t")
            case .semicolon: return UInt8(ascii: ";")
            case .whitespace: return nil
            }
        }

        /// Detects the delimiter of a line: tab, else comma, else semicolon, else whitespace.
        ///
        /// A tab counts as the delimiter only if the tab-separated fields are all non-empty and
        /// either free of inner blanks or all non-numeric (a header such as `time (s)<TAB>x`);
        /// otherwise tabs are taken as ordinary whitespace (`1  2<TAB>3`).
        static func detect(_ line: ArraySlice<UInt8>) -> Delimiter {
            if line.contains(UInt8(ascii: "\t")) {
                var fields: [String] = []
                if (try? DelimitedText.split(line, delimiter: .tab, path: "", line: 0, into: &fields)) != nil,
                    !fields.contains(where: \.isEmpty),
                    !fields.contains(where: { $0.utf8.contains(where: DelimitedText.isBlank) })
                        || fields.allSatisfy({ DelimitedText.parseNumber($0) == nil })
                {
                    return .tab
                }
            }
            if line.contains(UInt8(ascii: ",")) { return .comma }
            if line.contains(UInt8(ascii: ";")) { return .semicolon }
            return .whitespace
        }
    }

    /// Reads a numeric matrix from a delimited text file.
    ///
    /// - Blank lines and lines whose first non-blank character is `#` are skipped.
    /// - The delimiter is detected from the first non-comment line: tab if it contains a
    ///   tab (unless the tabs are mixed with spaces between numbers), else comma, else
    ///   semicolon, else runs of whitespace. Fields may be quoted
    ///   (`"..."`, with `""` for a quote) when a delimiter character is used.
    /// - If the first non-comment line has no numeric field at all it is a header and is
    ///   skipped; it must have as many fields as the data rows.
    /// - Every row must have the same number of fields (`ArrayIOError.raggedRow`, naming the line).
    /// - Every field must be a finite number; NaN, Inf, empty or non-numeric fields throw
    ///   `ArrayIOError.parseError` with the 1-based line and column.
    ///
    /// - Returns: the row and column counts and the values in row-major order.
    public static func readMatrix(_ url: URL) throws -> (rows: Int, cols: Int, values: [Double]) {
        let path = url.path
        let bytes = try ReadFile(path: path).readAll()
        return try parseMatrix(bytes, path: path)
    }

    /// Parses delimited text held in memory (see `readMatrix`); `path` names it in errors.
    static func parseMatrix(_ bytes: [UInt8], path: String) throws -> (rows: Int, cols: Int, values: [Double]) {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }  // UTF-8 byte order mark

        var delimiter: Delimiter?
        var cols = -1
        var referenceLine = 0
        var rows = 0
        var values: [Double] = []
        var lineNumber = 0
        var fields: [String] = []

        var lineStart = start
        while lineStart < bytes.count {
            let thisStart = lineStart
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd + 1
            lineNumber += 1
            var end = lineEnd
            if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }  // CRLF
            let line = bytes[lineStart..<end]
            lineStart = next

            guard let first = line.firstIndex(where: { !isBlank($0) }) else { continue }  // blank
            if bytes[first] == UInt8(ascii: "#") { continue }  // comment

            let isFirstContentLine = delimiter == nil
            let delim = delimiter ?? Delimiter.detect(line)
            delimiter = delim
            try split(line, delimiter: delim, path: path, line: lineNumber, into: &fields)

            if isFirstContentLine && !fields.isEmpty && fields.allSatisfy({ parseNumber($0) == nil }) {
                cols = fields.count  // header
                referenceLine = lineNumber
                continue
            }
            if cols < 0 {
                cols = fields.count
                referenceLine = lineNumber
                // Rough capacity guess: as many rows as lines of this length fit in the file.
                // Every value takes at least two bytes (a digit and a separator), which caps the guess.
                let estimatedRows = bytes.count / max(1, next - thisStart)
                values.reserveCapacity(min(cols * max(1, estimatedRows), bytes.count / 2 + cols))
            } else if fields.count != cols {
                throw ArrayIOError.raggedRow(
                    path: path, line: lineNumber, expectedColumns: cols, foundColumns: fields.count,
                    referenceLine: referenceLine)
            }
            for (i, field) in fields.enumerated() {
                guard let v = parseNumber(field) else {
                    let reason = field.isEmpty ? "empty field" : "'\(field)' is not a number"
                    throw ArrayIOError.parseError(path: path, line: lineNumber, column: i + 1, reason: reason)
                }
                guard v.isFinite else {
                    throw ArrayIOError.parseError(
                        path: path, line: lineNumber, column: i + 1,
                        reason: "non-finite value '\(field)' (NaN and Inf are not allowed)")
                }
                values.append(v)
            }
            rows += 1
        }
        return (rows, max(cols, 0), values)
    }

    static func isBlank(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C
    }

    /// A number, allowing surrounding blanks; nil if the token is not numeric. Non-finite
    /// tokens (`nan`, `inf`, overflowing exponents) parse and are rejected by the caller.
    static func parseNumber(_ token: String) -> Double? {
        guard !token.isEmpty else { return nil }
        return Double(token)
    }

    /// Splits one line into trimmed fields.
    static func split(
        _ line: ArraySlice<UInt8>, delimiter: Delimiter, path: String, line lineNumber: Int,
        into fields: inout [String]
    ) throws {
        fields.removeAll(keepingCapacity: true)
        guard let sep = delimiter.byte else {
            var i = line.startIndex
            while i < line.endIndex {
                while i < line.endIndex && isBlank(line[i]) { i += 1 }
                guard i < line.endIndex else { break }
                let s = i
                while i < line.endIndex && !isBlank(line[i]) { i += 1 }
                fields.append(String(decoding: line[s..<i], as: UTF8.self))
            }
            return
        }
        let quote = UInt8(ascii: "\"")
        var i = line.startIndex
        while true {
            while i < line.endIndex && line[i] != sep && isBlank(line[i]) { i += 1 }
            if i < line.endIndex && line[i] == quote {
                var value: [UInt8] = []
                i += 1
                var closed = false
                while i < line.endIndex {
                    if line[i] == quote {
                        if i + 1 < line.endIndex && line[i + 1] == quote {
                            value.append(quote); i += 2; continue
                        }
                        i += 1; closed = true; break
                    }
                    value.append(line[i]); i += 1
                }
                guard closed else {
                    throw ArrayIOError.parseError(
                        path: path, line: lineNumber, column: fields.count + 1, reason: "unterminated quoted field")
                }
                while i < line.endIndex && line[i] != sep && isBlank(line[i]) { i += 1 }
                if i < line.endIndex && line[i] != sep {
                    throw ArrayIOError.parseError(
                        path: path, line: lineNumber, column: fields.count + 1,
                        reason: "unexpected text after a quoted field")
                }
                fields.append(String(decoding: value, as: UTF8.self))
            } else {
                let s = i
                while i < line.endIndex && line[i] != sep { i += 1 }
                var e = i
                while e > s && isBlank(line[e - 1]) { e -= 1 }
                fields.append(String(decoding: line[s..<e], as: UTF8.self))
            }
            guard i < line.endIndex else { return }
            i += 1  // the separator; a trailing separator yields a final empty field
        }
    }

    /// Writes a CSV table atomically: one header line (omitted if `header` is empty) and one
    /// line per row, fields separated by commas, lines ended by `\n`. Fields containing a
    /// comma, a double quote, a line break or leading/trailing blanks are quoted as in
    /// RFC 4180 (`"` doubled); so are fields that would otherwise make a line look blank or
    /// like a `#` comment. With a non-empty header every row must have `header.count` fields.
    public static func writeTable(header: [String], rows: [[String]], to url: URL) throws {
        let out = try csvText(header: header, rows: rows, path: url.path)
        let file = try AtomicFileWriter(url: url)
        try Array(out.utf8).withUnsafeBytes { try file.write($0) }
        try file.commit()
    }

    /// The CSV text `writeTable` writes (`path` names the table in a ragged-row error).
    public static func csvText(header: [String], rows: [[String]], path: String) throws -> String {
        var out = ""
        if !header.isEmpty { appendCSVLine(header, to: &out) }
        for (r, row) in rows.enumerated() {
            if !header.isEmpty && row.count != header.count {
                throw ArrayIOError.raggedRow(
                    path: path, line: r + 2, expectedColumns: header.count, foundColumns: row.count,
                    referenceLine: 1)
            }
            appendCSVLine(row, to: &out)
        }
        return out
    }

    private static func appendCSVLine(_ fields: [String], to out: inout String) {
        for (i, f) in fields.enumerated() {
            if i > 0 { out += "," }
            out += csvField(f, first: i == 0, only: fields.count == 1)
        }
        out += "\n"
    }

    /// One field with RFC 4180 quoting when needed.
    static func csvField(_ field: String, first: Bool, only: Bool) -> String {
        var needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        if let c = field.first, c == " " || c == "\t" { needsQuotes = true }
        if let c = field.last, c == " " || c == "\t" { needsQuotes = true }
        if first && field.hasPrefix("#") { needsQuotes = true }
        if only && field.isEmpty { needsQuotes = true }
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
