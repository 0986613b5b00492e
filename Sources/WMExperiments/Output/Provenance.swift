import Foundation
import WMCore

/// Where a result came from: recorded in every JSON output.
public struct Provenance: Codable, Sendable {
    public var tool = "wmsim"
    public var version = WMSimVersion.string
    /// The git commit of the running wmsim ("-dirty" with local changes; nil outside a checkout).
    public var commit: String? = SourceRevision.current
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
