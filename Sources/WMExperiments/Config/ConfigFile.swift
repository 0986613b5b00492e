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
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            throw WMError.file(path: url.path, reason: "invalid value at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch DecodingError.dataCorrupted {
            // Foundation's JSONDecoder reports a number that does not fit the integer it decodes
            // (2.5, 1e30) as "not valid JSON" with no coding path; find the key ourselves.
            if let (key, value) = nonIntegerCulprit(T.self, top) {
                throw WMError.file(path: url.path, reason: "invalid value at \(key): expected an integer, found \(value)")
            }
            throw WMError.file(path: url.path, reason: "invalid value (a number out of range for its key?)")
        } catch {
            throw WMError.file(path: url.path, reason: "\(error)")
        }
    }

    /// The key (dotted path, array items as `[i]`) and value of the number that made `T`'s
    /// decoding fail without a coding path: a fraction or an out-of-range number where an integer
    /// is decoded (nil when none is found). Each such number in turn is replaced by a string;
    /// decoding runs as before up to it and then fails with a type mismatch that names the type
    /// asked for there. An integer type marks the culprit; a Double key (where 2.5 is fine) does not.
    static func nonIntegerCulprit<T: Decodable>(_: T.Type, _ top: [String: Any]) -> (key: String, value: String)? {
        var found: [(path: [Any], name: String, value: NSNumber)] = []
        func walk(_ v: Any, _ path: [Any], _ name: String) {
            if let o = v as? [String: Any] {
                for k in o.keys.sorted() { walk(o[k]!, path + [k], name.isEmpty ? k : name + "." + k) }
            } else if let a = v as? [Any] {
                for (i, x) in a.enumerated() { walk(x, path + [i], name + "[\(i)]") }
            } else if let n = v as? NSNumber, !(v is Bool) {
                let d = n.doubleValue
                if d.rounded() != d || Swift.abs(d) >= 9.2e18 { found.append((path, name, n)) }
            }
        }
        walk(top, [], "")
        func replacing(_ v: Any, at path: ArraySlice<Any>) -> Any {
            guard let head = path.first else { return "not a number" }
            if let k = head as? String, var o = v as? [String: Any] {
                o[k] = replacing(o[k]!, at: path.dropFirst())
                return o
            }
            if let i = head as? Int, var a = v as? [Any] {
                a[i] = replacing(a[i], at: path.dropFirst())
                return a
            }
            return v
        }
        for c in found {
            guard let data = try? JSONSerialization.data(withJSONObject: replacing(top, at: c.path[...])) else { continue }
            do { _ = try JSONDecoder().decode(T.self, from: data) } catch DecodingError.typeMismatch(let type, _) where "\(type)".contains("Int") {
                // A whole number beyond Int's range is a valid UInt64 (a seed): not the culprit.
                let d = c.value.doubleValue
                if type == UInt64.self && d.rounded() == d && d >= 0 && d < 0x1p64 { continue }
                return (c.name, "\(c.value)")
            } catch {}
        }
        return nil
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
