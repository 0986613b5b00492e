import Foundation
import TOMLKit
import WMCore

/// Decoding of JSON/TOML configuration files with checks for unknown keys.
public enum ConfigFile {
    /// Decodes `T` from a `.json` or `.toml` file. `allowed` maps a table name ("" = top level)
    /// to its permitted keys.
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL, allowed: [String: Set<String>]) throws -> T {
        guard let raw = FileManager.default.contents(atPath: url.path), let text = String(data: raw, encoding: .utf8) else {
            throw WMError.file(path: url.path, reason: "cannot read the configuration file")
        }
        let json: Data
        switch url.pathExtension.lowercased() {
        case "toml":
            do {
                let table = try TOMLTable(string: text)
                json = Data(table.convert(to: .json).utf8)
            } catch let e as TOMLParseError {
                throw WMError.file(path: url.path, reason: "TOML error at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
            }
        case "json":
            json = raw
        default:
            throw WMError.file(path: url.path, reason: "unknown configuration type; use a .json or .toml file")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw WMError.file(path: url.path, reason: "invalid JSON: \(error.localizedDescription)")
        }
        guard let top = object as? [String: Any] else { throw WMError.file(path: url.path, reason: "the top level must be a table/object") }
        try checkKeys(top, table: "", allowed: allowed, path: url.path)
        do { return try JSONDecoder().decode(T.self, from: json) } catch let e as WMError {
            throw WMError.file(path: url.path, reason: e.description)
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw WMError.file(path: url.path, reason: "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw WMError.file(path: url.path, reason: "invalid value at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch {
            throw WMError.file(path: url.path, reason: "\(error)")
        }
    }

    static func checkKeys(_ obj: [String: Any], table: String, allowed: [String: Set<String>], path: String) throws {
        guard let ok = allowed[table] else { return }
        for key in obj.keys.sorted() where !ok.contains(key) {
            let place = table.isEmpty ? "top level" : "[\(table)]"
            throw WMError.file(path: path, reason: "unknown key '\(key)' at \(place); known keys: \(ok.sorted().joined(separator: ", "))")
        }
        for (key, value) in obj {
            let name = table.isEmpty ? key : table + "." + key
            if let sub = value as? [String: Any] {
                try checkKeys(sub, table: name, allowed: allowed, path: path)
            } else if let items = value as? [Any] {
                // Arrays of tables ([[axes]]) are checked against their table name.
                for case let sub as [String: Any] in items { try checkKeys(sub, table: name, allowed: allowed, path: path) }
            }
        }
    }
}
