import COpenCL
import Foundation

/// An in-order OpenCL command queue on the context's device; released when the
/// last reference goes.
///
/// Every call that uses the queue (kernel launches, buffer reads/writes/fills,
/// `finish`) holds an internal lock, so one queue may be shared between threads.
/// Commands execute in the order they were enqueued.
public final class CLQueue: @unchecked Sendable {
    /// The raw `cl_command_queue`.
    let handle: cl_command_queue
    /// The context the queue belongs to.
    public let context: CLContext
    /// Whether the queue was created with `CL_QUEUE_PROFILING_ENABLE`.
    public let profilingEnabled: Bool
    private let lock = NSLock()

    /// Creates an in-order queue for the context's device.
    /// - Parameters:
    ///   - context: the context (and so the device) to run on.
    ///   - profiling: enable event profiling, needed by `enqueueTimed`.
    /// - Throws: `CLError` from `clCreateCommandQueue`.
    public init(context: CLContext, profiling: Bool = false) throws {
        var status: cl_int = CL_SUCCESS
        let properties = profiling ? cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE) : 0
        let queue = clCreateCommandQueue(context.handle, context.device.handle, properties, &status)
        try clCheck(status, "clCreateCommandQueue", "device '\(context.device.info.deviceName)'")
        guard let queue else {
            throw CLError(code: CL_OUT_OF_HOST_MEMORY, operation: "clCreateCommandQueue", detail: "returned NULL")
        }
        self.handle = queue
        self.context = context
        self.profilingEnabled = profiling
    }

    deinit {
        clFinish(handle)
        clReleaseCommandQueue(handle)
    }

    /// Runs `body` with the queue's lock held (serialises all use of `handle`).
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Blocks until every command enqueued so far has completed (`clFinish`).
    /// - Throws: `CLError`, e.g. when a kernel failed on the device.
    public func finish() throws {
        try withLock { try clCheck(clFinish(handle), "clFinish") }
    }

    /// Submits enqueued commands to the device without waiting (`clFlush`).
    public func flush() throws {
        try withLock { try clCheck(clFlush(handle), "clFlush") }
    }

    /// Enqueues `kernel` over an NDRange (asynchronous; use `finish()` or a
    /// blocking `CLBuffer.read` to wait).
    ///
    /// - Parameters:
    ///   - kernel: a kernel whose arguments are all set, from this queue's context.
    ///   - global: global work size, 1 to 3 dimensions, each > 0 (and, when
    ///     `local` is given, a multiple of the local size: OpenCL 1.2 rule).
    ///   - local: work-group size with the same number of dimensions, or `nil`
    ///     to let the runtime choose.
    /// - Throws: `CLError` whose detail names the kernel and sizes.
    public func enqueue(_ kernel: CLKernel, global: [Int], local: [Int]? = nil) throws {
        _ = try launch(kernel, global: global, local: local, timed: false)
    }

    /// Enqueues `kernel`, waits for it, and returns its device execution time in
    /// nanoseconds (from event profiling). Requires `profiling: true`.
    /// - Throws: `CLError` (`CL_PROFILING_INFO_NOT_AVAILABLE` without profiling).
    public func enqueueTimed(_ kernel: CLKernel, global: [Int], local: [Int]? = nil) throws -> UInt64 {
        guard profilingEnabled else {
            throw CLError(
                code: CL_PROFILING_INFO_NOT_AVAILABLE, operation: "CLQueue.enqueueTimed",
                detail: "the queue was created without profiling")
        }
        return try launch(kernel, global: global, local: local, timed: true)
    }

    private func launch(_ kernel: CLKernel, global: [Int], local: [Int]?, timed: Bool) throws -> UInt64 {
        let what = "kernel '\(kernel.name)', global \(global), local \(local.map { "\($0)" } ?? "auto")"
        guard (1...3).contains(global.count) else {
            throw CLError(code: CL_INVALID_WORK_DIMENSION, operation: "clEnqueueNDRangeKernel",
                          detail: "\(what): 1 to 3 dimensions are supported")
        }
        guard global.allSatisfy({ $0 > 0 }) else {
            throw CLError(code: CL_INVALID_GLOBAL_WORK_SIZE, operation: "clEnqueueNDRangeKernel",
                          detail: "\(what): every global size must be > 0")
        }
        if let local {
            guard local.count == global.count, local.allSatisfy({ $0 > 0 }) else {
                throw CLError(code: CL_INVALID_WORK_GROUP_SIZE, operation: "clEnqueueNDRangeKernel",
                              detail: "\(what): local size needs \(global.count) positive entries")
            }
            for d in 0..<global.count where global[d] % local[d] != 0 {
                throw CLError(code: CL_INVALID_WORK_GROUP_SIZE, operation: "clEnqueueNDRangeKernel",
                              detail: "\(what): global size \(global[d]) is not a multiple of local size \(local[d]) in dimension \(d)")
            }
        }
        guard kernel.program.context === context else {
            throw CLError(code: CL_INVALID_CONTEXT, operation: "clEnqueueNDRangeKernel",
                          detail: "\(what): the kernel belongs to another context than the queue")
        }
        return try withLock {
            try kernel.withLock { () throws -> UInt64 in
                var event: cl_event?
                let status = withUnsafeMutablePointer(to: &event) { eventSlot in
                    let eventOut = timed ? eventSlot : nil
                    return global.withUnsafeBufferPointer { g in
                        let call = { (l: UnsafePointer<Int>?) -> cl_int in
                            clEnqueueNDRangeKernel(
                                self.handle, kernel.handle, cl_uint(g.count), nil, g.baseAddress, l, 0, nil, eventOut)
                        }
                        if let local { return local.withUnsafeBufferPointer { call($0.baseAddress) } }
                        return call(nil)
                    }
                }
                if status != CL_SUCCESS {
                    var detail = what
                    let unset = kernel.unsetArgumentIndices()
                    if !unset.isEmpty { detail += "; arguments never set: \(unset)" }
                    throw CLError(code: status, operation: "clEnqueueNDRangeKernel", detail: detail)
                }
                guard timed, let event else { return 0 }
                defer { clReleaseEvent(event) }
                var waitList: cl_event? = event
                try clCheck(clWaitForEvents(1, &waitList), "clWaitForEvents", what)
                let start = try clInfoScalar(cl_ulong.self, "clGetEventProfilingInfo", what) {
                    clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), $0, $1, $2)
                }
                let end = try clInfoScalar(cl_ulong.self, "clGetEventProfilingInfo", what) {
                    clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), $0, $1, $2)
                }
                return end >= start ? end - start : 0
            }
        }
    }
}
