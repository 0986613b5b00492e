import Foundation
import XCTest
import WMTestSupport

/// Runs the built `wmsim` binary as a user would.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The folder holding the built products (next to the .xctest bundle).
    static var productsDirectory: URL {
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") { return b.bundleURL.deletingLastPathComponent() }
        return Bundle.main.bundleURL
    }

    static var binary: URL { productsDirectory.appendingPathComponent("wmsim") }

    @discardableResult
    static func run(_ args: [String], env: [String: String] = [:], cwd: URL? = nil, executable: URL? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = executable ?? binary
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting so a full pipe cannot block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: r, as: UTF8.self))
    }

    static func tempDir(_ name: String) -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("wmsim-cli-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func json(_ url: URL) throws -> [String: Any] {
        let d = try Data(contentsOf: url)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: d) as? [String: Any])
    }

    /// Runs `scripts/NAME` with python3: exit status and the combined output.
    static func pythonScript(_ name: String, _ args: [String]) throws -> (status: Int32, output: String) {
        try PythonScripts.run(name, args)
    }

    static var hasNumPy: Bool { PythonScripts.hasNumPyAndSciPy }
}
