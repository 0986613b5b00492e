import Foundation

/// Runs a helper program (the Python peers) to completion.
enum ChildProcess {
    /// `/usr/bin/env ARGS…`: exit status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: Data, error: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read stderr on another thread so that neither pipe can fill up and block the child.
        let errBox = ErrorText()
        let reader = Thread { errBox.text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        reader.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return (p.terminationStatus, data, errBox.text)
    }

    private final class ErrorText: @unchecked Sendable { var text = "" }
}
