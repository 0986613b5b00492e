import Foundation
import WMCore

/// Where a result came from: recorded in every JSON output.
public struct Provenance: Codable, Sendable {
    public var tool = "wmsim"
    public var version = WMSimVersion.string
    public var command: [String]
    public var date: String
    public var host: String
    public var backend: BackendInfo

    public init(backend: BackendInfo, command: [String] = CommandLine.arguments) {
        self.backend = backend
        self.command = command
        date = ISO8601DateFormatter().string(from: Date())
        host = ProcessInfo.processInfo.hostName
    }
}

/// JSON writing shared by every command (pretty, sorted keys, atomic).
public enum JSONOutput {
    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do { try enc.encode(value).write(to: url, options: .atomic) } catch {
            throw WMError.file(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    public static func string<T: Encodable>(_ value: T) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? enc.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}
