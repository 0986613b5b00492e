import COpenCL
import Foundation

/// An OpenCL program built from source for its context's device; released when
/// the last reference goes.
public final class CLProgram: @unchecked Sendable {
    /// The raw `cl_program`.
    let handle: cl_program
    /// The context the program was built in.
    public let context: CLContext
    /// The build options used (e.g. `"-cl-fast-relaxed-math -DN=4"`).
    public let options: String
    /// The compiler's log of the successful build (warnings; often empty).
    public let buildLog: String

    /// Compiles and links `source` for the context's device.
    /// - Parameters:
    ///   - context: the context whose device to build for.
    ///   - source: OpenCL C source text.
    ///   - options: compiler options passed to `clBuildProgram`.
    /// - Throws: `CLBuildError` with the device's build log when compilation
    ///   fails; `CLError` when the program object cannot be created.
    public init(context: CLContext, source: String, options: String = "") throws {
        guard let copy = strdup(source) else {
            throw CLError(code: CL_OUT_OF_HOST_MEMORY, operation: "clCreateProgramWithSource", detail: "strdup failed")
        }
        defer { free(copy) }
        var sources: [UnsafePointer<CChar>?] = [UnsafePointer(copy)]
        var status: cl_int = CL_SUCCESS
        let created = clCreateProgramWithSource(context.handle, 1, &sources, nil, &status)
        try clCheck(status, "clCreateProgramWithSource", "\(source.utf8.count) bytes of source")
        guard let program = created else {
            throw CLError(code: CL_OUT_OF_HOST_MEMORY, operation: "clCreateProgramWithSource", detail: "returned NULL")
        }
        var deviceID: cl_device_id? = context.device.handle
        let buildStatus = clBuildProgram(program, 1, &deviceID, options, nil, nil)
        let log = (try? CLProgram.buildLog(program: program, device: context.device.handle)) ?? ""
        if buildStatus != CL_SUCCESS {
            clReleaseProgram(program)
            throw CLBuildError(
                code: buildStatus, options: options,
                logs: [.init(deviceName: context.device.info.deviceName, log: log)])
        }
        self.handle = program
        self.context = context
        self.options = options
        self.buildLog = log.trimmingTrailingWhitespace()
    }

    deinit {
        clReleaseProgram(handle)
    }

    /// The kernel function names in the program (`CL_PROGRAM_KERNEL_NAMES`).
    public func kernelNames() throws -> [String] {
        let joined = try clInfoString("clGetProgramInfo", "CL_PROGRAM_KERNEL_NAMES") {
            clGetProgramInfo(handle, cl_program_info(CL_PROGRAM_KERNEL_NAMES), $0, $1, $2)
        }
        return joined.split(separator: ";").map { String($0) }.filter { !$0.isEmpty }.sorted()
    }

    /// Creates the kernel `name` (same as `CLKernel(program: self, name: name)`).
    public func kernel(_ name: String) throws -> CLKernel {
        try CLKernel(program: self, name: name)
    }

    /// Reads `CL_PROGRAM_BUILD_LOG` for one device.
    static func buildLog(program: cl_program, device: cl_device_id) throws(CLError) -> String {
        try clInfoString("clGetProgramBuildInfo", "CL_PROGRAM_BUILD_LOG") {
            clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), $0, $1, $2)
        }
    }
}
