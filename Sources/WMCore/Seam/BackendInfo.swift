/// Which compute backend and device ran something (recorded in every output).
public struct BackendInfo: Codable, Sendable, Hashable {
    /// "cpu" or "opencl".
    public var kind: String
    /// Device name (CPU model or OpenCL device).
    public var device: String
    /// OpenCL platform, if any.
    public var platform: String?
    /// Free-form details (driver, compute units, build options).
    public var details: String?

    public init(kind: String, device: String, platform: String? = nil, details: String? = nil) {
        self.kind = kind
        self.device = device
        self.platform = platform
        self.details = details
    }

    /// "kind: device" ("cpu: AMD EPYC 7763", "opencl: NVIDIA H200"): where a result was computed,
    /// as the rows of results files record it.
    public var label: String { "\(kind): \(device)" }
}
