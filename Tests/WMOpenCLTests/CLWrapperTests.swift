import Foundation
import XCTest

@testable import WMOpenCL

/// Tests of the thin OpenCL wrapper (Sources/WMOpenCL/CL). They need an OpenCL
/// runtime: CI installs PoCL (`pocl-opencl-icd`), so a missing runtime fails.
final class CLWrapperTests: XCTestCase {
    /// `c[i] = a[i] + 2*b[i]` for `i < n`.
    static let addScaledSource = """
        __kernel void add_scaled(__global const float* a, __global const float* b,
                                 __global float* c, const int n) {
            int i = get_global_id(0);
            if (i < n) c[i] = a[i] + 2.0f * b[i];
        }
        """

    /// Device, context and queue on the `auto` device; fails the test when there is no runtime.
    private func environment(profiling: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> (CLDevice, CLContext, CLQueue) {
        do {
            let device = try CLDevice.preferred()
            let context = try CLContext(device: device)
            return (device, context, try CLQueue(context: context, profiling: profiling))
        } catch let error as CLError where error.isNoRuntime {
            XCTFail("No OpenCL runtime (CI must install pocl-opencl-icd): \(error)", file: file, line: line)
            throw error
        }
    }

    private func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

    // MARK: Discovery

    func testDiscoveryFindsADevice() throws {
        let devices: [CLDeviceInfo]
        do {
            devices = try CLDiscovery.devices()
        } catch let error as CLError where error.isNoRuntime {
            XCTFail("CLDiscovery found no OpenCL runtime; CI installs PoCL: \(error)")
            return
        }
        XCTAssertFalse(devices.isEmpty)
        for info in devices {
            XCTAssertFalse(info.deviceName.isEmpty)
            XCTAssertFalse(info.platformName.isEmpty)
            XCTAssertTrue(["GPU", "CPU", "ACCELERATOR", "OTHER"].contains(info.deviceType), info.deviceType)
            XCTAssertGreaterThan(info.computeUnits, 0)
            XCTAssertGreaterThan(info.globalMemBytes, 0)
            XCTAssertGreaterThan(info.maxAllocBytes, 0)
            XCTAssertGreaterThan(info.maxWorkGroupSize, 0)
        }
        let preferred = try XCTUnwrap(CLDiscovery.preferredDevice(from: devices))
        XCTAssertTrue(devices.contains(preferred))
        // Codable round trip (used for run metadata).
        let data = try JSONEncoder().encode(devices)
        XCTAssertEqual(try JSONDecoder().decode([CLDeviceInfo].self, from: data), devices)
        // The info locates the device again.
        let device = try CLDevice(preferred)
        XCTAssertEqual(device.info, preferred)
    }

    func testPreferredDeviceRule() {
        func info(_ name: String, _ type: String, cu: Int, mhz: Int, mem: UInt64, p: Int = 0, d: Int = 0) -> CLDeviceInfo {
            CLDeviceInfo(
                platformIndex: p, deviceIndex: d, platformName: "P", platformVersion: "OpenCL 1.2",
                deviceName: name, vendor: "V", deviceType: type, computeUnits: cu, globalMemBytes: mem,
                localMemBytes: 65536, maxAllocBytes: mem / 4, maxWorkGroupSize: 256,
                openCLCVersion: "OpenCL C 1.2", driverVersion: "1", hasFP64: true, maxClockMHz: mhz)
        }
        let bigCPU = info("cpu", "CPU", cu: 128, mhz: 3000, mem: 1 << 40, p: 0)
        let smallGPU = info("gpu-small", "GPU", cu: 10, mhz: 1000, mem: 1 << 32, p: 1, d: 0)
        let bigGPU = info("gpu-big", "GPU", cu: 40, mhz: 1500, mem: 1 << 33, p: 1, d: 1)
        let bigGPUMoreMem = info("gpu-big-mem", "GPU", cu: 40, mhz: 1500, mem: 1 << 34, p: 1, d: 2)
        let accel = info("acc", "ACCELERATOR", cu: 4, mhz: 500, mem: 1 << 30, p: 2)

        XCTAssertNil(CLDiscovery.preferredDevice(from: []))
        XCTAssertEqual(CLDiscovery.preferredDevice(from: [bigCPU, smallGPU])?.deviceName, "gpu-small")
        XCTAssertEqual(CLDiscovery.preferredDevice(from: [bigCPU, smallGPU, bigGPU])?.deviceName, "gpu-big")
        XCTAssertEqual(CLDiscovery.preferredDevice(from: [bigGPU, bigGPUMoreMem, bigCPU])?.deviceName, "gpu-big-mem")
        XCTAssertEqual(CLDiscovery.preferredDevice(from: [accel, bigCPU])?.deviceName, "cpu")
        XCTAssertEqual(CLDiscovery.preferredDevice(from: [accel])?.deviceName, "acc")
    }

    // MARK: Errors

    func testNoRuntimeErrorDescription() {
        let error = CLError(code: -1001, operation: "clGetPlatformIDs")
        XCTAssertTrue(error.isNoRuntime)
        XCTAssertTrue(error.description.contains("CL_PLATFORM_NOT_FOUND_KHR"), error.description)
        XCTAssertTrue(error.description.contains("pocl-opencl-icd"), error.description)
        XCTAssertTrue(CLDiscovery.noRuntimeError("0 platforms").description.contains("pocl-opencl-icd"))
    }

    func testErrorNames() {
        let expected: [Int32: String] = [
            -1: "CL_DEVICE_NOT_FOUND", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES",
            -6: "CL_OUT_OF_HOST_MEMORY", -11: "CL_BUILD_PROGRAM_FAILURE", -30: "CL_INVALID_VALUE",
            -52: "CL_INVALID_KERNEL_ARGS", -54: "CL_INVALID_WORK_GROUP_SIZE", -61: "CL_INVALID_BUFFER_SIZE",
            -51: "CL_INVALID_ARG_SIZE", -50: "CL_INVALID_ARG_VALUE", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
            12345: "CL_UNKNOWN_ERROR",
        ]
        for (code, name) in expected { XCTAssertEqual(CLError.name(for: code), name) }
        let error = CLError(code: -61, operation: "clCreateBuffer", detail: "0 bytes")
        XCTAssertEqual(error.description, "clCreateBuffer failed: CL_INVALID_BUFFER_SIZE (-61): 0 bytes")
    }

    // MARK: Buffers

    func testBufferRoundTripFloats() throws {
        let (_, context, queue) = try environment()
        let n = 1003  // not a multiple of 64
        let values = (0..<n).map { Float($0) * 0.25 - 17 }
        let buffer = try CLBuffer(context: context, bytes: n * MemoryLayout<Float>.stride)
        XCTAssertEqual(buffer.byteCount, n * 4)
        XCTAssertEqual(buffer.count(of: Float.self), n)
        try buffer.write(values, queue: queue)
        XCTAssertEqual(try buffer.read(Float.self, count: n, queue: queue), values)

        // Partial write/read at an element offset.
        try buffer.write([1, 2, 3] as [Float], queue: queue, offsetElements: n - 3)
        XCTAssertEqual(try buffer.read(Float.self, count: 4, queue: queue, offsetElements: n - 4), [values[n - 4], 1, 2, 3])

        // Copying init, then zero fill.
        let copied = try CLBuffer(context: context, copying: values)
        XCTAssertEqual(try copied.read(Float.self, count: n, queue: queue), values)
        try copied.fillZero(queue: queue)
        XCTAssertEqual(try copied.read(Float.self, count: n, queue: queue), [Float](repeating: 0, count: n))

        // Other element types.
        let ints: [UInt64] = [0, 1, .max, 42]
        XCTAssertEqual(try CLBuffer(context: context, copying: ints).read(UInt64.self, count: 4, queue: queue), ints)
        let odd = try CLBuffer(context: context, copying: [UInt8](1...7))  // 7 bytes: fill uses a 1-byte pattern
        try odd.fillZero(queue: queue)
        XCTAssertEqual(try odd.read(UInt8.self, count: 7, queue: queue), [UInt8](repeating: 0, count: 7))
    }

    func testZeroByteBuffer() throws {
        let (_, context, queue) = try environment()
        let empty = try CLBuffer(context: context, bytes: 0)
        XCTAssertEqual(empty.byteCount, 0)
        XCTAssertEqual(try empty.read(Float.self, count: 0, queue: queue), [])
        try empty.write([Float](), queue: queue)
        try empty.fillZero(queue: queue)
        let emptyCopy = try CLBuffer(context: context, copying: [Float]())
        XCTAssertEqual(emptyCopy.byteCount, 0)
        XCTAssertThrowsError(try empty.read(Float.self, count: 1, queue: queue))
        XCTAssertThrowsError(try CLBuffer(context: context, bytes: -1)) { error in
            XCTAssertEqual((error as? CLError)?.code, -61)
        }
    }

    func testOutOfBoundsAccessThrows() throws {
        let (_, context, queue) = try environment()
        let buffer = try CLBuffer(context: context, copying: [Float](repeating: 1, count: 10))
        func expectInvalidValue(_ body: @autoclosure () throws -> Any, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                let clError = error as? CLError
                XCTAssertEqual(clError?.code, -30, line: line)
                XCTAssertTrue(clError?.description.contains("out of bounds") ?? false, "\(error)", line: line)
            }
        }
        expectInvalidValue(try buffer.read(Float.self, count: 11, queue: queue))
        expectInvalidValue(try buffer.read(Float.self, count: 2, queue: queue, offsetElements: 9))
        expectInvalidValue(try buffer.read(Float.self, count: 1, queue: queue, offsetElements: -1))
        expectInvalidValue(try buffer.read(Float.self, count: -1, queue: queue))
        expectInvalidValue(try buffer.read(Double.self, count: 6, queue: queue))
        expectInvalidValue(try buffer.read(Float.self, count: Int.max / 2, queue: queue))
        expectInvalidValue(try buffer.write([Float](repeating: 0, count: 3), queue: queue, offsetElements: 8))
        // In-bounds edge cases still work.
        XCTAssertEqual(try buffer.read(Float.self, count: 1, queue: queue, offsetElements: 9), [1])
        XCTAssertEqual(try buffer.read(Float.self, count: 0, queue: queue, offsetElements: 10), [])
    }

    // MARK: Programs and kernels

    func testAddScaledKernel() throws {
        let (_, context, queue) = try environment()
        let program = try CLProgram(context: context, source: Self.addScaledSource)
        XCTAssertEqual(try program.kernelNames(), ["add_scaled"])
        let kernel = try program.kernel("add_scaled")
        XCTAssertEqual(kernel.argumentCount, 4)
        for n in [1000, 7] {
            let a = (0..<n).map { Float($0) * 0.5 }
            let b = (0..<n).map { Float(n - $0) * 0.125 + 1 }
            let bufA = try CLBuffer(context: context, copying: a, flags: .readOnly)
            let bufB = try CLBuffer(context: context, copying: b, flags: .readOnly)
            let bufC = try CLBuffer(context: context, bytes: n * 4, flags: .writeOnly)
            try kernel.setArg(0, bufA)
            try kernel.setArg(1, bufB)
            try kernel.setArg(2, bufC)
            try kernel.setArg(3, Int32(n))
            try queue.enqueue(kernel, global: [roundUp(n, 64)], local: [64])
            let c = try bufC.read(Float.self, count: n, queue: queue)
            XCTAssertEqual(c, (0..<n).map { a[$0] + 2 * b[$0] }, "n = \(n)")

            // Runtime-chosen local size.
            try bufC.fillZero(queue: queue)
            try queue.enqueue(kernel, global: [roundUp(n, 64)])
            try queue.finish()
            XCTAssertEqual(try bufC.read(Float.self, count: n, queue: queue), c, "n = \(n), local auto")
        }
        let info = try kernel.workGroupInfo(context.device)
        XCTAssertGreaterThan(info.maxWorkGroupSize, 0)
        XCTAssertGreaterThan(info.preferredMultiple, 0)
        XCTAssertEqual(try kernel.workGroupInfo(), info)
    }

    func testLocalMemoryAndScalarArgs() throws {
        let (_, context, queue) = try environment()
        let source = """
            __kernel void scale(__global float* x, __local float* tile, const float s, const uint n) {
                size_t g = get_global_id(0), l = get_local_id(0);
                tile[l] = g < n ? x[g] : 0.0f;
                barrier(CLK_LOCAL_MEM_FENCE);
                if (g < n) x[g] = tile[l] * s;
            }
            """
        let program = try CLProgram(context: context, source: source, options: "-cl-std=CL1.2")
        let kernel = try CLKernel(program: program, name: "scale")
        let n = 100
        let x = try CLBuffer(context: context, copying: (0..<n).map(Float.init))
        try kernel.setArg(0, x)
        try kernel.setLocal(1, bytes: 32 * 4)
        try kernel.setArg(2, Float(3))
        try kernel.setArg(3, UInt32(n))
        try queue.enqueue(kernel, global: [128], local: [32])
        XCTAssertEqual(try x.read(Float.self, count: n, queue: queue), (0..<n).map { Float($0) * 3 })
    }

    func testBrokenKernelThrowsBuildErrorWithLog() throws {
        let (_, context, _) = try environment()
        let source = """
            __kernel void broken(__global float* x) {
                x[get_global_id(0)] = undeclared_identifier_xyz * 2.0f;
            }
            """
        XCTAssertThrowsError(try CLProgram(context: context, source: source)) { error in
            guard let buildError = error as? CLBuildError else {
                return XCTFail("expected CLBuildError, got \(type(of: error)): \(error)")
            }
            XCTAssertEqual(buildError.code, -11)
            XCTAssertEqual(buildError.logs.count, 1)
            XCTAssertTrue(buildError.log.contains("undeclared_identifier_xyz"), buildError.log)
            XCTAssertTrue(buildError.description.contains("undeclared_identifier_xyz"), buildError.description)
            XCTAssertTrue(buildError.description.contains("CL_BUILD_PROGRAM_FAILURE"), buildError.description)
        }
    }

    func testMissingKernelNameIsNamed() throws {
        let (_, context, _) = try environment()
        let program = try CLProgram(context: context, source: Self.addScaledSource)
        XCTAssertThrowsError(try program.kernel("no_such_kernel")) { error in
            let clError = error as? CLError
            XCTAssertEqual(clError?.code, -46)
            XCTAssertTrue("\(error)".contains("no_such_kernel"), "\(error)")
            XCTAssertTrue("\(error)".contains("add_scaled"), "should list available kernels: \(error)")
        }
    }

    func testLaunchAndArgumentErrorsNameTheKernel() throws {
        let (_, context, queue) = try environment()
        let program = try CLProgram(context: context, source: Self.addScaledSource)
        let kernel = try program.kernel("add_scaled")
        let buffer = try CLBuffer(context: context, bytes: 64 * 4)

        // Index out of range.
        XCTAssertThrowsError(try kernel.setArg(4, Int32(1))) { error in
            XCTAssertEqual((error as? CLError)?.code, -49)
            XCTAssertTrue("\(error)".contains("add_scaled"), "\(error)")
        }
        // Swift Int is 8 bytes, the kernel's `int` is 4.
        XCTAssertThrowsError(try kernel.setArg(3, Int(1))) { error in
            XCTAssertEqual((error as? CLError)?.code, -51)
            XCTAssertTrue("\(error)".contains("add_scaled"), "\(error)")
        }
        // Arguments not set.
        try kernel.setArg(0, buffer)
        XCTAssertThrowsError(try queue.enqueue(kernel, global: [64])) { error in
            XCTAssertTrue("\(error)".contains("add_scaled"), "\(error)")
        }
        try kernel.setArg(1, buffer)
        try kernel.setArg(2, buffer)
        try kernel.setArg(3, Int32(64))
        // Global not a multiple of local; too many dimensions; mismatched dims.
        for (global, local) in [([100], [64]), ([1, 1, 1, 1], nil), ([64], [64, 1]), ([0], nil)] as [([Int], [Int]?)] {
            XCTAssertThrowsError(try queue.enqueue(kernel, global: global, local: local)) { error in
                XCTAssertTrue("\(error)".contains("add_scaled"), "\(error)")
            }
        }
        try queue.enqueue(kernel, global: [64], local: [64])
        try queue.finish()

        // A buffer from another context is refused before reaching OpenCL.
        let otherContext = try CLContext(device: context.device)
        let foreign = try CLBuffer(context: otherContext, bytes: 16)
        XCTAssertThrowsError(try kernel.setArg(0, foreign))
        XCTAssertThrowsError(try foreign.read(Float.self, count: 1, queue: queue))
    }

    func testProfiledLaunch() throws {
        let (_, context, queue) = try environment(profiling: true)
        let kernel = try CLProgram(context: context, source: Self.addScaledSource).kernel("add_scaled")
        let n = 256
        let a = try CLBuffer(context: context, copying: [Float](repeating: 1, count: n))
        try kernel.setArg(0, a)
        try kernel.setArg(1, a)
        try kernel.setArg(2, a)
        try kernel.setArg(3, Int32(n))
        let ns = try queue.enqueueTimed(kernel, global: [n])
        XCTAssertLessThan(ns, 10_000_000_000)
        XCTAssertEqual(try a.read(Float.self, count: 2, queue: queue), [3, 3])

        let plain = try CLQueue(context: context)
        XCTAssertThrowsError(try plain.enqueueTimed(kernel, global: [n])) { error in
            XCTAssertEqual((error as? CLError)?.code, -7)
        }
    }

    func testSharedQueueFromManyThreads() throws {
        let (_, context, queue) = try environment()
        let program = try CLProgram(context: context, source: Self.addScaledSource)
        let tasks = 8
        let n = 333
        let global = roundUp(n, 64)
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            do {
                let kernel = try program.kernel("add_scaled")  // one kernel object per thread
                let a = (0..<n).map { Float($0 + t) }
                let bufA = try CLBuffer(context: context, copying: a)
                let bufC = try CLBuffer(context: context, bytes: n * 4)
                for _ in 0..<5 {
                    try kernel.setArg(0, bufA)
                    try kernel.setArg(1, bufA)
                    try kernel.setArg(2, bufC)
                    try kernel.setArg(3, Int32(n))
                    try queue.enqueue(kernel, global: [global], local: [64])
                    let c = try bufC.read(Float.self, count: n, queue: queue)
                    if c != a.map({ $0 * 3 }) { failures.add("task \(t): wrong result") }
                }
            } catch {
                failures.add("task \(t): \(error)")
            }
        }
        XCTAssertEqual(failures.messages, [])
    }
}

/// Thread-safe collector of failure messages for the concurrency test.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.lock(); list.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
