import Foundation
import WMCore

/// The OpenCL backend: one device, one context, one in-order queue, programs cached by options.
public final class OpenCLBackend: Backend, @unchecked Sendable {
    public let device: CLDevice
    public let context: CLContext
    public let queue: CLQueue
    public let info: BackendInfo
    public let capabilities: BackendCapabilities
    private var programs: [String: CLProgram] = [:]
    private let lock = NSLock()

    /// Opens `device`.
    public init(device: CLDevice) throws {
        self.device = device
        context = try CLContext(device: device)
        queue = try CLQueue(context: context)
        let d = device.info
        info = BackendInfo(
            kind: "opencl", device: d.deviceName, platform: d.platformName,
            details: "\(d.deviceType), \(d.computeUnits) CU, \(formatBytes(Int(d.globalMemBytes))) global, \(d.openCLCVersion), driver \(d.driverVersion)")
        capabilities = OpenCLBackend.capabilities(of: d)
    }

    /// The answers for a device. A CPU device (PoCL) computes in host memory; it runs one network
    /// per compute unit (a work-group per trajectory), a GPU or accelerator all at once. Lag
    /// moments need double precision and 16 × 16 work-groups.
    static func capabilities(of d: CLDeviceInfo) -> BackendCapabilities {
        let memory = Int(clamping: d.globalMemBytes)
        let hostMemory = d.deviceType == "CPU"
        return BackendCapabilities(
            usesHostMemory: hostMemory, hasFP64: d.hasFP64, computeUnits: d.computeUnits,
            memoryBytes: memory, maxAllocationBytes: d.maxAllocBytes > 0 ? Int(clamping: d.maxAllocBytes) : memory,
            maxWorkGroupSize: d.maxWorkGroupSize,
            preferredNetworksPerEngine: hostMemory ? Swift.max(1, d.computeUnits) : nil,
            reducesLagMomentsOnDevice: d.hasFP64 && d.maxWorkGroupSize >= 256, denseOpsOnDevice: true)
    }

    public func makeDenseOps() throws -> any DenseOps { try OpenCLDenseOps(backend: self) }

    public func makeRLSBatch(networks: Int, n: Int, outputs: Int, alpha: Double) throws -> any RLSBatch {
        try OpenCLRLSBatch(backend: self, networks: networks, n: n, outputs: outputs, alpha: alpha)
    }

    public func feedbackMemory(networks: Int, n: Int, pg: Double) -> FeedbackMemoryEstimate {
        .deviceBatch(networks: networks, n: n, pg: pg, pBytes: device.info.hasFP64 ? 8 : 4)
    }

    public func makeFeedbackRunner(networks: [FeedbackNetwork], alpha: Double) throws -> any FeedbackBatchRunner {
        try OpenCLFeedbackRunner(backend: self, networks: networks, alpha: alpha)
    }

    /// A device copy kernel (`bench_copy`), after one untimed launch.
    public func measureCopyBandwidth(megabytes: Int, repeats: Int) throws -> Double {
        try CopyBandwidth.validate(megabytes: megabytes, repeats: repeats)
        let bytes = megabytes << 20
        let n4 = bytes / 16
        try MemoryCheck.device(bytes: 2 * bytes, device: device.info, what: "bandwidth probe buffers")
        let k = try program(families: [.bench]).kernel("bench_copy")
        let a = try CLBuffer(context: context, bytes: bytes)
        let b = try CLBuffer(context: context, bytes: bytes)
        try a.fillZero(queue: queue)
        try k.setArg(0, Int32(n4)); try k.setArg(1, a); try k.setArg(2, b)
        let global = (n4 + 255) / 256 * 256
        try queue.enqueue(k, global: [global], local: [256])
        try queue.finish()
        return try CopyBandwidth.best(bytes: bytes, repeats: repeats) {
            try queue.enqueue(k, global: [global], local: [256])
            try queue.finish()
        }
    }

    /// Opens the device picked by `selector`: nil/"auto" (GPU first), an index into
    /// `CLDiscovery.devices()`, or a case-insensitive substring of the device or platform name.
    public convenience init(selector: String?) throws {
        try self.init(device: OpenCLBackend.select(selector))
    }

    /// Resolves a device selector (see `init(selector:)`).
    public static func select(_ selector: String?) throws -> CLDevice {
        let all = try CLDevice.all()
        guard !all.isEmpty else { throw CLError(code: -1, operation: "device selection", detail: "no OpenCL device found") }
        guard let s = selector?.trimmingCharacters(in: .whitespaces), !s.isEmpty, s.lowercased() != "auto" else {
            return try CLDevice.preferred()
        }
        if let i = Int(s) {
            guard i >= 0 && i < all.count else {
                throw WMError.invalidParameter(name: "device", value: s, expected: "an index in 0..<\(all.count) (see `wmsim devices`)")
            }
            return all[i]
        }
        let matches = all.filter { ($0.info.deviceName + " " + $0.info.platformName).lowercased().contains(s.lowercased()) }
        guard let first = matches.first else {
            throw WMError.invalidParameter(name: "device", value: s, expected: "an index or part of a device name; found: " + all.map(\.info.deviceName).joined(separator: ", "))
        }
        return first
    }

    /// The program of `families` built with `options` (defaults: 32-bit indices, the device's
    /// fp64), compiled once per backend and cached.
    public func program(families: [KernelFamily], options: String? = nil) throws -> CLProgram {
        let needed = KernelLibrary.closure(families)
        let opts = options ?? KernelLibrary.options(index16: false, fp64: device.info.hasFP64)
        let key = needed.map(\.rawValue).joined(separator: "+") + " " + opts
        lock.lock()
        defer { lock.unlock() }
        if let p = programs[key] { return p }
        let p = try CLProgram(context: context, source: try KernelLibrary.programSource(needed), options: opts)
        programs[key] = p
        return p
    }

    public func makeEngine(ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws -> any SimulationEngine {
        try OpenCLEngine(backend: self, ensemble: ensemble, networks: networks, input: input, options: options)
    }
}
