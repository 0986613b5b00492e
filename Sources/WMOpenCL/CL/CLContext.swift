import COpenCL

/// An OpenCL context for a single device; released when the last reference goes.
public final class CLContext: @unchecked Sendable {
    /// The raw `cl_context`.
    let handle: cl_context
    /// The device the context was created for.
    public let device: CLDevice

    /// Creates a context holding `device`.
    /// - Throws: `CLError` from `clCreateContext`.
    public init(device: CLDevice) throws {
        var status: cl_int = CL_SUCCESS
        var deviceID: cl_device_id? = device.handle
        let context = clCreateContext(nil, 1, &deviceID, nil, nil, &status)
        try clCheck(status, "clCreateContext", "device '\(device.info.deviceName)'")
        guard let context else {
            throw CLError(code: CL_OUT_OF_HOST_MEMORY, operation: "clCreateContext", detail: "returned NULL")
        }
        self.handle = context
        self.device = device
    }

    deinit {
        clReleaseContext(handle)
    }
}
