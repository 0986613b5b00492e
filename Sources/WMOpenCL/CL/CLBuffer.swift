import COpenCL

/// A device memory buffer (`cl_mem`); released when the last reference goes.
///
/// Host transfers (`write`, `read`) are blocking and bounds-checked: a request
/// outside `byteCount` throws `CLError` (`CL_INVALID_VALUE`) instead of
/// touching memory. A zero-byte buffer is allowed (OpenCL forbids size 0, so
/// 4 bytes are allocated, but `byteCount` reports 0).
public final class CLBuffer: @unchecked Sendable {
    /// The raw `cl_mem`.
    let handle: cl_mem
    /// The context the buffer lives in.
    public let context: CLContext
    /// The size requested by the caller, in bytes (may be 0).
    public let byteCount: Int
    /// The size actually allocated (at least `minimumAllocation`).
    let allocatedBytes: Int
    /// The kernel-access flags the buffer was created with.
    public let flags: CLMemFlags

    /// Smallest allocation made, so that zero-byte buffers are legal.
    static let minimumAllocation = 4

    /// Allocates an uninitialised buffer.
    /// - Parameters:
    ///   - context: the owning context.
    ///   - bytes: size in bytes (≥ 0; at most the device's `maxAllocBytes`).
    ///   - flags: kernel access, `.readWrite` by default.
    /// - Throws: `CLError` (`CL_INVALID_BUFFER_SIZE` for a negative or too large size).
    public init(context: CLContext, bytes: Int, flags: CLMemFlags = .readWrite) throws {
        self.handle = try CLBuffer.makeMem(context: context, bytes: bytes, flags: flags, hostBytes: nil)
        self.context = context
        self.byteCount = bytes
        self.allocatedBytes = max(bytes, CLBuffer.minimumAllocation)
        self.flags = flags
    }

    /// Allocates a buffer holding a copy of `array` (`CL_MEM_COPY_HOST_PTR`).
    /// - Parameters:
    ///   - context: the owning context.
    ///   - array: the initial contents; `byteCount` is `array.count * MemoryLayout<T>.stride`.
    ///   - flags: kernel access, `.readWrite` by default.
    /// - Throws: `CLError` as for `init(context:bytes:flags:)`.
    public init<T: BitwiseCopyable>(context: CLContext, copying array: [T], flags: CLMemFlags = .readWrite) throws {
        let bytes = array.count * MemoryLayout<T>.stride
        self.handle = try array.withUnsafeBytes { raw in
            try CLBuffer.makeMem(context: context, bytes: bytes, flags: flags, hostBytes: bytes == 0 ? nil : raw.baseAddress)
        }
        self.context = context
        self.byteCount = bytes
        self.allocatedBytes = max(bytes, CLBuffer.minimumAllocation)
        self.flags = flags
    }

    /// Creates the `cl_mem` (at least `minimumAllocation` bytes), copying `hostBytes` when given.
    private static func makeMem(context: CLContext, bytes: Int, flags: CLMemFlags, hostBytes: UnsafeRawPointer?) throws -> cl_mem {
        let maxAlloc = context.device.info.maxAllocBytes
        guard bytes >= 0, maxAlloc == 0 || UInt64(bytes) <= maxAlloc else {
            throw CLError(code: CL_INVALID_BUFFER_SIZE, operation: "clCreateBuffer",
                          detail: "requested \(bytes) bytes; device '\(context.device.info.deviceName)' allows 0...\(maxAlloc)")
        }
        let allocated = max(bytes, minimumAllocation)
        var raw = flags.rawValue
        if hostBytes != nil { raw |= cl_mem_flags(CL_MEM_COPY_HOST_PTR) }
        var status: cl_int = CL_SUCCESS
        let mem = clCreateBuffer(context.handle, raw, allocated, hostBytes.map { UnsafeMutableRawPointer(mutating: $0) }, &status)
        try clCheck(status, "clCreateBuffer", "\(bytes) bytes")
        guard let mem else {
            throw CLError(code: CL_MEM_OBJECT_ALLOCATION_FAILURE, operation: "clCreateBuffer", detail: "returned NULL for \(bytes) bytes")
        }
        return mem
    }

    deinit {
        clReleaseMemObject(handle)
    }

    /// How many whole `T` elements fit in `byteCount`.
    public func count<T>(of type: T.Type) -> Int {
        byteCount / MemoryLayout<T>.stride
    }

    /// Copies `array` into the buffer starting at element `offsetElements`
    /// (in units of `T`); returns when the copy is done.
    /// - Throws: `CLError` (`CL_INVALID_VALUE`) when the range leaves the buffer.
    public func write<T: BitwiseCopyable>(_ array: [T], queue: CLQueue, offsetElements: Int = 0) throws {
        let range = try byteRange(T.self, count: array.count, offsetElements: offsetElements, queue: queue, op: "clEnqueueWriteBuffer")
        if range.size == 0 { return }
        try array.withUnsafeBytes { raw in
            try queue.withLock {
                try clCheck(
                    clEnqueueWriteBuffer(queue.handle, handle, cl_bool(CL_TRUE), range.offset, range.size, raw.baseAddress, 0, nil, nil),
                    "clEnqueueWriteBuffer", "\(range.size) bytes at offset \(range.offset)")
            }
        }
    }

    /// Reads `count` elements of `T` starting at element `offsetElements`;
    /// waits for earlier commands on the (in-order) queue and for the copy.
    /// - Throws: `CLError` (`CL_INVALID_VALUE`) when the range leaves the buffer.
    public func read<T: BitwiseCopyable>(_ type: T.Type = T.self, count: Int, queue: CLQueue, offsetElements: Int = 0) throws -> [T] {
        let range = try byteRange(T.self, count: count, offsetElements: offsetElements, queue: queue, op: "clEnqueueReadBuffer")
        if range.size == 0 { return [] }
        return try [T](unsafeUninitializedCapacity: count) { out, initialized in
            initialized = 0
            try queue.withLock {
                try clCheck(
                    clEnqueueReadBuffer(queue.handle, handle, cl_bool(CL_TRUE), range.offset, range.size, UnsafeMutableRawPointer(out.baseAddress), 0, nil, nil),
                    "clEnqueueReadBuffer", "\(range.size) bytes at offset \(range.offset)")
            }
            initialized = count
        }
    }

    /// Enqueues setting every byte of the buffer to zero (`clEnqueueFillBuffer`).
    /// Asynchronous, but ordered before later commands on the same queue.
    public func fillZero(queue: CLQueue) throws {
        try checkQueue(queue, op: "clEnqueueFillBuffer")
        let patternSize = allocatedBytes % 4 == 0 ? 4 : 1
        var pattern: UInt32 = 0
        try queue.withLock {
            try clCheck(
                clEnqueueFillBuffer(queue.handle, handle, &pattern, patternSize, 0, allocatedBytes, 0, nil, nil),
                "clEnqueueFillBuffer", "\(allocatedBytes) bytes")
        }
    }

    private func checkQueue(_ queue: CLQueue, op: String) throws {
        guard queue.context === context else {
            throw CLError(code: CL_INVALID_CONTEXT, operation: op, detail: "the buffer belongs to another context than the queue")
        }
    }

    /// Validates an element range and converts it to bytes.
    private func byteRange<T>(_ type: T.Type, count: Int, offsetElements: Int, queue: CLQueue, op: String) throws -> (offset: Int, size: Int) {
        try checkQueue(queue, op: op)
        let stride = MemoryLayout<T>.stride
        let (size, o1) = count.multipliedReportingOverflow(by: stride)
        let (offset, o2) = offsetElements.multipliedReportingOverflow(by: stride)
        let (end, o3) = size.addingReportingOverflow(offset)
        guard count >= 0, offsetElements >= 0, !o1, !o2, !o3, end <= byteCount else {
            throw CLError(
                code: CL_INVALID_VALUE, operation: op,
                detail: "out of bounds: \(count) elements of \(stride) bytes at element offset \(offsetElements) "
                    + "in a buffer of \(byteCount) bytes (\(byteCount / max(stride, 1)) elements)")
        }
        return (offset, size)
    }
}
