import COpenCL
import Foundation

/// One kernel function of a `CLProgram`, with its arguments; released when the
/// last reference goes.
///
/// Argument setting and launching are serialised by an internal lock, but the
/// arguments are shared state: threads that launch the same kernel with
/// different arguments should each create their own `CLKernel`.
/// Buffers passed to `setArg` are retained until replaced or until the kernel
/// is released.
public final class CLKernel: @unchecked Sendable {
    /// The raw `cl_kernel`.
    let handle: cl_kernel
    /// The program the kernel comes from.
    public let program: CLProgram
    /// The kernel function's name.
    public let name: String
    /// The number of arguments the kernel takes (`CL_KERNEL_NUM_ARGS`).
    public let argumentCount: Int
    private let lock = NSLock()
    private var retainedBuffers: [Int: CLBuffer] = [:]
    private var setIndices = Set<Int>()

    /// Creates the kernel called `name`.
    /// - Throws: `CLError` (`CL_INVALID_KERNEL_NAME`) whose detail names the
    ///   missing kernel and lists the ones that exist.
    public init(program: CLProgram, name: String) throws {
        var status: cl_int = CL_SUCCESS
        let created = clCreateKernel(program.handle, name, &status)
        guard status == CL_SUCCESS, let kernel = created else {
            if let created { clReleaseKernel(created) }
            let available = (try? program.kernelNames()) ?? []
            var detail = "no kernel named '\(name)' in the program"
            if status != CL_INVALID_KERNEL_NAME { detail = "cannot create kernel '\(name)'" }
            if !available.isEmpty { detail += " (available: \(available.joined(separator: ", ")))" }
            throw CLError(code: status == CL_SUCCESS ? CL_INVALID_KERNEL : status, operation: "clCreateKernel", detail: detail)
        }
        let count: cl_uint
        do {
            count = try clInfoScalar(cl_uint.self, "clGetKernelInfo", "kernel '\(name)'") {
                clGetKernelInfo(kernel, cl_kernel_info(CL_KERNEL_NUM_ARGS), $0, $1, $2)
            }
        } catch {
            clReleaseKernel(kernel)
            throw error
        }
        self.handle = kernel
        self.program = program
        self.name = name
        self.argumentCount = Int(count)
    }

    deinit {
        clReleaseKernel(handle)
    }

    /// Runs `body` with the kernel's lock held.
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Argument indices that were never set (caller holds the lock).
    func unsetArgumentIndices() -> [Int] {
        (0..<argumentCount).filter { !setIndices.contains($0) }
    }

    /// Sets argument `index` to a `__global`/`__constant` buffer.
    /// - Throws: `CLError` naming the kernel and index (e.g. a buffer from another context).
    public func setArg(_ index: Int, _ buffer: CLBuffer) throws {
        guard buffer.context === program.context else {
            throw CLError(code: CL_INVALID_MEM_OBJECT, operation: "clSetKernelArg",
                          detail: "kernel '\(name)' argument \(index): the buffer belongs to another context")
        }
        var mem: cl_mem? = buffer.handle
        try set(index, size: MemoryLayout<cl_mem?>.size, what: "buffer of \(buffer.byteCount) bytes") { ptr in
            withUnsafeMutablePointer(to: &mem) { ptr($0) }
        }
        withLock { retainedBuffers[index] = buffer }
    }

    /// Sets argument `index` to a scalar passed by value. The Swift type's size
    /// must match the kernel's parameter: `Float`↔`float`, `Int32`↔`int`,
    /// `UInt32`↔`uint`, `Double`↔`double`, `UInt64`/`Int64`↔`ulong`/`long`
    /// (Swift `Int` is 8 bytes: it is not an OpenCL `int`).
    /// - Throws: `CLError` (`CL_INVALID_ARG_SIZE` on a size mismatch) naming the kernel and index.
    public func setArg<T: BitwiseCopyable>(_ index: Int, _ value: T) throws {
        var copy = value
        try set(index, size: MemoryLayout<T>.size, what: "\(T.self) value \(value)") { ptr in
            withUnsafeMutablePointer(to: &copy) { ptr($0) }
        }
        withLock { _ = retainedBuffers.removeValue(forKey: index) }
    }

    /// Sets argument `index` (a `__local` pointer) to `bytes` of local memory per work-group.
    /// - Throws: `CLError` naming the kernel and index.
    public func setLocal(_ index: Int, bytes: Int) throws {
        guard bytes > 0 else {
            throw CLError(code: CL_INVALID_ARG_SIZE, operation: "clSetKernelArg",
                          detail: "kernel '\(name)' argument \(index): local memory size must be > 0, got \(bytes)")
        }
        try set(index, size: bytes, what: "\(bytes) bytes of local memory") { ptr in ptr(nil) }
        withLock { _ = retainedBuffers.removeValue(forKey: index) }
    }

    /// Checks the index and calls `clSetKernelArg` with the pointer `withValue` provides.
    private func set(
        _ index: Int, size: Int, what: String,
        _ withValue: ((UnsafeMutableRawPointer?) -> cl_int) -> cl_int
    ) throws {
        guard index >= 0, index < argumentCount else {
            throw CLError(code: CL_INVALID_ARG_INDEX, operation: "clSetKernelArg",
                          detail: "kernel '\(name)' has \(argumentCount) arguments; index \(index) is out of range")
        }
        try withLock {
            let status = withValue { clSetKernelArg(handle, cl_uint(index), size, $0) }
            try clCheck(status, "clSetKernelArg", "kernel '\(name)' argument \(index) (\(what), \(size) bytes)")
            setIndices.insert(index)
        }
    }

    /// The kernel's work-group limits on `device` (default: the program's device).
    /// - Throws: `CLError` from `clGetKernelWorkGroupInfo`.
    public func workGroupInfo(_ device: CLDevice? = nil) throws -> CLWorkGroupInfo {
        let dev = (device ?? program.context.device).handle
        func query<T: BitwiseCopyable>(_ param: Int32, _ type: T.Type) throws -> T {
            try clInfoScalar(type, "clGetKernelWorkGroupInfo", "kernel '\(name)'") {
                clGetKernelWorkGroupInfo(handle, dev, cl_kernel_work_group_info(param), $0, $1, $2)
            }
        }
        return CLWorkGroupInfo(
            maxWorkGroupSize: try query(CL_KERNEL_WORK_GROUP_SIZE, Int.self),
            preferredMultiple: try query(CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, Int.self),
            localMemBytes: try query(CL_KERNEL_LOCAL_MEM_SIZE, cl_ulong.self),
            privateMemBytes: try query(CL_KERNEL_PRIVATE_MEM_SIZE, cl_ulong.self))
    }
}
