import COpenCL

// Internal helpers for the clGet*Info family: each query is done in two steps
// (size, then value) for strings, and in one step for fixed-size scalars.

/// Calls a `clGet*Info`-shaped function for a string value.
/// - Parameters:
///   - operation: the C function's name, for errors.
///   - query: the function with its object and parameter already applied:
///     `(valueSize, value, sizeReturned) -> status`.
func clInfoString(
    _ operation: String, _ detail: @autoclosure () -> String = "",
    _ query: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
) throws(CLError) -> String {
    var size = 0
    try clCheck(query(0, nil, &size), operation, detail())
    if size == 0 { return "" }
    var bytes = [UInt8](repeating: 0, count: size)
    let status = bytes.withUnsafeMutableBytes { query(size, $0.baseAddress, nil) }
    try clCheck(status, operation, detail())
    let text = bytes.prefix { $0 != 0 }
    return String(decoding: text, as: UTF8.self)
}

/// Calls a `clGet*Info`-shaped function for a fixed-size scalar value.
func clInfoScalar<T: BitwiseCopyable>(
    _ type: T.Type, _ operation: String, _ detail: @autoclosure () -> String = "",
    _ query: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
) throws(CLError) -> T {
    let size = MemoryLayout<T>.size
    var raw = [UInt8](repeating: 0, count: size)
    let status = raw.withUnsafeMutableBytes { query(size, $0.baseAddress, nil) }
    try clCheck(status, operation, detail())
    return raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
}

/// Reads a string device property (`CL_DEVICE_NAME`, …), trimmed.
func clDeviceString(_ device: cl_device_id, _ param: Int32) throws(CLError) -> String {
    try clInfoString("clGetDeviceInfo", "param 0x\(String(param, radix: 16))") {
        clGetDeviceInfo(device, cl_device_info(param), $0, $1, $2)
    }.trimmingTrailingWhitespace()
}

/// Reads a scalar device property (`CL_DEVICE_MAX_COMPUTE_UNITS`, …).
func clDeviceScalar<T: BitwiseCopyable>(_ device: cl_device_id, _ param: Int32, as type: T.Type) throws(CLError) -> T {
    try clInfoScalar(type, "clGetDeviceInfo", "param 0x\(String(param, radix: 16))") {
        clGetDeviceInfo(device, cl_device_info(param), $0, $1, $2)
    }
}

/// Reads a string platform property (`CL_PLATFORM_NAME`, …), trimmed.
func clPlatformString(_ platform: cl_platform_id, _ param: Int32) throws(CLError) -> String {
    try clInfoString("clGetPlatformInfo", "param 0x\(String(param, radix: 16))") {
        clGetPlatformInfo(platform, cl_platform_info(param), $0, $1, $2)
    }.trimmingTrailingWhitespace()
}
