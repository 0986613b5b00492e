import COpenCL

/// A plain-data description of one OpenCL device, as found by `CLDiscovery`.
/// `platformIndex`/`deviceIndex` locate it again (see `CLDevice.init(_:)`).
public struct CLDeviceInfo: Sendable, Codable, Equatable {
    /// Index of the platform in `clGetPlatformIDs` order.
    public var platformIndex: Int
    /// Index of the device within its platform, in `clGetDeviceIDs(CL_DEVICE_TYPE_ALL)` order.
    public var deviceIndex: Int
    /// `CL_PLATFORM_NAME`, e.g. "Portable Computing Language".
    public var platformName: String
    /// `CL_PLATFORM_VERSION`, e.g. "OpenCL 3.0 PoCL 3.1 …".
    public var platformVersion: String
    /// `CL_DEVICE_NAME`.
    public var deviceName: String
    /// `CL_DEVICE_VENDOR`.
    public var vendor: String
    /// "GPU", "CPU", "ACCELERATOR" or "OTHER" (from `CL_DEVICE_TYPE`).
    public var deviceType: String
    /// `CL_DEVICE_MAX_COMPUTE_UNITS`.
    public var computeUnits: Int
    /// `CL_DEVICE_GLOBAL_MEM_SIZE` in bytes.
    public var globalMemBytes: UInt64
    /// `CL_DEVICE_LOCAL_MEM_SIZE` in bytes.
    public var localMemBytes: UInt64
    /// `CL_DEVICE_MAX_MEM_ALLOC_SIZE` in bytes (largest single buffer).
    public var maxAllocBytes: UInt64
    /// `CL_DEVICE_MAX_WORK_GROUP_SIZE`.
    public var maxWorkGroupSize: Int
    /// `CL_DEVICE_OPENCL_C_VERSION`, e.g. "OpenCL C 1.2 PoCL".
    public var openCLCVersion: String
    /// `CL_DRIVER_VERSION`.
    public var driverVersion: String
    /// Whether the device supports `double` (`cl_khr_fp64` or a non-zero `CL_DEVICE_DOUBLE_FP_CONFIG`).
    public var hasFP64: Bool
    /// `CL_DEVICE_MAX_CLOCK_FREQUENCY` in MHz (0 when the driver does not report it).
    public var maxClockMHz: Int

    /// Creates a description from explicit values (used by discovery and by tests).
    public init(
        platformIndex: Int, deviceIndex: Int, platformName: String, platformVersion: String,
        deviceName: String, vendor: String, deviceType: String, computeUnits: Int,
        globalMemBytes: UInt64, localMemBytes: UInt64, maxAllocBytes: UInt64,
        maxWorkGroupSize: Int, openCLCVersion: String, driverVersion: String,
        hasFP64: Bool, maxClockMHz: Int
    ) {
        self.platformIndex = platformIndex
        self.deviceIndex = deviceIndex
        self.platformName = platformName
        self.platformVersion = platformVersion
        self.deviceName = deviceName
        self.vendor = vendor
        self.deviceType = deviceType
        self.computeUnits = computeUnits
        self.globalMemBytes = globalMemBytes
        self.localMemBytes = localMemBytes
        self.maxAllocBytes = maxAllocBytes
        self.maxWorkGroupSize = maxWorkGroupSize
        self.openCLCVersion = openCLCVersion
        self.driverVersion = driverVersion
        self.hasFP64 = hasFP64
        self.maxClockMHz = maxClockMHz
    }

    /// Whether `deviceType` is "GPU".
    public var isGPU: Bool { deviceType == "GPU" }

    /// A one-line summary, e.g. `"pthread-haswell (CPU, 16 CU, 125.0 GiB, PoCL)"`.
    public var summary: String {
        let gib = Double(globalMemBytes) / Double(1 << 30)
        let mem = (gib * 10).rounded() / 10
        return "\(deviceName) (\(deviceType), \(computeUnits) CU, \(mem) GiB, \(platformName))"
    }

    /// Queries all properties of a device.
    init(platform: cl_platform_id, device: cl_device_id, platformIndex: Int, deviceIndex: Int) throws(CLError) {
        let type = try clDeviceScalar(device, CL_DEVICE_TYPE, as: cl_device_type.self)
        let typeName: String
        if type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 {
            typeName = "GPU"
        } else if type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 {
            typeName = "CPU"
        } else if type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 {
            typeName = "ACCELERATOR"
        } else {
            typeName = "OTHER"
        }
        let extensions = (try? clDeviceString(device, CL_DEVICE_EXTENSIONS)) ?? ""
        let fpConfig = (try? clDeviceScalar(device, CL_DEVICE_DOUBLE_FP_CONFIG, as: cl_device_fp_config.self)) ?? 0
        let hasFP64 = extensions.split(separator: " ").contains("cl_khr_fp64") || fpConfig != 0
        self.init(
            platformIndex: platformIndex,
            deviceIndex: deviceIndex,
            platformName: try clPlatformString(platform, CL_PLATFORM_NAME),
            platformVersion: try clPlatformString(platform, CL_PLATFORM_VERSION),
            deviceName: try clDeviceString(device, CL_DEVICE_NAME),
            vendor: try clDeviceString(device, CL_DEVICE_VENDOR),
            deviceType: typeName,
            computeUnits: Int(try clDeviceScalar(device, CL_DEVICE_MAX_COMPUTE_UNITS, as: cl_uint.self)),
            globalMemBytes: try clDeviceScalar(device, CL_DEVICE_GLOBAL_MEM_SIZE, as: cl_ulong.self),
            localMemBytes: try clDeviceScalar(device, CL_DEVICE_LOCAL_MEM_SIZE, as: cl_ulong.self),
            maxAllocBytes: try clDeviceScalar(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, as: cl_ulong.self),
            maxWorkGroupSize: try clDeviceScalar(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, as: Int.self),
            openCLCVersion: (try? clDeviceString(device, CL_DEVICE_OPENCL_C_VERSION)) ?? "",
            driverVersion: (try? clDeviceString(device, CL_DRIVER_VERSION)) ?? "",
            hasFP64: hasFP64,
            maxClockMHz: Int((try? clDeviceScalar(device, CL_DEVICE_MAX_CLOCK_FREQUENCY, as: cl_uint.self)) ?? 0))
    }
}
