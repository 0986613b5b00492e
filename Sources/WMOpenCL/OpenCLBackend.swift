import Foundation
import WMCore

/// The OpenCL backend: one device, one context, one in-order queue, programs cached by options.
public final class OpenCLBackend: Backend, @unchecked Sendable {
    public let device: CLDevice
    public let context: CLContext
    public let queue: CLQueue
    public let info: BackendInfo
    private var programs: [String: CLProgram] = [:]
    private let lock = NSLock()

    /// Opens `device`.
    public init(device: CLDevice) throws {
        self.device = device
        context = try CLContext(device: device)
        queue = try CLQueue(context: context)
        let d = device.info
        info = BackendInfo(
            kind: "opencl", device: d.deviceName, platform: d.platformName,
            details: "\(d.deviceType), \(d.computeUnits) CU, \(formatBytes(Int(d.globalMemBytes))) global, \(d.openCLCVersion), driver \(d.driverVersion)")
    }

    /// Opens the device picked by `selector`: nil/"auto" (GPU first), an index into
    /// `CLDiscovery.devices()`, or a case-insensitive substring of the device or platform name.
    public convenience init(selector: String?) throws {
        try self.init(device: OpenCLBackend.select(selector))
    }

    /// Resolves a device selector (see `init(selector:)`).
    public static func select(_ selector: String?) throws -> CLDevice {
        let all = try CLDevice.all()
        guard !all.isEmpty else { throw CLError(code: -1, operation: "device selection", detail: "no OpenCL device found") }
        guard let s = selector?.trimmingCharacters(in: .whitespaces), !s.isEmpty, s.lowercased() != "auto" else {
            return try CLDevice.preferred()
        }
        if let i = Int(s) {
            guard i >= 0 && i < all.count else {
                throw WMError.invalidParameter(name: "device", value: s, expected: "an index in 0..<\(all.count) (see `wmsim devices`)")
            }
            return all[i]
        }
        let matches = all.filter { ($0.info.deviceName + " " + $0.info.platformName).lowercased().contains(s.lowercased()) }
        guard let first = matches.first else {
            throw WMError.invalidParameter(name: "device", value: s, expected: "an index or part of a device name; found: " + all.map(\.info.deviceName).joined(separator: ", "))
        }
        return first
    }

    /// The program built with `options` (cached).
    public func program(options: String) throws -> CLProgram {
        lock.lock()
        defer { lock.unlock() }
        if let p = programs[options] { return p }
        let p = try CLProgram(context: context, source: try KernelLibrary.programSource(), options: options)
        programs[options] = p
        return p
    }

    public func makeEngine(ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws -> any SimulationEngine {
        try OpenCLEngine(backend: self, ensemble: ensemble, networks: networks, input: input, options: options)
    }
}
