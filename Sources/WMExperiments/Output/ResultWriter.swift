import Foundation
import WMCore

/// Every result file wmsim writes goes through here: JSON (sorted keys, NaN and ±∞ as strings),
/// text (CSV, SVG, scripts), always written atomically, with one clear error naming the path.
public enum ResultWriter {
    /// The JSON encoder of result files: sorted keys (stable diffs and fingerprints), NaN and
    /// ±∞ as the strings "NaN", "Infinity", "-Infinity"; pretty-printed for files people read.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return enc
    }

    /// Writes `value` as pretty JSON.
    public static func json<T: Encodable>(_ value: T, to url: URL) throws {
        let data: Data
        do { data = try encoder().encode(value) } catch {
            throw WMError.file(path: url.path, reason: "cannot encode the result: \(error)")
        }
        try bytes(data, to: url)
    }

    /// Writes `text` (UTF-8).
    public static func text(_ text: String, to url: URL) throws {
        try bytes(Data(text.utf8), to: url)
    }

    /// Writes `data`, replacing the file atomically (a reader never sees half a file).
    public static func bytes(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch {
            throw WMError.file(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// `value` as pretty JSON text (stdout).
    public static func string<T: Encodable>(_ value: T) -> String {
        (try? encoder().encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}
