/// What a backend's device can do, asked instead of downcasting (as GeNN's backends answer
/// `isHostReductionRequired()` or `getDeviceMemoryBytes()`). Policy that depends on the device
/// is decided from these answers in one place (`ComputePolicy` in WMExperiments).
public struct BackendCapabilities: Codable, Sendable, Hashable {
    /// The device computes in host memory (the CPU backend, or an OpenCL CPU device such as PoCL):
    /// states reach host BLAS without a transfer, and host BLAS beats portable kernels there.
    public var usesHostMemory: Bool
    /// The device computes in double precision (OpenCL: `cl_khr_fp64`).
    public var hasFP64: Bool
    /// Parallel compute units (cores, or OpenCL compute units).
    public var computeUnits: Int
    /// Memory the device can hold in all, in bytes (usable host memory for the CPU backend).
    public var memoryBytes: Int
    /// The largest single allocation, in bytes.
    public var maxAllocationBytes: Int
    /// The most work-items in one work-group (1 for the CPU backend, which has no work-groups).
    public var maxWorkGroupSize: Int
    /// Networks one engine should advance together, or nil for as many as memory allows. The CPU
    /// backend runs one at a time (its engine already uses every core, and one network's weights
    /// stay in cache across steps); OpenCL CPU devices one per compute unit (a work-group per
    /// trajectory); GPUs all at once.
    public var preferredNetworksPerEngine: Int?
    /// Engines can reduce lag moments on the device (`SimulationEngine.advance(steps:lagMoments:…)`).
    public var reducesLagMomentsOnDevice: Bool
    /// `makeDenseOps()` runs on a device's kernels (false: they are host BLAS, the CPU backend).
    public var denseOpsOnDevice: Bool

    public init(usesHostMemory: Bool, hasFP64: Bool, computeUnits: Int, memoryBytes: Int, maxAllocationBytes: Int,
                maxWorkGroupSize: Int, preferredNetworksPerEngine: Int?, reducesLagMomentsOnDevice: Bool, denseOpsOnDevice: Bool) {
        self.usesHostMemory = usesHostMemory
        self.hasFP64 = hasFP64
        self.computeUnits = computeUnits
        self.memoryBytes = memoryBytes
        self.maxAllocationBytes = maxAllocationBytes
        self.maxWorkGroupSize = maxWorkGroupSize
        self.preferredNetworksPerEngine = preferredNetworksPerEngine
        self.reducesLagMomentsOnDevice = reducesLagMomentsOnDevice
        self.denseOpsOnDevice = denseOpsOnDevice
    }

    /// Whether `bytes` fit one allocation and at most `share` of the device's memory.
    public func fits(bytes: Int, share: Double = 1) -> Bool {
        bytes <= maxAllocationBytes && Double(bytes) <= Double(memoryBytes) * share
    }
}
