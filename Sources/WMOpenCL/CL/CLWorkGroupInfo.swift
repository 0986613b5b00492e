/// Per-device limits of one kernel (`clGetKernelWorkGroupInfo`), used to pick
/// a local work size.
public struct CLWorkGroupInfo: Sendable, Codable, Equatable {
    /// `CL_KERNEL_WORK_GROUP_SIZE`: the largest work-group this kernel can run with on the device.
    public var maxWorkGroupSize: Int
    /// `CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE`: work-group sizes should be a multiple of this (warp/wavefront/SIMD width).
    public var preferredMultiple: Int
    /// `CL_KERNEL_LOCAL_MEM_SIZE`: local memory used by the kernel, in bytes (including `setLocal` arguments set so far).
    public var localMemBytes: UInt64
    /// `CL_KERNEL_PRIVATE_MEM_SIZE`: private memory per work-item, in bytes.
    public var privateMemBytes: UInt64

    /// Creates a value from explicit numbers.
    public init(maxWorkGroupSize: Int, preferredMultiple: Int, localMemBytes: UInt64, privateMemBytes: UInt64) {
        self.maxWorkGroupSize = maxWorkGroupSize
        self.preferredMultiple = preferredMultiple
        self.localMemBytes = localMemBytes
        self.privateMemBytes = privateMemBytes
    }
}
