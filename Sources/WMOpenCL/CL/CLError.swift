import COpenCL

/// An error returned by an OpenCL API call (or detected by the wrapper before
/// making one), carrying the raw status code, the failing operation and context.
///
/// `description` names the symbolic constant (e.g. `CL_INVALID_BUFFER_SIZE`)
/// and, for a missing runtime (`CL_PLATFORM_NOT_FOUND_KHR`, -1001), tells how
/// to install one.
public struct CLError: Error, CustomStringConvertible {
    /// The OpenCL status code (a negative `cl_int`, e.g. -61 for `CL_INVALID_BUFFER_SIZE`).
    public let code: Int32
    /// The C function (or wrapper method) that failed, e.g. `"clCreateBuffer"`.
    public let operation: String
    /// Free-form context: sizes, kernel name, argument index, etc. May be empty.
    public let detail: String

    /// Creates an error value.
    /// - Parameters:
    ///   - code: the OpenCL status code.
    ///   - operation: the failing call, e.g. `"clEnqueueNDRangeKernel"`.
    ///   - detail: extra context for the reader.
    public init(code: Int32, operation: String, detail: String = "") {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    /// The symbolic name of `code`, e.g. `"CL_OUT_OF_RESOURCES"`.
    public var name: String { CLError.name(for: code) }

    /// `true` when the error means that no OpenCL runtime (ICD) is installed,
    /// i.e. callers should fall back to a CPU implementation.
    public var isNoRuntime: Bool { code == CLError.platformNotFoundKHR }

    /// The `CL_PLATFORM_NOT_FOUND_KHR` status code (-1001) returned by the ICD
    /// loader when no OpenCL platform is registered.
    public static let platformNotFoundKHR: Int32 = -1001

    /// Text explaining how to get an OpenCL runtime on Debian/Ubuntu.
    public static let installHint =
        "No OpenCL runtime (ICD) is installed. On Debian/Ubuntu install a CPU runtime with "
        + "`apt-get install pocl-opencl-icd`, or install your GPU vendor's OpenCL driver "
        + "(e.g. nvidia-opencl-icd, intel-opencl-icd, mesa-opencl-icd / ROCm)."

    /// A human-readable message: operation, symbolic name, code, detail and a hint where one applies.
    public var description: String {
        var text = "\(operation) failed: \(name) (\(code))"
        if !detail.isEmpty { text += ": \(detail)" }
        if let hint = CLError.hint(for: code) { text += ". " + hint }
        return text
    }

    /// The symbolic OpenCL name of a status code, or `"CL_UNKNOWN_ERROR"`.
    /// - Parameter code: an OpenCL status code.
    public static func name(for code: Int32) -> String {
        switch code {
        case 0: return "CL_SUCCESS"
        case -1: return "CL_DEVICE_NOT_FOUND"
        case -2: return "CL_DEVICE_NOT_AVAILABLE"
        case -3: return "CL_COMPILER_NOT_AVAILABLE"
        case -4: return "CL_MEM_OBJECT_ALLOCATION_FAILURE"
        case -5: return "CL_OUT_OF_RESOURCES"
        case -6: return "CL_OUT_OF_HOST_MEMORY"
        case -7: return "CL_PROFILING_INFO_NOT_AVAILABLE"
        case -8: return "CL_MEM_COPY_OVERLAP"
        case -9: return "CL_IMAGE_FORMAT_MISMATCH"
        case -10: return "CL_IMAGE_FORMAT_NOT_SUPPORTED"
        case -11: return "CL_BUILD_PROGRAM_FAILURE"
        case -12: return "CL_MAP_FAILURE"
        case -13: return "CL_MISALIGNED_SUB_BUFFER_OFFSET"
        case -14: return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"
        case -15: return "CL_COMPILE_PROGRAM_FAILURE"
        case -16: return "CL_LINKER_NOT_AVAILABLE"
        case -17: return "CL_LINK_PROGRAM_FAILURE"
        case -18: return "CL_DEVICE_PARTITION_FAILED"
        case -19: return "CL_KERNEL_ARG_INFO_NOT_AVAILABLE"
        case -30: return "CL_INVALID_VALUE"
        case -31: return "CL_INVALID_DEVICE_TYPE"
        case -32: return "CL_INVALID_PLATFORM"
        case -33: return "CL_INVALID_DEVICE"
        case -34: return "CL_INVALID_CONTEXT"
        case -35: return "CL_INVALID_QUEUE_PROPERTIES"
        case -36: return "CL_INVALID_COMMAND_QUEUE"
        case -37: return "CL_INVALID_HOST_PTR"
        case -38: return "CL_INVALID_MEM_OBJECT"
        case -39: return "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR"
        case -40: return "CL_INVALID_IMAGE_SIZE"
        case -41: return "CL_INVALID_SAMPLER"
        case -42: return "CL_INVALID_BINARY"
        case -43: return "CL_INVALID_BUILD_OPTIONS"
        case -44: return "CL_INVALID_PROGRAM"
        case -45: return "CL_INVALID_PROGRAM_EXECUTABLE"
        case -46: return "CL_INVALID_KERNEL_NAME"
        case -47: return "CL_INVALID_KERNEL_DEFINITION"
        case -48: return "CL_INVALID_KERNEL"
        case -49: return "CL_INVALID_ARG_INDEX"
        case -50: return "CL_INVALID_ARG_VALUE"
        case -51: return "CL_INVALID_ARG_SIZE"
        case -52: return "CL_INVALID_KERNEL_ARGS"
        case -53: return "CL_INVALID_WORK_DIMENSION"
        case -54: return "CL_INVALID_WORK_GROUP_SIZE"
        case -55: return "CL_INVALID_WORK_ITEM_SIZE"
        case -56: return "CL_INVALID_GLOBAL_OFFSET"
        case -57: return "CL_INVALID_EVENT_WAIT_LIST"
        case -58: return "CL_INVALID_EVENT"
        case -59: return "CL_INVALID_OPERATION"
        case -60: return "CL_INVALID_GL_OBJECT"
        case -61: return "CL_INVALID_BUFFER_SIZE"
        case -62: return "CL_INVALID_MIP_LEVEL"
        case -63: return "CL_INVALID_GLOBAL_WORK_SIZE"
        case -64: return "CL_INVALID_PROPERTY"
        case -65: return "CL_INVALID_IMAGE_DESCRIPTOR"
        case -66: return "CL_INVALID_COMPILER_OPTIONS"
        case -67: return "CL_INVALID_LINKER_OPTIONS"
        case -68: return "CL_INVALID_DEVICE_PARTITION_COUNT"
        case -1000: return "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR"
        case -1001: return "CL_PLATFORM_NOT_FOUND_KHR"
        case -9999: return "CL_NV_ILLEGAL_BUFFER_ACCESS"
        default: return "CL_UNKNOWN_ERROR"
        }
    }

    /// Advice for codes whose usual cause is known, or `nil`.
    static func hint(for code: Int32) -> String? {
        switch code {
        case platformNotFoundKHR:
            return installHint
        case -4, -5:
            return "The device ran out of memory or resources: reduce problem size or batch size"
        case -54, -55:
            return "Global sizes must be multiples of local sizes, and local sizes within CLKernel.workGroupInfo limits"
        case -9999:
            return "A kernel accessed a buffer out of bounds"
        default:
            return nil
        }
    }
}

/// Throws a `CLError` when `status` is not `CL_SUCCESS`.
/// - Parameters:
///   - status: the value returned by an OpenCL call.
///   - operation: the name of that call.
///   - detail: context, evaluated only on failure.
@inline(__always)
func clCheck(_ status: cl_int, _ operation: String, _ detail: @autoclosure () -> String = "") throws(CLError) {
    if status != CL_SUCCESS {
        throw CLError(code: status, operation: operation, detail: detail())
    }
}
