import COpenCL

/// How kernels may access a `CLBuffer` (`cl_mem_flags`). Host reads and writes
/// through `CLBuffer.read`/`write` are allowed whatever the flags.
public struct CLMemFlags: OptionSet, Sendable, Hashable {
    /// The raw `cl_mem_flags` bits.
    public let rawValue: UInt64

    /// Creates flags from raw `cl_mem_flags` bits.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Kernels read and write the buffer (`CL_MEM_READ_WRITE`, the default).
    public static let readWrite = CLMemFlags(rawValue: cl_mem_flags(CL_MEM_READ_WRITE))
    /// Kernels only write the buffer (`CL_MEM_WRITE_ONLY`).
    public static let writeOnly = CLMemFlags(rawValue: cl_mem_flags(CL_MEM_WRITE_ONLY))
    /// Kernels only read the buffer (`CL_MEM_READ_ONLY`).
    public static let readOnly = CLMemFlags(rawValue: cl_mem_flags(CL_MEM_READ_ONLY))
    /// Ask the runtime to allocate host-accessible memory (`CL_MEM_ALLOC_HOST_PTR`).
    public static let allocHostPointer = CLMemFlags(rawValue: cl_mem_flags(CL_MEM_ALLOC_HOST_PTR))
}
