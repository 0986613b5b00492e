// A parser for the Python dictionary literal in NPY headers.

import Foundation

// MARK: - Python literal parser (NPY headers)

/// A minimal parser for the Python literals found in NPY headers: dicts, tuples, lists,
/// strings, integers, booleans and None.
struct PyLiteralParser {
    indirect enum Value {
        case dict([(String, Value)])
        case tuple([Value])
        case list([Value])
        case string(String)
        case int(Int)
        case bool(Bool)
        case none

        /// Python-like rendering for error messages.
        var python: String {
            switch self {
            case .dict(let e): return "{" + e.map { "'\($0.0)': \($0.1.python)" }.joined(separator: ", ") + "}"
            case .tuple(let v): return v.count == 1 ? "(\(v[0].python),)" : "(" + v.map(\.python).joined(separator: ", ") + ")"
            case .list(let v): return "[" + v.map(\.python).joined(separator: ", ") + "]"
            case .string(let s): return "'\(s)'"
            case .int(let i): return String(i)
            case .bool(let b): return b ? "True" : "False"
            case .none: return "None"
            }
        }
    }

    struct Failure: Error { var message: String }

    private let chars: [Character]
    private var pos = 0
    private var depth = 0

    init(text: String) { chars = Array(text) }

    /// Parses one literal followed only by whitespace.
    mutating func parseDocument() throws -> Value {
        let v = try parseValue()
        skipSpace()
        guard pos == chars.count else { throw fail("unexpected text after the dictionary") }
        return v
    }

    private func fail(_ what: String) -> Failure {
        Failure(message: "\(what) at character \(pos + 1)")
    }

    private mutating func skipSpace() {
        while pos < chars.count, chars[pos].isWhitespace { pos += 1 }
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        guard pos < chars.count else { throw fail("unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw fail("nesting too deep") }
        let c = chars[pos]
        switch c {
        case "{": return try parseDict()
        case "(": return try parseSequence(close: ")").tuple
        case "[": return .list(try parseSequence(close: "]").items)
        case "'", "\"": return .string(try parseString())
        default:
            if c == "-" || c == "+" || c.isASCII && c.isNumber { return .int(try parseInt()) }
            let word = parseWord()
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default: throw fail(word.isEmpty ? "unexpected character '\(c)'" : "unexpected word '\(word)'")
            }
        }
    }

    private mutating func parseWord() -> String {
        var s = ""
        while pos < chars.count, chars[pos].isLetter || chars[pos] == "_" {
            s.append(chars[pos]); pos += 1
        }
        return s
    }

    private mutating func parseInt() throws -> Int {
        var s = ""
        if chars[pos] == "-" || chars[pos] == "+" { s.append(chars[pos]); pos += 1 }
        while pos < chars.count, chars[pos].isASCII, chars[pos].isNumber { s.append(chars[pos]); pos += 1 }
        if pos < chars.count, chars[pos] == "L" || chars[pos] == "l" { pos += 1 }  // Python 2 long
        guard let v = Int(s) else { throw fail("bad integer '\(s)'") }
        return v
    }

    private mutating func parseString() throws -> String {
        let quote = chars[pos]
        pos += 1
        var s = ""
        while pos < chars.count {
            let c = chars[pos]
            pos += 1
            if c == quote { return s }
            if c == "\\" {
                guard pos < chars.count else { break }
                s.append(chars[pos]); pos += 1
            } else {
                s.append(c)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseSequence(close: Character) throws -> (items: [Value], tuple: Value) {
        pos += 1  // opening bracket
        var items: [Value] = []
        var sawComma = false
        while true {
            skipSpace()
            guard pos < chars.count else { throw fail("missing '\(close)'") }
            if chars[pos] == close { pos += 1; break }
            items.append(try parseValue())
            skipSpace()
            guard pos < chars.count else { throw fail("missing '\(close)'") }
            if chars[pos] == "," { pos += 1; sawComma = true; continue }
            guard chars[pos] == close else { throw fail("expected ',' or '\(close)'") }
            pos += 1
            break
        }
        // A parenthesised single value without a comma is just that value, as in Python.
        if close == ")" && items.count == 1 && !sawComma { return (items, items[0]) }
        return (items, .tuple(items))
    }

    private mutating func parseDict() throws -> Value {
        pos += 1  // {
        var entries: [(String, Value)] = []
        while true {
            skipSpace()
            guard pos < chars.count else { throw fail("missing '}'") }
            if chars[pos] == "}" { pos += 1; break }
            guard chars[pos] == "'" || chars[pos] == "\"" else { throw fail("expected a string key") }
            let key = try parseString()
            skipSpace()
            guard pos < chars.count, chars[pos] == ":" else { throw fail("expected ':' after key '\(key)'") }
            pos += 1
            let v = try parseValue()
            if entries.contains(where: { $0.0 == key }) { throw fail("duplicate key '\(key)'") }
            entries.append((key, v))
            skipSpace()
            guard pos < chars.count else { throw fail("missing '}'") }
            if chars[pos] == "," { pos += 1; continue }
            guard chars[pos] == "}" else { throw fail("expected ',' or '}'") }
            pos += 1
            break
        }
        return .dict(entries)
    }
}
