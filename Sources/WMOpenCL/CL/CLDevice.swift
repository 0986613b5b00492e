import COpenCL

/// One OpenCL device: its `cl_device_id` and its `CLDeviceInfo`.
///
/// Root device ids are owned by the platform and need no release.
public final class CLDevice: @unchecked Sendable {
    /// The raw device id (valid for the life of the process).
    let handle: cl_device_id
    /// The device's properties.
    public let info: CLDeviceInfo

    init(handle: cl_device_id, info: CLDeviceInfo) {
        self.handle = handle
        self.info = info
    }

    /// Opens the device described by `info` (located by `platformIndex` and
    /// `deviceIndex`, checked against `deviceName`).
    /// - Throws: `CLError` (`CL_DEVICE_NOT_FOUND` when the device is no longer there).
    public convenience init(_ info: CLDeviceInfo) throws {
        let all = try CLDiscovery.enumerate()
        guard let match = all.first(where: {
            $0.info.platformIndex == info.platformIndex && $0.info.deviceIndex == info.deviceIndex
                && $0.info.deviceName == info.deviceName
        }) else {
            throw CLError(
                code: CL_DEVICE_NOT_FOUND, operation: "CLDevice.init",
                detail: "no device '\(info.deviceName)' at platform \(info.platformIndex), device \(info.deviceIndex)")
        }
        self.init(handle: match.device, info: match.info)
    }

    /// Every device on this machine (see `CLDiscovery.devices()` for the errors).
    public static func all() throws -> [CLDevice] {
        try CLDiscovery.enumerate().map { CLDevice(handle: $0.device, info: $0.info) }
    }

    /// The device chosen by the `auto` rule (`CLDiscovery.preferredDevice(from:)`).
    /// - Throws: `CLError` when there is no runtime or no device.
    public static func preferred() throws -> CLDevice {
        let all = try all()
        guard let info = CLDiscovery.preferredDevice(from: all.map(\.info)),
              let device = all.first(where: { $0.info == info })
        else {
            throw CLError(code: CL_DEVICE_NOT_FOUND, operation: "CLDevice.preferred", detail: "no OpenCL device")
        }
        return device
    }
}
