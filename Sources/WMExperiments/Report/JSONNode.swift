import Foundation
import WMCore

/// A value inside a JSON document that knows where it came from: the file (relative to the
/// report), the line of a JSON Lines file, and its JSON pointer (RFC 6901). The report marks
/// every number it copies from a file with that address, so a reader (or a test) can check the
/// page against the files.
public struct JSONNode: Sendable {
    /// The parsed value, nil where the path does not exist.
    public let value: JSONValue?
    public let source: String
    /// 0-based line of a JSON Lines file; nil for a JSON file.
    public let line: Int?
    public let pointer: String

    public init(value: JSONValue?, source: String, line: Int? = nil, pointer: String = "") {
        self.value = value
        self.source = source
        self.line = line
        self.pointer = pointer
    }

    /// Reads a JSON file.
    public static func read(_ url: URL, source: String) throws -> JSONNode {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WMError.file(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "cannot read it" : "does not exist")
        }
        do {
            return JSONNode(value: try JSONDecoder().decode(JSONValue.self, from: data), source: source)
        } catch {
            throw WMError.file(path: url.path, reason: "not valid JSON")
        }
    }

    /// Reads every line of a JSON Lines file that parses (a broken tail line is skipped).
    public static func readLines(_ url: URL, source: String) throws -> [JSONNode] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw WMError.file(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "cannot read it" : "does not exist")
        }
        var out: [JSONNode] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            if let v = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)) { out.append(JSONNode(value: v, source: source, line: k)) }
        }
        return out
    }

    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public subscript(_ key: String) -> JSONNode {
        var v: JSONValue? = nil
        if case .object(let o)? = value { v = o[key] }
        return JSONNode(value: v, source: source, line: line, pointer: pointer + "/" + Self.escape(key))
    }

    public subscript(_ index: Int) -> JSONNode {
        var v: JSONValue? = nil
        if case .array(let a)? = value, a.indices.contains(index) { v = a[index] }
        return JSONNode(value: v, source: source, line: line, pointer: pointer + "/\(index)")
    }

    public var exists: Bool {
        if case .null? = value { return false }
        return value != nil
    }

    /// A number; the encoder writes NaN and infinities as strings.
    public var double: Double? {
        switch value {
        case .number(let d)?: return d
        case .integer(let i)?: return Double(i)
        case .string("NaN")?: return .nan
        case .string("Infinity")?: return .infinity
        case .string("-Infinity")?: return -.infinity
        default: return nil
        }
    }

    public var int: Int? {
        if case .integer(let i)? = value { return Int(exactly: i) }
        return double.flatMap { $0.isFinite && $0 == $0.rounded() && abs($0) < 9e15 ? Int($0) : nil }
    }
    public var bool: Bool? { if case .bool(let b)? = value { return b } else { return nil } }
    public var string: String? { if case .string(let s)? = value { return s } else { return nil } }
    public var array: [JSONNode] { if case .array(let a)? = value { return a.indices.map { self[$0] } } else { return [] } }
    public var keys: [String] { if case .object(let o)? = value { return o.keys.sorted() } else { return [] } }
    public var strings: [String] { array.compactMap(\.string) }
    public var doubles: [Double] { array.compactMap(\.double) }

    /// A short text for values shown as they are (settings, names).
    public var text: String {
        switch value {
        case nil, .null?: return "—"
        case .string(let s)?: return s
        case .bool(let b)?: return b ? "true" : "false"
        case .number(let d)?: return HTMLReport.format(d, digits: 17)
        case .integer(let i)?: return String(i)
        case .array?: return "[" + array.map(\.text).joined(separator: ", ") + "]"
        case .object?: return "{" + keys.map { "\($0): \(self[$0].text)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A parsed JSON value.
public enum JSONValue: Sendable, Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    /// An integer that fits Int64, kept exact (seeds above 2^53 are not Doubles).
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }
}
