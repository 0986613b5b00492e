/// A failed `clBuildProgram`: the status code plus the compiler's build log for
/// every device the program was built for. `description` includes the logs, so
/// printing the error shows the compiler's message (file, line, identifier).
public struct CLBuildError: Error, CustomStringConvertible {
    /// The build log of one device.
    public struct DeviceLog: Sendable, Equatable {
        /// The device's name (`CL_DEVICE_NAME`).
        public let deviceName: String
        /// The full `CL_PROGRAM_BUILD_LOG` text for that device (may be empty).
        public let log: String

        /// Creates a log entry.
        public init(deviceName: String, log: String) {
            self.deviceName = deviceName
            self.log = log
        }
    }

    /// The OpenCL status code, usually `CL_BUILD_PROGRAM_FAILURE` (-11) or
    /// `CL_INVALID_BUILD_OPTIONS` (-43).
    public let code: Int32
    /// The build options that were passed to the compiler.
    public let options: String
    /// One log per device.
    public let logs: [DeviceLog]

    /// Creates a build error.
    public init(code: Int32, options: String, logs: [DeviceLog]) {
        self.code = code
        self.options = options
        self.logs = logs
    }

    /// All device logs joined into one text.
    public var log: String { logs.map(\.log).joined(separator: "\n") }

    /// The same failure as a plain `CLError` (operation `clBuildProgram`), without the log.
    public var clError: CLError {
        CLError(code: code, operation: "clBuildProgram", detail: options.isEmpty ? "" : "options: \(options)")
    }

    /// The status, the options and every device's build log.
    public var description: String {
        var text = "OpenCL program build failed: \(CLError.name(for: code)) (\(code))"
        if !options.isEmpty { text += " with options '\(options)'" }
        if logs.isEmpty { text += "\n(no build log available)" }
        for entry in logs {
            let body = entry.log.trimmingTrailingWhitespace()
            text += "\n--- build log for \(entry.deviceName) ---\n"
            text += body.isEmpty ? "(empty)" : body
        }
        return text
    }
}

extension String {
    /// The string without trailing spaces, tabs, newlines and NULs.
    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace || last == "\0" { scalars.removeLast() }
        return String(scalars)
    }
}
