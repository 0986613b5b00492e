import COpenCL

/// Finds the OpenCL platforms and devices on this machine and picks one for
/// the `auto` backend choice.
public enum CLDiscovery {
    /// Every device of every platform, in platform then device order.
    ///
    /// - Throws: a `CLError` with code `CL_PLATFORM_NOT_FOUND_KHR` (-1001) whose
    ///   description explains how to install a runtime when no OpenCL platform is
    ///   registered (`isNoRuntime` is `true`); `CL_DEVICE_NOT_FOUND` when the
    ///   platforms expose no device; otherwise the first failing query's error.
    ///   Platforms that fail to list their devices are skipped when another
    ///   platform has devices.
    public static func devices() throws -> [CLDeviceInfo] {
        try enumerate().map(\.info)
    }

    /// The device the `auto` rule picks: the best GPU (most compute units ×
    /// clock MHz, ties broken by most global memory, then by lowest index); if
    /// there is no GPU, the best other device by the same score. `nil` when
    /// `devices` is empty.
    /// - Parameter devices: the candidates, usually `try CLDiscovery.devices()`.
    public static func preferredDevice(from devices: [CLDeviceInfo]) -> CLDeviceInfo? {
        let gpus = devices.filter(\.isGPU)
        let pool = gpus.isEmpty ? devices : gpus
        return pool.min { better($0, than: $1) }
    }

    /// Strict ordering for `preferredDevice`: `a` sorts before `b` when it is better.
    static func better(_ a: CLDeviceInfo, than b: CLDeviceInfo) -> Bool {
        let scoreA = a.computeUnits * max(a.maxClockMHz, 1)
        let scoreB = b.computeUnits * max(b.maxClockMHz, 1)
        if scoreA != scoreB { return scoreA > scoreB }
        if a.globalMemBytes != b.globalMemBytes { return a.globalMemBytes > b.globalMemBytes }
        if a.platformIndex != b.platformIndex { return a.platformIndex < b.platformIndex }
        return a.deviceIndex < b.deviceIndex
    }

    /// The error thrown when there is no OpenCL runtime.
    static func noRuntimeError(_ detail: String) -> CLError {
        CLError(code: CLError.platformNotFoundKHR, operation: "clGetPlatformIDs", detail: detail)
    }

    /// The platform ids, or the no-runtime error.
    static func platformIDs() throws(CLError) -> [cl_platform_id?] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == CLError.platformNotFoundKHR {
            throw noRuntimeError("no OpenCL platform is registered with the ICD loader")
        }
        try clCheck(status, "clGetPlatformIDs")
        if count == 0 {
            throw noRuntimeError("clGetPlatformIDs returned 0 platforms")
        }
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try clCheck(clGetPlatformIDs(count, &ids, nil), "clGetPlatformIDs")
        return ids
    }

    /// The device ids of one platform (empty when it has none).
    static func deviceIDs(platform: cl_platform_id) throws(CLError) -> [cl_device_id?] {
        let all = cl_device_type(CL_DEVICE_TYPE_ALL)
        var count: cl_uint = 0
        let status = clGetDeviceIDs(platform, all, 0, nil, &count)
        if status == CL_DEVICE_NOT_FOUND || (status == CL_SUCCESS && count == 0) { return [] }
        try clCheck(status, "clGetDeviceIDs")
        var ids = [cl_device_id?](repeating: nil, count: Int(count))
        try clCheck(clGetDeviceIDs(platform, all, count, &ids, nil), "clGetDeviceIDs")
        return ids
    }

    /// Handles and descriptions of all devices (see `devices()` for the errors).
    static func enumerate() throws(CLError) -> [(device: cl_device_id, info: CLDeviceInfo)] {
        var found: [(device: cl_device_id, info: CLDeviceInfo)] = []
        var firstError: CLError?
        for (platformIndex, platform) in try platformIDs().enumerated() {
            guard let platform else { continue }
            do {
                for (deviceIndex, device) in try deviceIDs(platform: platform).enumerated() {
                    guard let device else { continue }
                    let info = try CLDeviceInfo(
                        platform: platform, device: device,
                        platformIndex: platformIndex, deviceIndex: deviceIndex)
                    found.append((device, info))
                }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if found.isEmpty {
            if let firstError { throw firstError }
            throw CLError(
                code: CL_DEVICE_NOT_FOUND, operation: "clGetDeviceIDs",
                detail: "OpenCL platforms are installed but none exposes a device")
        }
        return found
    }
}
